// Summarises a V8 .cpuprofile (from `node --cpu-prof`): the functions with the most self time.
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

function location(frame) {
  const url = frame.url ?? '';
  if (url === '') return '(native)';
  let path = url.startsWith('file://') ? fileURLToPath(url) : url;
  if (path.startsWith('/')) path = relative(REPO_ROOT, path);
  // node_modules paths are long; the package name and file are what a reader needs.
  path = path.replace(/^(?:bench\/)?node_modules\//, '').replace(/^.*\/node_modules\//, '');
  return `${path}:${frame.lineNumber + 1}`;
}

/**
 * @param {string} file path of a .cpuprofile
 * @param {number} top how many functions to return
 * @returns {{ totalMs: number, top: { name: string, where: string, selfMs: number, share: number }[] }}
 */
export function topSelfTime(file, top = 15) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfUs = new Map();
  const deltas = profile.timeDeltas ?? [];
  for (let i = 0; i < profile.samples.length; i += 1) {
    const id = profile.samples[i];
    selfUs.set(id, (selfUs.get(id) ?? 0) + (deltas[i] ?? 0));
  }
  const byFunction = new Map();
  let total = 0;
  for (const [id, us] of selfUs) {
    const frame = byId.get(id).callFrame;
    if (frame.functionName === '(idle)' || frame.functionName === '(program)') continue;
    total += us;
    const key = `${frame.functionName || '(anonymous)'}@${location(frame)}`;
    const entry = byFunction.get(key) ?? { name: frame.functionName || '(anonymous)', where: location(frame), selfMs: 0 };
    entry.selfMs += us / 1000;
    byFunction.set(key, entry);
  }
  const sorted = [...byFunction.values()].sort((a, b) => b.selfMs - a.selfMs).slice(0, top);
  return { totalMs: total / 1000, top: sorted.map((entry) => ({ ...entry, share: entry.selfMs / (total / 1000) })) };
}

// Summarises a V8 .cpuprofile (from `node --cpu-prof`): the functions with the most self time.
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath, URL } from 'node:url';

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
  const { totalMs, all } = selfTimeByFunction(file);
  return { totalMs, top: all.slice(0, top).map((entry) => ({ ...entry, share: entry.selfMs / totalMs })) };
}

/** Self time of every function (key `name@where`), largest first, and the total, in milliseconds. */
export function selfTimeByFunction(file) {
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
  const all = [...byFunction.values()].sort((a, b) => b.selfMs - a.selfMs);
  return { totalMs: total / 1000, all };
}

/** Which part of the stack a profile frame belongs to, for a per-component breakdown. */
function component(frame) {
  const url = frame.url ?? '';
  const name = frame.functionName ?? '';
  if (name === '(garbage collector)') return 'garbage collector';
  if (url === '') return 'native (syscalls, V8 builtins, regexps)';
  if (url.startsWith('node:')) return 'Node.js internals (http, streams, timers)';
  const path = url.startsWith('file://') ? fileURLToPath(url) : url;
  const lastModules = path.lastIndexOf('node_modules/');
  if (lastModules >= 0) {
    const rest = path.slice(lastModules + 'node_modules/'.length).split('/');
    const pkg = rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
    if (pkg.startsWith('@opentelemetry/')) return 'OpenTelemetry SDK and API';
    if (pkg === 'faultline') return 'faultline';
    if (pkg === 'express' || pkg === 'router' || pkg === 'body-parser' || pkg === 'send' || pkg === 'finalhandler') return 'Express';
    return pkg;
  }
  const relativePath = relative(REPO_ROOT, path);
  if (relativePath.startsWith('dist/')) return 'faultline';
  if (relativePath.startsWith('bench/')) return 'the bench app';
  return relativePath;
}

/** Self time per component, in milliseconds, largest first. */
export function selfTimeByComponent(file) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const totals = new Map();
  const deltas = profile.timeDeltas ?? [];
  for (let i = 0; i < profile.samples.length; i += 1) {
    const frame = byId.get(profile.samples[i]).callFrame;
    if (frame.functionName === '(idle)' || frame.functionName === '(program)') continue;
    const key = component(frame);
    totals.set(key, (totals.get(key) ?? 0) + (deltas[i] ?? 0) / 1000);
  }
  return Object.fromEntries([...totals].sort((a, b) => b[1] - a[1]));
}

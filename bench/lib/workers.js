// Runs a bench worker script in a fresh Node process and returns the JSON line it prints last.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BENCH_DIR, cleanEnv, pinned, startCollector } from './processes.js';
import { topSelfTime } from './cpu-profile.js';
import process from 'node:process';

/**
 * @param {{ script: string, args?: string[], env?: Record<string, string>, cpu?: number, profile?: boolean }} options
 * @returns {Promise<{ result: any, stderr: string, profile?: ReturnType<typeof topSelfTime> }>}
 */
export async function runWorker({ script, args = [], env = {}, cpu, profile = false }) {
  const profileDir = profile ? mkdtempSync(join(tmpdir(), 'faultline-bench-prof-')) : undefined;
  const nodeArgs = [...(profile ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : []), script, ...args];
  const [command, argv] = pinned(cpu, process.execPath, nodeArgs);
  const child = spawn(command, argv, { cwd: BENCH_DIR, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk) => (out += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk) => (stderr += chunk));
  const code = await new Promise((resolve) => child.on('exit', (exitCode, signal) => resolve(exitCode ?? signal)));
  const lines = out.trim().split('\n').filter((line) => line.startsWith('{'));
  if (code !== 0 || lines.length === 0) throw new Error(`${script} ${args.join(' ')} exited with ${code}:\n${stderr.slice(-2000)}`);
  let summary;
  if (profileDir !== undefined) {
    const [file] = readdirSync(profileDir).filter((name) => name.endsWith('.cpuprofile'));
    if (file !== undefined) summary = topSelfTime(join(profileDir, file), 12);
    rmSync(profileDir, { recursive: true, force: true });
  }
  return { result: JSON.parse(lines.at(-1)), stderr, profile: summary };
}

/**
 * Runs a suite's own worker `script` (`<mode> 5`) once per mode in every round, each in a fresh
 * process on the app's CPU exporting to one local collector, and logs each result with `describe`.
 * @returns {Promise<Record<string, any[]>>} the results per mode, in round order
 */
export async function sampleModes({ script, modes, rounds, cpus, env, log, describe }) {
  const collector = await startCollector({ cpu: cpus.load });
  const samples = Object.fromEntries(modes.map((mode) => [mode, []]));
  try {
    for (let round = 1; round <= rounds; round += 1) {
      for (const mode of modes) {
        const { result } = await runWorker({ script, args: [mode, '5'], env: { ...env, OTEL_EXPORTER_OTLP_ENDPOINT: collector.otlpUrl }, cpu: cpus.app });
        samples[mode].push(result);
        log(describe(round, mode, result));
      }
    }
  } finally {
    await collector.stop();
  }
  return samples;
}

/** A markdown list of a profile's top self-time functions. */
export function profileMarkdown(profile, limit = 10) {
  if (profile === undefined) return '_no profile was written_';
  return profile.top
    .slice(0, limit)
    .map((entry) => `- ${(entry.share * 100).toFixed(1)}% \`${entry.name.length > 90 ? `${entry.name.slice(0, 87)}…` : entry.name}\` (${entry.where})`)
    .join('\n');
}

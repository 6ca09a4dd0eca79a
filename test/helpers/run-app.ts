import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface AppRun {
  child: ChildProcess;
  /** Resolves when the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; elapsedMs: number }>;
  /** Resolves with the first stdout line matching `pattern` (e.g. the port an app prints). */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  startedAt: number;
}

export interface RunOptions {
  /** Preload faultline/register (the default) or run plain Node for comparison. */
  preload?: boolean;
  env?: Record<string, string | undefined>;
  args?: string[];
  nodeArgs?: string[];
  cwd?: string;
}

/** Telemetry settings for tests: fast exports to `endpoint`, nothing inherited from the developer's shell. */
export function otlpEnv(endpoint: string, extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return {
    OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
    OTEL_SERVICE_NAME: 'faultline-test-app',
    OTEL_METRIC_EXPORT_INTERVAL: '500',
    OTEL_BSP_SCHEDULE_DELAY: '200',
    OTEL_BLRP_SCHEDULE_DELAY: '200',
    ...extra,
  };
}

/** Spawns `node [--import faultline/register] <fixture>` from the package root, as a user would. */
export function runApp(fixture: string, options: RunOptions = {}): AppRun {
  const cleanEnv: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('OTEL_') && !key.startsWith('FAULTLINE_') && key !== 'NODE_OPTIONS' && !key.startsWith('NODE_TEST')) cleanEnv[key] = value;
  }
  const nodeArgs = [...(options.preload === false ? [] : ['--import', 'faultline/register']), ...(options.nodeArgs ?? [])];
  const startedAt = Date.now();
  const child = spawn(process.execPath, [...nodeArgs, path.resolve(repoRoot, fixture), ...(options.args ?? [])], {
    cwd: options.cwd ?? repoRoot,
    env: { ...cleanEnv, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const lineWaiters: { pattern: RegExp; resolve: (match: RegExpMatchArray) => void }[] = [];
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    stdout += chunk;
    for (const waiter of [...lineWaiters]) {
      const match = stdout.match(waiter.pattern);
      if (match !== null) {
        lineWaiters.splice(lineWaiters.indexOf(waiter), 1);
        waiter.resolve(match);
      }
    }
  });
  child.stderr.on('data', (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; elapsedMs: number }>((resolve) => {
    child.on('close', (code, signal) => {
      resolve({ code, signal, stdout, stderr, elapsedMs: Date.now() - startedAt });
    });
  });
  return {
    child,
    exited,
    startedAt,
    waitForLine(pattern, timeoutMs = 15000) {
      const match = stdout.match(pattern);
      if (match !== null) return Promise.resolve(match);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          reject(new Error(`no stdout line matching ${pattern} within ${timeoutMs} ms; stdout: ${stdout}; stderr: ${stderr}`));
        }, timeoutMs);
        lineWaiters.push({
          pattern,
          resolve: (found) => {
            clearTimeout(timer);
            resolve(found);
          },
        });
        void exited.then(() => {
          clearTimeout(timer);
          reject(new Error(`process exited before printing ${pattern}; stdout: ${stdout}; stderr: ${stderr}`));
        });
      });
    },
  };
}

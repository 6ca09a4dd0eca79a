import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

// The example's processes, each started the way a user starts an app under faultline:
// `node --import faultline/register <entry>`. Their stdout (JSON log lines) stays with the demo;
// their stderr (warnings) is passed on with the service's name in front.

const exampleDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const repoRoot = path.resolve(exampleDir, '..', '..');

export interface RunningService {
  name: string;
  url: string;
  /** SIGTERM, then wait for the exit (the service flushes its telemetry on the way out). */
  stop(): Promise<number | null>;
}

export class ServiceFailed extends Error {
  override name = 'ServiceFailed';
  readonly code = 'DEMO_SERVICE_FAILED';
}

const running = new Set<ChildProcess>();

// Whatever ends the demo, its services end with it.
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/**
 * Starts `entry` (relative to examples/checkout) under the preload and resolves once it logs
 * `readyMessage` with a `url` field.
 */
export function startService(name: string, entry: string, readyMessage: string, env: NodeJS.ProcessEnv, timeoutMs = 30_000): Promise<RunningService> {
  const child = spawn(process.execPath, ['--import', 'faultline/register', path.join(exampleDir, entry)], {
    cwd: repoRoot,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group: Ctrl-C reaches the demo only, which stops traffic before the services.
    detached: true,
  });
  running.add(child);
  const exited = new Promise<number | null>((resolve) => {
    child.once('close', (code) => {
      running.delete(child);
      resolve(code);
    });
  });
  let stderrTail = '';
  createInterface({ input: child.stderr }).on('line', (line) => {
    stderrTail = `${stderrTail}${line}\n`.slice(-2000);
    process.stderr.write(`[${name}] ${line}\n`);
  });

  return new Promise<RunningService>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new ServiceFailed(`${name} did not start within ${timeoutMs / 1000} s`));
    }, timeoutMs);
    createInterface({ input: child.stdout }).on('line', (line) => {
      let record: { msg?: unknown; url?: unknown };
      try {
        record = JSON.parse(line) as { msg?: unknown; url?: unknown };
      } catch { // eslint-disable-line faultline/no-blind-catch -- a child line that is not JSON is not the ready line
        return;
      }
      if (record.msg !== readyMessage || typeof record.url !== 'string') return;
      clearTimeout(timer);
      const url = record.url;
      resolve({
        name,
        url,
        stop: () => {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
          return exited;
        },
      });
    });
    void exited.then((code) => {
      clearTimeout(timer);
      const tail = stderrTail.trim().split('\n').slice(-5).join(' | ');
      reject(new ServiceFailed(`${name} exited with code ${String(code)} before it was ready${tail === '' ? '' : `: ${tail}`}`));
    });
  });
}

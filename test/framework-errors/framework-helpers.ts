import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { OtlpReceiver, ReceivedSpan } from '../../src/receiver/index.ts';
import { otlpEnv, repoRoot, runApp } from '../helpers/run-app.ts';

export const SERVER_KIND = 2;
export const STATUS_ERROR = 2;

/**
 * Express 4 must load under its own package name (`express`) for the loader hook to know it, and
 * the root has Express 5. The fixture folder carries its own package.json and lockfile; the first
 * test that needs it installs it from the registry with `npm ci` (node_modules/ is ignored by git).
 */
export function installExpress4(): void {
  const folder = path.join(repoRoot, 'test/fixtures/framework-errors/express4');
  if (existsSync(path.join(folder, 'node_modules/express/package.json'))) return;
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  execFileSync(npm, ['ci', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: folder, stdio: ['ignore', 'ignore', 'inherit'], timeout: 180_000 });
}

export interface ServedRun {
  spans(): ReceivedSpan[];
  stdout: string;
  stderr: string;
}

/**
 * Runs a fixture app under the preload, sends it `paths` one after the other, ends it with SIGTERM
 * (which flushes every signal) and waits until the receiver has a server span for each request.
 */
export async function serve(receiver: OtlpReceiver, fixture: string, paths: string[], env: Record<string, string> = {}): Promise<ServedRun> {
  receiver.clear();
  const app = runApp(fixture, { env: otlpEnv(receiver.url, env) });
  const port = (await app.waitForLine(/listening (\d+)/, 30_000))[1]!;
  for (const requestPath of paths) {
    try {
      const response = await fetch(`http://127.0.0.1:${port}${requestPath}`);
      await response.arrayBuffer();
    } catch {
      // a response the server cut on purpose (a stream that failed after its headers)
    }
  }
  app.child.kill('SIGTERM');
  const exit = await app.exited;
  const spans = (): ReceivedSpan[] => receiver.spans.filter((span) => span.kind === SERVER_KIND);
  // The request-duration histogram is in every metric export: once it is here, so is app.errors.
  const metricsArrived = (): boolean => receiver.metrics.some((point) => point.name === 'http.server.request.duration');
  await receiver.waitFor(() => paths.every((requestPath) => spans().some((span) => span.attributes['url.path'] === requestPath)) && metricsArrived(), {
    timeoutMs: 15_000,
  });
  return { spans, stdout: exit.stdout, stderr: exit.stderr };
}

/** The server span of the request to `requestPath`. */
export function spanFor(run: ServedRun, requestPath: string): ReceivedSpan {
  const found = run.spans().filter((span) => span.attributes['url.path'] === requestPath);
  if (found.length !== 1) throw new Error(`expected one server span for ${requestPath}, got ${found.length}; stderr: ${run.stderr}`);
  return found[0]!;
}

/** The outermost exception events on a span (causes have exception.index > 0). */
export function exceptionsOn(span: ReceivedSpan): ReceivedSpan['events'] {
  return span.events.filter((event) => event.name === 'exception' && event.attributes['exception.index'] === 0);
}

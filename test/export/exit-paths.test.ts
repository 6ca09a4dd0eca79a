import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startReceiver, type OtlpReceiver } from '../../src/receiver/index.ts';
import { otlpEnv, runApp } from '../helpers/run-app.ts';

// Every way a process ends delivers what it produced: 20 server spans, 20 log lines and an
// app.errors count of 20, with the exit code the app asked for. Each path runs several times.

const REQUESTS = 20;
const RUNS = 3;
const SERVER = 2;

interface ExitPath {
  name: string;
  code: number;
  signal?: NodeJS.Signals;
  /** Extra log lines and errors the path itself produces (in an `exit` listener). */
  extra?: number;
}

const PATHS: ExitPath[] = [
  { name: 'exit-top', code: 0 },
  { name: 'exit-handler', code: 3 },
  { name: 'exit-timer', code: 0 },
  { name: 'exit-listener', code: 0, extra: 1 },
  { name: 'exit-in-listener', code: 5, extra: 1 },
  { name: 'exitcode-drain', code: 4 },
  { name: 'throw', code: 1 },
  { name: 'reject', code: 1 },
  { name: 'sigterm', code: 143, signal: 'SIGTERM' },
  { name: 'sigint', code: 130, signal: 'SIGINT' },
];

describe('every exit path delivers spans, logs and error counts', () => {
  let receiver: OtlpReceiver;
  before(async () => {
    receiver = await startReceiver();
  });
  after(async () => {
    await receiver.close();
  });

  for (const path of PATHS) {
    test(path.name, async () => {
      for (let run = 0; run < RUNS; run += 1) {
        receiver.clear();
        // A metric interval far past the test: the count can only arrive through the exit path.
        const app = runApp('test/fixtures/export/exit-app.mjs', {
          env: otlpEnv(receiver.url, { EXIT_PATH: path.name, FAULTLINE_SHUTDOWN_TIMEOUT_MS: '5000', OTEL_METRIC_EXPORT_INTERVAL: '600000', OTEL_BSP_SCHEDULE_DELAY: '600000', OTEL_BLRP_SCHEDULE_DELAY: '600000' }),
        });
        if (path.signal !== undefined) {
          await app.waitForLine(/served/);
          app.child.kill(path.signal);
        }
        const exit = await app.exited;
        assert.equal(exit.code, path.code, `run ${run}: exit code\n${exit.stderr}`);
        const expected = REQUESTS + (path.extra ?? 0);
        const servers = receiver.spans.filter((span) => span.kind === SERVER);
        assert.equal(servers.length, REQUESTS, `run ${run}: server spans\n${exit.stderr}`);
        assert.equal(receiver.logs.filter((log) => log.resource['service.name'] === 'faultline-test-app').length, expected, `run ${run}: log lines\n${exit.stderr}`);
        assert.equal(receiver.latestSum('app.errors', { 'error.type': 'EXIT_PATH_FAILURE' }), expected, `run ${run}: app.errors\n${exit.stderr}`);
        assert.doesNotMatch(exit.stderr, /not exported|dropping telemetry/, `run ${run}: nothing dropped`);
      }
    });
  }

  test('a span still open at process.exit() is ended and marked', async () => {
    receiver.clear();
    const app = runApp('test/fixtures/export/exit-app.mjs', { env: otlpEnv(receiver.url, { EXIT_PATH: 'exit-handler', REQUESTS: '1' }) });
    const exit = await app.exited;
    assert.equal(exit.code, 3);
    const [span] = receiver.spans.filter((received) => received.kind === SERVER);
    assert.equal(span?.attributes['faultline.span.ended_at_exit'], true);
    assert.equal(span?.events.filter((event) => event.name === 'exception').length, 1);
  });
});

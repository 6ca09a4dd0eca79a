import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startReceiver, type OtlpReceiver } from '../../src/receiver/index.ts';
import { otlpEnv, runApp } from '../helpers/run-app.ts';
import { reportedLogDrops } from './log-helpers.ts';

const BURST = 'test/fixtures/logging/burst-app.mjs';

/** Distinct burst lines received, and whether any arrived twice. */
function burstLines(receiver: OtlpReceiver): { distinct: number; total: number } {
  const indexes = receiver.logs.filter((record) => String(record.body).startsWith('burst line ')).map((record) => record.attributes.index);
  return { distinct: new Set(indexes).size, total: indexes.length };
}

describe('nothing lost: lines written before the process ends reach the collector, or are counted', () => {
  let receiver: OtlpReceiver;
  before(async () => {
    receiver = await startReceiver();
  });
  after(async () => {
    await receiver.close();
  });

  // A deadline far above what a healthy local export needs, so the lines normally all arrive; the
  // assertion holds either way: every line is received once or counted as dropped.
  const env = (extra: Record<string, string> = {}) => otlpEnv(receiver.url, { FAULTLINE_SHUTDOWN_TIMEOUT_MS: '20000', ...extra });

  const endings: { name: string; mode: string; signal?: NodeJS.Signals }[] = [
    { name: 'process.exit()', mode: 'exit' },
    { name: 'an uncaught exception', mode: 'throw' },
    { name: 'an unhandled rejection', mode: 'reject' },
    { name: 'SIGTERM', mode: 'signal', signal: 'SIGTERM' },
    { name: 'SIGINT', mode: 'signal', signal: 'SIGINT' },
    { name: 'a normal exit', mode: 'natural' },
  ];

  // FAULTLINE_LOG_BUFFER_LINES is 8192: one burst fits the buffer, the other does not.
  const FITS = 5000;
  const OVERFLOWS = 20_000;

  for (const ending of endings) {
    for (const lines of [FITS, OVERFLOWS]) {
      const title =
        lines === FITS
          ? `${lines} lines (they fit the buffer), then ${ending.name}: every one arrives, exactly once`
          : `${lines} lines (past the buffer), then ${ending.name}: received plus the reported drops is what was written, with a warning`;
      test(title, async () => {
        receiver.clear();
        const app = runApp(BURST, { env: env(), args: [ending.mode, String(lines)] });
        if (ending.signal !== undefined) {
          await new Promise<void>((resolve, reject) => {
            const onData = (chunk: Buffer | string) => {
              if (String(chunk).includes('burst written')) {
                app.child.stderr?.off('data', onData);
                resolve();
              }
            };
            app.child.stderr?.on('data', onData);
            void app.exited.then(() => {
              reject(new Error('exited before the burst was written'));
            });
          });
          app.child.kill(ending.signal);
        }
        const exit = await app.exited;
        assert.notEqual(exit.code, null, `the process exits by itself (signal ${String(exit.signal)})`);
        const dropped = reportedLogDrops(exit.stderr);
        // Everything was sent before the process ended: no waiting for stragglers.
        const { distinct, total } = burstLines(receiver);
        assert.equal(total, distinct, 'no line arrives twice');
        if (lines === FITS) {
          assert.equal(distinct, lines, `every line arrives; stderr: ${exit.stderr.slice(0, 2000)}`);
          assert.equal(dropped, 0);
        } else {
          assert.ok(dropped > 0, 'a burst past the buffer drops lines');
          assert.match(exit.stderr, /faultline: dropping telemetry: \d+ logs item\(s\), queue full/);
          assert.equal(distinct + dropped, lines, `received ${distinct}, reported dropped ${dropped}; stderr: ${exit.stderr.slice(0, 2000)}`);
        }
      });
    }
  }

  test('collector hangs: the process exits by the deadline and counts every line as dropped', async () => {
    const hanging = await startReceiver({ mode: 'hang' });
    try {
      // Without the deadline the export would wait a minute for an answer.
      const app = runApp(BURST, {
        env: otlpEnv(hanging.url, { FAULTLINE_SHUTDOWN_TIMEOUT_MS: '1000', OTEL_EXPORTER_OTLP_TIMEOUT: '60000' }),
        args: ['natural', '2000'],
      });
      const exit = await app.exited;
      assert.equal(exit.code, 0, exit.stderr);
      assert.ok(exit.elapsedMs < 30_000, `exited after ${exit.elapsedMs} ms`);
      assert.equal(hanging.logs.length, 0);
      assert.equal(reportedLogDrops(exit.stderr), 2000);
    } finally {
      await hanging.close();
    }
  });

  /**
   * The burst app in `stall` mode with only the logs endpoint hanging (metrics still reach the
   * working receiver, drop counter included): its exit, and the lines it had dropped while running.
   */
  async function stalledBurst(hanging: OtlpReceiver, env: Record<string, string>, args: string[]) {
    const app = runApp(BURST, {
      env: otlpEnv(receiver.url, {
        OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: `${hanging.url}/v1/logs`,
        FAULTLINE_SHUTDOWN_TIMEOUT_MS: '1000',
        OTEL_EXPORTER_OTLP_TIMEOUT: '60000',
        ...env,
      }),
      args: ['stall', ...args],
    });
    const exit = await app.exited;
    assert.equal(exit.code, 0, exit.stderr);
    const running = /dropped while running (\d+)/.exec(exit.stderr);
    assert.ok(running, exit.stderr);
    return { exit, droppedWhileRunning: Number(running[1]) };
  }

  test('collector stalls with long lines: the buffer is bounded in characters too', async () => {
    const hanging = await startReceiver({ mode: 'hang' });
    try {
      const lines = 2000;
      const padChars = 2048;
      const bufferBytes = 64 * 1024;
      const queueSize = 100;
      const { exit, droppedWhileRunning } = await stalledBurst(
        hanging,
        {
          // The line bound alone would hold every line of the burst.
          FAULTLINE_LOG_BUFFER_LINES: String(10 * lines),
          FAULTLINE_LOG_BUFFER_BYTES: String(bufferBytes),
          OTEL_BLRP_MAX_QUEUE_SIZE: String(queueSize),
        },
        [String(lines), String(padChars)],
      );
      // Kept at most: what fits in the character bound, the worker's queue and one batch in flight.
      const fitting = Math.ceil(bufferBytes / padChars);
      assert.ok(droppedWhileRunning >= lines - fitting - 2 * queueSize, `dropped while running: ${droppedWhileRunning}`);
      assert.ok(droppedWhileRunning < lines, 'lines that fit were kept');
      assert.match(exit.stderr, /FAULTLINE_LOG_BUFFER_BYTES=65536/);
      assert.equal(reportedLogDrops(exit.stderr), 2 * lines);
      assert.equal(hanging.logs.length, 0);
    } finally {
      await hanging.close();
    }
  });

  test('collector stalls: the buffer stays bounded, lines beyond it are dropped at once and counted', async () => {
    const hanging = await startReceiver({ mode: 'hang' });
    try {
      receiver.clear();
      const bufferLines = 100;
      const queueSize = 100;
      const { exit, droppedWhileRunning } = await stalledBurst(hanging, { FAULTLINE_LOG_BUFFER_LINES: String(bufferLines), OTEL_BLRP_MAX_QUEUE_SIZE: String(queueSize) }, ['5000']);
      // Kept at most: the main thread's bound, the worker's queue and one batch in flight.
      assert.ok(droppedWhileRunning >= 5000 - bufferLines - 2 * queueSize, `dropped while running: ${droppedWhileRunning}`);
      assert.equal(reportedLogDrops(exit.stderr), 10_000);
      assert.equal(hanging.logs.length, 0);
      assert.equal(receiver.logs.length, 0);
      await receiver.waitFor(() => receiver.latestSum('faultline.telemetry.dropped', { signal: 'logs' }) >= droppedWhileRunning, {
        description: 'the drop counter with signal="logs"',
      });
    } finally {
      await hanging.close();
    }
  });
});

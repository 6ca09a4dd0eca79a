import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { closedPort } from '../helpers/closed-port.ts';
import { otlpEnv, runApp } from '../helpers/run-app.ts';
import { startReceiver } from '../../src/receiver/index.ts';

// A short-lived job whose collector refuses connections loses its telemetry: each signal's loss
// is counted and said once on stderr, never silent.

describe('a short-lived job with the collector down', () => {
  let stderr = '';
  let code: number | null = null;
  before(async () => {
    const port = await closedPort();
    const exit = await runApp('test/fixtures/export/short-job.mjs', { env: otlpEnv(`http://127.0.0.1:${port}`, { OTEL_METRIC_EXPORT_INTERVAL: '600000' }) }).exited;
    stderr = exit.stderr;
    code = exit.code;
  });

  test('ends by itself, with its own exit code', () => {
    assert.equal(code, 0, stderr);
  });

  test('its span: counted and said once', () => {
    assert.equal(stderr.match(/faultline: 1 span\(s\) were not exported/g)?.length, 1, stderr);
  });

  test('its metric points (app.errors among them): counted and said once', () => {
    assert.equal(stderr.match(/faultline: \d+ metric point\(s\) were not exported/g)?.length, 1, stderr);
  });

  test('its log line: counted and said once', () => {
    assert.equal(stderr.match(/faultline: 1 log line\(s\) were not exported/g)?.length, 1, stderr);
  });

  test('the first drop of each signal is named as it happens', () => {
    for (const signal of ['traces', 'metrics', 'logs']) assert.equal(stderr.match(new RegExp(`dropping telemetry: \\d+ ${signal} item`, 'g'))?.length, 1, `${signal}: ${stderr}`);
  });
});

// Records of the OpenTelemetry logs API are exported from the app's thread, which cannot send at
// exit: what is still queued or in flight then is counted and said, never silently lost.
describe('a job writing through the OpenTelemetry logs API', () => {
  test('process.exit() right after three records: all three counted and said once', async () => {
    const receiver = await startReceiver();
    try {
      const exit = await runApp('test/fixtures/export/logs-api-job.mjs', { args: ['exit'], env: otlpEnv(receiver.url, { OTEL_BLRP_SCHEDULE_DELAY: '60000' }) }).exited;
      assert.equal(exit.code, 0, exit.stderr);
      const invoices = receiver.logs.filter((record) => String(record.body).startsWith('invoice ')).length;
      assert.equal(invoices, 0, 'none could be sent from the exiting thread');
      assert.equal(exit.stderr.match(/faultline: 3 log line\(s\) were not exported/g)?.length, 1, exit.stderr);
    } finally {
      await receiver.close();
    }
  });

  test('a collector that never answers: the export in flight at the deadline is counted', async () => {
    const hanging = await startReceiver({ mode: 'hang' });
    try {
      const exit = await runApp('test/fixtures/export/logs-api-job.mjs', { args: ['drain'], env: otlpEnv(hanging.url, { FAULTLINE_SHUTDOWN_TIMEOUT_MS: '1000' }) }).exited;
      assert.equal(exit.code, 0, exit.stderr);
      assert.equal(exit.stderr.match(/faultline: 3 log line\(s\) were not exported/g)?.length, 1, exit.stderr);
    } finally {
      await hanging.close();
    }
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startReceiver, type OtlpReceiver } from '../../src/receiver/index.ts';
import { otlpEnv, runApp } from '../helpers/run-app.ts';
import { jsonLines, spanNamed } from './log-helpers.ts';

describe('plain pino() under the preload', () => {
  let receiver: OtlpReceiver;
  before(async () => {
    receiver = await startReceiver();
  });
  after(async () => {
    await receiver.close();
  });

  test('lines get the trace fields of their span and each arrives exactly once', async () => {
    const app = runApp('test/fixtures/logging/plain-pino-app.mjs', { env: otlpEnv(receiver.url) });
    const exit = await app.exited;
    assert.equal(exit.code, 0, exit.stderr);
    const shippedMarkers = ['shipped-outside', 'shipped-child', ...Array.from({ length: 20 }, (_, index) => `shipped-${index}`)];
    await receiver.waitFor(() => receiver.logs.length >= shippedMarkers.length && receiver.spans.some((s) => s.name === 'plain-span'), {
      description: 'the lines of the app’s own transport and its span',
    });
    const span = spanNamed(receiver.spans, 'plain-span');

    for (const marker of shippedMarkers) {
      const records = receiver.logs.filter((record) => record.attributes.marker === marker);
      assert.equal(records.length, 1, `${marker} arrives exactly once`);
      const record = records[0]!;
      if (marker === 'shipped-outside') {
        assert.equal(record.traceId, undefined);
        continue;
      }
      assert.equal(record.traceId, span.traceId, marker);
      assert.equal(record.spanId, span.spanId, marker);
    }
    assert.equal(receiver.logs.length, shippedMarkers.length, 'faultline ships nothing of its own: the stdout-only logger is not exported');

    const local = jsonLines(exit.stdout);
    const inside = local.find((line) => line.marker === 'local-inside');
    const outside = local.find((line) => line.marker === 'local-outside');
    assert.ok(inside && outside, exit.stdout);
    assert.equal(inside.trace_id, span.traceId);
    assert.equal(inside.span_id, span.spanId);
    assert.equal(inside.trace_flags, '01');
    assert.equal(outside.trace_id, undefined);
  });
});

describe('plain pino() error lines record their error', () => {
  let receiver: OtlpReceiver;
  before(async () => {
    receiver = await startReceiver();
  });
  after(async () => {
    await receiver.close();
  });

  const SPANS = ['logged-object', 'logged-error', 'logged-warning', 'renamed-key'];

  test('an error line inside a span records its error once, as handled, with the toolkit’s classification', async () => {
    const exit = await runApp('test/fixtures/logging/plain-pino-errors-app.mjs', { env: otlpEnv(receiver.url) }).exited;
    assert.equal(exit.code, 0, exit.stderr);
    await receiver.waitFor(() => SPANS.every((name) => receiver.spans.some((span) => span.name === name)) && receiver.latestSum('app.errors') >= 3);
    const exceptions = (name: string): string[] =>
      spanNamed(receiver.spans, name)
        .events.filter((event) => event.name === 'exception')
        .map((event) => String(event.attributes['exception.type']));
    assert.deepEqual(exceptions('logged-object'), ['LOGGED_OBJECT']);
    assert.deepEqual(exceptions('logged-error'), ['LOGGED_ERROR']);
    assert.deepEqual(exceptions('logged-warning'), []);
    assert.deepEqual(exceptions('renamed-key'), ['RENAMED_KEY']);
    const event = spanNamed(receiver.spans, 'logged-object').events[0]!;
    assert.equal(event.attributes['error.category'], 'internal');
    assert.match(String(event.attributes['exception.fingerprint']), /^[0-9a-f]{16}$/);
    // Not an HTTP server span: the span's status is the error's, as with recordError.
    assert.equal(spanNamed(receiver.spans, 'logged-error').status.code, 2);
    for (const type of ['LOGGED_OBJECT', 'LOGGED_ERROR', 'RENAMED_KEY']) {
      assert.equal(receiver.latestSum('app.errors', { 'error.type': type, 'error.handled': true }), 1, type);
    }
    assert.equal(receiver.latestSum('app.errors'), 3, 'nothing outside a span, below error level or not an error');
    assert.equal(jsonLines(exit.stdout).filter((line) => Number(line.level) >= 50).length, 6, 'the app’s own lines are untouched');
  });

  test('FAULTLINE_PINO_RECORD_ERRORS=false: the lines keep their trace fields and record nothing', async () => {
    receiver.clear();
    const exit = await runApp('test/fixtures/logging/plain-pino-errors-app.mjs', { env: otlpEnv(receiver.url, { FAULTLINE_PINO_RECORD_ERRORS: 'false' }) }).exited;
    assert.equal(exit.code, 0, exit.stderr);
    // The process has exited after its flush: what it recorded has arrived with the spans.
    await receiver.waitFor(() => SPANS.every((name) => receiver.spans.some((span) => span.name === name)));
    for (const name of SPANS) assert.equal(spanNamed(receiver.spans, name).events.length, 0, name);
    assert.equal(receiver.latestSum('app.errors'), 0);
    const line = jsonLines(exit.stdout).find((entry) => entry.msg === 'handled it');
    assert.equal(line?.trace_id, spanNamed(receiver.spans, 'logged-object').traceId);
  });
});

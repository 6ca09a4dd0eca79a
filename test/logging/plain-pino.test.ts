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

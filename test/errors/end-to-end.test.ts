import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startReceiver, type OtlpReceiver, type ReceivedSpan, type ReceivedSpanEvent } from '../../src/receiver/index.ts';
import { SECRETS } from '../fixtures/secrets-corpus.ts';
import { otlpEnv, runApp } from '../helpers/run-app.ts';

const TYPED_REQUESTS = 3;
const AGGREGATE_REQUESTS = 2;

function exceptionEvents(span: ReceivedSpan): ReceivedSpanEvent[] {
  return span.events.filter((event) => event.name === 'exception');
}

describe('typed errors recorded in a preloaded service, as received over OTLP', () => {
  let receiver: OtlpReceiver;
  let stderr = '';
  before(async () => {
    receiver = await startReceiver();
    const app = runApp('test/fixtures/errors/typed-errors-app.mjs', { env: otlpEnv(receiver.url) });
    const port = (await app.waitForLine(/listening (\d+)/))[1]!;
    const get = async (path: string): Promise<void> => {
      await (await fetch(`http://127.0.0.1:${port}${path}`)).text();
    };
    for (let i = 0; i < TYPED_REQUESTS; i++) await get('/typed');
    for (let i = 0; i < AGGREGATE_REQUESTS; i++) await get('/aggregate');
    for (let i = 0; i < SECRETS.length; i++) await get(`/secret?i=${i}`);
    app.child.kill('SIGTERM');
    const exit = await app.exited;
    stderr = exit.stderr;
    assert.equal(exit.code, 143, exit.stderr);
  });
  after(async () => {
    await receiver.close();
  });

  test('a cause chain becomes one exception event per error, outermost first, with codes and notes', () => {
    const spans = receiver.spans.filter((span) => span.attributes['url.path'] === '/typed');
    assert.equal(spans.length, TYPED_REQUESTS);
    for (const span of spans) {
      const events = exceptionEvents(span);
      assert.deepEqual(
        events.map((event) => event.attributes['exception.type']),
        ['CHECKOUT_FAILED', 'PAYMENT_GATEWAY_DOWN', 'ECONNREFUSED'],
      );
      const [outer, gateway, root] = events as [ReceivedSpanEvent, ReceivedSpanEvent, ReceivedSpanEvent];
      assert.equal(outer.attributes['exception.message'], 'checkout failed for order 7');
      assert.deepEqual(outer.attributes['exception.notes'], ['order 7, attempt 2']);
      assert.deepEqual(gateway.attributes['exception.notes'], ['gateway pool exhausted after 3 retries']);
      assert.equal(gateway.attributes['error.category'], 'dependency');
      assert.equal(root.attributes['exception.code'], 'ECONNREFUSED');
      assert.match(String(outer.attributes['exception.stacktrace']), /at typedChain \(/);
      assert.match(String(outer.attributes['exception.fingerprint']), /^[0-9a-f]{16}$/);
      assert.equal(span.status.code, 2);
      assert.match(String(span.status.message), /^CHECKOUT_FAILED: checkout failed for order 7/);
      assert.equal(span.attributes['error.type'], 'CHECKOUT_FAILED');
    }
    const fingerprints = new Set(spans.map((span) => exceptionEvents(span)[0]?.attributes['exception.fingerprint']));
    assert.equal(fingerprints.size, 1, 'the same bug groups under one fingerprint');
  });

  test('an AggregateError gets an event for itself and for each child, primitives included', () => {
    const spans = receiver.spans.filter((span) => span.attributes['url.path'] === '/aggregate');
    assert.equal(spans.length, AGGREGATE_REQUESTS);
    for (const span of spans) {
      const types = exceptionEvents(span).map((event) => event.attributes['exception.type']);
      assert.equal(types[0], 'AggregateError');
      assert.ok(types.includes('RangeError') && types.includes('TypeError'), types.join());
      assert.equal(types.length, 4, types.join());
    }
  });

  test('app.errors has exactly one count per recorded error, by type, category and handled', () => {
    assert.equal(receiver.latestSum('app.errors', { 'error.type': 'CHECKOUT_FAILED', 'error.category': 'internal', 'error.handled': true }), TYPED_REQUESTS);
    assert.equal(receiver.latestSum('app.errors', { 'error.type': 'AggregateError', 'error.category': 'internal', 'error.handled': true }), AGGREGATE_REQUESTS);
    assert.equal(receiver.latestSum('app.errors', { 'error.type': 'Error', 'error.category': 'internal', 'error.handled': true }), SECRETS.length, 'logged and recorded: counted once');
    assert.equal(receiver.latestSum('app.errors', { 'error.type': 'PAYMENT_GATEWAY_DOWN' }), 0, 'causes are events, not counts');
    const total = TYPED_REQUESTS + AGGREGATE_REQUESTS + SECRETS.length;
    assert.equal(receiver.latestSum('app.errors'), total);
    const attributeKeys = new Set(receiver.metrics.filter((point) => point.name === 'app.errors').flatMap((point) => Object.keys(point.attributes)));
    assert.deepEqual([...attributeKeys].sort(), ['error.category', 'error.handled', 'error.type']);
  });

  test('no secret from the corpus appears in any exported span, log record or metric', () => {
    const secretSpans = receiver.spans.filter((span) => span.attributes['url.path'] === '/secret');
    assert.equal(secretSpans.length, SECRETS.length, 'every secret request was exported');
    assert.ok(receiver.logs.length >= SECRETS.length, `only ${receiver.logs.length} log records`);
    const channels = { spans: JSON.stringify(receiver.spans), logs: JSON.stringify(receiver.logs), metrics: JSON.stringify(receiver.metrics) };
    for (const [channel, exported] of Object.entries(channels)) {
      const leaked = SECRETS.filter((sample) => exported.includes(sample.secret)).map((sample) => sample.kind);
      assert.deepEqual(leaked, [], `secrets in exported ${channel}`);
    }
    assert.ok(!SECRETS.some((sample) => stderr.includes(sample.secret)));
  });
});

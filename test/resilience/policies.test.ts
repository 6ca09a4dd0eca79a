import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startReceiver, type OtlpReceiver, type ReceivedMetricPoint, type ReceivedSpan, type ReceivedSpanEvent } from '../../src/receiver/index.ts';
import { otlpEnv, runApp } from '../helpers/run-app.ts';

// test/fixtures/resilience/policies-app.mjs under `--import faultline/register`, as received over
// OTLP: what each policy did to the call, and the telemetry contract (resilience.events,
// resilience.attempt.duration, span events, app.errors counting each failure once).

interface Facts {
  value?: unknown;
  error?: string;
  calls?: number;
  aborted?: number;
  [key: string]: unknown;
}

function histogramCount(points: readonly ReceivedMetricPoint[], attributes: Record<string, string | number>): number {
  return points
    .filter((point) => point.name === 'resilience.attempt.duration' && point.type === 'histogram' && JSON.stringify(point.attributes) === JSON.stringify(attributes))
    .sort((a, b) => Number(BigInt(a.timeUnixNano) - BigInt(b.timeUnixNano)))
    .at(-1)?.count ?? 0;
}

const resilienceEvents = (span: ReceivedSpan): ReceivedSpanEvent[] => span.events.filter((event) => event.name.startsWith('resilience.'));
const exceptionTypes = (span: ReceivedSpan): unknown[] => span.events.filter((event) => event.name === 'exception').map((event) => event.attributes['exception.type']);

describe('resilience policies in a preloaded app, as received over OTLP', () => {
  let receiver: OtlpReceiver;
  let out: Record<string, Facts>;
  let stderr: string;
  before(async () => {
    receiver = await startReceiver();
    // A long shutdown deadline: a loaded machine must not lose the last metric export at exit.
    const app = runApp('test/fixtures/resilience/policies-app.mjs', { env: otlpEnv(receiver.url, { FAULTLINE_SHUTDOWN_TIMEOUT_MS: '20000' }) });
    const exit = await app.exited;
    assert.equal(exit.code, 0, exit.stderr);
    stderr = exit.stderr;
    out = JSON.parse(exit.stdout.trim().split('\n').at(-1) ?? '{}') as typeof out;
  });
  after(async () => {
    await receiver.close();
  });

  const spanOf = (name: string): ReceivedSpan => {
    const spans = receiver.spans.filter((span) => span.name === name);
    assert.equal(spans.length, 1, `one span ${name}`);
    return spans[0]!;
  };
  const events = (policy: string, event: string, errorType?: string): number =>
    receiver.latestSum('resilience.events', { 'resilience.policy': policy, 'resilience.event': event, ...(errorType === undefined ? {} : { 'error.type': errorType }) });

  test('retry: retryable failures are retried with exponential backoff until the call succeeds', () => {
    assert.deepEqual(out['retry-retryable'], { calls: 3, value: 'paid on attempt 3' });
    assert.equal(events('gateway-retry', 'retry', 'GATEWAY_DOWN'), 2);
    assert.equal(events('gateway-retry', 'give_up'), 0);
    const span = spanOf('retry-retryable');
    const retries = resilienceEvents(span);
    assert.deepEqual(
      retries.map((event) => [event.name, event.attributes['resilience.attempt'], event.attributes['resilience.retry.delay_ms'], event.attributes['error.type']]),
      [
        ['resilience.retry', 1, 5, 'GATEWAY_DOWN'],
        ['resilience.retry', 2, 10, 'GATEWAY_DOWN'],
      ],
    );
    assert.equal(retries[0]!.attributes['resilience.policy'], 'gateway-retry');
    assert.equal(retries[0]!.attributes['resilience.strategy'], 'retry');
    assert.deepEqual(exceptionTypes(span), ['GATEWAY_DOWN', 'GATEWAY_DOWN'], 'each failed attempt recorded on the span');
    assert.notEqual(span.status.code, 2, 'the call succeeded: the span is not failed');
    assert.equal(histogramCount(receiver.metrics, { 'resilience.policy': 'gateway-retry', 'resilience.attempt': 1, 'resilience.outcome': 'failure' }), 1);
    assert.equal(histogramCount(receiver.metrics, { 'resilience.policy': 'gateway-retry', 'resilience.attempt': 2, 'resilience.outcome': 'failure' }), 1);
    assert.equal(histogramCount(receiver.metrics, { 'resilience.policy': 'gateway-retry', 'resilience.attempt': 3, 'resilience.outcome': 'success' }), 1);
    assert.equal(receiver.latestSum('app.errors', { 'error.type': 'GATEWAY_DOWN' }), 2);
  });

  test('retry: what classify() calls not retryable (a declined card) is tried once and passed on, recorded once', () => {
    assert.deepEqual(out['retry-not-retryable'], { calls: 1, error: 'CARD_DECLINED' });
    assert.equal(receiver.latestSum('resilience.events', { 'resilience.policy': 'card-retry' }), 0);
    const span = spanOf('retry-not-retryable');
    assert.deepEqual(exceptionTypes(span), ['CARD_DECLINED']);
    assert.equal(span.status.code, 2, 'a failure that reached the caller fails its span');
    assert.equal(receiver.latestSum('app.errors', { 'error.type': 'CARD_DECLINED', 'error.category': 'validation' }), 1, 'the policy and the app recorded it: counted once');
  });

  test('retry: gives up after maxAttempts; the delays double and stop at maxDelayMs', () => {
    assert.deepEqual(out['retry-give-up'], { calls: 4, error: 'LEDGER_DOWN' });
    assert.equal(events('ledger-retry', 'retry', 'LEDGER_DOWN'), 3);
    assert.equal(events('ledger-retry', 'give_up', 'LEDGER_DOWN'), 1);
    const span = spanOf('retry-give-up');
    assert.deepEqual(
      resilienceEvents(span).map((event) => [event.name, event.attributes['resilience.retry.delay_ms'] ?? event.attributes['resilience.retry.give_up_reason']]),
      [
        ['resilience.retry', 5],
        ['resilience.retry', 10],
        ['resilience.retry', 12],
        ['resilience.give_up', 'attempts'],
      ],
    );
    assert.equal(receiver.latestSum('app.errors', { 'error.type': 'LEDGER_DOWN' }), 4, 'four distinct failures, each once');
    assert.equal(histogramCount(receiver.metrics, { 'resilience.policy': 'ledger-retry', 'resilience.attempt': 4, 'resilience.outcome': 'failure' }), 1);
  });

  test('retry budget: extra attempts stay within the share of calls (4 failing calls make 6 attempts, not 12)', () => {
    assert.equal(out['retry-budget']?.calls, 6);
    assert.deepEqual(out['retry-budget']?.outcomes, ['STOCK_DOWN', 'STOCK_DOWN', 'STOCK_DOWN', 'STOCK_DOWN']);
    assert.equal(events('stock-retry', 'retry', 'STOCK_DOWN'), 2);
    assert.equal(events('stock-retry', 'give_up', 'STOCK_DOWN'), 4);
    const reasons = resilienceEvents(spanOf('retry-budget'))
      .filter((event) => event.name === 'resilience.give_up')
      .map((event) => event.attributes['resilience.retry.give_up_reason']);
    assert.deepEqual(reasons, ['budget', 'budget', 'budget', 'budget']);
    assert.equal(receiver.latestSum('app.errors', { 'error.type': 'STOCK_DOWN' }), 6);
  });

  test('retry: the caller\'s abort ends a backoff at once, with the caller\'s reason, and no further attempt', () => {
    assert.deepEqual(out['retry-abort'], { calls: 1, error: 'Error' });
    assert.equal(events('abort-retry', 'retry', 'ABORT_DOWN'), 1);
    assert.equal(events('abort-retry', 'give_up'), 0);
  });

  test('timeout: aborts the operation\'s signal and rejects with OperationTimeout, listening or not', () => {
    assert.deepEqual(out['timeout-listening'], { aborted: 1, error: 'OPERATION_TIMEOUT' });
    assert.deepEqual(out['timeout-deaf'], { error: 'OPERATION_TIMEOUT' });
    assert.equal(events('gateway-timeout', 'timeout', 'OPERATION_TIMEOUT'), 1);
    assert.equal(events('deaf-timeout', 'timeout', 'OPERATION_TIMEOUT'), 1);
    const span = spanOf('timeout-listening');
    assert.deepEqual(resilienceEvents(span).map((event) => [event.name, event.attributes['resilience.timeout.timeout_ms']]), [['resilience.timeout', 50]]);
    assert.deepEqual(exceptionTypes(span), ['OPERATION_TIMEOUT']);
    assert.equal(span.status.code, 2);
    assert.equal(histogramCount(receiver.metrics, { 'resilience.policy': 'gateway-timeout', 'resilience.attempt': 1, 'resilience.outcome': 'timeout' }), 1);
    assert.equal(receiver.latestSum('app.errors', { 'error.type': 'OPERATION_TIMEOUT', 'error.category': 'timeout' }), 2 + 2, 'two here, two in the pipeline');
  });

  test('bulkhead: limit running, the queue waiting, the rest refused at once with BulkheadRejected; a queued call leaves on its abort', () => {
    const facts = out.bulkhead!;
    assert.equal(facts.maxRunning, 2);
    assert.equal(facts.refusedAtOnce, 'BULKHEAD_REJECTED');
    assert.deepEqual(facts.whileFull, { active: 2, queued: 1 });
    assert.deepEqual(facts.results, ['done', 'done', 'done', 'BULKHEAD_REJECTED']);
    assert.equal(facts.queuedAborted, 'client went away');
    assert.equal(facts.stillRunningWhenAborted, 2, 'it did not wait for a slot to learn of its abort');
    assert.equal(events('inventory-bulkhead', 'rejected', 'BULKHEAD_REJECTED'), 1);
    assert.equal(histogramCount(receiver.metrics, { 'resilience.policy': 'inventory-bulkhead', 'resilience.attempt': 1, 'resilience.outcome': 'rejected' }), 1);
    assert.equal(histogramCount(receiver.metrics, { 'resilience.policy': 'inventory-bulkhead', 'resilience.attempt': 1, 'resilience.outcome': 'success' }), 5);
    assert.equal(receiver.latestSum('app.errors', { 'error.type': 'BULKHEAD_REJECTED', 'error.category': 'rate_limited' }), 1);
    assert.deepEqual(resilienceEvents(spanOf('bulkhead')).map((event) => event.name), ['resilience.rejected']);
  });

  test('fallback: a failure is answered with the stand-in, recorded once, the span not failed; a cancellation is passed on', () => {
    assert.deepEqual(out.fallback, { cancelled: 'cancelled by the caller', value: 'cached (PRICE_DOWN)' });
    assert.equal(events('price-fallback', 'fallback', 'PRICE_DOWN'), 1);
    assert.equal(receiver.latestSum('resilience.events', { 'resilience.policy': 'price-fallback' }), 1);
    const span = spanOf('fallback');
    assert.deepEqual(resilienceEvents(span).map((event) => event.name), ['resilience.fallback']);
    assert.deepEqual(exceptionTypes(span), ['PRICE_DOWN'], 'the cancellation is no failure: not recorded');
    assert.notEqual(span.status.code, 2);
    assert.equal(receiver.latestSum('app.errors', { 'error.type': 'PRICE_DOWN' }), 1);
  });

  test('composed fallback > retry > timeout: each policy reports its part, each failure counted once, the answered call not failed', () => {
    assert.deepEqual(out.pipeline, {
      name: 'pipeline-fallback > pipeline-retry > pipeline-timeout',
      attempts: [1, 2, 3],
      aborted: 2,
      value: 'fallback answer',
    });
    const span = spanOf('pipeline');
    assert.deepEqual(
      resilienceEvents(span).map((event) => `${String(event.attributes['resilience.policy'])}:${event.name}:${String(event.attributes['error.type'])}`),
      [
        'pipeline-timeout:resilience.timeout:OPERATION_TIMEOUT',
        'pipeline-retry:resilience.retry:OPERATION_TIMEOUT',
        'pipeline-retry:resilience.retry:GATEWAY_502',
        'pipeline-timeout:resilience.timeout:OPERATION_TIMEOUT',
        'pipeline-retry:resilience.give_up:OPERATION_TIMEOUT',
        'pipeline-fallback:resilience.fallback:OPERATION_TIMEOUT',
      ],
    );
    assert.deepEqual(exceptionTypes(span), ['OPERATION_TIMEOUT', 'GATEWAY_502', 'OPERATION_TIMEOUT'], 'three failures, each once, though three policies saw the last');
    assert.notEqual(span.status.code, 2);
    assert.equal(events('pipeline-timeout', 'timeout'), 2);
    assert.equal(events('pipeline-retry', 'retry'), 2);
    assert.equal(events('pipeline-retry', 'give_up'), 1);
    assert.equal(events('pipeline-fallback', 'fallback'), 1);
    assert.equal(histogramCount(receiver.metrics, { 'resilience.policy': 'pipeline-retry', 'resilience.attempt': 1, 'resilience.outcome': 'timeout' }), 1);
    assert.equal(histogramCount(receiver.metrics, { 'resilience.policy': 'pipeline-retry', 'resilience.attempt': 2, 'resilience.outcome': 'failure' }), 1);
    assert.equal(histogramCount(receiver.metrics, { 'resilience.policy': 'pipeline-retry', 'resilience.attempt': 3, 'resilience.outcome': 'timeout' }), 1);
    assert.equal(receiver.latestSum('app.errors', { 'error.type': 'GATEWAY_502' }), 1);
  });

  test('the counter carries only the contract\'s attributes, and every event is accounted for', () => {
    const points = receiver.metrics.filter((point) => point.name === 'resilience.events');
    assert.ok(points.length > 0);
    for (const point of points) {
      assert.equal(point.type, 'sum');
      assert.equal(point.isMonotonic, true);
      for (const key of Object.keys(point.attributes)) assert.ok(['resilience.policy', 'resilience.strategy', 'resilience.event', 'error.type'].includes(key), key);
    }
    // 2 + 3+1 + 2+4 + 1 (retry) + 2 (timeout) + 1 (bulkhead) + 1 (fallback) + 2+2+1+1 (pipeline)
    assert.equal(receiver.latestSum('resilience.events'), 23);
  });

  test('bad options: one warning each, the defaults, and a working policy', () => {
    assert.deepEqual(out['bad-options'], { value: 'still works' });
    assert.deepEqual(stderr.trim().split('\n'), [
      'faultline: retryPolicy: options.name must be a non-empty string (it becomes resilience.policy); using "unnamed"',
      'faultline: retryPolicy: options.maxAttempts must be a whole number >= 1, got -1; using 3',
      'faultline: retryPolicy: options.jitter must be one of decorrelated, full, half, none, got "sideways"; using decorrelated',
    ]);
  });
});

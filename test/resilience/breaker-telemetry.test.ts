import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startReceiver, type OtlpReceiver, type ReceivedMetricPoint } from '../../src/receiver/index.ts';
import { otlpEnv, runApp } from '../helpers/run-app.ts';

// test/fixtures/resilience/breaker-telemetry-app.mjs under `--import faultline/register`, as received over
// OTLP: the breaker's events, its attempts, its state gauge and span events, with exact counts.

/** The latest point of the state gauge for one state of one breaker. */
function gauge(points: readonly ReceivedMetricPoint[], policy: string, state: string): number | undefined {
  return points
    .filter((point) => point.name === 'resilience.circuit.state' && point.attributes['resilience.policy'] === policy && point.attributes['resilience.circuit.state'] === state)
    .sort((a, b) => Number(BigInt(a.timeUnixNano) - BigInt(b.timeUnixNano)))
    .at(-1)?.value;
}

function histogramCount(points: readonly ReceivedMetricPoint[], attributes: Record<string, string | number>): number {
  return (
    points
      .filter((point) => point.name === 'resilience.attempt.duration' && JSON.stringify(point.attributes) === JSON.stringify(attributes))
      .sort((a, b) => Number(BigInt(a.timeUnixNano) - BigInt(b.timeUnixNano)))
      .at(-1)?.count ?? 0
  );
}

describe('a circuit breaker in a preloaded app, as received over OTLP', () => {
  let receiver: OtlpReceiver;
  let out: { outcomes: string[]; states: string[] };
  before(async () => {
    receiver = await startReceiver();
    const app = runApp('test/fixtures/resilience/breaker-telemetry-app.mjs', { env: otlpEnv(receiver.url, { FAULTLINE_SHUTDOWN_TIMEOUT_MS: '20000' }) });
    const exit = await app.exited;
    assert.equal(exit.code, 0, exit.stderr);
    assert.equal(exit.stderr, '');
    out = JSON.parse(exit.stdout.trim().split('\n').at(-1) ?? '{}') as typeof out;
  });
  after(async () => {
    await receiver.close();
  });

  const events = (event: string, errorType?: string): number =>
    receiver.latestSum('resilience.events', { 'resilience.policy': 'ledger-breaker', 'resilience.strategy': 'circuit_breaker', 'resilience.event': event, ...(errorType === undefined ? {} : { 'error.type': errorType }) });

  test('the app saw the breaker open on dependency failures only, refuse, and close after a successful probe', () => {
    assert.deepEqual(out.outcomes, ['VALIDATION_FAILED', 'DEPENDENCY_FAILED', 'DEPENDENCY_FAILED', 'CIRCUIT_OPEN', 'ledger back']);
    assert.deepEqual(out.states, ['closed', 'closed', 'open', 'open', 'closed']);
  });

  test('resilience.events: one opening, one refusal (CIRCUIT_OPEN), one half-open, one closing', () => {
    assert.equal(events('circuit_opened'), 1);
    assert.equal(events('rejected', 'CIRCUIT_OPEN'), 1);
    assert.equal(events('circuit_half_opened'), 1);
    assert.equal(events('circuit_closed'), 1);
    assert.equal(receiver.latestSum('resilience.events', { 'resilience.policy': 'ledger-breaker' }), 4);
  });

  test('the state gauge ends closed: 1 for closed, 0 for open and half_open', () => {
    assert.equal(gauge(receiver.metrics, 'ledger-breaker', 'closed'), 1);
    assert.equal(gauge(receiver.metrics, 'ledger-breaker', 'open'), 0);
    assert.equal(gauge(receiver.metrics, 'ledger-breaker', 'half_open'), 0);
  });

  test('the attempt histogram has each call under its outcome', () => {
    const count = (outcome: string) => histogramCount(receiver.metrics, { 'resilience.policy': 'ledger-breaker', 'resilience.attempt': 1, 'resilience.outcome': outcome });
    assert.equal(count('failure'), 3);
    assert.equal(count('rejected'), 1);
    assert.equal(count('success'), 1);
  });

  test('span events for the transitions and the refusal, in order; each failure recorded once', () => {
    const span = receiver.spans.find((candidate) => candidate.name === 'breaker');
    assert.ok(span !== undefined);
    const names = span.events.filter((event) => event.name.startsWith('resilience.')).map((event) => event.name);
    assert.deepEqual(names, ['resilience.circuit_opened', 'resilience.rejected', 'resilience.circuit_half_opened', 'resilience.circuit_closed']);
    const types = span.events.filter((event) => event.name === 'exception').map((event) => event.attributes['exception.type']);
    assert.deepEqual(types, ['VALIDATION_FAILED', 'DEPENDENCY_FAILED', 'DEPENDENCY_FAILED', 'CIRCUIT_OPEN']);
    assert.equal(receiver.latestSum('app.errors', { 'error.type': 'CIRCUIT_OPEN', 'error.category': 'dependency' }), 1);
    assert.equal(receiver.latestSum('app.errors', { 'error.type': 'DEPENDENCY_FAILED' }), 2);
    assert.equal(receiver.latestSum('app.errors'), 4);
  });
});

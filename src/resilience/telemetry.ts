import {
  context,
  createContextKey,
  metrics,
  trace,
  type Attributes,
  type Counter,
  type Histogram,
  type MeterProvider,
  type ObservableGauge,
  type ObservableResult,
} from '@opentelemetry/api';
import { classify } from '../errors/classify.ts';
import { boundedErrorType, OBSERVED, recordError, wasRecorded } from '../errors/record-error.ts';
import {
  ATTR_ERROR_TYPE,
  ATTR_RESILIENCE_ATTEMPT,
  ATTR_RESILIENCE_CIRCUIT_STATE,
  ATTR_RESILIENCE_EVENT,
  ATTR_RESILIENCE_OUTCOME,
  ATTR_RESILIENCE_POLICY,
  ATTR_RESILIENCE_STRATEGY,
  METRIC_RESILIENCE_ATTEMPT_DURATION,
  METRIC_RESILIENCE_CIRCUIT_STATE,
  METRIC_RESILIENCE_EVENTS,
} from '../semconv.ts';
import { boundedLabel } from '../errors/bounded-label.ts';

// The telemetry of every policy: one counter of events, one histogram of attempts, one gauge of
// breaker states, span events on the active span. Every function here never throws: telemetry is a
// courtesy to the call, never a failure of it.

export type ResilienceStrategy = 'retry' | 'timeout' | 'bulkhead' | 'fallback' | 'circuit_breaker';
export type ResilienceEventName =
  | 'retry'
  | 'give_up'
  | 'timeout'
  | 'rejected'
  | 'fallback'
  | 'circuit_opened'
  | 'circuit_half_opened'
  | 'circuit_closed'
  | 'store_unavailable';
export type CircuitState = 'closed' | 'open' | 'half_open';
export type AttemptOutcome = 'success' | 'failure' | 'timeout' | 'rejected';

export const CIRCUIT_STATES: readonly CircuitState[] = ['closed', 'open', 'half_open'];

const SCOPE = 'faultline';

/** Span events are named `resilience.<event>` (`resilience.retry`, `resilience.circuit_opened`, …). */
export const SPAN_EVENT_PREFIX = 'resilience.';

/** Policy names are metric attributes: past this many distinct ones, `_OTHER`. */
const MAX_POLICY_NAMES = 100;

/** Attempt numbers past this one are recorded as this one ("the 10th or a later attempt"). */
export const MAX_ATTEMPT_LABEL = 10;

/** The HTTP conventions' default duration buckets: dependency calls live in the same range. */
const BUCKETS_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

interface Instruments {
  provider: MeterProvider;
  events: Counter;
  attempts: Histogram;
  circuit: ObservableGauge;
}

let instruments: Instruments | undefined;
const policyNames = new Set<string>();
const circuitReaders = new Set<{ policy: string; read: () => CircuitState }>();

function observeCircuits(result: ObservableResult): void {
  for (const entry of circuitReaders) {
    let state: CircuitState | undefined;
    try {
      state = entry.read();
    } catch { // eslint-disable-line faultline/no-blind-catch -- a breaker whose state cannot be read reports nothing this time
      continue;
    }
    for (const candidate of CIRCUIT_STATES) {
      result.observe(candidate === state ? 1 : 0, { [ATTR_RESILIENCE_POLICY]: entry.policy, [ATTR_RESILIENCE_CIRCUIT_STATE]: candidate });
    }
  }
}

// The metrics API has no proxy provider: instruments are made from whichever provider is global
// when they are first needed, and again if it changes (as src/resources/resource-metrics.ts does).
function current(): Instruments {
  const provider = metrics.getMeterProvider();
  if (instruments?.provider === provider) return instruments;
  const meter = provider.getMeter(SCOPE);
  const circuit = meter.createObservableGauge(METRIC_RESILIENCE_CIRCUIT_STATE, {
    // Not '1': Prometheus's OTLP translation would name a gauge of unit 1 resilience_circuit_state_ratio.
    unit: '{state}',
    description: 'Circuit breaker state: 1 for the current state of each breaker, 0 for its other states.',
  });
  circuit.addCallback(observeCircuits);
  if (instruments !== undefined) {
    try {
      instruments.circuit.removeCallback(observeCircuits);
    } catch { // eslint-disable-line faultline/no-blind-catch -- the old provider's gauge is gone with it
    }
  }
  instruments = {
    provider,
    events: meter.createCounter(METRIC_RESILIENCE_EVENTS, {
      unit: '{event}',
      description: 'Resilience policy events (retry, give_up, timeout, rejected, fallback, circuit transitions), by policy, strategy, event and error.type.',
    }),
    attempts: meter.createHistogram(METRIC_RESILIENCE_ATTEMPT_DURATION, {
      unit: 's',
      description: 'Duration of each attempt a resilience policy made, by policy, attempt number and outcome.',
      advice: { explicitBucketBoundaries: BUCKETS_SECONDS },
    }),
    circuit,
  };
  return instruments;
}

/** The policy name as a metric attribute: bounded to MAX_POLICY_NAMES distinct values. */
function boundedPolicy(policy: string): string {
  return boundedLabel(policyNames, MAX_POLICY_NAMES, policy);
}

/**
 * One policy event: +1 on `resilience.events` {resilience.policy, resilience.strategy,
 * resilience.event, error.type (when there is an error)} and a span event `resilience.<event>` on
 * the active span with the same attributes plus `attributes`. Never throws.
 */
export function reportResilienceEvent(policy: string, strategy: ResilienceStrategy, event: ResilienceEventName, error?: unknown, attributes?: Attributes): void {
  try {
    const name = boundedPolicy(policy);
    const labels: Attributes = { [ATTR_RESILIENCE_POLICY]: name, [ATTR_RESILIENCE_STRATEGY]: strategy, [ATTR_RESILIENCE_EVENT]: event };
    const type = error === undefined ? undefined : classify(error).type;
    if (type !== undefined) labels[ATTR_ERROR_TYPE] = boundedErrorType(type);
    current().events.add(1, labels);
    const span = trace.getActiveSpan();
    if (span?.isRecording() === true) {
      const eventAttributes: Attributes = { ...attributes, [ATTR_RESILIENCE_POLICY]: policy, [ATTR_RESILIENCE_STRATEGY]: strategy, [ATTR_RESILIENCE_EVENT]: event };
      if (type !== undefined) eventAttributes[ATTR_ERROR_TYPE] = type;
      span.addEvent(SPAN_EVENT_PREFIX + event, eventAttributes);
    }
  } catch { // eslint-disable-line faultline/no-blind-catch -- telemetry never fails the call it describes
  }
}

/** One attempt on `resilience.attempt.duration` (seconds) {resilience.policy, resilience.attempt, resilience.outcome}. Never throws. */
export function recordAttemptDuration(policy: string, attempt: number, outcome: AttemptOutcome, seconds: number): void {
  try {
    if (!Number.isFinite(seconds) || seconds < 0) return;
    const label = Number.isInteger(attempt) && attempt >= 1 ? Math.min(attempt, MAX_ATTEMPT_LABEL) : 1;
    current().attempts.record(seconds, {
      [ATTR_RESILIENCE_POLICY]: boundedPolicy(policy),
      [ATTR_RESILIENCE_ATTEMPT]: label,
      [ATTR_RESILIENCE_OUTCOME]: outcome,
    });
  } catch { // eslint-disable-line faultline/no-blind-catch -- telemetry never fails the call it describes
  }
}

/**
 * Reports a breaker's state on the gauge `resilience.circuit.state` {resilience.policy,
 * resilience.circuit.state}: 1 for the state `read` returns at each collection, 0 for the others.
 * Returns a function that stops reporting it. Never throws.
 */
export function observeCircuitState(policy: string, read: () => CircuitState): () => void {
  const entry = { policy, read };
  try {
    entry.policy = boundedPolicy(entry.policy);
    circuitReaders.add(entry);
    current();
  } catch { // eslint-disable-line faultline/no-blind-catch -- the breaker works without its gauge
  }
  return () => {
    circuitReaders.delete(entry);
  };
}

// Recording failures. Every failure a policy sees goes through recordError once. A failure the
// policy deals with (a retried attempt, a failure a fallback replaced) is recorded without touching
// the span's status: the call may still succeed. A failure that leaves the policy toward the caller
// is recorded as observed (the HTTP server span's status stays with the response), and only by the
// outermost policy of a nest: an inner policy cannot know whether an outer one (a retry around a
// timeout) will still deal with it. Nesting is a mark on the OpenTelemetry context.

const INSIDE_POLICY = createContextKey('faultline.resilience.insidePolicy');

/** Whether the caller runs inside the operation of another policy. Never throws. */
export function insidePolicy(): boolean {
  try {
    return context.active().getValue(INSIDE_POLICY) === true;
  } catch { // eslint-disable-line faultline/no-blind-catch -- no readable context: treat the policy as outermost
    return false;
  }
}

/** Runs `fn` marked as inside a policy (policies nested in it leave passed-on failures to the outer one). */
export function withinPolicy<T>(fn: () => T): T {
  const active = context.active();
  if (active.getValue(INSIDE_POLICY) === true) return fn();
  return context.with(active.setValue(INSIDE_POLICY, true), fn);
}

/** Records a failure the policy dealt with: counted once, an exception event, the span's status left alone. Never throws. */
export function recordHandledFailure(error: unknown): void {
  if (!wasRecorded(error)) recordError(error, { setStatus: false });
}

/**
 * Records a failure leaving the policy toward its caller, when the policy is the outermost one.
 * A cancellation is no failure (as for task groups): the caller's own abort reason, or anything
 * classify() calls cancelled, is passed on unrecorded. Never throws.
 */
export function recordPassedOnFailure(error: unknown, outermost: boolean, signal?: AbortSignal): void {
  if (!outermost || (signal?.aborted === true && error === signal.reason) || classify(error).category === 'cancelled') return;
  recordError(error, OBSERVED);
}

/** How an attempt that threw ended, for `resilience.outcome`: a timeout, a refusal (bulkhead, open circuit), or a failure. */
export function outcomeOf(error: unknown): AttemptOutcome {
  const code = classify(error).code;
  if (code === 'OPERATION_TIMEOUT') return 'timeout';
  if (code === 'BULKHEAD_REJECTED' || code === 'CIRCUIT_OPEN') return 'rejected';
  return 'failure';
}

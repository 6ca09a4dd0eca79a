import { isTaskCancelledError, timeout as cockatielTimeout, TimeoutStrategy } from 'cockatiel';
import { OperationTimeout } from '../errors/catalog.ts';
import { ATTR_RESILIENCE_TIMEOUT_MS } from '../semconv.ts';
import { finiteNumber, NEVER_ABORTED, optionsOf, policyName } from './options.ts';
import type { Policy, PolicyContext } from './policy.ts';
import { insidePolicy, outcomeOf, recordAttemptDuration, recordPassedOnFailure, reportResilienceEvent, withinPolicy } from './telemetry.ts';

export interface TimeoutOptions {
  /** The policy's name: `resilience.policy` in telemetry. */
  name: string;
  /** How long the operation may run, in milliseconds. */
  timeoutMs: number;
}

const KIND = 'timeoutPolicy';

/**
 * A deadline for each call. When it passes, the operation's signal aborts (so a fetch or a query
 * handed the signal really stops) and the call rejects at once with `OperationTimeout` (category
 * timeout, HTTP 504, retryable), whether or not the operation listens to its signal. A `timeout`
 * event and the attempt on `resilience.attempt.duration` with outcome `timeout` report it.
 *
 * On cockatiel's timeout in its aggressive strategy (the cooperative one returns the operation's
 * late result instead of failing the call). cockatiel reports a caller's abort and a timeout alike;
 * they are told apart by the caller's signal.
 */
export function timeoutPolicy(options: TimeoutOptions): Policy {
  const input = optionsOf<TimeoutOptions>(KIND, options);
  const name = policyName(KIND, input.name);
  const timeoutMs = finiteNumber(KIND, 'timeoutMs', input.timeoutMs, 10_000, 1, 2_147_483_647);
  const inner = cockatielTimeout(timeoutMs, TimeoutStrategy.Aggressive);

  async function run<T>(operation: (context: PolicyContext) => Promise<T> | T, signal: AbortSignal, outermost: boolean): Promise<T> {
    const started = performance.now();
    try {
      const value = await inner.execute(({ signal: attemptSignal }) => operation({ signal: attemptSignal, attempt: 1 }), signal);
      recordAttemptDuration(name, 1, 'success', (performance.now() - started) / 1000);
      return value;
    } catch (thrown) { // eslint-disable-line faultline/no-swallowed-cancellation -- the caller's abort is rethrown as the caller's own reason; only our deadline becomes OperationTimeout
      let error = thrown;
      if (isTaskCancelledError(thrown)) {
        // The caller's abort: the caller's reason, not a timeout.
        if (signal.aborted) error = signal.reason;
        else {
          error = new OperationTimeout(`${name}: the operation timed out after ${String(timeoutMs)} ms`, { details: { policy: name, timeoutMs } });
          reportResilienceEvent(name, 'timeout', 'timeout', error, { [ATTR_RESILIENCE_TIMEOUT_MS]: timeoutMs });
        }
      }
      recordAttemptDuration(name, 1, outcomeOf(error), (performance.now() - started) / 1000);
      recordPassedOnFailure(error, outermost);
      throw error;
    }
  }

  return {
    name,
    execute<T>(operation: (context: PolicyContext) => Promise<T> | T, signal: AbortSignal = NEVER_ABORTED): Promise<T> {
      const outermost = !insidePolicy();
      return withinPolicy(() => run(operation, signal, outermost));
    },
  };
}

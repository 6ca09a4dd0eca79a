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
 * A deadline for each call. When it passes, the operation's signal aborts with the
 * `OperationTimeout` (so a fetch or a query handed the signal really stops, and rejects with that
 * very error) and the call rejects at once with it (category timeout, HTTP 504, retryable), whether
 * or not the operation listens to its signal. A caller's abort rejects at once with the caller's
 * reason. A `timeout` event and the attempt on `resilience.attempt.duration` (outcome `timeout`)
 * report it.
 *
 * Not cockatiel's timeout: its cooperative strategy returns the operation's late result instead of
 * failing the call, and its aggressive one reports a caller's abort as a timeout and loses the race
 * to an operation that rejects on its abort (the caller then gets an AbortError, not a timeout).
 */
export function timeoutPolicy(options: TimeoutOptions): Policy {
  const input = optionsOf<TimeoutOptions>(KIND, options);
  const name = policyName(KIND, input.name);
  const timeoutMs = finiteNumber(KIND, 'timeoutMs', input.timeoutMs, 10_000, 1, 2_147_483_647);

  async function run<T>(operation: (context: PolicyContext) => Promise<T> | T, signal: AbortSignal, outermost: boolean): Promise<T> {
    signal.throwIfAborted();
    const started = performance.now();
    const controller = new AbortController();
    let timedOut: InstanceType<typeof OperationTimeout> | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let onCallerAbort: (() => void) | undefined;
    const deadline = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => {
        timedOut = new OperationTimeout(`${name}: the operation timed out after ${String(timeoutMs)} ms`, { details: { policy: name, timeoutMs } });
        controller.abort(timedOut);
        reject(timedOut);
      }, timeoutMs);
      if (signal !== NEVER_ABORTED) {
        onCallerAbort = () => {
          controller.abort(signal.reason);
          reject(signal.reason as Error);
        };
        signal.addEventListener('abort', onCallerAbort, { once: true });
      }
    });
    try {
      const attempt = new Promise<T>((resolve) => {
        resolve(operation({ signal: controller.signal, attempt: 1 }));
      });
      const value = await Promise.race([attempt, deadline]);
      recordAttemptDuration(name, 1, 'success', (performance.now() - started) / 1000);
      return value;
    } catch (thrown) {
      // An operation that rejects on its abort may settle before the deadline's own rejection.
      const error = timedOut ?? thrown;
      if (timedOut !== undefined) reportResilienceEvent(name, 'timeout', 'timeout', timedOut, { [ATTR_RESILIENCE_TIMEOUT_MS]: timeoutMs });
      recordAttemptDuration(name, 1, outcomeOf(error), (performance.now() - started) / 1000);
      recordPassedOnFailure(error, outermost, signal);
      throw error;
    } finally {
      clearTimeout(timer);
      if (onCallerAbort !== undefined) signal.removeEventListener('abort', onCallerAbort);
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

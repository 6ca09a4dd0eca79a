import { bulkhead as cockatielBulkhead, isBulkheadRejectedError } from 'cockatiel';
import { BulkheadRejected } from '../errors/catalog.ts';
import { NEVER_ABORTED, optionsOf, policyName, wholeNumber } from './options.ts';
import type { Policy, PolicyContext } from './policy.ts';
import { insidePolicy, outcomeOf, recordAttemptDuration, recordPassedOnFailure, reportResilienceEvent, withinPolicy } from './telemetry.ts';

export interface BulkheadOptions {
  /** The policy's name: `resilience.policy` in telemetry. */
  name: string;
  /** Calls running at once, at most. */
  limit: number;
  /** Calls waiting for a slot, at most; past it a call is refused with `BulkheadRejected`. Default 0. */
  queue?: number;
}

/** A bulkhead that can say how full it is (for tests and health endpoints). */
export interface BulkheadPolicy extends Policy {
  /** Calls running now. */
  readonly active: number;
  /** Calls waiting for a slot now. */
  readonly queued: number;
}

const KIND = 'bulkheadPolicy';

/**
 * A concurrency limit with a bounded queue: at most `limit` calls run at once, at most `queue` wait
 * (first come, first served), and any call beyond them is refused at once with `BulkheadRejected`
 * (code BULKHEAD_REJECTED, category rate_limited, HTTP 503, retryable), reported as a `rejected`
 * event. A queued call whose caller aborts rejects at once with the caller's reason.
 *
 * On cockatiel's bulkhead. Its queue keeps an aborted call until the call's turn (then skips it),
 * so an aborted call holds its queue place until a slot frees.
 */
export function bulkheadPolicy(options: BulkheadOptions): BulkheadPolicy {
  const input = optionsOf<BulkheadOptions>(KIND, options);
  const name = policyName(KIND, input.name);
  const limit = wholeNumber(KIND, 'limit', input.limit, 10, 1);
  const queue = wholeNumber(KIND, 'queue', input.queue, 0, 0);
  const inner = cockatielBulkhead(limit, queue);

  async function run<T>(operation: (context: PolicyContext) => Promise<T> | T, signal: AbortSignal, outermost: boolean): Promise<T> {
    const started = performance.now();
    try {
      const call = inner.execute(({ signal: slotSignal }) => operation({ signal: slotSignal, attempt: 1 }), signal);
      const value = signal === NEVER_ABORTED ? await call : await abortable(call, signal);
      recordAttemptDuration(name, 1, 'success', (performance.now() - started) / 1000);
      return value;
    } catch (thrown) { // eslint-disable-line faultline/no-swallowed-cancellation -- every failure is rethrown; only cockatiel's refusal is translated
      let error = thrown;
      if (isBulkheadRejectedError(thrown)) {
        error = new BulkheadRejected(`${name}: bulkhead full (${String(limit)} running, ${String(queue)} queued)`, { details: { policy: name, limit, queue } });
        reportResilienceEvent(name, 'bulkhead', 'rejected', error);
      }
      recordAttemptDuration(name, 1, outcomeOf(error), (performance.now() - started) / 1000);
      recordPassedOnFailure(error, outermost, signal);
      throw error;
    }
  }

  return {
    name,
    get active() {
      return limit - inner.executionSlots;
    },
    get queued() {
      return queue - inner.queueSlots;
    },
    execute<T>(operation: (context: PolicyContext) => Promise<T> | T, signal: AbortSignal = NEVER_ABORTED): Promise<T> {
      const outermost = !insidePolicy();
      return withinPolicy(() => run(operation, signal, outermost));
    },
  };
}

/** The call, or the signal's reason as soon as it aborts (a queued call need not wait for its turn to learn it). */
function abortable<T>(call: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    call.catch(() => undefined); // eslint-disable-line faultline/no-blind-catch -- cockatiel rejects the queued call later; the caller already has the abort
    return Promise.reject(signal.reason as Error);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => {
      reject(signal.reason as Error);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    call.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error); // eslint-disable-line @typescript-eslint/prefer-promise-reject-errors -- the operation's own rejection, passed on unchanged
      },
    );
  });
}

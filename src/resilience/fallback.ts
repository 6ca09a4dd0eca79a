import { classify, type ErrorInfo } from '../errors/classify.ts';
import { NEVER_ABORTED, optionalFunction, optionsOf, policyName } from './options.ts';
import type { Policy, PolicyContext } from './policy.ts';
import { insidePolicy, recordHandledFailure, recordPassedOnFailure, reportResilienceEvent, withinPolicy } from './telemetry.ts';

export interface FallbackOptions<R> {
  /** The policy's name: `resilience.policy` in telemetry. */
  name: string;
  /** What to answer instead of the failure: a cached value, a default, a degraded answer. */
  fallback: (error: unknown, info: ErrorInfo) => R | Promise<R>;
  /**
   * Which failures the fallback answers. Default: every failure except a cancellation (a caller
   * that cancelled wants its cancellation, not a stand-in value).
   */
  shouldHandle?: (error: unknown, info: ErrorInfo) => boolean;
}

/** A fallback policy: a Policy whose result may be the fallback's answer. */
export interface FallbackPolicy<R> extends Policy<R> {
  /** The function that answers a failure (what `composePolicies` reads the answer's type from). */
  readonly fallback: (error: unknown, info: ErrorInfo) => R | Promise<R>;
}

const KIND = 'fallbackPolicy';

/** What a fallback policy without a usable `fallback` answers: nothing, the failure goes on. */
const passOn = (error: unknown): never => {
  throw error;
};

const exceptCancellation = (_error: unknown, info: ErrorInfo): boolean => info.category !== 'cancelled';

/**
 * Answers with `fallback(error)` when the operation fails. The failure is recorded (counted once,
 * an exception event on the active span, whose status it leaves alone since the call succeeds)
 * and reported as a `fallback` event. A fallback that throws passes its own failure on.
 */
export function fallbackPolicy<R>(options: FallbackOptions<R>): FallbackPolicy<R> {
  const input = optionsOf<FallbackOptions<R>>(KIND, options);
  const name = policyName(KIND, input.name);
  const answer = optionalFunction(KIND, 'fallback', input.fallback);
  const shouldHandle = optionalFunction(KIND, 'shouldHandle', input.shouldHandle) ?? exceptCancellation;

  const handles = (error: unknown, signal: AbortSignal): boolean => {
    if (answer === undefined || signal.aborted) return false;
    try {
      return shouldHandle(error, classify(error));
    } catch { // eslint-disable-line faultline/no-blind-catch -- a shouldHandle that throws means "not mine"; the original failure goes on
      return false;
    }
  };

  async function run<T>(operation: (context: PolicyContext) => Promise<T> | T, signal: AbortSignal, outermost: boolean): Promise<T | R> {
    try {
      return await operation({ signal, attempt: 1 });
    } catch (error) { // eslint-disable-line faultline/no-swallowed-cancellation -- handles() refuses once the caller's signal aborted, and cancellations by default
      if (answer === undefined || !handles(error, signal)) {
        recordPassedOnFailure(error, outermost, signal);
        throw error;
      }
      recordHandledFailure(error);
      reportResilienceEvent(name, 'fallback', 'fallback', error);
      try {
        return await answer(error, classify(error));
      } catch (fallbackFailure) {
        recordPassedOnFailure(fallbackFailure, outermost, signal);
        throw fallbackFailure;
      }
    }
  }

  return {
    name,
    fallback: answer ?? passOn,
    execute<T>(operation: (context: PolicyContext) => Promise<T> | T, signal: AbortSignal = NEVER_ABORTED): Promise<T | R> {
      const outermost = !insidePolicy();
      return withinPolicy(() => run(operation, signal, outermost));
    },
  };
}

import { ExponentialBackoff, decorrelatedJitterGenerator, fullJitterGenerator, halfJitterGenerator, noJitterGenerator, type GeneratorFn, type IBackoff } from 'cockatiel';
import { classify, type ErrorInfo } from '../errors/classify.ts';
import { finiteNumber, NEVER_ABORTED, oneOf, optionalFunction, optionsOf, policyName, wholeNumber } from './options.ts';
import type { Policy, PolicyContext } from './policy.ts';
import { RetryBudget, type RetryBudgetOptions } from './retry-budget.ts';
import {
  insidePolicy,
  outcomeOf,
  recordAttemptDuration,
  recordHandledFailure,
  recordPassedOnFailure,
  reportResilienceEvent,
  withinPolicy,
} from './telemetry.ts';
import { ATTR_RESILIENCE_ATTEMPT, ATTR_RESILIENCE_DELAY_MS, ATTR_RESILIENCE_GIVE_UP_REASON } from '../semconv.ts';

export type RetryJitter = 'decorrelated' | 'full' | 'half' | 'none';

export interface RetryOptions {
  /** The policy's name: `resilience.policy` in telemetry. */
  name: string;
  /** Calls at most, the first included (3: the call and two retries). Default 3. cockatiel's `maxAttempts` counts retries only. */
  maxAttempts?: number;
  /** The first backoff delay, in milliseconds (before jitter). Default 100. */
  initialDelayMs?: number;
  /** No delay is longer than this, in milliseconds. Default 10000. */
  maxDelayMs?: number;
  /** Growth factor of the delay per retry. Default 2. */
  exponent?: number;
  /**
   * How the delay is spread: `decorrelated` (default; Polly's and cockatiel's), `full` (uniform in
   * [0, delay]), `half` (uniform in [delay/2, delay]) or `none` (exactly initial × exponent^n).
   */
  jitter?: RetryJitter;
  /**
   * Whether a failure is worth another attempt. Default: what `classify()` calls retryable (a
   * dependency failure or a timeout is; a declined card or a validation error is not).
   */
  shouldRetry?: (error: unknown, info: ErrorInfo) => boolean;
  /** The retry budget; `false` for none. Default: ratio 0.2, window 10 s, 10 retries per window always allowed. */
  budget?: RetryBudgetOptions | false;
}

const KIND = 'retryPolicy';
const JITTERS: readonly RetryJitter[] = ['decorrelated', 'full', 'half', 'none'];
const GENERATORS: Readonly<Record<RetryJitter, GeneratorFn<unknown>>> = {
  decorrelated: decorrelatedJitterGenerator as GeneratorFn<unknown>,
  full: fullJitterGenerator as GeneratorFn<unknown>,
  half: halfJitterGenerator as GeneratorFn<unknown>,
  none: noJitterGenerator as GeneratorFn<unknown>,
};

/** Why a retryable failure was not retried, on the `resilience.give_up` span event. */
export type GiveUpReason = 'attempts' | 'budget';

const byClassification = (_error: unknown, info: ErrorInfo): boolean => info.retryable;

/**
 * Retry with exponential backoff and jitter. Retries what `shouldRetry` allows (by default what
 * the error taxonomy calls retryable), at most `maxAttempts` calls, and no more retries than the
 * budget allows. Each retry is a `retry` event; a retryable failure that is not retried any more is
 * a `give_up` event; every attempt goes on `resilience.attempt.duration`. The caller's signal stops
 * it: no attempt starts after the abort and a backoff delay ends at once.
 */
export function retryPolicy(options: RetryOptions): Policy {
  const input = optionsOf<RetryOptions>(KIND, options);
  const name = policyName(KIND, input.name);
  const maxAttempts = wholeNumber(KIND, 'maxAttempts', input.maxAttempts, 3, 1);
  const initialDelay = finiteNumber(KIND, 'initialDelayMs', input.initialDelayMs, 100, 0);
  const maxDelay = finiteNumber(KIND, 'maxDelayMs', input.maxDelayMs, 10_000, 0);
  const exponent = finiteNumber(KIND, 'exponent', input.exponent, 2, 1);
  const jitter = oneOf(KIND, 'jitter', input.jitter, JITTERS, 'decorrelated');
  const shouldRetry = optionalFunction(KIND, 'shouldRetry', input.shouldRetry) ?? byClassification;
  const budget = makeBudget(input.budget);
  // cockatiel's backoff generators, the same ones its retry uses; the loop is ours (below).
  const backoff = new ExponentialBackoff({ generator: GENERATORS[jitter], initialDelay, maxDelay, exponent });

  const retryable = (error: unknown): boolean => {
    try {
      return shouldRetry(error, classify(error));
    } catch { // eslint-disable-line faultline/no-blind-catch -- a shouldRetry that throws means "do not retry"; the original failure goes on
      return false;
    }
  };

  async function run<T>(operation: (context: PolicyContext) => Promise<T> | T, signal: AbortSignal, outermost: boolean): Promise<T> {
    signal.throwIfAborted();
    budget?.recordCall();
    let delays: IBackoff<unknown> | undefined;
    for (let attempt = 1; ; attempt += 1) {
      const started = performance.now();
      try {
        const value = await operation({ signal, attempt });
        recordAttemptDuration(name, attempt, 'success', (performance.now() - started) / 1000);
        return value;
      } catch (error) {
        recordAttemptDuration(name, attempt, outcomeOf(error), (performance.now() - started) / 1000);
        if (signal.aborted || !retryable(error)) {
          recordPassedOnFailure(error, outermost, signal);
          throw error;
        }
        const reason: GiveUpReason | undefined = attempt >= maxAttempts ? 'attempts' : budget !== undefined && !budget.tryRetry() ? 'budget' : undefined;
        if (reason !== undefined) {
          reportResilienceEvent(name, 'retry', 'give_up', error, { [ATTR_RESILIENCE_ATTEMPT]: attempt, [ATTR_RESILIENCE_GIVE_UP_REASON]: reason });
          recordPassedOnFailure(error, outermost, signal);
          throw error;
        }
        delays = delays === undefined ? backoff.next() : delays.next(undefined);
        const delay = delays.duration;
        recordHandledFailure(error);
        reportResilienceEvent(name, 'retry', 'retry', error, { [ATTR_RESILIENCE_ATTEMPT]: attempt, [ATTR_RESILIENCE_DELAY_MS]: delay });
        await sleep(delay, signal);
      }
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

function makeBudget(options: RetryBudgetOptions | false | undefined): RetryBudget | undefined {
  if (options === false) return undefined;
  const input = options === undefined ? {} : optionsOf<RetryBudgetOptions>(`${KIND} budget`, options);
  return new RetryBudget(
    finiteNumber(KIND, 'budget.ratio', input.ratio, 0.2, 0),
    finiteNumber(KIND, 'budget.windowMs', input.windowMs, 10_000, 1),
    wholeNumber(KIND, 'budget.minRetries', input.minRetries, 10, 0),
  );
}

/** Waits `ms`; rejects with the signal's reason as soon as it aborts. The timer does not hold the process open past an abort. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0) {
    signal.throwIfAborted();
    return Promise.resolve();
  }
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason as Error);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

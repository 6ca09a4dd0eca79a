/**
 * A retry budget: over a sliding window, the extra attempts (retries) may be at most `ratio` of the
 * calls plus `minRetries`. When a dependency fails for everyone, each caller retrying three times
 * quadruples its load just when it can least take it; a budget caps that at 1 + ratio. The floor
 * lets a quiet service still retry its occasional failure (with 2 calls a minute, 20% of them is
 * no retry at all). The model is Finagle's and Linkerd's retry budget.
 *
 * The window is ten buckets, so a call leaves the count at most a tenth of the window late.
 */
export interface RetryBudgetOptions {
  /** Retries allowed per call over the window. Default 0.2. */
  ratio?: number;
  /** The window, in milliseconds. Default 10000. */
  windowMs?: number;
  /** Retries always allowed per window, whatever the traffic. Default 10. */
  minRetries?: number;
}

const BUCKETS = 10;

export class RetryBudget {
  readonly ratio: number;
  readonly windowMs: number;
  readonly minRetries: number;
  readonly #bucketMs: number;
  readonly #epochs = new Float64Array(BUCKETS).fill(-1);
  readonly #calls = new Float64Array(BUCKETS);
  readonly #retries = new Float64Array(BUCKETS);

  constructor(ratio: number, windowMs: number, minRetries: number) {
    this.ratio = ratio;
    this.windowMs = windowMs;
    this.minRetries = minRetries;
    this.#bucketMs = windowMs / BUCKETS;
  }

  /** Counts a call (its first attempt). */
  recordCall(now: number = performance.now()): void {
    const index = this.#bucket(now);
    this.#calls[index] = (this.#calls[index] ?? 0) + 1;
  }

  /** Takes one retry from the budget if there is one left; false when the budget is spent. */
  tryRetry(now: number = performance.now()): boolean {
    const current = this.#bucket(now);
    const epoch = Math.floor(now / this.#bucketMs);
    let calls = 0;
    let retries = 0;
    for (let index = 0; index < BUCKETS; index += 1) {
      if ((this.#epochs[index] ?? -1) > epoch - BUCKETS) {
        calls += this.#calls[index] ?? 0;
        retries += this.#retries[index] ?? 0;
      }
    }
    if (retries + 1 > this.ratio * calls + this.minRetries) return false;
    this.#retries[current] = (this.#retries[current] ?? 0) + 1;
    return true;
  }

  /** The bucket for `now`, emptied first if it last held an older stretch of time. */
  #bucket(now: number): number {
    const epoch = Math.floor(now / this.#bucketMs);
    const index = epoch % BUCKETS;
    if (this.#epochs[index] !== epoch) {
      this.#epochs[index] = epoch;
      this.#calls[index] = 0;
      this.#retries[index] = 0;
    }
    return index;
  }
}

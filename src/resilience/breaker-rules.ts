// The rules of a circuit breaker, normalised from the user's options, and the state machine that
// applies them in one process. The same machine runs on the Redis server as a Lua script
// (breaker-script.ts); the two are kept in step by the tests, which run every mode against both.
import type { CircuitState } from './telemetry.ts';

/** What trips, when to probe, how long a probe may hold its reservation. Validated numbers only. */
export interface BreakerRules {
  /** Consecutive counted failures that open the breaker; 0 turns this mode off. */
  readonly consecutiveFailures: number;
  /** Share of counted failures among calls in the window (0 < rate <= 1) that opens it; 0: off. */
  readonly failureRate: number;
  /** The rate mode judges a window only once it holds this many calls. */
  readonly minimumCalls: number;
  readonly windowMs: number;
  /** The window is kept as buckets of this length (a tenth of it): old buckets fall out whole. */
  readonly bucketMs: number;
  /** Open → half-open after this long the first time… */
  readonly halfOpenAfterMs: number;
  /** …and after this many times as long each time a probe fails, up to halfOpenMaxMs. */
  readonly backoffMultiplier: number;
  readonly halfOpenMaxMs: number;
  /** A probe holds the half-open reservation this long at most; then another caller may probe. */
  readonly probeReservationMs: number;
}

/** Outcomes counted since the last report, in the order they happened reduced to three numbers. */
export interface Outcomes {
  successes: number;
  failures: number;
  /** Failures after the last success of the batch (all of them when there was no success). */
  trailingFailures: number;
  /**
   * The shared count of consecutive failures the process had last heard when it counted these
   * outcomes. Its successes came after those failures and reset them; failures reported since
   * may have come after the successes, so a success does not reset them (a late report of
   * another process's success cannot undo failures). Undefined: all of them (one process).
   */
  knownFailures?: number;
}

export type Transition = 'opened' | 'half_opened' | 'closed';

/** The breaker as a state machine answers after an operation: the same shape from Redis and from memory. */
export interface CircuitSnapshot {
  readonly state: CircuitState;
  readonly generation: number;
  /** Open: ms until a probe may start. Half-open: ms until the probe's reservation lapses. Else 0. */
  readonly waitMs: number;
  /** The transition this operation made, if it made one. */
  readonly transition: Transition | undefined;
  /** For `acquire`: whether the caller now holds the probe. */
  readonly granted: boolean;
  /** Openings since the breaker last closed (the backoff's exponent). */
  readonly openings: number;
  /** Consecutive counted failures so far (consecutive mode). */
  readonly failures: number;
}

const ONE_SUCCESS: Outcomes = Object.freeze({ successes: 1, failures: 0, trailingFailures: 0 });

export type ProbeVerdict = 'success' | 'failure' | 'release';

/** Delay before the n-th consecutive opening may be probed (n from 1). */
export function halfOpenDelay(rules: BreakerRules, openings: number): number {
  const delay = rules.halfOpenAfterMs * rules.backoffMultiplier ** Math.max(0, openings - 1);
  return Math.floor(Math.min(delay, rules.halfOpenMaxMs));
}

/**
 * The state machine in memory: the breaker's authority when it has no store, or while its store
 * is unreachable. Mirrors breaker-script.ts operation for operation.
 */
export class LocalCircuit {
  readonly #rules: BreakerRules;
  readonly #now: () => number;
  #state: CircuitState = 'closed';
  #generation: number;
  #failures = 0;
  #openings = 0;
  #retryAt = 0;
  #probe = '';
  #probeUntil = 0;
  /** Rate window: bucket index → [successes, failures]. */
  readonly #buckets = new Map<number, [number, number]>();

  constructor(rules: BreakerRules, now: () => number = Date.now) {
    this.#rules = rules;
    this.#now = now;
    this.#generation = now();
  }

  get state(): CircuitState {
    return this.#state;
  }

  get generation(): number {
    return this.#generation;
  }

  /** Open: ms until a probe may start. Half-open: ms until the probe's reservation lapses. Else 0. */
  get waitMs(): number {
    return this.#snapshot(this.#now(), undefined, false).waitMs;
  }

  /**
   * Starts from what the shared store last said (the breaker falls back to it when the store goes
   * away): an open breaker stays open until its probe is due, a closed one starts counting afresh.
   */
  seed(state: CircuitState, waitMs: number, openings: number): void {
    const now = this.#now();
    this.#generation += 1;
    this.#buckets.clear();
    this.#failures = 0;
    this.#probe = '';
    this.#probeUntil = 0;
    this.#openings = state === 'closed' ? 0 : Math.max(1, openings);
    // A half-open breaker elsewhere becomes an open one here, probed once the other's reservation lapses.
    this.#state = state === 'closed' ? 'closed' : 'open';
    this.#retryAt = state === 'closed' ? 0 : now + waitMs;
  }

  /** Applies the outcomes counted under `seen` (ignored when the generation moved on), and answers the state. */
  sync(seen: number, outcomes: Outcomes): CircuitSnapshot {
    const now = this.#now();
    let transition: Transition | undefined;
    if (this.#state === 'closed' && seen === this.#generation && (outcomes.successes > 0 || outcomes.failures > 0)) {
      if (outcomes.successes > 0) {
        const after = outcomes.knownFailures === undefined ? 0 : Math.max(0, this.#failures - outcomes.knownFailures);
        this.#failures = after + outcomes.trailingFailures;
      } else {
        this.#failures += outcomes.failures;
      }
      let tripped = this.#rules.consecutiveFailures > 0 && this.#failures >= this.#rules.consecutiveFailures;
      if (this.#rules.failureRate > 0) {
        const bucket = Math.floor(now / this.#rules.bucketMs);
        const counts = this.#buckets.get(bucket) ?? [0, 0];
        counts[0] += outcomes.successes;
        counts[1] += outcomes.failures;
        this.#buckets.set(bucket, counts);
        const oldest = bucket - Math.ceil(this.#rules.windowMs / this.#rules.bucketMs) + 1;
        let total = 0;
        let failed = 0;
        for (const [index, [ok, bad]] of this.#buckets) {
          if (index < oldest) {
            this.#buckets.delete(index);
            continue;
          }
          total += ok + bad;
          failed += bad;
        }
        if (total >= this.#rules.minimumCalls && failed / total >= this.#rules.failureRate) tripped = true;
      }
      if (tripped) transition = this.#open(now);
    }
    return this.#snapshot(now, transition, false);
  }

  /** One success while closed: `sync` with one success, without building an answer (the hot path). */
  success(): Transition | undefined {
    if (this.#state !== 'closed') return undefined;
    // Only the rate mode can trip on a success (the call that brings the window to minimumCalls).
    if (this.#rules.failureRate === 0) {
      this.#failures = 0;
      return undefined;
    }
    return this.sync(this.#generation, ONE_SUCCESS).transition;
  }

  /** Asks for the half-open probe: granted when the open delay is over, or a probe's reservation lapsed. */
  acquire(token: string): CircuitSnapshot {
    const now = this.#now();
    const due = (this.#state === 'open' && now >= this.#retryAt) || (this.#state === 'half_open' && now >= this.#probeUntil);
    if (!due) return this.#snapshot(now, undefined, false);
    const transition: Transition | undefined = this.#state === 'open' ? 'half_opened' : undefined;
    this.#state = 'half_open';
    this.#generation += 1;
    this.#probe = token;
    this.#probeUntil = now + this.#rules.probeReservationMs;
    return this.#snapshot(now, transition, true);
  }

  /** The probe's verdict; ignored unless `token` still holds the probe of generation `seen`. */
  settle(seen: number, token: string, verdict: ProbeVerdict): CircuitSnapshot {
    const now = this.#now();
    let transition: Transition | undefined;
    if (this.#state === 'half_open' && seen === this.#generation && this.#probe === token) {
      if (verdict === 'success') transition = this.#close();
      else if (verdict === 'failure') transition = this.#open(now);
      else {
        this.#probe = '';
        this.#probeUntil = 0;
      }
    }
    return this.#snapshot(now, transition, false);
  }

  #open(now: number): Transition {
    this.#openings += 1;
    this.#state = 'open';
    this.#generation += 1;
    this.#failures = 0;
    this.#retryAt = now + halfOpenDelay(this.#rules, this.#openings);
    this.#probe = '';
    this.#probeUntil = 0;
    this.#buckets.clear();
    return 'opened';
  }

  #close(): Transition {
    this.#state = 'closed';
    this.#generation += 1;
    this.#failures = 0;
    this.#openings = 0;
    this.#retryAt = 0;
    this.#probe = '';
    this.#probeUntil = 0;
    this.#buckets.clear();
    return 'closed';
  }

  #snapshot(now: number, transition: Transition | undefined, granted: boolean): CircuitSnapshot {
    let waitMs = 0;
    if (this.#state === 'open') waitMs = Math.max(0, this.#retryAt - now);
    else if (this.#state === 'half_open') waitMs = Math.max(0, this.#probeUntil - now);
    return { state: this.#state, generation: this.#generation, waitMs, transition, granted, openings: this.#openings, failures: this.#failures };
  }
}

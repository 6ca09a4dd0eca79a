import { randomUUID } from 'node:crypto';
import { CircuitOpen } from '../errors/catalog.ts';
import { classify, type ErrorInfo } from '../errors/classify.ts';
import { cut } from '../errors/safe-read.ts';
import { warnOnce } from '../warn.ts';
import { halfOpenDelay, LocalCircuit, type BreakerRules, type CircuitSnapshot, type Outcomes, type ProbeVerdict, type Transition } from './breaker-rules.ts';
import type { Policy, PolicyContext } from './policy.ts';
import { RedisBreakerStore, type BreakerStore } from './redis-breaker-store.ts';
import {
  insidePolicy,
  observeCircuitState,
  recordAttemptDuration,
  recordPassedOnFailure,
  reportResilienceEvent,
  withinPolicy,
  type CircuitState,
  type ResilienceEventName,
} from './telemetry.ts';

// The circuit breaker: refuses calls to a dependency that keeps failing, then lets one call probe
// whether it is back. With a store (redisBreakerStore) every process of a service shares one
// breaker per name; without one, or while the store cannot be reached, each process keeps its own.
// Redis is never on the path of a call that succeeds while the breaker is closed, never holds a
// call longer than the store's commandTimeoutMs, and never makes a call fail.

export interface FailureRateOptions {
  /** Share of counted failures among the window's calls that opens the breaker: 0 < threshold <= 1. */
  threshold: number;
  /** The window is judged only once it holds this many calls. Default 20. */
  minimumCalls?: number;
  /** Length of the sliding window (kept as ten buckets). Default 30000 ms. */
  windowMs?: number;
}

export interface HalfOpenBackoff {
  /** Open → half-open after this long the first time. */
  initialMs: number;
  /** Each failed probe multiplies the wait by this. Default 2. */
  multiplier?: number;
  /** The wait never exceeds this. Default: the larger of initialMs and 5 minutes. */
  maxMs?: number;
}

export interface CircuitBreakerOptions {
  /** The breaker's name: `resilience.policy` in telemetry and, with a store, the shared key. Keep it bounded, like a route. */
  name: string;
  /** Opens after this many counted failures in a row. The default mode (5) when `failureRate` is not given. */
  consecutiveFailures?: number;
  /** Opens when counted failures reach this share of the calls in a sliding window. Both modes may be set: either trips. */
  failureRate?: FailureRateOptions;
  /** Open → half-open after this (ms, or a backoff that grows with each failed probe). Default 10000 ms, doubling, at most 5 minutes. */
  halfOpenAfter?: number | HalfOpenBackoff;
  /**
   * The half-open probe holds its reservation this long at most: a probe holder that hangs or dies
   * lets another caller probe after it. Set it above the operation's own timeout. Default 10000 ms.
   */
  probeReservationMs?: number;
  /**
   * Whether a failure counts toward opening the breaker. Default: what `classify()` puts in the
   * `dependency` and `timeout` categories; never validation, not-found or the caller's cancellation.
   */
  countsAsFailure?: (error: unknown, info: ErrorInfo) => boolean;
  /** Share the state through Redis: `redisBreakerStore({ client })`. Default: state per process. */
  store?: BreakerStore;
}

/** A circuit breaker: a Policy with a state. */
export interface CircuitBreaker extends Policy {
  /** The state this process acts on now. */
  readonly state: CircuitState;
  /** True while the state comes from the shared store; false without a store or while it is unreachable. */
  readonly shared: boolean;
  /** Stops reading the shared state and reporting the state gauge. Calls still work, on local state. */
  dispose(): void;
}

const DEFAULT_CONSECUTIVE_FAILURES = 5;
const DEFAULT_MINIMUM_CALLS = 20;
const DEFAULT_WINDOW_MS = 30_000;
const WINDOW_BUCKETS = 10;
const DEFAULT_HALF_OPEN_AFTER_MS = 10_000;
const DEFAULT_MULTIPLIER = 2;
const DEFAULT_HALF_OPEN_MAX_MS = 5 * 60_000;
const DEFAULT_PROBE_RESERVATION_MS = 10_000;
const MAX_NAME_LENGTH = 128;
/** Failed syncs before a store that never answered counts as unavailable. */
const CONNECT_ATTEMPTS = 3;

/** By default only a failing dependency counts: the taxonomy says which failures those are. */
function defaultCountsAsFailure(_error: unknown, info: ErrorInfo): boolean {
  return info.category === 'dependency' || info.category === 'timeout';
}

function describe(value: unknown): string {
  return typeof value === 'number' ? String(value) : typeof value;
}

function wholeAtLeast(value: unknown, minimum: number, fallback: number, what: string, name: string): number {
  if (value === undefined) return fallback;
  if (typeof value === 'number' && Number.isInteger(value) && value >= minimum) return value;
  warnOnce(`breaker-option:${name}:${what}`, `circuitBreaker ${name}: ${what} must be a whole number of at least ${String(minimum)} (got ${describe(value)}); using ${String(fallback)}`);
  return fallback;
}

function positiveMs(value: unknown, fallback: number, what: string, name: string): number {
  if (value === undefined) return fallback;
  if (typeof value === 'number' && Number.isFinite(value) && value > 0) return value;
  warnOnce(`breaker-option:${name}:${what}`, `circuitBreaker ${name}: ${what} must be a positive number of ms (got ${describe(value)}); using ${String(fallback)}`);
  return fallback;
}

/** The user's options as rules, every bad value replaced by its default with one warning. */
export function breakerRules(options: CircuitBreakerOptions, name: string): BreakerRules {
  let failureRate = 0;
  let minimumCalls = DEFAULT_MINIMUM_CALLS;
  let windowMs = DEFAULT_WINDOW_MS;
  const rate: unknown = options.failureRate;
  if (rate !== undefined) {
    const threshold: unknown = typeof rate === 'object' && rate !== null ? (rate as { threshold?: unknown }).threshold : undefined;
    if (typeof threshold === 'number' && threshold > 0 && threshold <= 1) {
      const given = rate as FailureRateOptions;
      failureRate = threshold;
      minimumCalls = wholeAtLeast(given.minimumCalls, 1, DEFAULT_MINIMUM_CALLS, 'failureRate.minimumCalls', name);
      windowMs = positiveMs(given.windowMs, DEFAULT_WINDOW_MS, 'failureRate.windowMs', name);
    } else {
      warnOnce(`breaker-option:${name}:failureRate`, `circuitBreaker ${name}: failureRate.threshold must be a number above 0 and at most 1 (got ${describe(threshold)}); the rate mode is off`);
    }
  }
  const consecutiveDefault = failureRate > 0 ? 0 : DEFAULT_CONSECUTIVE_FAILURES;
  const consecutiveFailures = wholeAtLeast(options.consecutiveFailures, 1, consecutiveDefault === 0 && options.consecutiveFailures !== undefined ? DEFAULT_CONSECUTIVE_FAILURES : consecutiveDefault, 'consecutiveFailures', name);

  let halfOpenAfterMs: number;
  let multiplier = DEFAULT_MULTIPLIER;
  let maxMs: number | undefined;
  const halfOpen: unknown = options.halfOpenAfter;
  if (typeof halfOpen === 'object' && halfOpen !== null) {
    const backoff = halfOpen as HalfOpenBackoff;
    halfOpenAfterMs = positiveMs(backoff.initialMs, DEFAULT_HALF_OPEN_AFTER_MS, 'halfOpenAfter.initialMs', name);
    if (backoff.multiplier !== undefined) {
      if (typeof backoff.multiplier === 'number' && Number.isFinite(backoff.multiplier) && backoff.multiplier >= 1) multiplier = backoff.multiplier;
      else warnOnce(`breaker-option:${name}:multiplier`, `circuitBreaker ${name}: halfOpenAfter.multiplier must be a number of at least 1 (got ${describe(backoff.multiplier)}); using ${String(DEFAULT_MULTIPLIER)}`);
    }
    if (backoff.maxMs !== undefined) maxMs = positiveMs(backoff.maxMs, DEFAULT_HALF_OPEN_MAX_MS, 'halfOpenAfter.maxMs', name);
  } else {
    halfOpenAfterMs = positiveMs(halfOpen, DEFAULT_HALF_OPEN_AFTER_MS, 'halfOpenAfter', name);
  }
  const halfOpenMaxMs = Math.max(halfOpenAfterMs, maxMs ?? DEFAULT_HALF_OPEN_MAX_MS);
  return {
    consecutiveFailures,
    failureRate,
    minimumCalls,
    windowMs,
    bucketMs: Math.max(1, Math.ceil(windowMs / WINDOW_BUCKETS)),
    halfOpenAfterMs,
    backoffMultiplier: multiplier,
    halfOpenMaxMs,
    probeReservationMs: positiveMs(options.probeReservationMs, DEFAULT_PROBE_RESERVATION_MS, 'probeReservationMs', name),
  };
}

type Mode = 'local' | 'connecting' | 'shared' | 'fallback';

/** What this process last heard from the store, with the store's durations turned into local instants. */
interface SharedView {
  state: CircuitState;
  generation: number;
  /** Open: when a probe may start. Half-open: when the probe's reservation lapses. Local clock. */
  until: number;
  openings: number;
  /** Consecutive failures the store last reported: what this process's successes since then reset. */
  failures: number;
}

/** A call admitted as the half-open probe. */
interface Probe {
  token: string;
  generation: number;
  /** Whether the store granted it (else the local circuit did). */
  shared: boolean;
}

const RUN = 'run';
const REJECT = 'reject';
type Admission = typeof RUN | typeof REJECT | Probe;

const ONE_FAILURE: Outcomes = Object.freeze({ successes: 0, failures: 1, trailingFailures: 1 });
const TRANSITION_EVENTS: Record<Transition, ResilienceEventName> = {
  opened: 'circuit_opened',
  half_opened: 'circuit_half_opened',
  closed: 'circuit_closed',
};

const neverAborted = new AbortController().signal;
const processToken = randomUUID();
let probeCounter = 0;

/** Read through a function: TypeScript would otherwise keep a first check's narrowing across an await. */
function aborted(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
}

function noOutcomes(): Outcomes {
  return { successes: 0, failures: 0, trailingFailures: 0 };
}

function messageOf(error: unknown): string {
  return cut(error instanceof Error ? error.message : String(error), 200);
}

class Breaker implements CircuitBreaker {
  readonly name: string;
  readonly #rules: BreakerRules;
  readonly #countsAsFailure: (error: unknown, info: ErrorInfo) => boolean;
  readonly #store: RedisBreakerStore | undefined;
  readonly #local: LocalCircuit;
  #mode: Mode;
  #view: SharedView = { state: 'closed', generation: 0, until: 0, openings: 0, failures: 0 };
  #pending: Outcomes = noOutcomes();
  #inflight: Promise<void> | undefined;
  #queued: Promise<void> | undefined;
  #acquiring = false;
  #connectAttempts = 0;
  #timer: NodeJS.Timeout | undefined;
  #stopGauge: () => void;

  constructor(options: CircuitBreakerOptions) {
    const given: unknown = options.name;
    if (typeof given === 'string' && given !== '') {
      this.name = cut(given, MAX_NAME_LENGTH);
    } else {
      this.name = 'circuit-breaker';
      warnOnce('breaker-option:name', `circuitBreaker: name must be a non-empty string (got ${typeof given}); using "circuit-breaker"`);
    }
    this.#rules = breakerRules(options, this.name);
    this.#countsAsFailure = typeof options.countsAsFailure === 'function' ? options.countsAsFailure : defaultCountsAsFailure;
    if (options.countsAsFailure !== undefined && typeof options.countsAsFailure !== 'function') {
      warnOnce(`breaker-option:${this.name}:countsAsFailure`, `circuitBreaker ${this.name}: countsAsFailure must be a function; counting dependency and timeout failures`);
    }
    this.#local = new LocalCircuit(this.#rules);
    if (options.store instanceof RedisBreakerStore && options.store.configured) {
      this.#store = options.store;
      this.#mode = 'connecting';
      this.#timer = setInterval(() => {
        void this.#flush();
      }, this.#store.syncIntervalMs);
      this.#timer.unref();
      void this.#flush();
    } else {
      if (options.store !== undefined && !(options.store instanceof RedisBreakerStore)) warnOnce(`breaker-option:${this.name}:store`, `circuitBreaker ${this.name}: store must come from redisBreakerStore(); keeping state per process`);
      this.#mode = 'local';
    }
    this.#stopGauge = observeCircuitState(this.name, () => this.state);
  }

  get state(): CircuitState {
    return this.#mode === 'shared' ? this.#view.state : this.#local.state;
  }

  get shared(): boolean {
    return this.#isShared();
  }

  #isShared(): boolean {
    return this.#mode === 'shared';
  }

  dispose(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#stopGauge();
    if (this.#mode !== 'local') this.#local.seed(this.state, Math.max(0, this.#view.until - Date.now()), this.#view.openings);
    this.#mode = 'local';
  }

  async execute<T>(operation: (context: PolicyContext) => Promise<T> | T, signal?: AbortSignal): Promise<T> {
    if (signal?.aborted === true) throw signal.reason;
    const outermost = !insidePolicy();
    let admission = this.#admit();
    if (typeof admission === 'object' && admission instanceof Promise) admission = await admission;
    if (admission === REJECT) {
      const rejection = this.#reject();
      recordPassedOnFailure(rejection, outermost);
      throw rejection;
    }
    const probe = admission === RUN ? undefined : admission;
    if (aborted(signal)) {
      // The caller gave up while the probe was being granted: the next caller probes instead.
      if (probe !== undefined) await this.#settle(probe, 'release');
      throw signal?.reason;
    }
    const started = performance.now();
    let result: T;
    try {
      const context: PolicyContext = { signal: signal ?? neverAborted, attempt: 1 };
      result = await withinPolicy(() => operation(context));
    } catch (error) {
      const info = classify(error);
      const counted = this.#counts(error, info);
      recordAttemptDuration(this.name, 1, info.category === 'timeout' ? 'timeout' : 'failure', (performance.now() - started) / 1000);
      if (probe !== undefined) await this.#settle(probe, counted ? 'failure' : info.category === 'cancelled' ? 'release' : 'success');
      else if (counted) await this.#failure();
      recordPassedOnFailure(error, outermost, signal);
      throw error;
    }
    recordAttemptDuration(this.name, 1, 'success', (performance.now() - started) / 1000);
    if (probe !== undefined) await this.#settle(probe, 'success');
    else this.#success();
    return result;
  }

  #counts(error: unknown, info: ErrorInfo): boolean {
    try {
      // Plain JavaScript callers may return anything: only `true` counts.
      const verdict: unknown = this.#countsAsFailure(error, info);
      return verdict === true;
    } catch (failure) {
      warnOnce(`breaker-counts:${this.name}`, `circuitBreaker ${this.name}: countsAsFailure threw (${messageOf(failure)}); counting dependency and timeout failures`);
      return defaultCountsAsFailure(error, info);
    }
  }

  #reject(): InstanceType<typeof CircuitOpen> {
    // retryAfterMs: when a probe may start (open), or when the probe's reservation lapses (half-open).
    const retryAfterMs = Math.ceil(this.#mode === 'shared' ? Math.max(0, this.#view.until - Date.now()) : this.#local.waitMs);
    const error = new CircuitOpen(`Circuit breaker ${this.name} is open`, { details: { policy: this.name, state: this.state, retryAfterMs } });
    reportResilienceEvent(this.name, 'circuit_breaker', 'rejected', error, { 'resilience.circuit.state': this.state });
    recordAttemptDuration(this.name, 1, 'rejected', 0);
    return error;
  }

  #report(transition: Transition | undefined, attributes?: Record<string, string | number>): void {
    if (transition !== undefined) reportResilienceEvent(this.name, 'circuit_breaker', TRANSITION_EVENTS[transition], undefined, attributes);
  }

  // Admission ---------------------------------------------------------------------------------

  #admit(): Admission | Promise<Admission> {
    if (this.#mode !== 'shared') return this.#admitLocal();
    const view = this.#view;
    if (view.state === 'closed') return RUN;
    // Open and not yet due, or another process holds a live probe: refuse without asking Redis.
    if (Date.now() < view.until || this.#acquiring || this.#store === undefined) return REJECT;
    return this.#acquireShared(this.#store);
  }

  #admitLocal(): Admission {
    if (this.#local.state === 'closed') return RUN;
    const token = `${processToken}:${String((probeCounter += 1))}`;
    const snapshot = this.#local.acquire(token);
    if (!snapshot.granted) return REJECT;
    this.#report(snapshot.transition);
    return { token, generation: snapshot.generation, shared: false };
  }

  async #acquireShared(store: RedisBreakerStore): Promise<Admission> {
    this.#acquiring = true;
    const token = `${processToken}:${String((probeCounter += 1))}`;
    try {
      const snapshot = await store.run(this.name, { op: 'acquire', seen: this.#view.generation, token }, this.#rules);
      if (!this.#isShared()) return this.#admitLocal();
      this.#adopt(snapshot);
      return snapshot.granted ? { token, generation: snapshot.generation, shared: true } : REJECT;
    } catch (error) {
      this.#fallBack(error);
      return this.#admitLocal();
    } finally {
      this.#acquiring = false;
    }
  }

  // Outcomes ----------------------------------------------------------------------------------

  #success(): void {
    if (this.#mode === 'shared') {
      this.#pending.successes += 1;
      this.#pending.trailingFailures = 0;
      this.#pending.knownFailures = this.#view.failures;
      return;
    }
    this.#report(this.#local.success());
  }

  async #failure(): Promise<void> {
    if (this.#mode === 'shared') {
      this.#pending.failures += 1;
      this.#pending.trailingFailures += 1;
      // A failure is reported at once (the success of a closed breaker waits for the next sync):
      // the call that trips the breaker sees the transition, and the others learn it sooner.
      await this.#flush();
      return;
    }
    if (this.#local.state === 'closed') this.#report(this.#local.sync(this.#local.generation, ONE_FAILURE).transition);
  }

  async #settle(probe: Probe, verdict: ProbeVerdict): Promise<void> {
    const store = this.#store;
    if (!probe.shared || !this.shared || store === undefined) {
      if (!probe.shared) this.#report(this.#local.settle(probe.generation, probe.token, verdict).transition);
      return;
    }
    try {
      const snapshot = await store.run(this.name, { op: 'settle', seen: probe.generation, token: probe.token, verdict }, this.#rules);
      // The mode may have changed while Redis answered (a sync fell back meanwhile).
      if (this.#isShared()) this.#adopt(snapshot);
    } catch (error) {
      this.#fallBack(error);
      // The verdict still holds for this process.
      if (verdict === 'success') this.#local.seed('closed', 0, 0);
      else if (verdict === 'failure') this.#local.seed('open', halfOpenDelay(this.#rules, this.#view.openings + 1), this.#view.openings + 1);
    }
  }

  // The store ---------------------------------------------------------------------------------

  /**
   * Sends what was counted and reads the shared state: one command in flight per breaker, and at
   * most one more queued behind it, which takes everything counted by the time it is sent.
   */
  #flush(): Promise<void> {
    if (this.#queued !== undefined) return this.#queued;
    if (this.#inflight === undefined) {
      this.#inflight = this.#sync().finally(() => {
        this.#inflight = undefined;
      });
      return this.#inflight;
    }
    this.#queued = this.#inflight.then(() => {
      this.#queued = undefined;
      return this.#flush();
    });
    return this.#queued;
  }

  async #sync(): Promise<void> {
    const store = this.#store;
    if (store === undefined || this.#timer === undefined) return;
    const outcomes = this.#pending;
    this.#pending = noOutcomes();
    const mode = this.#mode;
    const seen = mode === 'shared' ? this.#view.generation : 0;
    try {
      const snapshot = await store.run(this.name, { op: 'sync', seen, outcomes }, this.#rules);
      if (this.#mode === 'local') return;
      if (this.#mode !== 'shared') {
        // Redis answers (again): the shared state is the truth from here on; what this process
        // counted on its own while it could not reach it stays behind.
        this.#mode = 'shared';
        this.#view.generation = 0;
      }
      this.#adopt(snapshot);
    } catch (error) {
      // A store that has not answered yet gets a few sync intervals to connect (the breaker runs
      // on local state meanwhile) before its absence counts as an outage.
      if (this.#mode === 'connecting' && (this.#connectAttempts += 1) < CONNECT_ATTEMPTS) return;
      this.#fallBack(error, outcomes);
    }
  }

  #adopt(snapshot: CircuitSnapshot): void {
    if (snapshot.generation < this.#view.generation) return;
    this.#view = { state: snapshot.state, generation: snapshot.generation, until: Date.now() + snapshot.waitMs, openings: snapshot.openings, failures: snapshot.failures };
    this.#report(snapshot.transition);
  }

  /** Redis cannot be reached: this process goes on with its own state, starting from what it last heard. */
  #fallBack(error: unknown, outcomes?: Outcomes): void {
    if (this.#mode === 'fallback' || this.#mode === 'local') return;
    const wasShared = this.#mode === 'shared';
    this.#mode = 'fallback';
    if (wasShared) {
      const view = this.#view;
      this.#local.seed(view.state, Math.max(0, view.until - Date.now()), view.openings);
      // What was counted and not yet accepted by Redis counts here: the batch that failed to go,
      // then what was counted after it.
      const pending = this.#pending;
      this.#pending = noOutcomes();
      for (const batch of [outcomes, pending]) {
        if (batch !== undefined && (batch.successes > 0 || batch.failures > 0) && this.#local.state === 'closed') {
          this.#report(this.#local.sync(this.#local.generation, batch).transition);
        }
      }
    }
    reportResilienceEvent(this.name, 'circuit_breaker', 'store_unavailable');
    warnOnce(
      `breaker-store-unavailable:${this.name}`,
      `circuit breaker ${this.name}: the shared store is unavailable (${messageOf(error)}); this process keeps the breaker's state on its own until Redis answers again`,
    );
  }
}

/**
 * A circuit breaker policy. Counts the failures `countsAsFailure` accepts (by default dependency
 * and timeout failures), opens after `consecutiveFailures` in a row or at a `failureRate` over a
 * window, refuses calls with `CircuitOpen` while open, lets one probe through after
 * `halfOpenAfter`, and closes when it succeeds. With `store: redisBreakerStore(…)` every process
 * shares the breaker. Never throws anything but the operation's own error or CircuitOpen.
 */
export function circuitBreaker(options: CircuitBreakerOptions): CircuitBreaker {
  const given: unknown = options;
  return new Breaker(typeof given === 'object' && given !== null ? options : ({} as CircuitBreakerOptions));
}

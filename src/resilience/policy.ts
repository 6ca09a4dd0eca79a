// Resilience policies: retry, timeout, bulkhead, fallback, the circuit breaker and their
// composition, each reporting itself through the telemetry contract (telemetry.ts) and recording
// every failure it sees through the error model, once. What this folder must never do: throw into
// the call because telemetry or a shared store failed, retry or count a failure the taxonomy says
// not to, or let cockatiel's types leak into the public API (policies wrap it; the types are ours).

/** What a policy hands to the operation it runs. */
export interface PolicyContext {
  /**
   * Aborted when the operation should stop: the caller's signal aborted, a timeout fired. Pass it
   * to whatever the operation awaits (fetch, a driver) so the work really stops.
   */
  readonly signal: AbortSignal;
  /** 1 for the first call, 2 for the first retry, and so on. */
  readonly attempt: number;
}

/**
 * Any resilience policy: runs an operation under its rule. `Fallback` is the type of what a
 * fallback policy may answer instead of the operation's result (never for the others), so that a
 * composed pipeline's result type says a fallback value may come back.
 */
export interface Policy<Fallback = never> {
  /** The user's name for the policy: the value of `resilience.policy` in telemetry. */
  readonly name: string;
  /**
   * Runs `operation` under the policy. `signal` is the caller's cancellation: once it aborts, the
   * operation's signal aborts and no further attempt starts.
   */
  execute<T>(operation: (context: PolicyContext) => Promise<T> | T, signal?: AbortSignal): Promise<T | Fallback>;
}

import { NEVER_ABORTED } from './options.ts';
import type { Policy, PolicyContext } from './policy.ts';
import { warn } from '../warn.ts';

/**
 * The fallback type a policy may answer with: what its `fallback` function returns, for a fallback
 * policy; never for the others. (Inferring `Policy<infer F>` from `execute` would widen to unknown
 * through its `T | F`.)
 */
export type FallbackOf<P> = P extends { readonly fallback: (error: never, info: never) => infer R } ? Awaited<R> : never;

/**
 * Runs an operation through several policies, the first outermost:
 * `composePolicies(fallback, retry, breaker, timeout)` gives each attempt its own timeout, counts
 * timeouts toward the breaker, retries what the breaker lets through, and falls back when all
 * else failed. The operation gets the innermost signal (aborted by any timeout or by the caller)
 * and the attempt number of the retry around it.
 *
 * Each failure is recorded once: inner policies leave a failure they pass on to the outermost
 * policy, which records it unless an outer policy dealt with it (a retry, a fallback).
 */
export function composePolicies<const P extends readonly Policy<unknown>[]>(...policies: P): Policy<FallbackOf<P[number]>> {
  const chain = policies.filter((policy, index) => {
    const usable = typeof policy === 'object' && typeof (policy as Partial<Policy> | null)?.execute === 'function';
    if (!usable) warn(`composePolicies: argument ${String(index + 1)} is not a policy; leaving it out`);
    return usable;
  });
  const name = chain.map((policy) => policy.name).join(' > ');

  function run<T>(index: number, operation: (context: PolicyContext) => Promise<T> | T, signal: AbortSignal, attempt: number): Promise<T | FallbackOf<P[number]>> {
    const policy = chain[index];
    if (policy === undefined) return Promise.resolve().then(() => operation({ signal, attempt }));
    return policy.execute((context) => run(index + 1, operation, context.signal, Math.max(attempt, context.attempt)), signal) as Promise<T | FallbackOf<P[number]>>;
  }

  return {
    name,
    execute<T>(operation: (context: PolicyContext) => Promise<T> | T, signal: AbortSignal = NEVER_ABORTED): Promise<T | FallbackOf<P[number]>> {
      return run(0, operation, signal, 1);
    },
  };
}

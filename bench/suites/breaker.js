// The shared breaker's closed-state cost against the local breaker's, for the resilience suite
// (suites/resilience.js) to call in its worker: the same faultline build, the same process, the
// same successful operation, interleaved. Not a suite of its own (no `--only` entry).
//
// A closed breaker makes no Redis round trip for a successful call (docs/circuit-breaker.md): the
// shared one tallies the success in memory and a timer syncs every syncIntervalMs. So the two
// should cost about the same per call; the suite's two breaker rows show whether they do.
import process from 'node:process';
import { setTimeout } from 'node:timers';

/**
 * A breaker shared through Redis at `url`, once it really is shared (a store starts on local
 * state until its first sync answers), or undefined with a note saying why not.
 */
export async function startSharedBreaker(api, { url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', name = 'bench-shared-breaker', notes = [] } = {}) {
  if (typeof api.redisBreakerStore !== 'function' || typeof api.circuitBreaker !== 'function') {
    notes.push('faultline exports no `redisBreakerStore` in this build: the shared breaker row is left out.');
    return undefined;
  }
  const store = api.redisBreakerStore({ url, prefix: `bench:${process.pid}:${Date.now()}:` });
  const breaker = api.circuitBreaker({ name, store });
  const deadline = Date.now() + 5000;
  while (!breaker.shared && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
  if (!breaker.shared) {
    breaker.dispose();
    await store.close();
    notes.push(`Redis at ${url} did not answer within 5 s: the shared breaker row is left out.`);
    return undefined;
  }
  return {
    breaker,
    close: async () => {
      breaker.dispose();
      await store.close();
    },
  };
}

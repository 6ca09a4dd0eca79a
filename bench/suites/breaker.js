// The shared breaker's closed-state cost against the local breaker's, for the resilience suite
// (suites/resilience.js) to call in its worker: the same faultline build, the same process, the
// same successful operation, interleaved. Not a suite of its own (no `--only` entry).
//
// A closed breaker makes no Redis round trip for a successful call (docs/circuit-breaker.md): the
// shared one tallies the success in memory and a timer syncs every syncIntervalMs. So the two
// should cost about the same per call; the ratio is the claim this measures.
import process from 'node:process';

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

/**
 * µs per successful call: bare, through a local breaker, through a Redis-shared one, interleaved
 * over `repeats` rounds of `calls` calls (medians), with the shared/local ratio. Undefined values
 * when Redis is not there (see `notes`).
 */
export async function measureBreakerOverhead(api, { url, calls = 20_000, repeats = 5, notes = [] } = {}) {
  const op = async () => 1;
  const local = api.circuitBreaker({ name: 'bench-local-breaker' });
  const shared = await startSharedBreaker(api, { url, notes });
  const variants = { bare: () => op(), local: () => local.execute(op) };
  if (shared !== undefined) variants.shared = () => shared.breaker.execute(op);
  const time = async (run, n) => {
    const started = process.hrtime.bigint();
    for (let i = 0; i < n; i += 1) await run();
    return Number(process.hrtime.bigint() - started) / n / 1000;
  };
  for (const run of Object.values(variants)) await time(run, 2000);
  const samples = Object.fromEntries(Object.keys(variants).map((key) => [key, []]));
  for (let round = 0; round < repeats; round += 1) {
    for (const [key, run] of Object.entries(variants)) samples[key].push(await time(run, calls));
  }
  local.dispose();
  await shared?.close();
  const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  const result = Object.fromEntries(Object.entries(samples).map(([key, values]) => [key, median(values)]));
  return { ...result, sharedVsLocal: result.shared === undefined ? undefined : result.shared / result.local, notes };
}

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { circuitBreaker, DependencyFailed, redisBreakerStore } from '../../src/index.ts';
import type { BreakerStore, CircuitBreaker } from '../../src/index.ts';
import { freePort, OwnRedis } from './breaker-helpers.ts';

// A Redis that hangs (SIGSTOP: its connections stay open and nothing answers) is the slow case:
// no error ever comes back, so only the breaker's own bound can keep calls from waiting on it.

let redis: OwnRedis;
let store: BreakerStore;
let breaker: CircuitBreaker;

before(async () => {
  redis = new OwnRedis(await freePort());
  await redis.start();
  store = redisBreakerStore({ url: redis.url, prefix: 'test:slow:', commandTimeoutMs: 300, syncIntervalMs: 100 });
  breaker = circuitBreaker({ name: 'slow-redis', consecutiveFailures: 3, halfOpenAfter: 60_000, store });
  while (!breaker.shared) await sleep(10);
});
after(async () => {
  breaker.dispose();
  redis.resume();
  await store.close();
  await redis.kill();
});

test('a hung Redis: calls finish while it still hangs, on local state, and the breaker follows Redis again once it answers', async () => {
  redis.pause();
  const failing = () => {
    throw new DependencyFailed('gateway down');
  };
  const outcomes: string[] = [];
  for (let i = 0; i < 5; i += 1) {
    try {
      await breaker.execute(failing);
      outcomes.push('ok');
    } catch (error) {
      outcomes.push((error as { code?: string }).code ?? 'other');
    }
  }
  // Redis has not answered a single command since the pause: every call above finished without it.
  assert.deepEqual(outcomes, ['DEPENDENCY_FAILED', 'DEPENDENCY_FAILED', 'DEPENDENCY_FAILED', 'CIRCUIT_OPEN', 'CIRCUIT_OPEN']);
  assert.equal(breaker.shared, false);
  assert.equal(breaker.state, 'open', 'the process opened its own breaker on its own evidence');
  assert.equal(await breaker.execute(() => 'never').catch((error: unknown) => (error as { code?: string }).code), 'CIRCUIT_OPEN');

  redis.resume();
  const deadline = Date.now() + 10_000;
  while (!breaker.shared) {
    assert.ok(Date.now() < deadline, 'the breaker resynchronised');
    await sleep(20);
  }
  // Redis's state is the truth again: the one failure report that reached it (late) did not trip
  // it, and the process's own opening stayed behind.
  assert.equal(breaker.state, 'closed');
  assert.equal(await breaker.execute(() => 'ok'), 'ok');
});

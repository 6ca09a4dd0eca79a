import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis as IORedis } from 'ioredis';
import { createClient } from 'redis';
import { CircuitOpen, circuitBreaker, DependencyFailed, NotFound, OperationTimeout, redisBreakerStore, ValidationError } from '../../src/index.ts';
import type { BreakerStore, CircuitBreaker, CircuitBreakerOptions } from '../../src/index.ts';

// The breaker's rules, run the same way against each place its state can live: this process's
// memory, and Redis on 127.0.0.1:6379 through node-redis and through ioredis (two breaker objects
// on one store and name stand for two processes; the multi-process suite runs real ones).

const nodeRedis = createClient({ url: 'redis://127.0.0.1:6379' });
const ioredis = new IORedis('redis://127.0.0.1:6379', { lazyConnect: true });
const runId = `${String(process.pid)}:${String(Date.now())}`;
let prefixCounter = 0;

before(async () => {
  await nodeRedis.connect();
  await ioredis.connect();
});
after(async () => {
  nodeRedis.destroy();
  ioredis.disconnect();
});

interface Backend {
  name: string;
  /** A fresh store (its own key prefix) for one test, or undefined for per-process state. */
  store(): BreakerStore | undefined;
}

const backends: Backend[] = [
  { name: 'local state', store: () => undefined },
  { name: 'Redis through node-redis', store: () => redisBreakerStore({ client: nodeRedis, prefix: `test:breaker:${runId}:${String((prefixCounter += 1))}:`, syncIntervalMs: 50, commandTimeoutMs: 2000 }) },
  { name: 'Redis through ioredis', store: () => redisBreakerStore({ client: ioredis, prefix: `test:breaker:${runId}:${String((prefixCounter += 1))}:`, syncIntervalMs: 50, commandTimeoutMs: 2000 }) },
];

const breakers: CircuitBreaker[] = [];
after(() => {
  for (const breaker of breakers) breaker.dispose();
});

async function ready(options: CircuitBreakerOptions): Promise<CircuitBreaker> {
  const breaker = circuitBreaker(options);
  breakers.push(breaker);
  if (options.store !== undefined) {
    const deadline = Date.now() + 5000;
    while (!breaker.shared) {
      assert.ok(Date.now() < deadline, 'the breaker reached its store');
      await sleep(5);
    }
  }
  return breaker;
}

const dependencyDown = () => {
  throw new DependencyFailed('payment gateway answered 503');
};
const ok = () => 'ok';

/** Runs one call and says how it ended: 'ok', the error's code, or its name. */
async function outcome(breaker: CircuitBreaker, operation: () => unknown): Promise<string> {
  try {
    return String(await breaker.execute(operation));
  } catch (error) {
    return (error as { code?: string }).code ?? (error as Error).name;
  }
}

async function outcomes(breaker: CircuitBreaker, operation: () => unknown, n: number): Promise<string[]> {
  const seen: string[] = [];
  for (let i = 0; i < n; i += 1) seen.push(await outcome(breaker, operation));
  return seen;
}

async function rejection(breaker: CircuitBreaker): Promise<InstanceType<typeof CircuitOpen>> {
  let calls = 0;
  const error = await breaker.execute(() => (calls += 1)).then(
    () => assert.fail('the call went through'),
    (failure: unknown) => failure,
  );
  assert.equal(calls, 0, 'a rejected call never reaches the operation');
  assert.ok(error instanceof CircuitOpen);
  return error;
}

for (const backend of backends) {
  describe(`circuit breaker on ${backend.name}`, () => {
    test('consecutive mode: opens after N counted failures in a row; a success in between starts the count again', async () => {
      const breaker = await ready({ name: 'gateway', consecutiveFailures: 3, halfOpenAfter: 60_000, store: backend.store() });
      assert.deepEqual(await outcomes(breaker, dependencyDown, 2), ['DEPENDENCY_FAILED', 'DEPENDENCY_FAILED']);
      assert.equal(await outcome(breaker, ok), 'ok');
      assert.deepEqual(await outcomes(breaker, dependencyDown, 2), ['DEPENDENCY_FAILED', 'DEPENDENCY_FAILED']);
      assert.equal(breaker.state, 'closed', 'two in a row after a success is not three');
      assert.equal(await outcome(breaker, dependencyDown), 'DEPENDENCY_FAILED');
      assert.equal(breaker.state, 'open');
      const error = await rejection(breaker);
      assert.equal(error.code, 'CIRCUIT_OPEN');
      assert.equal(error.category, 'dependency');
      assert.equal(error.httpStatus, 503);
      assert.equal(error.details?.policy, 'gateway');
    });

    test('only dependency and timeout failures count by default: validation and not-found never open it', async () => {
      const breaker = await ready({ name: 'lookup', consecutiveFailures: 2, halfOpenAfter: 60_000, store: backend.store() });
      const invalid = () => {
        throw new ValidationError();
      };
      const missing = () => {
        throw new NotFound();
      };
      const plainBug = () => {
        throw new TypeError('x is undefined');
      };
      assert.deepEqual(await outcomes(breaker, invalid, 3), ['VALIDATION_FAILED', 'VALIDATION_FAILED', 'VALIDATION_FAILED']);
      assert.deepEqual(await outcomes(breaker, missing, 3), ['NOT_FOUND', 'NOT_FOUND', 'NOT_FOUND']);
      assert.deepEqual(await outcomes(breaker, plainBug, 3), ['TypeError', 'TypeError', 'TypeError']);
      assert.equal(breaker.state, 'closed');
      const timeout = () => {
        throw new OperationTimeout();
      };
      assert.deepEqual(await outcomes(breaker, timeout, 2), ['OPERATION_TIMEOUT', 'OPERATION_TIMEOUT']);
      assert.equal(breaker.state, 'open', 'two timeouts in a row open it');
    });

    test('countsAsFailure overrides the taxonomy', async () => {
      const breaker = await ready({ name: 'strict', consecutiveFailures: 2, halfOpenAfter: 60_000, countsAsFailure: (_error, info) => info.category === 'validation', store: backend.store() });
      assert.deepEqual(await outcomes(breaker, dependencyDown, 3), ['DEPENDENCY_FAILED', 'DEPENDENCY_FAILED', 'DEPENDENCY_FAILED']);
      assert.equal(breaker.state, 'closed');
      const invalid = () => {
        throw new ValidationError();
      };
      await outcomes(breaker, invalid, 2);
      assert.equal(breaker.state, 'open');
    });

    test('rate mode: opens when failures reach the threshold share of at least minimumCalls calls in the window', async () => {
      const breaker = await ready({ name: 'rate', failureRate: { threshold: 0.5, minimumCalls: 6, windowMs: 60_000 }, halfOpenAfter: 60_000, store: backend.store() });
      // Alternating failures: never two in a row, so only the rate can open it.
      for (let i = 0; i < 2; i += 1) {
        assert.equal(await outcome(breaker, ok), 'ok');
        assert.equal(await outcome(breaker, dependencyDown), 'DEPENDENCY_FAILED');
      }
      assert.equal(breaker.state, 'closed', '2 of 4: below minimumCalls');
      assert.equal(await outcome(breaker, ok), 'ok');
      assert.equal(await outcome(breaker, dependencyDown), 'DEPENDENCY_FAILED');
      assert.equal(breaker.state, 'open', '3 of 6 is the threshold');
      await rejection(breaker);
    });

    test('rate mode: a share below the threshold keeps it closed however many calls fail', async () => {
      const breaker = await ready({ name: 'rate-low', failureRate: { threshold: 0.5, minimumCalls: 4, windowMs: 60_000 }, halfOpenAfter: 60_000, store: backend.store() });
      for (let i = 0; i < 4; i += 1) {
        await outcomes(breaker, ok, 2);
        assert.equal(await outcome(breaker, dependencyDown), 'DEPENDENCY_FAILED');
      }
      assert.equal(breaker.state, 'closed', '4 of 12 failed');
    });

    test('half-open after halfOpenAfter: one probe at a time, closed by its success', async () => {
      const breaker = await ready({ name: 'probe', consecutiveFailures: 1, halfOpenAfter: 150, store: backend.store() });
      await outcome(breaker, dependencyDown);
      assert.equal(breaker.state, 'open');
      await rejection(breaker);
      await sleep(200);
      let release: () => void = () => undefined;
      let probes = 0;
      const slowProbe = () =>
        new Promise<string>((resolve) => {
          probes += 1;
          release = () => resolve('ok');
        });
      const first = breaker.execute(slowProbe);
      // With a store the probe starts once Redis has granted it.
      while (probes === 0) await sleep(2);
      const others = await Promise.all(Array.from({ length: 5 }, () => outcome(breaker, slowProbe)));
      assert.deepEqual(others, Array(5).fill('CIRCUIT_OPEN'), 'every other caller is refused while the probe runs');
      assert.equal(probes, 1);
      assert.equal(breaker.state, 'half_open');
      release();
      assert.equal(await first, 'ok');
      assert.equal(breaker.state, 'closed');
      assert.deepEqual(await outcomes(breaker, ok, 3), ['ok', 'ok', 'ok']);
    });

    test('halfOpenAfter backs off: each failed probe multiplies the wait, up to maxMs; a success resets it', async () => {
      const breaker = await ready({ name: 'backoff', consecutiveFailures: 1, halfOpenAfter: { initialMs: 100, multiplier: 4, maxMs: 1000 }, store: backend.store() });
      await outcome(breaker, dependencyDown);
      const first = Number((await rejection(breaker)).details?.retryAfterMs);
      assert.ok(first > 0 && first <= 100, `first wait ${String(first)} ms`);
      await sleep(130);
      assert.equal(await outcome(breaker, dependencyDown), 'DEPENDENCY_FAILED', 'the probe ran and failed');
      const second = Number((await rejection(breaker)).details?.retryAfterMs);
      assert.ok(second > 100 && second <= 400, `second wait ${String(second)} ms`);
      await sleep(200);
      await rejection(breaker);
      await sleep(250);
      assert.equal(await outcome(breaker, dependencyDown), 'DEPENDENCY_FAILED');
      const third = Number((await rejection(breaker)).details?.retryAfterMs);
      assert.ok(third > 400 && third <= 1000, `third wait ${String(third)} ms (capped at 1000, not 1600)`);
      await sleep(1030);
      assert.equal(await outcome(breaker, ok), 'ok', 'the probe succeeded');
      assert.equal(breaker.state, 'closed');
      await outcome(breaker, dependencyDown);
      const reset = Number((await rejection(breaker)).details?.retryAfterMs);
      assert.ok(reset > 0 && reset <= 100, `after a close the wait starts again at 100 ms (got ${String(reset)})`);
    });

    test('a probe cancelled by its caller leaves the probe to the next caller at once', async () => {
      const breaker = await ready({ name: 'cancelled-probe', consecutiveFailures: 1, halfOpenAfter: 100, store: backend.store() });
      await outcome(breaker, dependencyDown);
      await sleep(130);
      const controller = new AbortController();
      const cancelled = breaker.execute(({ signal }) => new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason as Error))), controller.signal);
      controller.abort(new DOMException('the client went away', 'AbortError'));
      await assert.rejects(cancelled, { name: 'AbortError' });
      assert.equal(await outcome(breaker, ok), 'ok', 'the next caller probes without waiting for the reservation to lapse');
      assert.equal(breaker.state, 'closed');
    });
  });
}

describe('circuit breaker shared through Redis', () => {
  test('two breakers on one store and name share their state: one trips it, the other refuses within the sync interval', async () => {
    const store = backends[1]!.store();
    const a = await ready({ name: 'shared', consecutiveFailures: 3, halfOpenAfter: 60_000, store });
    const b = await ready({ name: 'shared', consecutiveFailures: 3, halfOpenAfter: 60_000, store });
    assert.equal(await outcome(a, dependencyDown), 'DEPENDENCY_FAILED');
    assert.equal(await outcome(b, dependencyDown), 'DEPENDENCY_FAILED');
    assert.equal(await outcome(a, dependencyDown), 'DEPENDENCY_FAILED');
    assert.equal(a.state, 'open', 'three failures in a row across the two');
    await sleep(50 + 20);
    assert.equal(b.state, 'open');
    await rejection(b);
  });

  test('the generation rule: a probe whose reservation lapsed cannot close a breaker its successor reopened', async () => {
    const store = backends[1]!.store();
    const options = { name: 'generations', consecutiveFailures: 1, halfOpenAfter: 100, probeReservationMs: 150, store };
    const a = await ready(options);
    const b = await ready(options);
    await outcome(a, dependencyDown);
    await sleep(130);
    let finishLate: (value: string) => void = () => undefined;
    const late = a.execute(() => new Promise<string>((resolve) => (finishLate = resolve)));
    await sleep(10);
    assert.equal(await outcome(b, ok), 'CIRCUIT_OPEN', 'a holds the probe');
    await sleep(200);
    assert.equal(await outcome(b, dependencyDown), 'DEPENDENCY_FAILED', 'a\'s reservation lapsed: b probes, fails, and the breaker reopens');
    finishLate('ok');
    assert.equal(await late, 'ok', 'a\'s call itself succeeds');
    await sleep(50 + 20);
    assert.equal(a.state, 'open', 'a\'s success belonged to an earlier generation and changed nothing');
    assert.equal(b.state, 'open');
    const key = `${store!.prefix}generations`;
    assert.equal(await nodeRedis.hGet(key, 'state'), 'open');
  });

  test('keys are namespaced by prefix and name, and expire', async () => {
    const store = redisBreakerStore({ client: nodeRedis, prefix: `test:breaker:${runId}:ttl:`, keyTtlMs: 5000, syncIntervalMs: 50, commandTimeoutMs: 2000 });
    const breaker = await ready({ name: 'ttl', consecutiveFailures: 1, halfOpenAfter: 100, store });
    await outcome(breaker, dependencyDown);
    const key = `test:breaker:${runId}:ttl:ttl`;
    assert.equal(await nodeRedis.hGet(key, 'state'), 'open');
    const ttl = await nodeRedis.pTTL(key);
    assert.ok(ttl > 0 && ttl <= 300_000 + 10_000 + 30_000, `the key expires (pttl ${String(ttl)})`);
  });

  test('a store without a client or url warns and the breaker keeps per-process state', async () => {
    const breaker = circuitBreaker({ name: 'no-client', consecutiveFailures: 1, store: redisBreakerStore({} as never) });
    breakers.push(breaker);
    assert.equal(await outcome(breaker, dependencyDown), 'DEPENDENCY_FAILED');
    assert.equal(breaker.state, 'open');
  });
});

describe('consecutive failures shared through Redis', () => {
  test('a success reported late by another process does not undo failures it had not heard of', async () => {
    // b's sync interval is long: its success stays in memory until after a's failures.
    const prefix = `test:breaker:${runId}:late-success:`;
    const fast = redisBreakerStore({ client: nodeRedis, prefix, syncIntervalMs: 50, commandTimeoutMs: 2000 });
    const slow = redisBreakerStore({ client: nodeRedis, prefix, syncIntervalMs: 60_000, commandTimeoutMs: 2000 });
    const a = await ready({ name: 'late', consecutiveFailures: 3, halfOpenAfter: 60_000, store: fast });
    const b = await ready({ name: 'late', consecutiveFailures: 3, halfOpenAfter: 60_000, store: slow });
    assert.equal(await outcome(b, ok), 'ok', 'b counts a success, and reports it only with its next failure');
    assert.deepEqual(await outcomes(a, dependencyDown, 2), ['DEPENDENCY_FAILED', 'DEPENDENCY_FAILED']);
    assert.equal(await outcome(b, dependencyDown), 'DEPENDENCY_FAILED', 'b reports its success and a failure after it');
    assert.equal(b.state, 'open', 'a\'s two failures came after b\'s last sync, so b\'s success does not reset them: 2 + 1');
    assert.equal(await nodeRedis.hGet(`${prefix}late`, 'state'), 'open');
  });
});

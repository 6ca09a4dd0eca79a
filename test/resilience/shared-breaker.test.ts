import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createClient } from 'redis';
import { startReceiver, type OtlpReceiver } from '../../src/receiver/index.ts';
import { otlpEnv } from '../helpers/run-app.ts';
import { BreakerApp, freePort, OwnRedis, StubDependency } from './breaker-helpers.ts';

// Real processes, started with `--import faultline/register`, sharing one breaker through Redis.
// Each calls a stub dependency that counts what reaches it, so "one probe" and "refused without
// trying" are counted where they happen. SYNC_MS + TIMEOUT_MS is the documented staleness bound:
// a transition made elsewhere is acted on within the store's syncIntervalMs plus commandTimeoutMs.

const SYNC_MS = 200;
// Generous: on a loaded test machine an event loop can stall for a second, and a stalled timer
// would read as a slow Redis. The outage cases do not wait for it (a killed server resets).
const TIMEOUT_MS = 2000;
const STALENESS_MS = SYNC_MS + TIMEOUT_MS;
// Longer than the staleness bound, so that waiting for the bound never makes a probe due; no
// backoff here (multiplier 1): the in-process suite covers it.
const HALF_OPEN_MS = 4000;
const RESERVATION_MS = 4000;

function appEnv(redisUrl: string, stubUrl: string, prefix: string, client: string, extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return {
    REDIS_URL: redisUrl,
    STUB_URL: stubUrl,
    BREAKER_PREFIX: prefix,
    BREAKER_CLIENT: client,
    BREAKER_SYNC_MS: String(SYNC_MS),
    BREAKER_TIMEOUT_MS: String(TIMEOUT_MS),
    BREAKER_OPTIONS: JSON.stringify({ consecutiveFailures: 3, halfOpenAfter: { initialMs: HALF_OPEN_MS, multiplier: 1 }, probeReservationMs: RESERVATION_MS }),
    ...extra,
  };
}

function count(outcomes: string[], outcome: string): number {
  return outcomes.filter((seen) => seen === outcome).length;
}

describe('one breaker shared by three processes through Redis', () => {
  const stub = new StubDependency();
  let receiver: OtlpReceiver;
  const redis = createClient({ url: 'redis://127.0.0.1:6379' });
  const prefix = `test:shared-breaker:${String(process.pid)}:${String(Date.now())}:`;
  const key = `${prefix}payments`;
  let apps: BreakerApp[] = [];

  before(async () => {
    await redis.connect();
    receiver = await startReceiver();
    const stubUrl = await stub.start();
    // One process per way of connecting: a url (the store's own client), node-redis, ioredis.
    apps = await Promise.all(['url', 'redis', 'ioredis'].map((client) => BreakerApp.start({ ...otlpEnv(receiver.url), ...appEnv('redis://127.0.0.1:6379', stubUrl, prefix, client) })));
    await Promise.all(apps.map((app) => app.waitForState((state) => state.shared)));
  });
  after(async () => {
    const exits = await Promise.all(apps.map((app) => app.exit()));
    redis.destroy();
    await stub.close();
    await receiver.close();
    for (const exit of exits) assert.doesNotMatch(exit.stderr, /Error|unavailable/, 'no warning and no error while Redis was up');
  });

  test('one trips it, the others refuse within the staleness bound; one probe across all; a late verdict of an earlier generation changes nothing; a dead probe holder does not wedge it', async () => {
    const [a, b, c] = apps as [BreakerApp, BreakerApp, BreakerApp];

    // a trips the breaker with three failures in a row.
    stub.mode = 'fail';
    const tripped = await a.calls(3);
    assert.deepEqual(tripped.outcomes, ['DEPENDENCY_FAILED', 'DEPENDENCY_FAILED', 'DEPENDENCY_FAILED']);
    assert.equal(tripped.state, 'open', 'the call that tripped it saw the transition');
    assert.equal(await redis.hGet(key, 'state'), 'open');
    await sleep(STALENESS_MS);
    for (const other of [b, c]) {
      const refused = await other.calls(2);
      assert.deepEqual(refused.outcomes, ['CIRCUIT_OPEN', 'CIRCUIT_OPEN'], `process ${other.pid} fails fast`);
    }
    assert.equal(stub.count, 3, 'nothing reached the dependency while open');

    // After halfOpenAfter, fifteen concurrent calls from three processes: exactly one probe.
    await sleep(HALF_OPEN_MS - STALENESS_MS);
    stub.mode = 'hold';
    const batches = Promise.all(apps.map((app) => app.calls(5, true)));
    await stub.waitForCount(4);
    await sleep(300);
    assert.equal(stub.count, 4, 'one probe reached the dependency');
    assert.equal(await redis.hGet(key, 'state'), 'half_open');
    stub.mode = 'ok';
    stub.release(200);
    const results = await batches;
    const all = results.flatMap((result) => result.outcomes);
    assert.equal(count(all, 'ok'), 1, 'the probe succeeded');
    assert.equal(count(all, 'CIRCUIT_OPEN'), 14, 'every other call was refused');
    assert.equal(all.length, 15);
    assert.equal(await redis.hGet(key, 'state'), 'closed', 'the probe closed it');
    await sleep(STALENESS_MS);
    for (const app of apps) assert.deepEqual((await app.calls(2)).outcomes, ['ok', 'ok'], `process ${app.pid} calls again`);

    // The generation rule: a's probe outlives its reservation; b probes after it and fails; a's
    // late success belongs to an earlier generation and must not close the breaker.
    // First let every process's successes reach Redis (they go with the next sync): a success
    // reported late would otherwise reset the count between a's failures.
    await sleep(STALENESS_MS);
    stub.mode = 'fail';
    assert.equal((await a.calls(3)).state, 'open');
    await sleep(HALF_OPEN_MS + STALENESS_MS);
    stub.mode = 'hold';
    const lateProbe = a.calls(1);
    await stub.waitForCount(stub.count + 1);
    const heldCount = stub.count;
    await sleep(RESERVATION_MS + STALENESS_MS);
    stub.mode = 'fail';
    assert.deepEqual((await b.calls(1)).outcomes, ['DEPENDENCY_FAILED'], 'b took over the lapsed reservation and its probe failed');
    assert.equal(stub.count, heldCount + 1);
    stub.release(200);
    assert.deepEqual((await lateProbe).outcomes, ['ok'], 'a\'s own call still succeeds');
    assert.equal(await redis.hGet(key, 'state'), 'open', 'the late success did not close it');
    await sleep(STALENESS_MS);
    assert.deepEqual((await c.calls(1)).outcomes, ['CIRCUIT_OPEN']);
    assert.equal((await a.state()).state, 'open');

    // A probe holder that dies: b's reservation is left behind, and c probes once it lapses.
    await sleep(HALF_OPEN_MS + STALENESS_MS);
    stub.mode = 'hold';
    void b.calls(1).catch(() => undefined);
    await stub.waitForCount(heldCount + 2);
    // Long enough for b's metric reader (every 500 ms) to export the grant it counted, well within the reservation.
    await sleep(1500);
    b.kill();
    await b.run.exited;
    apps = [a, c];
    stub.mode = 'ok';
    stub.release(200);
    assert.deepEqual((await c.calls(1)).outcomes, ['CIRCUIT_OPEN'], 'the dead holder\'s reservation is still live');
    await sleep(RESERVATION_MS + STALENESS_MS);
    assert.deepEqual((await c.calls(1)).outcomes, ['ok'], 'c probed after the reservation lapsed, and closed the breaker');
    assert.equal(await redis.hGet(key, 'state'), 'closed');
    for (const app of apps) assert.equal((await app.state()).unhandled, 0);

    // Each transition counted once across the processes, by the process whose call made it:
    // opened by a twice and by b's failed probe; half-opened by the three grants (phase two, a's
    // late probe, b's last); closed by the two successful probes.
    const exits = await Promise.all(apps.map((app) => app.exit()));
    apps = [];
    for (const exit of exits) assert.doesNotMatch(exit.stderr, /Error|unavailable|dropping/, 'no warning and no error while Redis was up');
    const events = (event: string) => receiver.latestSum('resilience.events', { 'resilience.policy': 'payments', 'resilience.event': event });
    await receiver.waitFor(() => events('circuit_closed') === 2, { description: 'the last close reached the receiver' });
    assert.equal(events('circuit_opened'), 3);
    assert.equal(events('circuit_half_opened'), 3);
    assert.equal(events('store_unavailable'), 0);
  });
});

describe('Redis killed mid-run and restarted', () => {
  const stub = new StubDependency();
  let receiver: OtlpReceiver;
  let ownRedis: OwnRedis;
  let apps: BreakerApp[] = [];

  before(async () => {
    receiver = await startReceiver();
    ownRedis = new OwnRedis(await freePort());
    await ownRedis.start();
    const stubUrl = await stub.start();
    const prefix = `test:outage:${String(process.pid)}:`;
    apps = await Promise.all(
      ['url', 'ioredis'].map((client) => BreakerApp.start({ ...otlpEnv(receiver.url), ...appEnv(ownRedis.url, stubUrl, prefix, client, { BREAKER_OPTIONS: JSON.stringify({ consecutiveFailures: 3, halfOpenAfter: 60_000 }) }) })),
    );
    await Promise.all(apps.map((app) => app.waitForState((state) => state.shared)));
  });
  after(async () => {
    await ownRedis.kill();
    await stub.close();
    await receiver.close();
  });

  test('calls go on under local state, nothing throws, the fallback is counted once per process, and the shared state returns with Redis', async () => {
    const [a, b] = apps as [BreakerApp, BreakerApp];
    await ownRedis.kill();
    stub.mode = 'fail';
    const rejected: string[] = [];
    for (const app of apps) {
      const during = await app.calls(5);
      assert.deepEqual(during.outcomes, ['DEPENDENCY_FAILED', 'DEPENDENCY_FAILED', 'DEPENDENCY_FAILED', 'CIRCUIT_OPEN', 'CIRCUIT_OPEN'], `process ${app.pid} runs its own breaker`);
      assert.equal(during.shared, false);
      rejected.push(...during.outcomes.filter((outcome) => outcome === 'CIRCUIT_OPEN'));
    }
    assert.equal(stub.count, 6, 'each process tripped its own breaker after three failures');

    // Redis comes back empty (no persistence, no scripts): each process resynchronises.
    await ownRedis.start();
    for (const app of apps) {
      const state = await app.waitForState((seen) => seen.shared);
      assert.equal(state.state, 'closed', 'the shared state is the truth again, and Redis came back with none');
    }
    const retrip = await a.calls(3);
    assert.deepEqual(retrip.outcomes, ['DEPENDENCY_FAILED', 'DEPENDENCY_FAILED', 'DEPENDENCY_FAILED']);
    await sleep(STALENESS_MS);
    const refused = await b.calls(2);
    assert.deepEqual(refused.outcomes, ['CIRCUIT_OPEN', 'CIRCUIT_OPEN'], 'b follows the breaker a tripped in the restarted Redis');
    rejected.push(...refused.outcomes);
    assert.equal(stub.count, 9);

    const exits = await Promise.all(apps.map((app) => app.exit()));
    for (const exit of exits) {
      assert.equal(exit.code, 0, exit.stderr);
      assert.equal(exit.stderr.match(/the shared store is unavailable/g)?.length, 1, `warned once: ${exit.stderr}`);
      assert.doesNotMatch(exit.stdout + exit.stderr, /threw:|Unhandled|RangeError/);
    }

    const events = (event: string) => receiver.latestSum('resilience.events', { 'resilience.policy': 'payments', 'resilience.strategy': 'circuit_breaker', 'resilience.event': event });
    await receiver.waitFor(() => events('rejected') === rejected.length, { description: 'the rejections reached the receiver' });
    assert.equal(events('store_unavailable'), 2, 'one fallback per process');
    assert.equal(events('circuit_opened'), 3, 'each local breaker opened once, and the shared one once (counted by the process that tripped it)');
    assert.equal(events('circuit_closed'), 0);
    assert.equal(receiver.latestSum('resilience.events', { 'resilience.event': 'rejected', 'error.type': 'CIRCUIT_OPEN' }), rejected.length);
    const rejectionEvents = receiver.spans.flatMap((span) => span.events).filter((event) => event.name === 'resilience.rejected');
    assert.equal(rejectionEvents.length, rejected.length, 'a span event on the call\'s span for every rejection');
    const openedEvents = receiver.spans.flatMap((span) => span.events).filter((event) => event.name === 'resilience.circuit_opened');
    assert.equal(openedEvents.length, 3, 'each opening is a span event on the call that tripped it');
    // Every failure recorded once: 9 dependency failures and every rejection.
    assert.equal(receiver.latestSum('app.errors', { 'error.type': 'DEPENDENCY_FAILED' }), 9);
    assert.equal(receiver.latestSum('app.errors', { 'error.type': 'CIRCUIT_OPEN' }), rejected.length);
    const gauge = receiver.metrics.filter((point) => point.name === 'resilience.circuit.state' && point.attributes['resilience.circuit.state'] === 'open');
    assert.ok(gauge.some((point) => point.value === 1), 'the state gauge reported the open breaker');
  });
});

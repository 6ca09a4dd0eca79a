import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { withinDeadline } from '../../src/deadline.ts';
import { exportBudgetMs, spoolReserveMs, teardownReserveMs, type ShutdownDeadline } from '../../src/export/shutdown-deadline.ts';

// beginShutdown starts one clock per process; each test that starts one loads a module instance of its own.
let instance = 0;
async function freshClock(): Promise<typeof import('../../src/export/shutdown-deadline.ts')> {
  instance += 1;
  return (await import(`../../src/export/shutdown-deadline.ts?clock=${instance}`)) as typeof import('../../src/export/shutdown-deadline.ts');
}

async function begin(timeoutMs: number, hasSpool: boolean): Promise<{ deadline: ShutdownDeadline; before: number; after: number }> {
  const { beginShutdown } = await freshClock();
  const before = Date.now();
  const deadline = beginShutdown(timeoutMs, hasSpool);
  return { deadline, before, after: Date.now() };
}

describe('the shutdown deadline (FAULTLINE_SHUTDOWN_TIMEOUT_MS) is split so that everything fits inside it', () => {
  test('the teardown reserve is a third of the timeout, at most 150 ms', () => {
    assert.equal(teardownReserveMs(300), 100);
    assert.equal(teardownReserveMs(449), 149);
    assert.equal(teardownReserveMs(450), 150);
    assert.equal(teardownReserveMs(2000), 150);
    assert.equal(teardownReserveMs(0), 0);
  });

  test('the spool reserve is a quarter of the timeout, at most 250 ms', () => {
    assert.equal(spoolReserveMs(400), 100);
    assert.equal(spoolReserveMs(999), 249);
    assert.equal(spoolReserveMs(1000), 250);
    assert.equal(spoolReserveMs(2000), 250);
    assert.equal(spoolReserveMs(0), 0);
  });

  test('without a spool, exports may use the whole timeout less the teardown reserve', async () => {
    const { deadline, before, after } = await begin(2000, false);
    assert.ok(deadline.began >= before && deadline.began <= after, 'the clock starts when the ending begins');
    assert.equal(deadline.end - deadline.began, 1850);
    assert.equal(deadline.spoolAt, deadline.end, 'nothing is kept for a spool that does not exist');
  });

  test('with a spool, exports stop early enough to write what is left before the end', async () => {
    const { deadline } = await begin(2000, true);
    assert.equal(deadline.end - deadline.began, 1850);
    assert.equal(deadline.spoolAt - deadline.began, 1600);
    const short = (await begin(200, true)).deadline;
    assert.equal(short.end - short.began, 134);
    assert.equal(short.spoolAt - short.began, 84);
  });

  test('a zero timeout ends at once, never before the clock started', async () => {
    const { deadline } = await begin(0, true);
    assert.equal(deadline.end, deadline.began);
    assert.equal(deadline.spoolAt, deadline.began);
  });

  test('there is one clock per process: a later ending keeps the first deadline', async () => {
    const { beginShutdown } = await freshClock();
    const first = beginShutdown(2000, false);
    const second = beginShutdown(60_000, true);
    assert.deepEqual(second, first);
  });

  test('the export budget is the time left until the exports must stop, never negative', () => {
    const now = Date.now();
    const future: ShutdownDeadline = { began: now, spoolAt: now + 60_000, end: now + 61_000 };
    const budget = exportBudgetMs(future);
    assert.ok(budget > 59_000 && budget <= 60_000, `budget ${String(budget)} ms for a deadline 60 s away`);
    const past: ShutdownDeadline = { began: now - 5000, spoolAt: now - 1000, end: now - 500 };
    assert.equal(exportBudgetMs(past), 0);
  });
});

describe('withinDeadline: every shutdown wait ends by its deadline, whatever the exporters do', () => {
  test('work that finishes in time is reported done', async () => {
    assert.equal(await withinDeadline(Promise.resolve('flushed'), 10_000), 'done');
    const later = new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(await withinDeadline(later, 10_000), 'done');
  });

  test('work that fails is reported failed, not thrown', async () => {
    assert.equal(await withinDeadline(Promise.reject(new Error('collector refused')), 10_000), 'failed');
  });

  // The timeout option turns a wait that never ends (no race against the deadline) into a failure, not a hung run.
  test('work that never settles is abandoned at the deadline', { timeout: 10_000 }, async () => {
    assert.equal(await withinDeadline(new Promise(() => undefined), 30), 'timeout');
  });

  test('a deadline already passed abandons pending work at once', { timeout: 10_000 }, async () => {
    assert.equal(await withinDeadline(new Promise(() => undefined), -50), 'timeout');
  });

  test('a wait that ended leaves no timer behind to hold a short-lived process open', async () => {
    const timers = (): number => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
    const before = timers();
    assert.equal(await withinDeadline(Promise.resolve(), 3000), 'done');
    assert.equal(timers(), before);
  });
});

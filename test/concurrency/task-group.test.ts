import assert from 'node:assert/strict';
import { once } from 'node:events';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { isCancellation } from '../../src/concurrency/cancellation.ts';
import { taskGroup, type TaskGroup } from '../../src/concurrency/task-group.ts';
import { Cancelled, TaskGroupClosed } from '../../src/errors/catalog.ts';
import { TaskGroupError } from '../../src/errors/task-group-error.ts';
import { defineError } from '../../src/errors/define-error.ts';
import { closedPort } from '../helpers/closed-port.ts';

// Real timers and real sockets: a TCP server that accepts and never answers stands for a slow
// dependency; a refused port for a dead one.

const PaymentDeclined = defineError({ code: 'PAYMENT_DECLINED', category: 'validation', httpStatus: 402 });
const InventoryDown = defineError({ code: 'INVENTORY_DOWN', category: 'dependency', retryable: true });

let silent: net.Server;
let silentUrl: string;
const sockets = new Set<net.Socket>();
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown): void => {
  unhandled.push(reason);
};

before(async () => {
  process.on('unhandledRejection', onUnhandled);
  silent = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
  });
  silent.listen(0, '127.0.0.1');
  await once(silent, 'listening');
  silentUrl = `http://127.0.0.1:${(silent.address() as net.AddressInfo).port}/`;
});

after(async () => {
  // Let any stray rejection surface before judging.
  await sleep(50);
  process.off('unhandledRejection', onUnhandled);
  for (const socket of sockets) socket.destroy();
  silent.close();
  assert.deepEqual(unhandled, [], 'no task promise was ever reported as an unhandled rejection');
});

/** A task that waits on the silent server until its signal aborts, then rejects as fetch does. */
function waitOnSocket(log: string[], label: string) {
  return async (signal: AbortSignal): Promise<string> => {
    try {
      await fetch(silentUrl, { signal });
      return 'answered';
    } catch (error) {
      log.push(`${label} saw abort: ${String(signal.aborted)}`);
      throw error;
    }
  };
}

describe('taskGroup', () => {
  it('three tasks, one fails after 20 ms: both siblings are aborted, the group rejects after they settled, with exactly one failure', async () => {
    const log: string[] = [];
    const failure = new PaymentDeclined('card declined');
    let group: TaskGroup | undefined;
    const started = performance.now();
    const outcome = await taskGroup(
      async (g) => {
        group = g;
        const settled = (label: string) => (promise: Promise<unknown>) =>
          promise.then(
            () => log.push(`${label} fulfilled`),
            () => log.push(`${label} rejected`),
          );
        void settled('socket')(g.spawn(waitOnSocket(log, 'socket')));
        void settled('timer')(
          g.spawn(async (signal) => {
            try {
              await sleep(10_000, undefined, { signal });
            } finally {
              // Cleanup that takes real time after the abort: the group must wait for it.
              await sleep(30);
              log.push('timer cleaned up');
            }
          }),
        );
        void settled('failing')(
          g.spawn(async () => {
            await sleep(20);
            throw failure;
          }),
        );
        return 'body done';
      },
      { name: 'checkout' },
    ).then(
      (value) => ({ value }),
      (error: unknown) => ({ error }),
    );
    log.push('group settled');

    assert.ok('error' in outcome, 'the group rejects');
    const error = outcome.error;
    assert.ok(error instanceof TaskGroupError);
    assert.ok(error instanceof AggregateError);
    assert.equal(error.code, 'TASK_GROUP_FAILED');
    assert.deepEqual(error.errors, [failure], 'exactly the one failure, the same object');
    assert.equal(error.message, 'task group checkout failed with 1 failure');
    assert.equal(error.category, 'validation', 'the category its only failure has');
    assert.ok(group !== undefined);
    assert.equal(group.signal.aborted, true);
    assert.equal(group.signal.reason, failure, 'the signal aborted with the failure as its reason');
    assert.ok(log.includes('socket saw abort: true'), log.join('; '));
    assert.ok(log.indexOf('timer cleaned up') < log.indexOf('group settled'), `the group waited for the sibling's cleanup: ${log.join('; ')}`);
    assert.ok(log.indexOf('socket rejected') < log.indexOf('group settled'), log.join('; '));
    assert.ok(performance.now() - started >= 45, 'it cannot settle before the 20 ms failure plus the 30 ms cleanup');
  });

  it('several failures at once all arrive, in the order they happened; the body\'s own failure counts', async () => {
    const port = await closedPort();
    const first = new InventoryDown('inventory timed out');
    const bodyFailure = new TypeError('body broke');
    let refused: unknown;
    const error = await taskGroup(async (group) => {
      void group.spawn(async () => {
        await sleep(5);
        throw first;
      });
      // Two failures in the same instant, and one from a real refused connection; none is a
      // reaction to the abort, so every one of them is kept.
      const simultaneous = group.spawn(() => Promise.reject(new RangeError('second')));
      void group.spawn(() => {
        throw new SyntaxError('third, thrown synchronously');
      });
      void group.spawn(async () => {
        try {
          await fetch(`http://127.0.0.1:${port}/`);
        } catch (err) {
          refused = err;
          throw err;
        }
      });
      await simultaneous.catch(() => undefined);
      await sleep(40);
      throw bodyFailure;
    }).catch((err: unknown) => err);

    assert.ok(error instanceof TaskGroupError);
    const names = error.errors.map((failure: unknown) => (failure as Error).name);
    assert.deepEqual(names.slice(0, 2), ['RangeError', 'SyntaxError'], 'the two immediate failures come first, in spawn order');
    assert.ok(error.errors.includes(first));
    assert.ok(error.errors.includes(refused), 'the refused connection is a failure of its own');
    assert.equal(error.errors.at(-1), bodyFailure, 'the body failed last');
    assert.equal(error.errors.length, 5);
    assert.equal(error.category, 'internal', 'mixed failures');
  });

  it('a failure the body rethrows after awaiting its task is still one failure', async () => {
    const first = new Error('first');
    const second = new RangeError('second, not a reaction to the abort');
    const error = await taskGroup(async (group) => {
      void group.spawn(() => Promise.reject(first));
      const later = group.spawn(async () => {
        await sleep(10);
        throw second;
      });
      await later; // rethrows `second` from the body
    }).catch((err: unknown) => err);
    assert.ok(error instanceof TaskGroupError);
    assert.deepEqual(error.errors, [first, second]);
  });

  it('resolves to the body\'s value when nothing fails, and the spawned promises give the results', async () => {
    const result = await taskGroup(async (group) => {
      const a = group.spawn(async () => {
        await sleep(5);
        return 1;
      });
      const b = group.spawn(() => 2);
      return (await a) + (await b);
    });
    assert.equal(result, 3);
  });

  it('rejections the group caused are cancellations, not failures', async () => {
    const failure = new Error('the one failure');
    const error = await taskGroup(async (group) => {
      // Rejects with the signal's reason itself (what fetch does), with an AbortError (timers),
      // and with faultline's Cancelled: none of them is a failure.
      void group.spawn(
        (signal) =>
          new Promise((_, reject) => {
            signal.addEventListener('abort', () => reject(signal.reason as Error));
          }),
      );
      void group.spawn((signal) => sleep(10_000, undefined, { signal }));
      void group.spawn(
        (signal) =>
          new Promise((_, reject) => {
            signal.addEventListener('abort', () => reject(new Cancelled()));
          }),
      );
      await sleep(5);
      throw failure;
    }).catch((err: unknown) => err);
    assert.ok(error instanceof TaskGroupError);
    assert.deepEqual(error.errors, [failure]);
  });

  it('a task cancelled on its own is not a failure: the group goes on and its promise rejects with the cancellation', async () => {
    const result = await taskGroup(async (group) => {
      const cancelled = group.spawn(() => sleep(10, undefined, { signal: AbortSignal.abort() }));
      const other = group.spawn(async () => {
        await sleep(20);
        return 'still ran';
      });
      const reason = await cancelled.catch((err: unknown) => err);
      assert.equal((reason as Error).name, 'AbortError');
      assert.equal(group.signal.aborted, false, 'a task\'s own cancellation does not cancel its siblings');
      return other;
    });
    assert.equal(result, 'still ran');
  });

  it('nested groups: the inner group\'s TaskGroupError is one failure of the outer group, and the outer siblings stop', async () => {
    const inner = new InventoryDown('inner failure');
    let siblingAborted = false;
    const error = await taskGroup(
      async (outer) => {
        void outer.spawn(async (signal) => {
          try {
            await sleep(10_000, undefined, { signal });
          } catch (err) {
            siblingAborted = signal.aborted;
            throw err;
          }
        });
        void outer.spawn((signal) =>
          taskGroup(
            async (group) => {
              void group.spawn(async () => {
                await sleep(10);
                throw inner;
              });
              void group.spawn((innerSignal) => sleep(10_000, undefined, { signal: innerSignal }));
            },
            { name: 'inner', signal },
          ),
        );
      },
      { name: 'outer' },
    ).catch((err: unknown) => err);
    assert.ok(error instanceof TaskGroupError);
    assert.equal(error.errors.length, 1);
    const [nested] = error.errors as [TaskGroupError];
    assert.ok(nested instanceof TaskGroupError);
    assert.deepEqual(nested.errors, [inner]);
    assert.equal(nested.details?.group, 'inner');
    assert.equal(error.category, 'dependency', 'the categories agree through the nesting');
    assert.equal(error.retryable, true);
    assert.ok(siblingAborted);
  });

  it('an external abort aborts every task and rejects with that signal\'s reason itself', async () => {
    const controller = new AbortController();
    const reason = new Error('shutting down');
    const aborted: boolean[] = [];
    setTimeout(() => controller.abort(reason), 20);
    const error = await taskGroup(
      async (group) => {
        for (let i = 0; i < 3; i++) {
          void group.spawn(async (signal) => {
            try {
              await fetch(silentUrl, { signal });
            } finally {
              aborted.push(signal.aborted);
            }
          });
        }
        await sleep(10_000, undefined, { signal: group.signal });
      },
      { signal: controller.signal },
    ).catch((err: unknown) => err);
    assert.equal(error, reason, 'the reason itself, unwrapped');
    assert.deepEqual(aborted, [true, true, true]);
    assert.equal(isCancellation(error, controller.signal), true);
  });

  it('a failure before the external abort is not lost: the group rejects with a TaskGroupError', async () => {
    const controller = new AbortController();
    const failure = new Error('failed first');
    const error = await taskGroup(
      async (group) => {
        void group.spawn(() => Promise.reject(failure));
        await sleep(5);
        controller.abort(new Error('then cancelled'));
      },
      { signal: controller.signal },
    ).catch((err: unknown) => err);
    assert.ok(error instanceof TaskGroupError);
    assert.deepEqual(error.errors, [failure]);
  });

  it('an already aborted signal runs nothing', async () => {
    let ran = false;
    const reason = new Error('too late');
    const error = await taskGroup(
      () => {
        ran = true;
      },
      { signal: AbortSignal.abort(reason) },
    ).catch((err: unknown) => err);
    assert.equal(error, reason);
    assert.equal(ran, false);
  });

  it('limit bounds how many tasks run at once, and no queued task starts after a failure', async () => {
    let running = 0;
    let peak = 0;
    let startedCount = 0;
    const results = await taskGroup(
      (group) =>
        Promise.all(
          Array.from({ length: 12 }, (_, index) =>
            group.spawn(async () => {
              running += 1;
              startedCount += 1;
              peak = Math.max(peak, running);
              await sleep(5);
              running -= 1;
              return index;
            }),
          ),
        ),
      { limit: 3 },
    );
    assert.deepEqual(results, Array.from({ length: 12 }, (_, index) => index));
    assert.equal(peak, 3);
    assert.equal(startedCount, 12);

    const startedAfter: number[] = [];
    const failure = new Error('second task fails');
    const queuedOutcomes: unknown[] = [];
    const error = await taskGroup(
      async (group) => {
        const promises = Array.from({ length: 6 }, (_, index) =>
          group.spawn(async (signal) => {
            startedAfter.push(index);
            if (index === 1) throw failure;
            await sleep(20, undefined, { signal });
          }),
        );
        const settled = await Promise.allSettled(promises);
        queuedOutcomes.push(...settled.slice(2).map((result) => (result.status === 'rejected' ? result.reason : 'fulfilled')));
      },
      { limit: 2 },
    ).catch((err: unknown) => err);
    assert.ok(error instanceof TaskGroupError);
    assert.deepEqual(error.errors, [failure]);
    assert.deepEqual(startedAfter, [0, 1], 'the queued tasks never started');
    assert.deepEqual(queuedOutcomes, [failure, failure, failure, failure], 'their promises reject with the signal\'s reason');
  });

  it('spawn after the group settled throws TaskGroupClosed; after a failure it starts nothing', async () => {
    let saved: TaskGroup | undefined;
    await taskGroup((group) => {
      saved = group;
    });
    assert.ok(saved !== undefined);
    const closedGroup = saved;
    assert.throws(() => closedGroup.spawn(() => 1), (err: unknown) => err instanceof TaskGroupClosed && err.code === 'TASK_GROUP_CLOSED');

    let lateRan = false;
    const failure = new Error('early');
    await taskGroup(async (group) => {
      await group.spawn(() => Promise.reject(failure)).catch(() => undefined);
      const late = group.spawn(() => {
        lateRan = true;
      });
      assert.equal(await late.catch((err: unknown) => err), failure);
    }).catch(() => undefined);
    assert.equal(lateRan, false);
  });

  it('a task that is not a function is a failure of the group, not a crash', async () => {
    const error = await taskGroup((group) => {
      void group.spawn(42 as unknown as () => number);
    }).catch((err: unknown) => err);
    assert.ok(error instanceof TaskGroupError);
    assert.ok(error.errors[0] instanceof TypeError);
  });

  it('a bad limit or name is reported and ignored', async () => {
    const result = await taskGroup((group) => group.spawn(() => 'ok'), { limit: 0, name: '' });
    assert.equal(result, 'ok');
  });

  it('10,000 tasks: what a queued task costs is small and nothing of them is kept after the group settles', async () => {
    const { setFlagsFromString } = await import('node:v8');
    const { runInNewContext } = await import('node:vm');
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const TASKS = 10_000;
    const heapAfterGc = (): number => {
      gc();
      gc();
      return process.memoryUsage().heapUsed;
    };
    const run = async (): Promise<{ queued: number; total: number; kept: WeakRef<object>[] }> => {
      let total = 0;
      let queued = 0;
      const kept: WeakRef<object>[] = [];
      const before = heapAfterGc();
      await taskGroup(
        (group) => {
          kept.push(new WeakRef(group), new WeakRef(group.signal));
          const promises: Promise<void>[] = [];
          for (let i = 0; i < TASKS; i++) {
            const task = async (): Promise<void> => {
              await sleep(1);
              total += 1;
            };
            promises.push(group.spawn(task));
            kept.push(new WeakRef(task));
          }
          // Every task is spawned, 100 of them started: the rest wait in the queue.
          queued = heapAfterGc() - before - promises.length * 8;
          for (const promise of promises) kept.push(new WeakRef(promise));
        },
        { limit: 100 },
      );
      return { queued, total, kept };
    };
    await run(); // warm-up: compiled code is not growth
    const { queued, total, kept } = await run();
    await sleep(10);
    heapAfterGc();
    assert.equal(total, TASKS);
    const alive = kept.filter((ref) => ref.deref() !== undefined).length;
    // Measured, not timed.
    console.log(`# 10,000 tasks (limit 100): ${(queued / TASKS).toFixed(0)} B per spawned task while queued (task closure and promise included)`);
    assert.ok(queued / TASKS < 1024, `a queued task holds ${(queued / TASKS).toFixed(0)} bytes`);
    assert.equal(alive, 0, `${alive} of the group, its signal, the tasks and their promises outlived the group`);
  });
});

describe('isCancellation', () => {
  it('agrees with classify\'s cancelled category, and knows a signal\'s own reason', () => {
    assert.equal(isCancellation(AbortSignal.abort().reason), true, 'DOMException AbortError');
    assert.equal(isCancellation(new Cancelled()), true);
    assert.equal(isCancellation(Object.assign(new Error('aborted'), { code: 'ABORT_ERR' })), true);
    assert.equal(isCancellation(AbortSignal.timeout(0).reason), false, 'a TimeoutError is a timeout, a failure');
    assert.equal(isCancellation(new Error('boom')), false);
    assert.equal(isCancellation('a string'), false);
    assert.equal(isCancellation(undefined), false);
    const reason = new Error('shutting down');
    const controller = new AbortController();
    assert.equal(isCancellation(reason, controller.signal), false, 'not aborted yet');
    controller.abort(reason);
    assert.equal(isCancellation(reason, controller.signal), true);
    const hostile = new Proxy(
      {},
      {
        get() {
          throw new Error('trap');
        },
      },
    );
    assert.equal(isCancellation(hostile), false);
  });
});

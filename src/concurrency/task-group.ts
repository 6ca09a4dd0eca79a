// Structured concurrency: taskGroup (Python's asyncio.TaskGroup), splitErrors (`except*`) and
// isCancellation ("always re-raise CancelledError"). A group owns its tasks: they share one
// AbortSignal, nothing they start outlives the group, and every failure reaches the caller.
// This folder records only through errors/ (recordError, once per failure) and must never swallow
// a failure or a cancellation, nor leave a promise whose rejection nobody handles.
import { TaskGroupClosed } from '../errors/catalog.ts';
import { TaskGroupError } from '../errors/task-group-error.ts';
import { cut } from '../errors/safe-read.ts';
import { warnOnce } from '../warn.ts';
import { isCancellation } from './cancellation.ts';
import { GroupSpans } from './group-spans.ts';

export interface TaskGroupOptions {
  /** Names the group: its span (`taskGroup <name>`), its task spans and its TaskGroupError. Keep it bounded, like a route. */
  name?: string;
  /** Cancels the whole group from outside: every task is aborted and the group rejects with this signal's reason. */
  signal?: AbortSignal;
  /** At most this many tasks run at once; the others wait in spawn order. Default: no limit. */
  limit?: number;
}

export interface SpawnOptions {
  /** Names the task's span (`task <name>`); default: the group's name. */
  name?: string;
}

/** What the body of `taskGroup` receives. */
export interface TaskGroup {
  readonly name: string | undefined;
  /**
   * Aborts when the first task (or the body) fails, with that failure as its reason, or when the
   * group's `options.signal` aborts, with that signal's reason. Pass it to everything a task awaits.
   */
  readonly signal: AbortSignal;
  /**
   * Starts `task(signal)` (or queues it, under `limit`) and returns a promise of its result. The
   * promise never counts as an unhandled rejection: the group sees every failure. After the first
   * failure no task starts: the promise rejects with `signal.reason`. Throws TaskGroupClosed once
   * the group has settled.
   */
  spawn<Result>(task: (signal: AbortSignal) => Result | PromiseLike<Result>, options?: SpawnOptions): Promise<Result>;
}

interface Pending {
  task: (signal: AbortSignal) => unknown;
  name: string | undefined;
  resolve: (value: unknown) => void;
  reject: (reason: unknown) => void;
  promise: Promise<unknown>;
}

const MAX_NAME_LENGTH = 128;

function validName(name: unknown, what: string): string | undefined {
  if (name === undefined) return undefined;
  if (typeof name === 'string' && name !== '') return cut(name, MAX_NAME_LENGTH);
  warnOnce(`task-group-name:${what}`, `${what}: name must be a non-empty string; the ${what === 'taskGroup' ? 'group' : 'task'} stays unnamed`);
  return undefined;
}

function validLimit(limit: unknown): number | undefined {
  if (limit === undefined || limit === Infinity) return undefined;
  if (typeof limit === 'number' && Number.isInteger(limit) && limit >= 1) return limit;
  warnOnce('task-group-limit', `taskGroup: limit must be a whole number of at least 1 (got ${typeof limit === 'number' ? String(limit) : typeof limit}); running without a limit`);
  return undefined;
}

function noop(): void {
  // marks a promise handled: the group reports its failures
}

class Group implements TaskGroup {
  readonly name: string | undefined;
  readonly signal: AbortSignal;
  readonly #controller: AbortController;
  readonly #limit: number;
  readonly #spans: GroupSpans;
  /** Tasks waiting for a slot under `limit`, from `#head` on (a moving head keeps shifting O(1)). */
  #queue: (Pending | undefined)[] = [];
  #head = 0;
  #running = 0;
  #started = 0;
  #cancelled = 0;
  readonly #failures: unknown[] = [];
  /** The same failures, to tell a failure seen again (the body rethrowing a task's) from a new one. */
  readonly #failed = new Set<unknown>();
  #bodyDone = false;
  #closed = false;
  #drained: (() => void) | undefined;

  constructor(name: string | undefined, limit: number | undefined) {
    this.name = name;
    this.#controller = new AbortController();
    this.signal = this.#controller.signal;
    this.#limit = limit ?? Infinity;
    this.#spans = new GroupSpans(name, limit);
  }

  spawn<Result>(task: (signal: AbortSignal) => Result | PromiseLike<Result>, options?: SpawnOptions): Promise<Result> {
    if (this.#closed) {
      throw new TaskGroupClosed(`task group ${this.name ?? '(unnamed)'} has settled; spawn its tasks from its body or its tasks`);
    }
    let resolve!: (value: unknown) => void;
    let reject!: (reason: unknown) => void;
    const promise = new Promise<unknown>((onResolve, onReject) => {
      resolve = onResolve;
      reject = onReject;
    });
    const pending: Pending = { task, name: validName(options?.name, 'spawn'), resolve, reject, promise };
    if (this.signal.aborted) this.#neverStarted(pending);
    else if (this.#running < this.#limit) this.#start(pending);
    else this.#queue.push(pending);
    return promise as Promise<Result>;
  }

  async run<Result>(body: (group: TaskGroup) => Result | PromiseLike<Result>, external: AbortSignal | undefined): Promise<Result> {
    const onExternalAbort = (): void => {
      this.#abort(external?.reason);
    };
    external?.addEventListener('abort', onExternalAbort, { once: true });
    let value: Result | undefined;
    let bodyError: { error: unknown } | undefined;
    try {
      value = await this.#spans.runBody(body, this);
    } catch (error) {
      bodyError = { error };
      this.#bodyFailed(error);
    }
    this.#bodyDone = true;
    await this.#allSettled();
    external?.removeEventListener('abort', onExternalAbort);

    const counts = { started: this.#started, failed: this.#failures.length, cancelled: this.#cancelled };
    if (this.#failures.length > 0) {
      const failure = new TaskGroupError(this.#failures, this.#failureMessage(), this.name === undefined ? undefined : { details: { group: this.name } });
      this.#spans.end(counts, { failure });
      throw failure;
    }
    if (external?.aborted === true) {
      this.#spans.end(counts, { cancelled: true });
      throw external.reason;
    }
    this.#spans.end(counts, {});
    if (bodyError !== undefined) throw bodyError.error;
    return value as Result;
  }

  #failureMessage(): string {
    const count = this.#failures.length;
    const what = count === 1 ? '1 failure' : `${count} failures`;
    return this.name === undefined ? `task group failed with ${what}` : `task group ${this.name} failed with ${what}`;
  }

  #start(pending: Pending): void {
    this.#running += 1;
    this.#started += 1;
    const span = this.#spans.startTask(pending.name);
    let result: Promise<unknown>;
    try {
      result = Promise.resolve(this.#spans.runTask(span, pending.task, this.signal));
    } catch (error) {
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- the task threw this; its promise rejects with exactly that
      result = Promise.reject(error);
    }
    // Settling always waits a microtask, so a queue of synchronous tasks never recurses.
    result.then(
      (value: unknown) => {
        this.#spans.taskSucceeded(span);
        pending.resolve(value);
        this.#taskDone();
      },
      (error: unknown) => {
        if (this.#isCancellation(error)) {
          this.#cancelled += 1;
          this.#spans.taskCancelled(span);
        } else {
          this.#spans.taskFailed(span, error);
          this.#fail(error);
        }
        pending.promise.then(undefined, noop);
        pending.reject(error);
        this.#taskDone();
      },
    );
  }

  /** A rejection the group caused (its signal's reason) or any cancellation: not a failure. */
  #isCancellation(error: unknown): boolean {
    return isCancellation(error, this.signal);
  }

  #bodyFailed(error: unknown): void {
    if (this.#isCancellation(error)) {
      // The body gave up (its awaited task was cancelled, say): its tasks stop with it.
      this.#abort(error);
      return;
    }
    this.#fail(error);
  }

  #fail(error: unknown): void {
    if (this.#failed.has(error)) return;
    this.#failed.add(error);
    this.#failures.push(error);
    this.#abort(error);
  }

  #abort(reason: unknown): void {
    if (this.signal.aborted) return;
    this.#controller.abort(reason);
    // No task starts after the group aborted: the queued ones end as cancelled, never run.
    const queued = this.#queue;
    const from = this.#head;
    this.#queue = [];
    this.#head = 0;
    for (let index = from; index < queued.length; index += 1) {
      const pending = queued[index];
      if (pending !== undefined) this.#neverStarted(pending);
    }
  }

  #neverStarted(pending: Pending): void {
    this.#cancelled += 1;
    pending.promise.then(undefined, noop);
    pending.reject(this.signal.reason);
  }

  #taskDone(): void {
    this.#running -= 1;
    while (this.#running < this.#limit && this.#head < this.#queue.length && !this.signal.aborted) {
      const next = this.#queue[this.#head];
      this.#queue[this.#head] = undefined;
      this.#head += 1;
      if (next !== undefined) this.#start(next);
    }
    if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
    this.#closeIfSettled();
  }

  #closeIfSettled(): void {
    if (!this.#bodyDone || this.#running > 0 || this.#head < this.#queue.length) return;
    this.#closed = true;
    this.#drained?.();
  }

  #allSettled(): Promise<void> {
    return new Promise((resolve) => {
      this.#drained = resolve;
      this.#closeIfSettled();
    });
  }
}

/**
 * Runs `body(group)`; the body starts tasks with `group.spawn(task)`. The group settles only when
 * the body and every task have settled:
 *
 * - no failure: it resolves to the body's return value;
 * - a task or the body fails (with anything that is not a cancellation): `group.signal` aborts with
 *   that first failure as its reason, no further task starts, and once all have settled the group
 *   rejects with a TaskGroupError holding every failure in the order they happened;
 * - `options.signal` aborts: every task is aborted, and the group rejects with that signal's reason
 *   itself (failures seen before still make it a TaskGroupError: none is lost).
 *
 * Rejections the group caused (a task rejecting with `group.signal.reason`, an AbortError) are
 * cancellations, not failures. Each group and task gets a span; each failure is recorded once on
 * the span of the task that saw it and counted once in `app.errors`.
 *
 *     const [user, orders] = await taskGroup(async (group) => {
 *       const user = group.spawn((signal) => fetchUser(id, { signal }));
 *       const orders = group.spawn((signal) => fetchOrders(id, { signal }));
 *       return [await user, await orders];
 *     }, { name: 'profile' });
 */
export async function taskGroup<Result>(body: (group: TaskGroup) => Result | PromiseLike<Result>, options: TaskGroupOptions = {}): Promise<Result> {
  const external = options.signal;
  if (external?.aborted === true) throw external.reason;
  const group = new Group(validName(options.name, 'taskGroup'), validLimit(options.limit));
  return group.run(body, external);
}

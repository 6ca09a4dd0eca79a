// Resources: acquire, use, release as an AsyncDisposable (`await using`), timed and recorded: how
// long acquiring waited and how long the resource was held (histograms), a span from acquire to
// release, a failed release recorded, and a resource garbage-collected unreleased reported once.
// This folder records only through errors/ (recordError) and must never release a resource the
// app did not release (a leaked handle's value may still be in use), nor use `using` syntax or
// assume DisposableStack/SuppressedError exist: the package runs on Node 22 too.
import { context, trace, type Attributes, type Span } from '@opentelemetry/api';
import { recordError } from '../errors/record-error.ts';
import { cut } from '../errors/safe-read.ts';
import { ATTR_RESOURCE_NAME } from '../semconv.ts';
import { warnOnce } from '../warn.ts';
import { callerOf, forgetLeak, watchForLeak, type LeakRecord } from './leaks.ts';
import { recordUse, recordWait, type ResourceMetricSet } from './resource-metrics.ts';

const SCOPE = 'faultline';
const MAX_NAME_LENGTH = 128;

export interface ResourceOptions<Value> {
  /** Names the resource on its span and metrics (`app.resource.name`): bounded, like a route. */
  name: string;
  /** Acquires the resource; how long it takes is the wait time. */
  acquire: () => Value | PromiseLike<Value>;
  /** Releases it; called once, by `release()` or at the end of the `await using` block. */
  release: (value: Value) => unknown;
  /** Extra span attributes. */
  attributes?: Attributes;
}

/** A held resource: `await using held = await acquireResource(…)` releases it when the block ends. */
export interface Resource<Value> extends AsyncDisposable {
  readonly name: string;
  /** The acquired value. */
  readonly value: Value;
  /** True once release has begun. */
  readonly released: boolean;
  /**
   * Releases the resource (once: later calls return the same promise). A failing release is
   * recorded on the resource's span and rethrown; inside `await using` after a failed block,
   * Node reports it as a SuppressedError whose `suppressed` is the block's error.
   */
  release(): Promise<void>;
}

/** How one kind of resource is acquired, named and released. */
export interface HoldSpec<Value> {
  name: string;
  metrics: ResourceMetricSet;
  attributes: Attributes;
  acquire: () => Value | PromiseLike<Value>;
  /** Called once the value is in hand; may rename the resource (a pool name read from the client). */
  acquired?: (value: Value, span: Span) => string | undefined;
  release: (value: Value, span: Span) => unknown;
  /** The public function the app called, so that the leak report names the app's frame. */
  entry: (...args: never[]) => unknown;
}

/** The state of one held resource, shared by its handle and nothing that could keep the handle alive. */
export class Hold<Value> {
  readonly value: Value;
  readonly name: string;
  readonly #spec: HoldSpec<Value>;
  readonly #span: Span;
  readonly #acquiredAt: number;
  readonly #leak: LeakRecord;
  #releasing: Promise<void> | undefined;

  constructor(spec: HoldSpec<Value>, value: Value, name: string, span: Span, acquiredAt: number, leak: LeakRecord) {
    this.#spec = spec;
    this.value = value;
    this.name = name;
    this.#span = span;
    this.#acquiredAt = acquiredAt;
    this.#leak = leak;
  }

  get released(): boolean {
    return this.#releasing !== undefined;
  }

  release(): Promise<void> {
    this.#releasing ??= this.#release();
    return this.#releasing;
  }

  async #release(): Promise<void> {
    forgetLeak(this.#leak);
    recordUse(this.#spec.metrics, this.name, (performance.now() - this.#acquiredAt) / 1000);
    try {
      await this.#spec.release(this.value, this.#span);
    } catch (error) {
      recordError(error, { span: this.#span });
      throw error;
    } finally {
      endQuietly(this.#span);
    }
  }
}

function endQuietly(span: Span): void {
  try {
    span.end();
  } catch { // eslint-disable-line faultline/no-blind-catch -- a span that cannot end must not fail the release
  }
}

/**
 * Acquires through `spec` inside a span, records the wait, and returns the Hold that releases it,
 * watched for leaks until released. `makeHandle` builds the object the app holds: the object whose
 * collection counts as a leak.
 */
export async function hold<Value, Handle extends object>(spec: HoldSpec<Value>, makeHandle: (held: Hold<Value>) => Handle): Promise<Handle> {
  const acquiredAtFrame = callerOf(spec.entry);
  const attributes: Attributes = { ...spec.attributes, [ATTR_RESOURCE_NAME]: spec.name };
  const span = trace.getTracer(SCOPE).startSpan(`resource ${spec.name}`, { attributes }, context.active());
  const started = performance.now();
  let value: Value;
  try {
    value = await spec.acquire();
  } catch (error) {
    recordError(error, { span });
    endQuietly(span);
    throw error;
  }
  const acquiredAt = performance.now();
  let name = spec.name;
  try {
    const renamed = spec.acquired?.(value, span);
    if (renamed !== undefined && renamed !== name) {
      name = renamed;
      span.updateName(`resource ${name}`);
      span.setAttribute(ATTR_RESOURCE_NAME, name);
    }
    span.addEvent('acquired');
  } catch { // eslint-disable-line faultline/no-blind-catch -- naming is a courtesy; the resource is held all the same
  }
  recordWait(spec.metrics, name, (acquiredAt - started) / 1000);
  const leak: LeakRecord = { name, acquiredAt: acquiredAtFrame, span };
  const handle = makeHandle(new Hold(spec, value, name, span, acquiredAt, leak));
  watchForLeak(handle, leak);
  return handle;
}

/** The object the app holds; its collection before release is a leak. */
export class ResourceHandle<Value> implements Resource<Value> {
  readonly #held: Hold<Value>;

  constructor(held: Hold<Value>) {
    this.#held = held;
  }

  get name(): string {
    return this.#held.name;
  }

  get value(): Value {
    return this.#held.value;
  }

  get released(): boolean {
    return this.#held.released;
  }

  release(): Promise<void> {
    return this.#held.release();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.#held.release();
  }
}

/** A name that is safe as a metric attribute, or `fallback` with one warning. */
export function resourceName(name: unknown, fallback: string, what: string): string {
  if (typeof name === 'string' && name !== '') return cut(name, MAX_NAME_LENGTH);
  warnOnce(`resource-name:${what}`, `${what}: name must be a non-empty string; using ${JSON.stringify(fallback)}`);
  return fallback;
}

/**
 * Acquires a resource for `await using`: the context manager of Python, timed and recorded.
 *
 *     await using file = await acquireResource({
 *       name: 'export-file',
 *       acquire: () => open(path, 'w'),
 *       release: (handle) => handle.close(),
 *     });
 *     await file.value.write(report);
 *
 * Records `app.resource.wait_time` (acquire) and `app.resource.use_time` (acquire to release), in
 * seconds, by `app.resource.name`; a span `resource <name>` from acquire to release; a failed
 * acquire or release on that span (counted once in `app.errors`). A handle garbage-collected
 * without being released is reported once on stderr, naming the resource and the line that
 * acquired it, and counted in `app.resource.leaks`. On Node 22 (no `using`), call `release()` in
 * a `finally`.
 */
export function acquireResource<Value>(options: ResourceOptions<Value>): Promise<Resource<Value>> {
  const acquire = options.acquire;
  const release = options.release;
  if (typeof acquire !== 'function' || typeof release !== 'function') {
    return Promise.reject(new TypeError('acquireResource: options.acquire and options.release must be functions')); // eslint-disable-line faultline/only-coded-errors -- API misuse is a TypeError, as Node's own APIs throw
  }
  // Not async: one promise less per acquire, and hold() is called while this frame is on the stack.
  return hold<Value, Resource<Value>>(
    {
      name: resourceName(options.name, 'resource', 'acquireResource'),
      metrics: 'resource',
      attributes: options.attributes ?? {},
      acquire,
      release: (value) => release(value),
      entry: acquireResource,
    },
    (held) => new ResourceHandle(held),
  );
}

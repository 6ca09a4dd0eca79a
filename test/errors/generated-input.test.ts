import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import vm from 'node:vm';
import { context, trace, type Attributes } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { AppError } from '../../src/errors/app-error.ts';
import { ERROR_CATEGORIES } from '../../src/errors/category.ts';
import { classify, type ErrorInfo } from '../../src/errors/classify.ts';
import { createErrorCounter } from '../../src/errors/error-counter.ts';
import { REDACT_VALUE_LIMITS } from '../../src/errors/limits.ts';
import { addNote, notesOf } from '../../src/errors/notes.ts';
import { recordError } from '../../src/errors/record-error.ts';
import { redactText, redactValue } from '../../src/errors/redact.ts';
import { serializeError } from '../../src/errors/serialize.ts';
import { getRuntime } from '../../src/runtime.ts';

// Random junk, reproducible: FAULTLINE_FUZZ_SEED picks another seed, FAULTLINE_FUZZ_RUNS more runs.
const SEED = Number(process.env.FAULTLINE_FUZZ_SEED ?? 20250901);
const RUNS = Number(process.env.FAULTLINE_FUZZ_RUNS ?? 1500);

function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PIECES = ['a', 'Z', '0', '9', ' ', '\n', '@', ':', '=', '/', '-', '_', '.', '"', "'", '{', '}', '[', ']', '%', '😀', '\ud800', '\u0000', 'é', '\t',
  'password=', 'Bearer ', 'eyJ', '4111 1111 1111 1111', 'alice@example.com', 'https://u:p@h/', '    at f (/app/a.js:1:1)', 'ECONNREFUSED', '-----BEGIN PRIVATE KEY-----'];

class Junk {
  readonly next: () => number;
  constructor(seed: number) {
    this.next = random(seed);
  }
  int(max: number): number {
    return Math.floor(this.next() * max);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)] as T;
  }

  text(): string {
    const length = this.chance(0.02) ? 100_000 + this.int(900_000) : this.int(60);
    if (length > 1000) return this.pick(PIECES).repeat(Math.ceil(length / 8)).slice(0, length);
    let out = '';
    while (out.length < length) out += this.pick(PIECES);
    return out;
  }

  primitive(): unknown {
    switch (this.int(10)) {
      case 0:
        return this.int(1e9) - 5e8;
      case 1:
        return this.pick([Number.NaN, Infinity, -Infinity, -0, 1e308, 5e-324]);
      case 2:
        return BigInt(this.int(1e9)) ** BigInt(1 + this.int(8));
      case 3:
        return this.chance(0.5);
      case 4:
        return null;
      case 5:
        return undefined;
      case 6:
        return Symbol(this.text().slice(0, 20));
      default:
        return this.text();
    }
  }

  error(depth: number): unknown {
    const make = this.pick<(message: string) => unknown>([
      (message) => new Error(message),
      (message) => new TypeError(message),
      (message) => new AggregateError(this.list(depth - 1), message),
      (message) => new DOMException(message, this.pick(['AbortError', 'TimeoutError', 'DataCloneError', this.text().slice(0, 10)])),
      (message) => new AppError(message, { code: this.pick(['X_ONE', 'X_TWO', this.text().slice(0, 80)]), category: this.pick([...ERROR_CATEGORIES]) }),
      (message) => vm.runInNewContext('new Error(m)', { m: message }),
    ]);
    const err = make(this.text()) as Record<string, unknown>;
    const props: Record<string, () => unknown> = {
      code: () => this.pick([this.text(), this.int(100), this.value(depth - 1), 'ECONNRESET', 'UND_ERR_SOCKET']),
      name: () => this.pick([this.text(), this.value(depth - 1)]),
      message: () => this.value(depth - 1),
      stack: () => this.pick([this.text(), this.int(5), `Error: x\n${'    at f (/app/src/a.ts:1:1)\n'.repeat(this.int(5000))}`]),
      cause: () => this.value(depth - 1),
      errors: () => this.list(depth - 1),
      status: () => this.pick([404, 503, 200, -1, this.text()]),
    };
    for (const [key, make] of Object.entries(props)) {
      if (!this.chance(0.3)) continue;
      try {
        if (this.chance(0.2)) {
          Object.defineProperty(err, key, {
            get() {
              throw new Error(`getter ${key}`);
            },
            configurable: true,
          });
        } else {
          Object.defineProperty(err, key, { value: make(), configurable: true, writable: true });
        }
      } catch {
        // some DOMException/realm properties refuse redefinition: fine, the value stays junk enough
      }
    }
    return err;
  }

  list(depth: number): unknown[] {
    // Long lists hold primitives only, so one value stays small enough to generate.
    if (this.chance(0.05)) return Array.from({ length: 200 + this.int(2000) }, () => this.primitive());
    return Array.from({ length: this.int(6) }, () => (depth > 0 ? this.value(depth - 1) : this.primitive()));
  }

  object(depth: number): unknown {
    const out: Record<string, unknown> = this.chance(0.1) ? (Object.create(null) as Record<string, unknown>) : {};
    const wide = this.chance(0.03);
    const keys = wide ? 5000 : this.int(8);
    for (let index = 0; index < keys; index++) {
      out[this.chance(0.5) ? this.text().slice(0, 30) : `k${String(index)}`] = depth > 0 && !wide ? this.value(depth - 1) : this.primitive();
    }
    if (this.chance(0.3)) out.self = out;
    if (this.chance(0.2)) {
      Object.defineProperty(out, 'trap', {
        enumerable: true,
        get() {
          throw new Error('enumerable getter');
        },
      });
    }
    if (this.chance(0.1)) Object.freeze(out);
    return out;
  }

  proxy(depth: number): unknown {
    if (this.chance(0.3)) {
      const { proxy, revoke } = Proxy.revocable(this.chance(0.5) ? new Error('inner') : {}, {});
      revoke();
      return proxy;
    }
    const fail = () => {
      throw new Error('trap');
    };
    const traps: ProxyHandler<object> = {};
    for (const trap of ['get', 'has', 'ownKeys', 'getOwnPropertyDescriptor', 'getPrototypeOf', 'defineProperty', 'isExtensible', 'set'] as const) {
      if (this.chance(0.5)) (traps as Record<string, unknown>)[trap] = fail;
    }
    const inner = depth > 0 ? this.value(depth - 1) : {};
    const target = (typeof inner === 'object' && inner !== null) || typeof inner === 'function' ? inner : {};
    return new Proxy(target, traps);
  }

  value(depth: number): unknown {
    if (depth <= 0) return this.primitive();
    switch (this.int(9)) {
      case 0:
      case 1:
        return this.primitive();
      case 2:
      case 3:
        return this.error(depth);
      case 4:
        return this.object(depth);
      case 5:
        return this.list(depth);
      case 6: {
        const inner = this.value(depth - 1);
        return typeof inner === 'object' && inner !== null ? this.proxy(depth) : inner;
      }
      case 7:
        return this.pick([new Map([[this.text(), this.value(depth - 1)]]), new Set([this.value(depth - 1)]), new Date(Number.NaN), /re(g)ex/gi, new Uint8Array(this.int(100_000))]);
      default:
        return () => this.text();
    }
  }
}

function countNodes(value: unknown, seen = 0): number {
  if (value === null || typeof value !== 'object') return seen + 1;
  let total = seen + 1;
  for (const child of Object.values(value)) total = countNodes(child, total);
  return total;
}

function assertInfo(info: ErrorInfo, label: string): void {
  assert.match(info.type, /^[A-Za-z0-9_.:-]{1,64}$/, label);
  assert.ok((ERROR_CATEGORIES as readonly string[]).includes(info.category), label);
  assert.equal(typeof info.retryable, 'boolean', label);
  assert.match(info.fingerprint, /^[0-9a-f]{16}$/, label);
  assert.ok(typeof info.message === 'string' && info.message.length <= 1024, label);
  assert.ok(info.code === undefined || (typeof info.code === 'string' && info.code.length <= 128), label);
}

describe(`generated input (seed ${String(SEED)}, ${String(RUNS)} runs)`, () => {
  const runtime = getRuntime();
  const exporter = new InMemorySpanExporter();
  const tracerProvider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  const meterProvider = new MeterProvider();

  before(() => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    trace.setGlobalTracerProvider(tracerProvider);
    runtime.errorCounter = createErrorCounter(meterProvider.getMeter('fuzz'));
  });

  after(async () => {
    runtime.errorCounter = undefined;
    await tracerProvider.shutdown();
    await meterProvider.shutdown();
  });

  it('classify, recordError, serializeError, addNote and redaction never throw and stay bounded', async () => {
    const junk = new Junk(SEED);
    const tracer = tracerProvider.getTracer('fuzz');
    let checkedSpans = 0;
    let checkedEvents = 0;
    /** Checks the exported spans' bounds, then lets them go (the exporter would otherwise hold every run's span). */
    const checkExported = async (): Promise<void> => {
      await tracerProvider.forceFlush();
      for (const span of exporter.getFinishedSpans()) {
        assert.ok(span.events.length <= runtime.config.maxExceptionEvents, `${String(span.events.length)} exception events`);
        for (const event of span.events) {
          const stack = event.attributes?.['exception.stacktrace'];
          if (typeof stack === 'string') assert.ok(stack.split('\n').filter((line) => /^\s+at /.test(line)).length <= runtime.config.maxStackFrames);
        }
        checkedSpans += 1;
        checkedEvents += span.events.length;
      }
      exporter.reset();
    };
    for (let run = 0; run < RUNS; run++) {
      const label = `seed ${String(SEED)} run ${String(run)}`;
      const value = junk.value(1 + junk.int(4));
      assertInfo(classify(value), `classify, ${label}`);

      const attributes = (junk.chance(0.2) ? junk.proxy(1) : { 'app.attempt': junk.int(3), 'app.note': junk.text() }) as Attributes;
      tracer.startActiveSpan('fuzz', (span) => {
        assertInfo(recordError(value, { attributes, handled: junk.chance(0.5), setStatus: junk.chance(0.8) }), `recordError, ${label}`);
        span.end();
      });

      const serialized = serializeError(value);
      const json = JSON.stringify(serialized);
      assert.ok(json.length < 3_000_000, `serializeError size ${String(json.length)}, ${label}`);

      const stored = addNote(value, junk.text());
      assert.equal(typeof stored, 'boolean', label);
      assert.ok(notesOf(value).length <= 16, label);

      const redacted = redactValue(value);
      assert.ok(countNodes(redacted) <= REDACT_VALUE_LIMITS.maxNodes + 200, `redactValue nodes, ${label}`);
      assert.doesNotThrow(() => JSON.stringify(redacted), label);
      assert.equal(typeof redactText(junk.text()), 'string', label);
      if (run % 100 === 99) await checkExported();
    }
    await checkExported();
    // Every run's span was looked at, and the spans carried the errors recorded on them.
    assert.equal(checkedSpans, RUNS);
    assert.ok(checkedEvents >= RUNS, `${String(checkedEvents)} exception events in ${String(RUNS)} spans`);
  });
});

import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { SpanStatusCode, type Attributes, type Span } from '@opentelemetry/api';
import { DataPointType, MeterProvider, type SumMetricData } from '@opentelemetry/sdk-metrics';
import { AlwaysOffSampler, TracerProvider, type ReadableSpan, type TimedEvent } from '@opentelemetry/sdk-trace';
import { DatabaseUnavailable } from '../../src/errors/catalog.ts';
import { createErrorCounter, ERROR_COUNTER_NAME, errorCounterView } from '../../src/errors/error-counter.ts';
import { defineError } from '../../src/errors/define-error.ts';
import { addNote } from '../../src/errors/notes.ts';
import { recordError, wasRecorded } from '../../src/errors/record-error.ts';
import { getRuntime } from '../../src/runtime.ts';
import { CollectingReader, useInMemorySdk } from '../helpers/in-memory-sdk.ts';

const CardDeclined = defineError({ code: 'CARD_DECLINED', category: 'validation', httpStatus: 402 });

const runtime = getRuntime();
const defaults = { ...runtime.config };
const sdk = useInMemorySdk('record-error-test');
const { exporter, tracerProvider, tracer } = sdk;

afterEach(() => {
  Object.assign(runtime.config, defaults);
});

/** Runs `work` inside a fresh span and returns the finished span. */
async function inSpan(work: (span: Span) => void): Promise<ReadableSpan> {
  tracer.startActiveSpan('operation', (span) => {
    work(span);
    span.end();
  });
  await tracerProvider.forceFlush();
  const spans = exporter.getFinishedSpans();
  const last = spans[spans.length - 1];
  assert.ok(last !== undefined, 'no span finished');
  return last;
}

function exceptionEvents(span: ReadableSpan): TimedEvent[] {
  return span.events.filter((event) => event.name === 'exception');
}

function attrs(event: TimedEvent | undefined): Attributes {
  assert.ok(event !== undefined, 'missing event');
  return event.attributes ?? {};
}

interface Point {
  attributes: Attributes;
  value: number;
}

async function errorCounts(): Promise<Point[]> {
  const { resourceMetrics } = await sdk.collect();
  const metric = resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics).find((candidate) => candidate.descriptor.name === ERROR_COUNTER_NAME);
  if (metric === undefined) return [];
  assert.equal(metric.dataPointType, DataPointType.SUM);
  return (metric as SumMetricData).dataPoints.map((point) => ({ attributes: point.attributes, value: point.value }));
}

function countOf(points: Point[], type: string, category: string, handled: boolean): number {
  return points
    .filter((point) => point.attributes['error.type'] === type && point.attributes['error.category'] === category && point.attributes['error.handled'] === handled)
    .reduce((sum, point) => sum + point.value, 0);
}

describe('recordError on a span', () => {
  it('adds one exception event per error in the cause chain, outermost first', async () => {
    const root = Object.assign(new Error('connect ECONNREFUSED 10.0.0.5:5432'), { code: 'ECONNREFUSED' });
    const middle = new DatabaseUnavailable('orders database unavailable', { cause: root });
    const outer = new CardDeclined('could not charge', { cause: middle });
    const span = await inSpan(() => recordError(outer));
    const events = exceptionEvents(span);
    assert.equal(events.length, 3);
    assert.deepEqual(
      events.map((event) => [attrs(event)['exception.type'], attrs(event)['exception.cause_depth'], attrs(event)['exception.parent'], attrs(event)['exception.relation']]),
      [
        ['CARD_DECLINED', 0, undefined, undefined],
        ['DATABASE_UNAVAILABLE', 1, 0, 'cause'],
        ['ECONNREFUSED', 2, 1, 'cause'],
      ],
    );
    const first = attrs(events[0]);
    assert.equal(first['exception.message'], 'could not charge');
    assert.equal(first['exception.code'], 'CARD_DECLINED');
    assert.equal(first['error.category'], 'validation');
    assert.match(String(first['exception.fingerprint']), /^[0-9a-f]{16}$/);
    assert.match(String(first['exception.stacktrace']), /^CardDeclinedError: could not charge\n\s+at /);
    assert.equal(attrs(events[1])['error.category'], 'dependency');
    assert.equal(attrs(events[1])['exception.fingerprint'], undefined);
    assert.equal(attrs(events[2])['exception.code'], 'ECONNREFUSED');
  });

  it('sets status ERROR with a short description and error.type', async () => {
    const span = await inSpan(() => recordError(new CardDeclined(`declined: ${'x'.repeat(5000)}`)));
    assert.equal(span.status.code, SpanStatusCode.ERROR);
    assert.match(span.status.message ?? '', /^CARD_DECLINED: declined: x+/);
    assert.ok((span.status.message ?? '').length <= 256);
    assert.equal(span.attributes['error.type'], 'CARD_DECLINED');
  });

  it('leaves the status alone with setStatus: false but still records the events', async () => {
    const span = await inSpan(() => recordError(new CardDeclined('client error'), { setStatus: false }));
    assert.equal(span.status.code, SpanStatusCode.UNSET);
    assert.equal(span.attributes['error.type'], undefined);
    assert.equal(exceptionEvents(span).length, 1);
  });

  it('records on the given span instead of the active one', async () => {
    const explicit = tracer.startSpan('explicit');
    const active = await inSpan(() => recordError(new Error('to the explicit span'), { span: explicit }));
    explicit.end();
    await tracerProvider.forceFlush();
    assert.equal(exceptionEvents(active).length, 0);
    const finished = exporter.getFinishedSpans().find((candidate) => candidate.name === 'explicit');
    assert.ok(finished !== undefined);
    assert.equal(exceptionEvents(finished).length, 1);
  });

  it('records AggregateError children as events linked to their parent', async () => {
    const aggregate = new AggregateError([new Error('first'), new CardDeclined('second', { cause: new Error('second cause') })], 'both failed');
    const events = exceptionEvents(await inSpan(() => recordError(aggregate)));
    assert.deepEqual(
      events.map((event) => [attrs(event)['exception.message'], attrs(event)['exception.parent'], attrs(event)['exception.relation']]),
      [
        ['both failed', undefined, undefined],
        ['first', 0, 'aggregate'],
        ['second', 0, 'aggregate'],
        ['second cause', 2, 'cause'],
      ],
    );
  });

  it('stops at cycles in the cause chain', async () => {
    const a = new Error('a');
    const b = new Error('b', { cause: a });
    Object.defineProperty(a, 'cause', { value: b });
    const events = exceptionEvents(await inSpan(() => recordError(a)));
    assert.deepEqual(events.map((event) => attrs(event)['exception.message']), ['a', 'b']);
  });

  it('bounds the cause depth and marks the cut', async () => {
    runtime.config.maxCauseDepth = 3;
    let err = new Error('level 0');
    for (let level = 1; level < 20; level++) err = new Error(`level ${String(level)}`, { cause: err });
    const events = exceptionEvents(await inSpan(() => recordError(err)));
    assert.equal(events.length, 4);
    assert.equal(attrs(events[0])['exception.truncated'], true);
  });

  it('bounds the number of events', async () => {
    runtime.config.maxExceptionEvents = 5;
    const aggregate = new AggregateError(Array.from({ length: 50 }, (_, index) => new Error(`child ${String(index)}`)), 'many');
    const events = exceptionEvents(await inSpan(() => recordError(aggregate)));
    assert.equal(events.length, 5);
    assert.equal(attrs(events[0])['exception.truncated'], true);
  });

  it('caps stack traces at maxStackFrames', async () => {
    runtime.config.maxStackFrames = 3;
    const deep = (depth: number): Error => (depth === 0 ? new Error('deep') : deep(depth - 1));
    const previousLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = 50;
    const err = deep(20);
    Error.stackTraceLimit = previousLimit;
    const stack = String(attrs(exceptionEvents(await inSpan(() => recordError(err)))[0])['exception.stacktrace']);
    const frames = stack.split('\n').filter((line) => /^\s+at /.test(line));
    assert.equal(frames.length, 3);
    assert.match(stack, /\.\.\. \d+ more frames$/);
  });

  it('carries notes and redacts messages, notes, stacks and extra attributes', async () => {
    const err = new Error('lookup failed for alice@example.com');
    addNote(err, 'while charging card 4111 1111 1111 1111');
    addNote(err, 'attempt 2');
    const event = attrs(exceptionEvents(await inSpan(() => recordError(err, { attributes: { 'payment.customer': 'bob@example.com', 'payment.attempt': 2, bad: { nested: true } as unknown as string } })))[0]);
    const everything = JSON.stringify(event);
    assert.ok(!everything.includes('alice@example.com'));
    assert.ok(!everything.includes('bob@example.com'));
    assert.ok(!everything.includes('4111 1111 1111 1111'));
    assert.deepEqual(event['exception.notes'], ['while charging card [REDACTED:card]', 'attempt 2']);
    assert.equal(event['payment.attempt'], 2);
    assert.equal(event.bad, undefined);
    assert.match(String(event['exception.message']), /\[REDACTED:email\]/);
  });

  it('skips a span that is not recording but still counts', async () => {
    const sampledOut = new TracerProvider({ sampler: new AlwaysOffSampler() }).getTracer('off');
    const span = sampledOut.startSpan('dropped');
    assert.equal(span.isRecording(), false);
    recordError(new Error('not sampled'), { span });
    span.end();
    assert.equal(countOf(await errorCounts(), 'Error', 'internal', true), 1);
  });
});

describe('recordError on the app.errors counter', () => {
  it('counts per error.type, error.category and error.handled with exactly those attributes', async () => {
    recordError(new CardDeclined('a'));
    recordError(new CardDeclined('b'));
    recordError(new DatabaseUnavailable(), { handled: false });
    recordError(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }));
    const points = await errorCounts();
    assert.equal(countOf(points, 'CARD_DECLINED', 'validation', true), 2);
    assert.equal(countOf(points, 'DATABASE_UNAVAILABLE', 'dependency', false), 1);
    assert.equal(countOf(points, 'ECONNREFUSED', 'dependency', true), 1);
    for (const point of points) assert.deepEqual(Object.keys(point.attributes).sort(), ['error.category', 'error.handled', 'error.type']);
  });

  it('counts distinct types beyond maxErrorTypes as _OTHER, and keeps the real type in ErrorInfo', async () => {
    runtime.config.maxErrorTypes = 3;
    const infos = ['A_ONE', 'A_TWO', 'A_THREE', 'A_FOUR', 'A_FIVE'].map((code) => recordError(Object.assign(new Error(code), { code })));
    recordError(Object.assign(new Error('again'), { code: 'A_ONE' }));
    assert.deepEqual(infos.map((info) => info.type), ['A_ONE', 'A_TWO', 'A_THREE', 'A_FOUR', 'A_FIVE']);
    const points = await errorCounts();
    assert.equal(countOf(points, 'A_ONE', 'internal', true), 2);
    assert.equal(countOf(points, 'A_THREE', 'internal', true), 1);
    assert.equal(countOf(points, '_OTHER', 'internal', true), 2);
    assert.equal(countOf(points, 'A_FOUR', 'internal', true), 0);
    assert.equal(new Set(points.map((point) => point.attributes['error.type'])).size, 4);
  });

  it('records an error object once: no second event set and no second count', async () => {
    const err = new CardDeclined('seen by the logger and the middleware');
    assert.equal(wasRecorded(err), false);
    const span = await inSpan(() => {
      const first = recordError(err);
      const second = recordError(err);
      assert.deepEqual(second, first);
    });
    assert.equal(wasRecorded(err), true);
    assert.equal(exceptionEvents(span).length, 1);
    const points = await errorCounts();
    assert.equal(countOf(points, 'CARD_DECLINED', 'validation', true), 1);
  });

  it('still records a crash of an error that was recorded as handled before it was rethrown', async () => {
    const err = new CardDeclined('logged, then rethrown and never caught');
    recordError(err);
    recordError(err, { handled: false });
    const points = await errorCounts();
    assert.equal(countOf(points, 'CARD_DECLINED', 'validation', true), 1);
    assert.equal(countOf(points, 'CARD_DECLINED', 'validation', false), 1);
  });

  it('count: false records on the span only and leaves the error to be counted where it is handled', async () => {
    const err = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    const span = await inSpan((active) => {
      recordError(err, { span: active, count: false });
    });
    assert.equal(exceptionEvents(span).length, 1);
    assert.equal(span.status.code, SpanStatusCode.ERROR);
    assert.equal(wasRecorded(err), false);
    assert.equal(countOf(await errorCounts(), 'ECONNREFUSED', 'dependency', true), 0);
    recordError(err);
    assert.equal(countOf(await errorCounts(), 'ECONNREFUSED', 'dependency', true), 1);
  });

  it('records thrown primitives on every call (they cannot be remembered)', async () => {
    recordError('plain string');
    recordError('plain string');
    assert.equal(wasRecorded('plain string'), false);
    assert.equal(countOf(await errorCounts(), '_OTHER', 'internal', true), 2);
  });

  it('gives the SDK a view under which every series the type cap allows is kept, none folded into overflow', async () => {
    runtime.config.maxErrorTypes = 3;
    const capped = new CollectingReader();
    const provider = new MeterProvider({ readers: [capped], views: [errorCounterView(3)] });
    runtime.errorCounter = createErrorCounter(provider.getMeter('faultline'));
    try {
      // Five types (the last two beyond the cap: they count as _OTHER), each in every category, handled and not.
      const statusOf = { validation: 400, unauthorized: 401, forbidden: 403, not_found: 404, conflict: 409, rate_limited: 429, cancelled: 499, internal: 500, dependency: 503, timeout: 504 };
      const types = ['T_ONE', 'T_TWO', 'T_THREE', 'T_FOUR', 'T_FIVE'];
      for (const type of types) {
        for (const [category, status] of Object.entries(statusOf)) {
          for (const handled of [true, false]) {
            const info = recordError(Object.assign(new Error(`${type} ${category}`), { code: type, status }), { handled });
            assert.equal(info.category, category);
          }
        }
      }
      const { resourceMetrics } = await capped.collect();
      const metric = resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics).find((candidate) => candidate.descriptor.name === ERROR_COUNTER_NAME);
      const points = (metric as SumMetricData).dataPoints;
      assert.deepEqual(points.filter((point) => point.attributes['otel.metric.overflow'] === true), [], 'no series folded into the overflow series');
      // 3 kept types and _OTHER, 10 categories, handled true and false.
      assert.equal(points.length, 4 * 10 * 2);
      for (const point of points) {
        const expected = point.attributes['error.type'] === '_OTHER' ? 2 : 1;
        assert.equal(point.value, expected, JSON.stringify(point.attributes));
      }
    } finally {
      await provider.shutdown();
    }
  });
});

describe('recordError without the SDK', () => {
  it('only classifies: no counter, no span, nothing remembered', async () => {
    runtime.errorCounter = undefined;
    const err = new DatabaseUnavailable();
    const info = recordError(err);
    assert.equal(info.type, 'DATABASE_UNAVAILABLE');
    assert.equal(info.category, 'dependency');
    assert.equal(wasRecorded(err), false);
    assert.equal(exporter.getFinishedSpans().length, 0);
  });

  it('never throws, whatever it is given', async () => {
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    const hostileAttributes = new Proxy({}, { ownKeys: () => { throw new Error('keys'); } });
    await inSpan(() => {
      for (const value of [proxy, null, undefined, Symbol('x'), 1n, () => 1, { cause: proxy }, new Error('x', { cause: proxy })]) {
        assert.doesNotThrow(() => recordError(value, { attributes: hostileAttributes as Attributes }));
      }
    });
  });
});

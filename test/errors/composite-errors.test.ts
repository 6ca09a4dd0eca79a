import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Attributes } from '@opentelemetry/api';
import { DataPointType, type SumMetricData } from '@opentelemetry/sdk-metrics';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { DatabaseUnavailable } from '../../src/errors/catalog.ts';
import { TaskGroupError } from '../../src/errors/task-group-error.ts';
import { ERROR_COUNTER_NAME } from '../../src/errors/error-counter.ts';
import { recordError, wasRecorded } from '../../src/errors/record-error.ts';
import { serializeError } from '../../src/errors/serialize.ts';
import { useInMemorySdk } from '../helpers/in-memory-sdk.ts';

// SuppressedError (what `await using` throws when the block and a disposer both fail) and
// TaskGroupError are composites: recordError shows all their errors as exception events and
// counts them through their members, each once.

const sdk = useInMemorySdk('composite-errors-test');
const { exporter, tracer } = sdk;

function recordedOn(error: unknown, options: { handled?: boolean } = {}): ReadableSpan {
  const span = tracer.startSpan('operation');
  recordError(error, { span, ...options });
  span.end();
  const finished = exporter.getFinishedSpans().at(-1);
  assert.ok(finished !== undefined);
  return finished;
}

function exceptionAttributes(span: ReadableSpan): Attributes[] {
  return span.events.filter((event) => event.name === 'exception').map((event) => event.attributes ?? {});
}

async function counts(): Promise<Record<string, number>> {
  const { resourceMetrics } = await sdk.collect();
  const metric = resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics).find((candidate) => candidate.descriptor.name === ERROR_COUNTER_NAME);
  if (metric === undefined) return {};
  assert.equal(metric.dataPointType, DataPointType.SUM);
  const out: Record<string, number> = {};
  for (const point of (metric as SumMetricData).dataPoints) {
    const key = `${String(point.attributes['error.type'])}/${String(point.attributes['error.handled'])}`;
    out[key] = (out[key] ?? 0) + point.value;
  }
  return out;
}

/** What Node 24 throws when a block fails and then its disposer fails. */
async function disposalFailure(blockError: unknown, disposerError: unknown): Promise<unknown> {
  try {
    await using _resource = {
      [Symbol.asyncDispose]: () => Promise.reject(disposerError),
    };
    throw blockError;
  } catch (error) {
    return error;
  }
}

describe('SuppressedError', () => {
  it('is what `await using` throws for a failed block and a failed disposer', async () => {
    const block = new RangeError('block failed');
    const disposer = new DatabaseUnavailable('release failed');
    const error = await disposalFailure(block, disposer);
    assert.ok(error instanceof SuppressedError);
    assert.equal(error.error, disposer);
    assert.equal(error.suppressed, block);
  });

  it('records the SuppressedError, its `error` and its `suppressed` as exception events with their relation', async () => {
    const block = new RangeError('block failed', { cause: new Error('root cause') });
    const disposer = new DatabaseUnavailable('release failed');
    const span = recordedOn(await disposalFailure(block, disposer));
    const events = exceptionAttributes(span);
    assert.deepEqual(
      events.map((event) => [event['exception.type'], event['exception.relation'], event['exception.parent']]),
      [
        ['SuppressedError', undefined, undefined],
        ['DATABASE_UNAVAILABLE', 'error', 0],
        ['RangeError', 'suppressed', 0],
        ['Error', 'cause', 2],
      ],
    );
    assert.equal(span.attributes['error.type'], 'SuppressedError');
  });

  it('counts its two errors once each, not itself, and skips one already recorded', async () => {
    const disposer = new DatabaseUnavailable('release failed');
    recordError(disposer); // the resource span recorded the release failure
    const block = new RangeError('block failed');
    const error = await disposalFailure(block, disposer);
    recordedOn(error);
    recordedOn(error); // the logger after the boundary: nothing more
    assert.deepEqual(await counts(), { 'DATABASE_UNAVAILABLE/true': 1, 'RangeError/true': 1 });
    assert.equal(wasRecorded(error), true);
    assert.equal(wasRecorded(block), true);
  });

  it('a crash is one unhandled error whatever it holds', async () => {
    const error = await disposalFailure(new RangeError('block'), new Error('disposer'));
    recordedOn(error, { handled: false });
    assert.deepEqual(await counts(), { 'SuppressedError/false': 1 });
  });

  it('polyfilled SuppressedErrors (TypeScript\'s helper makes an Error named SuppressedError) are followed too', () => {
    const polyfilled = Object.assign(new Error('An error was suppressed during disposal.'), {
      name: 'SuppressedError',
      error: new TypeError('disposer'),
      suppressed: 'a thrown string',
    });
    const span = recordedOn(polyfilled);
    assert.deepEqual(
      exceptionAttributes(span).map((event) => event['exception.relation']),
      [undefined, 'error', 'suppressed'],
    );
  });

  it('serializes with `error` and `suppressed`', async () => {
    const serialized = serializeError(await disposalFailure(new RangeError('block failed'), new TypeError('disposer failed')));
    assert.equal(serialized.type, 'SuppressedError');
    assert.equal(serialized.error?.type, 'TypeError');
    assert.equal(serialized.suppressed?.type, 'RangeError');
    assert.equal(serialized.suppressed?.message, 'block failed');
  });
});

describe('TaskGroupError', () => {
  it('is an AggregateError and an AppError with a stable code, whose category is what its failures agree on', () => {
    const agreed = new TaskGroupError([new DatabaseUnavailable(), Object.assign(new Error('refused'), { code: 'ECONNREFUSED' })]);
    assert.ok(agreed instanceof AggregateError);
    assert.equal(agreed.code, 'TASK_GROUP_FAILED');
    assert.equal(agreed.name, 'TaskGroupError');
    assert.equal(agreed.category, 'dependency');
    assert.equal(agreed.retryable, true);
    const mixed = new TaskGroupError([new DatabaseUnavailable(), new TypeError('bug')]);
    assert.equal(mixed.category, 'internal');
    assert.equal(mixed.retryable, false);
    // Another copy of faultline's TaskGroupError: the brand and the code decide.
    const foreign = Object.assign(new AggregateError([]), { code: 'TASK_GROUP_FAILED', [Symbol.for('faultline.AppError')]: true });
    assert.ok(foreign instanceof TaskGroupError);
  });

  it('is counted through its failures: new ones once, recorded ones never, itself never', async () => {
    const seen = new DatabaseUnavailable('task failed'); // recorded on its task span
    recordError(seen);
    const bodyFailure = new TypeError('body failed'); // nobody recorded it yet
    const nested = new TaskGroupError([seen]);
    const group = new TaskGroupError([seen, nested, bodyFailure]);
    const span = recordedOn(group);
    recordedOn(group);
    assert.deepEqual(exceptionAttributes(span).map((event) => event['exception.type']), ['TASK_GROUP_FAILED', 'DATABASE_UNAVAILABLE', 'TASK_GROUP_FAILED', 'TypeError']);
    assert.deepEqual(await counts(), { 'DATABASE_UNAVAILABLE/true': 1, 'TypeError/true': 1 });
  });

  it('an empty TaskGroupError counts as itself', async () => {
    recordedOn(new TaskGroupError());
    assert.deepEqual(await counts(), { 'TASK_GROUP_FAILED/true': 1 });
  });
});

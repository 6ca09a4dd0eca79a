import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { DataPointType, type HistogramMetricData } from '@opentelemetry/sdk-metrics';
import { defineError } from '../../src/errors/define-error.ts';
import { wasRecorded } from '../../src/errors/record-error.ts';
import { acquireResource } from '../../src/resources/resource.ts';
import { useInMemorySdk } from '../helpers/in-memory-sdk.ts';

const FileCloseFailed = defineError({ code: 'FILE_CLOSE_FAILED', category: 'internal' });
const FileOpenFailed = defineError({ code: 'FILE_OPEN_FAILED', category: 'dependency', retryable: true });

const sdk = useInMemorySdk('resource-test', { globalMeterProvider: true });
const { exporter } = sdk;

async function histogram(name: string): Promise<{ attributes: Record<string, unknown>; count: number; sum: number }[]> {
  const { resourceMetrics } = await sdk.collect();
  const metric = resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics).find((candidate) => candidate.descriptor.name === name);
  if (metric === undefined) return [];
  assert.equal(metric.dataPointType, DataPointType.HISTOGRAM);
  assert.equal(metric.descriptor.unit, 's');
  return (metric as HistogramMetricData).dataPoints.map((point) => ({ attributes: point.attributes, count: point.value.count, sum: point.value.sum ?? 0 }));
}

describe('acquireResource', () => {
  it('releases at the end of the `await using` block, once, in reverse order of acquisition', async () => {
    const log: string[] = [];
    const open = (label: string) =>
      acquireResource({
        name: 'ordered',
        acquire: () => ({ label }),
        release: async (value) => {
          await sleep(1);
          log.push(`release ${value.label}`);
        },
      });
    {
      await using first = await open('first');
      await using second = await open('second');
      assert.equal(first.value.label, 'first');
      assert.equal(second.released, false);
      log.push('body');
    }
    assert.deepEqual(log, ['body', 'release second', 'release first']);

    const held = await open('manual');
    await Promise.all([held.release(), held.release(), held[Symbol.asyncDispose]()]);
    assert.equal(held.released, true);
    assert.deepEqual(log.slice(3), ['release manual'], 'released once however often asked');
  });

  it('a span from acquire to release, and wait and use times by resource name', async () => {
    {
      await using file = await acquireResource({
        name: 'report-file',
        acquire: async () => {
          await sleep(20);
          return 'handle';
        },
        release: () => undefined,
        attributes: { 'file.kind': 'report' },
      });
      assert.equal(file.name, 'report-file');
      await sleep(30);
    }
    const span = exporter.getFinishedSpans().find((candidate) => candidate.name === 'resource report-file');
    assert.ok(span !== undefined);
    assert.equal(span.attributes['app.resource.name'], 'report-file');
    assert.equal(span.attributes['file.kind'], 'report');
    assert.deepEqual(
      span.events.map((event) => event.name),
      ['acquired'],
    );
    const named = (points: Awaited<ReturnType<typeof histogram>>) => points.find((point) => point.attributes['app.resource.name'] === 'report-file');
    const wait = named(await histogram('app.resource.wait_time'));
    const use = named(await histogram('app.resource.use_time'));
    assert.deepEqual(wait?.attributes, { 'app.resource.name': 'report-file' });
    assert.equal(wait.count, 1);
    assert.ok(wait.sum >= 0.015 && wait.sum < 5, `waited ${wait.sum} s`);
    assert.equal(use?.count, 1);
    assert.ok(use.sum >= 0.025 && use.sum < 5, `held ${use.sum} s`);
  });

  it('a failed release after a failed block: Node reports a SuppressedError, and the release failure is on the resource span', async () => {
    const blockError = new RangeError('block failed');
    const releaseError = new FileCloseFailed('close failed');
    let caught: unknown;
    try {
      await using _file = await acquireResource({
        name: 'failing-close',
        acquire: () => 'handle',
        release: () => Promise.reject(releaseError),
      });
      throw blockError;
    } catch (error) {
      caught = error;
    }
    assert.ok(caught instanceof SuppressedError);
    assert.equal(caught.error, releaseError);
    assert.equal(caught.suppressed, blockError);
    const span = exporter.getFinishedSpans().find((candidate) => candidate.name === 'resource failing-close');
    assert.ok(span !== undefined);
    assert.equal(span.status.code, 2);
    assert.deepEqual(
      span.events.filter((event) => event.name === 'exception').map((event) => event.attributes?.['exception.type']),
      ['FILE_CLOSE_FAILED'],
    );
    assert.equal(wasRecorded(releaseError), true, 'counted there, so the SuppressedError will not count it again');
    assert.equal(wasRecorded(blockError), false);
  });

  it('a failed acquire rejects with its error, recorded on the ended span', async () => {
    const failure = new FileOpenFailed('disk unavailable');
    await assert.rejects(
      acquireResource({
        name: 'unopenable',
        acquire: () => {
          throw failure;
        },
        release: () => undefined,
      }),
      (error: unknown) => error === failure,
    );
    const span = exporter.getFinishedSpans().find((candidate) => candidate.name === 'resource unopenable');
    assert.ok(span !== undefined);
    assert.equal(span.status.code, 2);
    assert.equal(wasRecorded(failure), true);
  });

  it('refuses options without acquire and release functions before acquiring anything; a bad name is reported and replaced', async () => {
    let acquired = false;
    await assert.rejects(
      acquireResource({
        name: 'incomplete',
        acquire: () => {
          acquired = true;
        },
      } as unknown as Parameters<typeof acquireResource>[0]),
      TypeError,
    );
    assert.equal(acquired, false);
    const held = await acquireResource({ name: 42 as unknown as string, acquire: () => 1, release: () => undefined });
    assert.equal(held.name, 'resource');
    await held.release();
  });
});

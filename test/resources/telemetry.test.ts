import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startReceiver, type OtlpReceiver, type ReceivedMetricPoint } from '../../src/receiver/index.ts';
import { otlpEnv, runApp } from '../helpers/run-app.ts';

// test/fixtures/resources/resources-app.mjs under `--import faultline/register --expose-gc`, with a
// real PostgreSQL pool, as received over OTLP.

/** The latest cumulative point of a histogram whose attributes are exactly `attributes`. */
function histogramPoint(points: readonly ReceivedMetricPoint[], name: string, attributes: Record<string, string>): ReceivedMetricPoint | undefined {
  return points
    .filter((point) => point.name === name && point.type === 'histogram' && JSON.stringify(point.attributes) === JSON.stringify(attributes))
    .sort((a, b) => Number(BigInt(a.timeUnixNano) - BigInt(b.timeUnixNano)))
    .at(-1);
}

describe('resources in a preloaded app, as received over OTLP', () => {
  let receiver: OtlpReceiver;
  let stderr = '';
  let output: { suppressed: Record<string, string>; acquireFailed: string; broken: string; poolTotal: number };
  before(async () => {
    receiver = await startReceiver();
    const app = runApp('test/fixtures/resources/resources-app.mjs', { env: otlpEnv(receiver.url), nodeArgs: ['--expose-gc'] });
    const exit = await app.exited;
    assert.equal(exit.code, 0, exit.stderr);
    stderr = exit.stderr;
    output = JSON.parse(exit.stdout.trim().split('\n').at(-1) ?? '{}') as typeof output;
  });
  after(async () => {
    await receiver.close();
  });

  test('a failed release after a failed block reaches the app as a SuppressedError; the broken pool client was destroyed', () => {
    assert.deepEqual(output.suppressed, { name: 'SuppressedError', error: 'FILE_CLOSE_FAILED', suppressed: 'RangeError' });
    assert.equal(output.acquireFailed, 'FILE_OPEN_FAILED');
    assert.equal(output.broken, 'connection_error');
    assert.equal(output.poolTotal, 0, 'the terminated backend\'s client left the pool');
  });

  test('wait and use times: the database conventions\' names for the pool, app.resource.* for the others', () => {
    const pool = { 'db.client.connection.pool.name': 'postgres' };
    for (const name of ['db.client.connection.wait_time', 'db.client.connection.use_time']) {
      const point = histogramPoint(receiver.metrics, name, pool);
      assert.ok(point !== undefined, `${name} was exported with the pool name`);
      assert.equal(point.unit, 's');
      assert.equal(point.count, 4, `${name}: one per checkout`);
      assert.deepEqual(point.explicitBounds, [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10]);
    }
    const held = histogramPoint(receiver.metrics, 'app.resource.use_time', { 'app.resource.name': 'report-file' });
    assert.equal(held?.count, 3);
    assert.ok((held.sum ?? 0) >= 3 * 0.004, `held for ${String(held.sum)} s in all`);
    assert.equal(histogramPoint(receiver.metrics, 'app.resource.wait_time', { 'app.resource.name': 'report-file' })?.count, 3);
  });

  test('spans: the release failure on its resource span, the destroyed client marked, the leaked ones ended as leaked', () => {
    const flaky = receiver.spans.find((span) => span.name === 'resource flaky-file');
    assert.ok(flaky !== undefined);
    assert.equal(flaky.status.code, 2);
    assert.deepEqual(flaky.events.filter((event) => event.name === 'exception').map((event) => event.attributes['exception.type']), ['FILE_CLOSE_FAILED']);
    const pgSpans = receiver.spans.filter((span) => span.name === 'resource postgres');
    assert.equal(pgSpans.length, 4);
    assert.deepEqual(pgSpans.map((span) => span.attributes['app.resource.destroyed']).filter((value) => value !== undefined), ['connection_error']);
    const leaked = receiver.spans.filter((span) => span.attributes['app.resource.leaked'] === true).map((span) => span.name).sort();
    assert.deepEqual(leaked, ['resource export-file', 'resource export-file', 'resource export-file', 'resource scratch']);
  });

  test('leaks: one warning per place that leaked, naming the resource and where it was acquired; every leak counted', () => {
    const warnings = stderr.split('\n').filter((line) => line.includes('garbage-collected without being released'));
    assert.equal(warnings.length, 2, stderr);
    const exportFile = warnings.find((line) => line.includes('"export-file"'));
    assert.ok(exportFile !== undefined);
    assert.match(exportFile, /acquired at openFile \(.*resources-app\.mjs:\d+:\d+\), called at leakReports \(.*resources-app\.mjs:\d+:\d+\)/);
    assert.ok(warnings.some((line) => line.includes('"scratch"') && line.includes('leakScratch')));
    assert.ok(!stderr.includes('"tidy"'), 'released and disposed handles are never reported');
    assert.equal(receiver.latestSum('app.resource.leaks', { 'app.resource.name': 'export-file' }), 3);
    assert.equal(receiver.latestSum('app.resource.leaks', { 'app.resource.name': 'scratch' }), 1);
    assert.equal(receiver.latestSum('app.resource.leaks'), 4);
  });

  test('app.errors: the release failure once (on its span), the block\'s error once (through the SuppressedError), the failed acquire once', () => {
    assert.equal(receiver.latestSum('app.errors', { 'error.type': 'FILE_CLOSE_FAILED' }), 1);
    assert.equal(receiver.latestSum('app.errors', { 'error.type': 'RangeError' }), 1);
    assert.equal(receiver.latestSum('app.errors', { 'error.type': 'FILE_OPEN_FAILED', 'error.category': 'dependency' }), 1);
    assert.equal(receiver.latestSum('app.errors', { 'error.type': 'SuppressedError' }), 0);
    assert.equal(receiver.latestSum('app.errors'), 3, 'the terminated backend\'s connection error is an event, not a count: the app met no failure');
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { BatchQueue } from '../../src/export/batch-queue.ts';
import { arrayBatch, type SealedBatch } from '../../src/export/batches.ts';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { droppedItems, droppedTelemetry, observeDrops, recordDrop, recordSpooled, spooledTelemetry } from '../../src/export/drops.ts';
import { CollectingReader } from '../helpers/in-memory-sdk.ts';
import { stderrOf } from '../helpers/stderr-lines.ts';

// The queue every signal goes through: bounded memory, one export at a time, and every item that
// will never reach the collector counted under a reason (the `faultline.telemetry.dropped` counter).

interface Held {
  items: number[];
  done: (result: ExportResult) => void;
}

function queue(options: { maxQueueSize: number; maxBatchSize: number; delayMillis?: number }, overflow?: (batch: SealedBatch<number[]>) => boolean) {
  const sent: Held[] = [];
  const q = new BatchQueue<number>(
    { signal: 'logs', delayMillis: 60_000, ...options },
    () => arrayBatch<number>(),
    (batch, done) => {
      sent.push({ items: [...batch.payload], done });
    },
    overflow,
  );
  return { q, sent };
}

const ok: ExportResult = { code: ExportResultCode.SUCCESS };
const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const dropped = (reason: string): number => droppedTelemetry()[`logs|${reason}`] ?? 0;

/** Waits for something the queue does on its own (a timer); fails rather than hangs when it never happens. */
async function until(condition: () => boolean): Promise<void> {
  for (let waited = 0; !condition(); waited += 5) {
    if (waited > 10_000) assert.fail('the queue never did it');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('BatchQueue', () => {
  it('a full batch goes at once; a partial one waits for the delay', async () => {
    const { q, sent } = queue({ maxQueueSize: 100, maxBatchSize: 3, delayMillis: 5 });
    q.push(1);
    q.push(2);
    assert.equal(sent.length, 0, 'a partial batch waits');
    assert.equal(q.size, 2);
    await until(() => sent.length === 1);
    assert.deepEqual(sent[0]!.items, [1, 2], 'the partial batch went out after the delay');
    sent[0]!.done(ok);
    await tick();
    for (const item of [3, 4, 5]) q.push(item);
    assert.deepEqual(sent[1]!.items, [3, 4, 5], 'a full batch goes at once');
    assert.equal(q.size, 0, 'the batch in flight is no longer queued');
    sent[1]!.done(ok);
  });

  it('after an export, a waiting full batch goes at once; a partial one waits, and keeps filling', async () => {
    const { q, sent } = queue({ maxQueueSize: 100, maxBatchSize: 2, delayMillis: 60_000 });
    for (const item of [1, 2, 3, 4, 5]) q.push(item);
    assert.equal(sent.length, 1, 'one export at a time');
    sent[0]!.done(ok);
    await tick();
    assert.deepEqual(sent.map((s) => s.items), [[1, 2], [3, 4]]);
    sent[1]!.done(ok);
    await tick();
    assert.equal(sent.length, 2, 'the partial batch waits for the delay');
    q.push(6);
    const flushed = q.flush();
    assert.deepEqual(sent[2]!.items, [5, 6], 'the partial batch kept filling up to the batch size');
    sent[2]!.done(ok);
    await flushed;
  });

  it('a zero-size queue refuses everything, even with an overflow', () => {
    const spilled: number[] = [];
    const { q, sent } = queue({ maxQueueSize: 0, maxBatchSize: 2 }, (batch) => {
      spilled.push(batch.count);
      return true;
    });
    const before = dropped('queue_full');
    q.push(1);
    assert.equal(dropped('queue_full') - before, 1);
    assert.equal(q.size, 0);
    assert.deepEqual(spilled, []);
    assert.equal(sent.length, 0);
  });

  it('what is left after an export goes after the delay, with no further push or flush', async () => {
    const { q, sent } = queue({ maxQueueSize: 100, maxBatchSize: 2, delayMillis: 5 });
    for (const item of [1, 2, 3]) q.push(item);
    sent[0]!.done(ok);
    await until(() => sent.length === 2);
    assert.deepEqual(sent[1]!.items, [3]);
    sent[1]!.done(ok);
  });

  it('a batch is never larger than the queue', () => {
    const { q, sent } = queue({ maxQueueSize: 2, maxBatchSize: 10 });
    q.push(1);
    q.push(2);
    assert.deepEqual(sent.map((s) => s.items), [[1, 2]]);
  });

  it('counts what a full queue refuses', () => {
    const before = dropped('queue_full');
    const { q, sent } = queue({ maxQueueSize: 2, maxBatchSize: 2 });
    for (const item of [1, 2, 3, 4, 5]) q.push(item);
    assert.equal(sent.length, 1);
    assert.equal(q.size, 2);
    assert.equal(dropped('queue_full') - before, 1);
  });

  it('with an overflow (the spool), a full queue hands over its oldest batch instead of refusing the new item', () => {
    const spilled: number[][] = [];
    const { q, sent } = queue({ maxQueueSize: 4, maxBatchSize: 2 }, (batch) => {
      spilled.push([...batch.payload]);
      return true;
    });
    const before = dropped('queue_full');
    for (let item = 1; item <= 8; item++) q.push(item);
    assert.deepEqual(sent.map((s) => s.items), [[1, 2]]);
    assert.deepEqual(spilled, [[3, 4]], 'the oldest queued batch went to the overflow');
    assert.equal(q.size, 4);
    assert.equal(dropped('queue_full') - before, 0);
  });

  it('an overflow that refuses a batch counts that batch as dropped', () => {
    const { q } = queue({ maxQueueSize: 4, maxBatchSize: 2 }, () => false);
    const before = dropped('queue_full');
    for (let item = 1; item <= 7; item++) q.push(item);
    assert.equal(dropped('queue_full') - before, 2);
    assert.equal(q.size, 3);
  });

  it('counts a failed export, an exporter that throws, and a result reported twice only once', async () => {
    const before = dropped('export_failed');
    let calls = 0;
    const q = new BatchQueue<number>({ signal: 'logs', maxQueueSize: 10, maxBatchSize: 2, delayMillis: 60_000 }, () => arrayBatch<number>(), (_batch, done) => {
      calls++;
      if (calls === 1) {
        done({ code: ExportResultCode.FAILED, error: new Error('refused') });
        done({ code: ExportResultCode.FAILED, error: new Error('refused again') });
        return;
      }
      throw new Error('exporter broke');
    });
    for (const item of [1, 2, 3, 4]) q.push(item);
    await q.flush();
    assert.equal(calls, 2);
    assert.equal(dropped('export_failed') - before, 4);
    assert.equal(q.size, 0);
  });

  it('a failed export without an error is counted, and the queue goes on', async () => {
    const { q, sent } = queue({ maxQueueSize: 10, maxBatchSize: 1 });
    const before = dropped('export_failed');
    q.push(1);
    q.push(2);
    sent[0]!.done({ code: ExportResultCode.FAILED });
    await tick();
    assert.equal(dropped('export_failed') - before, 1);
    assert.deepEqual(sent[1]!.items, [2]);
    sent[1]!.done(ok);
  });

  it('flush exports everything queued, partial batches too, and waits for the answers', async () => {
    const { q, sent } = queue({ maxQueueSize: 10, maxBatchSize: 2 });
    for (const item of [1, 2, 3]) q.push(item);
    let flushed = false;
    const flushing = q.flush().then(() => {
      flushed = true;
    });
    sent[0]!.done(ok);
    await until(() => sent.length === 2);
    assert.equal(flushed, false, 'the last batch is still in flight');
    sent[1]!.done(ok);
    await flushing;
    assert.deepEqual(sent.map((s) => s.items), [[1, 2], [3]]);
  });

  it('after close, new items are counted as dropped at shutdown', async () => {
    const { q, sent } = queue({ maxQueueSize: 10, maxBatchSize: 5 });
    q.push(1);
    const closing = q.close();
    await until(() => sent.length === 1);
    sent[0]!.done(ok);
    await closing;
    const before = dropped('shutdown');
    q.push(2);
    assert.equal(dropped('shutdown') - before, 1);
    assert.equal(sent.length, 1);
  });

  it('at exit, every queued batch is handed off; what the hand-off refuses is counted', () => {
    const { q, sent } = queue({ maxQueueSize: 10, maxBatchSize: 2 });
    for (const item of [1, 2, 3, 4, 5]) q.push(item);
    const handed: number[][] = [];
    const before = dropped('shutdown');
    q.handOffAll((batch) => {
      handed.push([...batch.payload]);
      return batch.count === 2;
    });
    assert.deepEqual(handed, [[3, 4], [5]]);
    assert.equal(dropped('shutdown') - before, 1);
    assert.equal(q.size, 0);
    assert.equal(sent.length, 1, 'the batch in flight is not handed off twice');
  });

  it('a waiting batch does not keep the process alive', () => {
    const { q } = queue({ maxQueueSize: 10, maxBatchSize: 5, delayMillis: 60_000 });
    const refTimers = (): number => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
    const before = refTimers();
    q.push(1);
    assert.equal(refTimers(), before);
  });
});

describe('drop accounting', () => {
  it('is exported as faultline.telemetry.dropped (signal, reason) and faultline.telemetry.spooled (signal)', async () => {
    const reader = new CollectingReader();
    const provider = new MeterProvider({ readers: [reader] });
    observeDrops(provider.getMeter('faultline'));
    recordDrop('traces', 'spool_corrupt', 4);
    recordSpooled('traces', 9);
    const { resourceMetrics } = await reader.collect();
    const metrics = resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics);
    const point = (name: string, attributes: Record<string, string>): unknown =>
      metrics
        .find((metric) => metric.descriptor.name === name)
        ?.dataPoints.find((candidate) => Object.entries(attributes).every(([key, value]) => candidate.attributes[key] === value))?.value;
    const droppedMetric = metrics.find((metric) => metric.descriptor.name === 'faultline.telemetry.dropped');
    assert.equal(droppedMetric?.descriptor.unit, '{item}');
    assert.notEqual(droppedMetric?.descriptor.description, '');
    assert.equal(point('faultline.telemetry.dropped', { signal: 'traces', reason: 'spool_corrupt' }), droppedTelemetry()['traces|spool_corrupt']);
    assert.equal(point('faultline.telemetry.spooled', { signal: 'traces' }), spooledTelemetry().traces);
    const spooledMetric = metrics.find((metric) => metric.descriptor.name === 'faultline.telemetry.spooled');
    assert.equal(spooledMetric?.descriptor.unit, '{item}');
    assert.notEqual(spooledMetric?.descriptor.description, '');
    await provider.shutdown();
  });

  it('adds up per signal and reason, ignores empty drops, and keeps signals apart', () => {
    const logsBefore = droppedItems('logs');
    const metricsBefore = droppedItems('metrics');
    recordDrop('metrics', 'export_failed', 3);
    recordDrop('metrics', 'shutdown', 2);
    recordDrop('metrics', 'shutdown', 0);
    recordDrop('metrics', 'shutdown', -4);
    assert.equal(droppedItems('metrics') - metricsBefore, 5);
    assert.equal(droppedItems('logs'), logsBefore);
    assert.equal(droppedTelemetry()['metrics|shutdown'], 2);
  });

  it('the first drop of each signal prints one warning naming the count, the reason and the counter', async () => {
    // A module instance of its own: no signal has warned yet.
    // (The query string makes it a new instance; a variable keeps tsc from resolving it as a path.)
    const freshInstance = '../../src/export/drops.ts?warnings';
    const drops = (await import(freshInstance)) as typeof import('../../src/export/drops.ts');
    const lines = stderrOf(() => {
      drops.recordDrop('traces', 'export_failed', 3, 'collector unreachable');
      drops.recordDrop('traces', 'queue_full', 1);
      drops.recordDrop('logs', 'spool_full', 0);
      drops.recordDrop('logs', 'spool_full', 2);
    });
    assert.equal(lines.length, 2, lines.join(''));
    assert.match(lines[0]!, /3 traces item\(s\), export failed \(collector unreachable\); further drops are counted in faultline\.telemetry\.dropped/);
    assert.match(lines[1]!, /2 logs item\(s\), spool full; further/);
    assert.deepEqual(drops.droppedTelemetry(), { 'traces|export_failed': 3, 'traces|queue_full': 1, 'logs|spool_full': 2 });
  });

  it('counts what went to the spool per signal', () => {
    const before = spooledTelemetry().metrics ?? 0;
    recordSpooled('metrics', 7);
    recordSpooled('metrics', 0);
    recordSpooled('metrics', -3);
    assert.equal((spooledTelemetry().metrics ?? 0) - before, 7);
  });
});

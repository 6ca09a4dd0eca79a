import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { TracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { droppedTelemetry } from '../../src/export/drops.ts';
import { EncodedSpanBatch } from '../../src/export/otlp-trace-encoder.ts';
import type { BatchExporter } from '../../src/export/batch-queue.ts';
import type { SealedBatch } from '../../src/export/batches.ts';
import { QueuedSpanProcessor } from '../../src/export/span-processor.ts';

// Spans are encoded as they end and only their bytes wait for the export; the queue must still
// bound memory, count every span it cannot deliver, and send exactly what the SDK would.

class HeldExporter implements BatchExporter<Uint8Array> {
  readonly sent: { payload: Uint8Array; done: (result: ExportResult) => void }[] = [];
  export(batch: SealedBatch<Uint8Array>, done: (result: ExportResult) => void): void {
    this.sent.push({ payload: batch.payload.slice(), done });
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

function spanProducer(processor: QueuedSpanProcessor<Uint8Array>): { end(count: number): ReadableSpan[] } {
  const ended: ReadableSpan[] = [];
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'queue-test' }),
    spanProcessors: [
      {
        onStart: () => undefined,
        onEnd: (span: ReadableSpan) => {
          ended.push(span);
          processor.onEnd(span);
        },
        forceFlush: () => Promise.resolve(),
        shutdown: () => Promise.resolve(),
      },
    ],
  });
  let next = 0;
  return {
    end(count) {
      const first = ended.length;
      for (let i = 0; i < count; i += 1) provider.getTracer(next % 3 === 0 ? 'pg' : 'faultline').startSpan(`span ${next++}`, { attributes: { n: next } }).end();
      return ended.slice(first);
    },
  };
}

const dropped = (reason: string): number => droppedTelemetry()[`traces|${reason}`] ?? 0;

describe('encoded span queue', () => {
  it('sends full batches in order, each exactly as the SDK would encode those spans', async () => {
    const exporter = new HeldExporter();
    const processor = new QueuedSpanProcessor(exporter, { maxQueueSize: 2048, maxBatchSize: 100, delayMillis: 60_000 }, () => new EncodedSpanBatch());
    const spans = spanProducer(processor).end(250);
    assert.equal(exporter.sent.length, 1, 'one export at a time');
    exporter.sent[0]!.done({ code: ExportResultCode.SUCCESS });
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(exporter.sent.length, 2, 'the next full batch goes when the first is answered');
    const flushed = processor.forceFlush();
    exporter.sent[1]!.done({ code: ExportResultCode.SUCCESS });
    await new Promise((resolve) => setImmediate(resolve));
    exporter.sent[2]!.done({ code: ExportResultCode.SUCCESS });
    await flushed;
    assert.deepEqual(
      exporter.sent.map((sent) => Buffer.from(sent.payload).toString('hex')),
      [spans.slice(0, 100), spans.slice(100, 200), spans.slice(200)].map((group) => Buffer.from(ProtobufTraceSerializer.serializeRequest(group)!).toString('hex')),
    );
  });

  it('counts spans beyond the queue as queue_full and failed exports as export_failed', async () => {
    const exporter = new HeldExporter();
    const processor = new QueuedSpanProcessor(exporter, { maxQueueSize: 300, maxBatchSize: 100, delayMillis: 60_000 }, () => new EncodedSpanBatch());
    const fullBefore = dropped('queue_full');
    const failedBefore = dropped('export_failed');
    // 100 go out at once and stall; 300 more fill the queue; the last 100 have no room.
    spanProducer(processor).end(500);
    assert.equal(dropped('queue_full') - fullBefore, 100);
    exporter.sent[0]!.done({ code: ExportResultCode.FAILED, error: new Error('collector unreachable') });
    const flushed = processor.forceFlush();
    for (let i = 1; i <= 3; i += 1) {
      await new Promise((resolve) => setImmediate(resolve));
      exporter.sent[i]!.done({ code: ExportResultCode.SUCCESS });
    }
    await flushed;
    assert.equal(dropped('export_failed') - failedBefore, 100);
    assert.equal(exporter.sent.length, 4);
  });
});

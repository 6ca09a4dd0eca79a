import { TraceFlags } from '@opentelemetry/api';
import type { ReadableSpan, SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace';
import { BatchQueue, type BatchQueueOptions } from './batch-queue.ts';

/** Batches sampled spans into a bounded, drop-counting queue (see batch-queue.ts for why). */
export class QueuedSpanProcessor implements SpanProcessor {
  private readonly queue: BatchQueue<ReadableSpan>;
  private readonly exporter: SpanExporter;

  constructor(exporter: SpanExporter, options: Omit<BatchQueueOptions, 'signal'>) {
    this.exporter = exporter;
    this.queue = new BatchQueue({ ...options, signal: 'traces' }, (spans, done) => {
      exporter.export(spans, done);
    });
  }

  onStart(): void {}

  onEnd(span: ReadableSpan): void {
    if ((span.spanContext().traceFlags & TraceFlags.SAMPLED) === 0) return;
    this.queue.push(span);
  }

  forceFlush(): Promise<void> {
    return this.queue.flush();
  }

  async shutdown(): Promise<void> {
    await this.queue.close();
    await this.exporter.shutdown();
  }
}

import { TraceFlags } from '@opentelemetry/api';
import type { ReadableSpan, SpanProcessor } from '@opentelemetry/sdk-trace';
import { BatchQueue, type BatchExporter, type BatchQueueOptions, type OverflowFunction } from './batch-queue.ts';
import type { BatchBuilder, SealedBatch } from './batches.ts';
import { OpenSpans } from './open-spans.ts';

/** Batches sampled spans into a bounded, drop-counting queue (see batch-queue.ts for why). */
export class QueuedSpanProcessor<Payload> implements SpanProcessor {
  /** Whether a span is encoded (or dropped) within onEnd, so that nothing reads it afterwards. */
  readonly consumesSpansAtEnd: boolean;
  private readonly queue: BatchQueue<ReadableSpan, Payload>;
  private readonly exporter: BatchExporter<Payload>;

  constructor(
    exporter: BatchExporter<Payload>,
    options: Omit<BatchQueueOptions, 'signal'>,
    newBatch: () => BatchBuilder<ReadableSpan, Payload>,
    consumesSpansAtEnd = false,
    overflow?: OverflowFunction<Payload>,
  ) {
    this.exporter = exporter;
    this.consumesSpansAtEnd = consumesSpansAtEnd;
    this.queue = new BatchQueue(
      { ...options, signal: 'traces' },
      newBatch,
      (batch, done) => {
        exporter.export(batch, done);
      },
      overflow,
    );
  }

  /** At exit: every queued span goes to `handOff` at once (see BatchQueue.handOffAll). */
  handOffAll(handOff: (batch: SealedBatch<Payload>) => boolean): void {
    this.queue.handOffAll(handOff);
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

/**
 * True when every processor is done with a span once its onEnd returns (see ServerSpanSettings);
 * the open-span tracker only forgets the span there.
 */
export function processorsConsumeSpansAtEnd(processors: readonly SpanProcessor[]): boolean {
  return processors.every((processor) => processor instanceof OpenSpans || (processor instanceof QueuedSpanProcessor && processor.consumesSpansAtEnd));
}

import { context, ROOT_CONTEXT } from '@opentelemetry/api';
import { ExportResultCode, suppressTracing, type ExportResult } from '@opentelemetry/core';
import { Batches, type BatchBuilder, type SealedBatch } from './batches.ts';
import { recordDrop, type DroppedSignal } from './drops.ts';

export interface BatchQueueOptions {
  signal: DroppedSignal;
  maxQueueSize: number;
  maxBatchSize: number;
  delayMillis: number;
}

/** What a queue hands its batches to: the SDK's exporters take item arrays, the export worker encoded bytes. */
export interface BatchExporter<Payload> {
  export(batch: SealedBatch<Payload>, done: (result: ExportResult) => void): void;
  shutdown(): Promise<void>;
}

export type ExportFunction<Payload> = (batch: SealedBatch<Payload>, done: (result: ExportResult) => void) => void;

/** Takes a batch off a full queue instead of dropping new items (the spool); false when it could not. */
export type OverflowFunction<Payload> = (batch: SealedBatch<Payload>) => boolean;

/**
 * A bounded queue that exports in batches, one export at a time.
 *
 * We keep our own instead of the SDK's BatchSpanProcessor/BatchLogRecordProcessor because those
 * report a full queue only through `diag` and give no way to count failed exports; here every item
 * that will never be delivered is counted (`drops.ts`), and memory is bounded by the queue plus one
 * batch in flight, even when the collector is down. Items go into a batch as they arrive, so a
 * builder may encode them at once instead of keeping them alive until the export.
 */
export class BatchQueue<T, Payload = T[]> {
  private readonly batches: Batches<T, Payload>;
  private inFlight: Promise<void> | undefined;
  /** Items of the export in flight that no drop count holds yet. */
  private inFlightUncounted = 0;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly options: BatchQueueOptions;
  private readonly exportBatch: ExportFunction<Payload>;
  private readonly overflow: OverflowFunction<Payload> | undefined;

  constructor(options: BatchQueueOptions, newBatch: () => BatchBuilder<T, Payload>, exportBatch: ExportFunction<Payload>, overflow?: OverflowFunction<Payload>) {
    this.options = { ...options, maxBatchSize: Math.min(options.maxBatchSize, options.maxQueueSize) };
    this.batches = new Batches(this.options.maxBatchSize, newBatch);
    this.exportBatch = exportBatch;
    this.overflow = overflow;
  }

  /** Items waiting for an export (not counting the one in flight). */
  get size(): number {
    return this.batches.size;
  }

  push(item: T): void {
    if (this.closed) {
      recordDrop(this.options.signal, 'shutdown', 1);
      return;
    }
    if (this.batches.size >= this.options.maxQueueSize && !this.overflowOldest()) {
      recordDrop(this.options.signal, 'queue_full', 1, `queue of ${this.options.maxQueueSize}`);
      return;
    }
    this.batches.add(item);
    if (this.batches.hasFullBatch) this.kick();
    else this.schedule();
  }

  /** Exports everything queued now; resolves when the last batch has been answered or failed. */
  async flush(): Promise<void> {
    this.clearTimer();
    while (this.batches.size > 0 || this.inFlight !== undefined) {
      if (this.inFlight !== undefined) await this.inFlight;
      else this.startExport();
    }
  }

  /**
   * The `exit` path, where nothing asynchronous finishes: every queued item goes to `handOff` now
   * (the export worker, which the exit flush then waits for); what it refuses is dropped and counted.
   */
  handOffAll(handOff: (batch: SealedBatch<Payload>) => boolean): void {
    this.clearTimer();
    for (let batch = this.batches.take(); batch !== undefined; batch = this.batches.take()) {
      if (!handOff(batch)) recordDrop(this.options.signal, 'shutdown', batch.count, 'export worker unavailable at exit');
    }
  }

  /**
   * The `exit` path for a queue whose exporter runs on the app's thread (the logs API): nothing it
   * holds can be sent any more, the export in flight included, so all of it is counted as lost
   * rather than vanishing; what arrives after is counted as it comes.
   */
  dropAllAtExit(detail: string): void {
    this.clearTimer();
    this.closed = true;
    let lost = this.inFlightUncounted;
    this.inFlightUncounted = 0;
    for (let batch = this.batches.take(); batch !== undefined; batch = this.batches.take()) lost += batch.count;
    if (lost > 0) recordDrop(this.options.signal, 'shutdown', lost, detail);
  }

  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
  }

  /** Hands the oldest batch to the overflow (the spool), making room; false when there is none. */
  private overflowOldest(): boolean {
    if (this.overflow === undefined) return false;
    const oldest = this.batches.take();
    if (oldest === undefined) return false;
    if (!this.overflow(oldest)) recordDrop(this.options.signal, 'queue_full', oldest.count, `queue of ${this.options.maxQueueSize}`);
    return true;
  }

  private schedule(): void {
    if (this.timer !== undefined || this.inFlight !== undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.kick();
    }, this.options.delayMillis);
    // A batch timer must not keep a finished app alive; the lifecycle flushes before exit.
    this.timer.unref();
  }

  private clearTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private kick(): void {
    this.clearTimer();
    if (this.inFlight === undefined && this.batches.size > 0) this.startExport();
  }

  private startExport(): void {
    const batch = this.batches.take();
    if (batch === undefined) return;
    this.inFlightUncounted = batch.count;
    this.inFlight = new Promise<void>((resolve) => {
      let settled = false;
      const done = (result: ExportResult): void => {
        if (settled) return;
        settled = true;
        const uncounted = this.inFlightUncounted;
        this.inFlightUncounted = 0;
        if (result.code !== ExportResultCode.SUCCESS && uncounted > 0) {
          recordDrop(this.options.signal, 'export_failed', uncounted, result.error?.message);
        }
        resolve();
      };
      try {
        // Exporting must not produce spans of its own (the HTTP client hooks would trace the export),
        // nor carry the context of the request whose span filled the batch: the exporter's
        // keep-alive socket would hold that request's context for as long as it lives.
        context.with(suppressTracing(ROOT_CONTEXT), () => {
          this.exportBatch(batch, done);
        });
      } catch (error) {
        done({ code: ExportResultCode.FAILED, error: error instanceof Error ? error : new Error(String(error)) });
      }
    }).then(() => {
      this.inFlight = undefined;
      if (this.batches.hasFullBatch) this.kick();
      else if (this.batches.size > 0) this.schedule();
    });
  }
}

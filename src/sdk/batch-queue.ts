import { context } from '@opentelemetry/api';
import { ExportResultCode, suppressTracing, type ExportResult } from '@opentelemetry/core';
import { recordDrop, type DroppedSignal } from './drops.ts';

export interface BatchQueueOptions {
  signal: DroppedSignal;
  maxQueueSize: number;
  maxBatchSize: number;
  delayMillis: number;
}

/** Collects items into one export's payload: an array of them, or bytes already encoded. */
export interface BatchBuilder<T, Payload> {
  add(item: T): void;
  readonly count: number;
  build(): Payload;
}

/** What a queue hands its batches to: the SDK's exporters take item arrays, faultline's encoded bytes. */
export interface BatchExporter<Payload> {
  export(payload: Payload, done: (result: ExportResult) => void): void;
  shutdown(): Promise<void>;
}

export type ExportFunction<Payload> = (payload: Payload, done: (result: ExportResult) => void) => void;

/** The plain builder: the export receives the items themselves. */
export function arrayBatch<T>(): BatchBuilder<T, T[]> {
  const items: T[] = [];
  return {
    add: (item) => items.push(item),
    get count() {
      return items.length;
    },
    build: () => items,
  };
}

interface SealedBatch<Payload> {
  payload: Payload;
  count: number;
}

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
  private sealed: SealedBatch<Payload>[] = [];
  private open: BatchBuilder<T, Payload> | undefined;
  private queued = 0;
  private inFlight: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly options: BatchQueueOptions;
  private readonly newBatch: () => BatchBuilder<T, Payload>;
  private readonly exportBatch: ExportFunction<Payload>;

  constructor(options: BatchQueueOptions, newBatch: () => BatchBuilder<T, Payload>, exportBatch: ExportFunction<Payload>) {
    this.options = { ...options, maxBatchSize: Math.min(options.maxBatchSize, options.maxQueueSize) };
    this.newBatch = newBatch;
    this.exportBatch = exportBatch;
  }

  /** Items waiting for an export (not counting the one in flight). */
  get size(): number {
    return this.queued;
  }

  push(item: T): void {
    if (this.closed) {
      recordDrop(this.options.signal, 'shutdown', 1);
      return;
    }
    if (this.queued >= this.options.maxQueueSize) {
      recordDrop(this.options.signal, 'queue_full', 1, `queue of ${this.options.maxQueueSize}`);
      return;
    }
    this.open ??= this.newBatch();
    this.open.add(item);
    this.queued += 1;
    if (this.open.count >= this.options.maxBatchSize) {
      this.seal();
      this.kick();
    } else this.schedule();
  }

  /** Exports everything queued now; resolves when the last batch has been answered or failed. */
  async flush(): Promise<void> {
    this.clearTimer();
    while (this.queued > 0 || this.inFlight !== undefined) {
      if (this.inFlight !== undefined) await this.inFlight;
      else this.startExport();
    }
  }

  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
  }

  private seal(): void {
    const open = this.open;
    if (open === undefined || open.count === 0) return;
    this.open = undefined;
    this.sealed.push({ payload: open.build(), count: open.count });
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
    if (this.inFlight === undefined && this.queued > 0) this.startExport();
  }

  private startExport(): void {
    if (this.sealed.length === 0) this.seal();
    const batch = this.sealed.shift();
    if (batch === undefined) return;
    this.queued -= batch.count;
    this.inFlight = new Promise<void>((resolve) => {
      let settled = false;
      const done = (result: ExportResult): void => {
        if (settled) return;
        settled = true;
        if (result.code !== ExportResultCode.SUCCESS) {
          recordDrop(this.options.signal, 'export_failed', batch.count, result.error?.message);
        }
        resolve();
      };
      try {
        // Exporting must not produce spans of its own (the HTTP client hooks would trace the export).
        context.with(suppressTracing(context.active()), () => {
          this.exportBatch(batch.payload, done);
        });
      } catch (error) {
        done({ code: ExportResultCode.FAILED, error: error instanceof Error ? error : new Error(String(error)) });
      }
    }).then(() => {
      this.inFlight = undefined;
      if (this.sealed.length > 0) this.kick();
      else if (this.queued > 0) this.schedule();
    });
  }
}

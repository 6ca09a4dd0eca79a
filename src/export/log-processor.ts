import type { LogRecordProcessor, ReadableLogRecord, ReadWriteLogRecord } from '@opentelemetry/sdk-logs';
import type { ExportResult } from '@opentelemetry/core';
import { BatchQueue, type BatchQueueOptions } from './batch-queue.ts';
import { arrayBatch } from './batches.ts';

/** An SDK log record exporter (OTLP over the SDK's transport). */
export interface SdkLogExporter {
  export(records: ReadableLogRecord[], done: (result: ExportResult) => void): void;
  shutdown(): Promise<void>;
}

/**
 * Batches log records of the OpenTelemetry logs API (an app that emits through it directly) into
 * a bounded, drop-counting queue (see batch-queue.ts for why). Lines of `createLogger` loggers go
 * through the export worker instead (logging/log-shipper.ts).
 */
export class QueuedLogRecordProcessor implements LogRecordProcessor {
  private readonly queue: BatchQueue<ReadableLogRecord>;
  private readonly exporter: SdkLogExporter;

  constructor(exporter: SdkLogExporter, options: Omit<BatchQueueOptions, 'signal'>) {
    this.exporter = exporter;
    this.queue = new BatchQueue({ ...options, signal: 'logs' }, arrayBatch<ReadableLogRecord>, (batch, done) => {
      exporter.export(batch.payload, done);
    });
  }

  onEmit(record: ReadWriteLogRecord): void {
    this.queue.push(record);
  }

  /** At exit: what is queued or in flight can no longer leave the app's thread; it is counted lost. */
  dropAllAtExit(): void {
    this.queue.dropAllAtExit('not delivered by the shutdown deadline');
  }

  forceFlush(): Promise<void> {
    return this.queue.flush();
  }

  async shutdown(): Promise<void> {
    await this.queue.close();
    await this.exporter.shutdown();
  }
}

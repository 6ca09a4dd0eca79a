import type { LogRecordProcessor, ReadableLogRecord, ReadWriteLogRecord } from '@opentelemetry/sdk-logs';
import { type BatchExporter, BatchQueue, type BatchQueueOptions } from './batch-queue.ts';
import { arrayBatch } from './batches.ts';

/** Batches log records into a bounded, drop-counting queue (see batch-queue.ts for why). */
export class QueuedLogRecordProcessor implements LogRecordProcessor {
  private readonly queue: BatchQueue<ReadableLogRecord>;
  private readonly exporter: BatchExporter<ReadableLogRecord[]>;

  constructor(exporter: BatchExporter<ReadableLogRecord[]>, options: Omit<BatchQueueOptions, 'signal'>) {
    this.exporter = exporter;
    this.queue = new BatchQueue({ ...options, signal: 'logs' }, arrayBatch<ReadableLogRecord>, (records, done) => {
      exporter.export(records, done);
    });
  }

  onEmit(record: ReadWriteLogRecord): void {
    this.queue.push(record);
  }

  forceFlush(): Promise<void> {
    return this.queue.flush();
  }

  async shutdown(): Promise<void> {
    await this.queue.close();
    await this.exporter.shutdown();
  }
}

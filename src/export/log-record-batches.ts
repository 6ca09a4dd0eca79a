import { resourceFromAttributes } from '@opentelemetry/resources';
import { Batches, type SealedBatch } from './batches.ts';
import type { LogSettings, ResourceAttributes } from './export-worker-protocol.ts';
import { encodedResource, encodedScope } from './otlp-common-encoding.ts';
import { EncodedLogBatch, type MappedLogRecord } from './otlp-log-encoder.ts';

/**
 * The export worker's log records, encoded into their batch as they are taken in (EncodedLogBatch):
 * only bytes wait for an export. Records wait for the resource, so that every one carries the same
 * resource as the spans and metrics (host.id, for one, is detected asynchronously).
 */
export class LogRecordBatches {
  readonly #settings: LogSettings;
  readonly #scope: Uint8Array;
  #batches: Batches<MappedLogRecord, Uint8Array> | undefined;

  constructor(settings: LogSettings) {
    this.#settings = settings;
    this.#scope = encodedScope({ name: settings.scopeName, version: settings.scopeVersion });
  }

  get ready(): boolean {
    return this.#batches !== undefined;
  }

  get size(): number {
    return this.#batches?.size ?? 0;
  }

  /** Called once, before the first record, when every resource attribute is known. */
  setResource(attributes: ResourceAttributes): void {
    if (this.#batches !== undefined) return;
    const resource = encodedResource(resourceFromAttributes(attributes));
    // The SDK's default attribute count limit, faultline's value length limit.
    const limits = { attributeCountLimit: 128, attributeValueLengthLimit: this.#settings.attributeValueLengthLimit };
    const maxBatchSize = Math.min(this.#settings.maxBatchSize, this.#settings.maxQueueSize);
    this.#batches = new Batches(maxBatchSize, () => new EncodedLogBatch(resource, this.#scope, limits));
  }

  add(record: MappedLogRecord): void {
    // eslint-disable-next-line faultline/only-coded-errors -- an invariant of the worker (export/ sits below the error catalog); the worker counts the line as unreadable
    if (this.#batches === undefined) throw new Error('log record before the resource');
    this.#batches.add(record);
  }

  take(): SealedBatch<Uint8Array> | undefined {
    return this.#batches?.take();
  }
}

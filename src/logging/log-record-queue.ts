import { ROOT_CONTEXT, trace, type Logger as OtelLogger } from '@opentelemetry/api';
import type { ExportResult } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { InternalError } from '../errors/catalog.ts';
import type { BatchExporter } from '../export/batch-queue.ts';
import { arrayBatch, Batches, type SealedBatch } from '../export/batches.ts';
import { encodedResource, encodedScope } from '../export/otlp-common-encoding.ts';
import { EncodedLogBatch, type MappedLogRecord } from '../export/otlp-log-encoder.ts';
import type { LogWorkerSettings, ResourceAttributes } from './log-shipper-protocol.ts';
import { attributesOf } from './pino-record.ts';

/** One export's worth of records, taken off the queue. */
export interface TakenBatch {
  count: number;
  send(done: (result: ExportResult) => void): void;
}

/** The log worker's export queue: records in, batches of at most `maxBatchSize` out. */
export interface RecordQueue {
  readonly size: number;
  /** Called once, before the first record, when every resource attribute is known. */
  setResource(attributes: ResourceAttributes): void;
  add(record: MappedLogRecord): void;
  take(): TakenBatch | undefined;
}

/**
 * http/protobuf: each record is encoded into its batch as it is taken in (EncodedLogBatch), and
 * only bytes wait for the export. http/json keeps the SDK's LoggerProvider and JSON exporter.
 */
export async function createRecordQueue(settings: LogWorkerSettings): Promise<RecordQueue> {
  const options = { url: settings.url, headers: settings.headers, timeoutMillis: settings.timeoutMillis };
  if (settings.protocol === 'http/json') return sdkQueue(settings, options);
  const { EncodedOtlpExporter } = await import('../export/otlp-encoded-exporter.ts');
  const exporter = new EncodedOtlpExporter('logs', options);
  const scope = encodedScope({ name: settings.scopeName, version: settings.scopeVersion });
  // The SDK's default attribute count limit, faultline's value length limit.
  const limits = { attributeCountLimit: 128, attributeValueLengthLimit: settings.attributeValueLengthLimit };
  let batches: Batches<MappedLogRecord, Uint8Array> | undefined;
  return {
    get size() {
      return batches?.size ?? 0;
    },
    setResource(attributes) {
      const resource = encodedResource(resourceFromAttributes(attributes));
      batches = new Batches(settings.maxBatchSize, () => new EncodedLogBatch(resource, scope, limits));
    },
    add(record) {
      if (batches === undefined) throw new InternalError('log record before the resource');
      batches.add(record);
    },
    take: () => taken(batches?.take(), exporter),
  };
}

function taken<Payload>(batch: SealedBatch<Payload> | undefined, exporter: BatchExporter<Payload>): TakenBatch | undefined {
  if (batch === undefined) return undefined;
  return {
    count: batch.count,
    send: (done) => {
      exporter.export(batch.payload, done);
    },
  };
}

async function sdkQueue(settings: LogWorkerSettings, options: { url: string; headers: Record<string, string>; timeoutMillis: number }): Promise<RecordQueue> {
  const [{ OTLPLogExporter }, { LoggerProvider }] = await Promise.all([import('@opentelemetry/exporter-logs-otlp-http'), import('@opentelemetry/sdk-logs')]);
  const exporter = new OTLPLogExporter(options);
  const batches = new Batches(settings.maxBatchSize, arrayBatch<ReadableLogRecord>);
  let logger: OtelLogger | undefined;
  return {
    get size() {
      return batches.size;
    },
    setResource(attributes) {
      const provider = new LoggerProvider({
        resource: resourceFromAttributes(attributes),
        logRecordLimits: { attributeValueLengthLimit: settings.attributeValueLengthLimit },
        processors: [{ onEmit: (record) => { batches.add(record); }, forceFlush: () => Promise.resolve(), shutdown: () => Promise.resolve() }],
      });
      logger = provider.getLogger(settings.scopeName, settings.scopeVersion);
    },
    add(record) {
      if (logger === undefined) throw new InternalError('log record before the resource');
      const context =
        record.traceId === undefined || record.spanId === undefined
          ? undefined
          : trace.setSpanContext(ROOT_CONTEXT, { traceId: record.traceId, spanId: record.spanId, traceFlags: record.traceFlags ?? 0, isRemote: true });
      logger.emit({
        timestamp: record.timestamp,
        body: record.body,
        // The worker's numbers are OpenTelemetry SeverityNumber values (severity.ts).
        // eslint-disable-next-line @typescript-eslint/no-unsafe-enum-assignment
        severityNumber: record.severityNumber,
        severityText: record.severityText,
        attributes: attributesOf(record),
        ...(context === undefined ? {} : { context }),
      });
    },
    take: () => taken(batches.take(), exporter),
  };
}

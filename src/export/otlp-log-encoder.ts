import type { AnyValue } from '@opentelemetry/api';
import { millisToHrTime } from '@opentelemetry/core';
import type { BatchBuilder } from './batches.ts';
import { encodeExportRequest, writeAnyValue, writeKeyValue } from './otlp-common-encoding.ts';
import { ProtobufWriter } from './protobuf-writer.ts';

/** A log line as the log worker maps it (pino-opentelemetry-transport's mapping), ready to encode. */
export interface MappedLogRecord {
  /** Epoch milliseconds; the time of encoding when absent. */
  timestamp?: number;
  /** Epoch milliseconds when the record was seen; the time of encoding when absent. */
  observedTimestamp?: number;
  /** OpenTelemetry SeverityNumber, 0 (unspecified) to 24. */
  severityNumber?: number;
  severityText?: string;
  body?: AnyValue;
  /** Plain JSON values: the worker parsed them from the line. */
  attributes: Record<string, unknown>;
  /** Keys of `attributes` that are not attributes (the line's time, level, message, trace fields). */
  skipKeys?: ReadonlySet<string>;
  traceId?: string;
  spanId?: string;
  traceFlags?: number;
}

export interface LogRecordLimits {
  attributeCountLimit: number;
  attributeValueLengthLimit: number;
}

/**
 * ExportLogsServiceRequest in protobuf for the log worker, written straight from the mapped
 * line: the same bytes as the SDK's LoggerProvider followed by its serializer (tested), without a
 * LogRecord object per line, a validated deep copy of its attributes, or a second pass over them.
 * Attribute limits are applied as the SDK applies them: past the count limit an attribute is
 * dropped and counted, and strings are cut to the length limit at any depth.
 */
export class EncodedLogBatch implements BatchBuilder<MappedLogRecord, Uint8Array> {
  readonly #records = new ProtobufWriter(16 * 1024);
  readonly #resource: Uint8Array;
  readonly #scope: Uint8Array;
  readonly #limits: LogRecordLimits;
  #count = 0;

  /** `resource` and `scope` are the encoded Resource and InstrumentationScope messages. */
  constructor(resource: Uint8Array, scope: Uint8Array, limits: LogRecordLimits) {
    this.#resource = resource;
    this.#scope = scope;
    this.#limits = limits;
  }

  get count(): number {
    return this.#count;
  }

  add(record: MappedLogRecord): void {
    const writer = this.#records;
    writer.tag(2, 2);
    const start = writer.begin();
    const now = Date.now();
    writer.tag(1, 1);
    writer.hrTime(millisToHrTime(record.timestamp ?? now));
    if (record.severityNumber !== undefined && record.severityNumber !== 0) {
      writer.tag(2, 0);
      writer.varint(record.severityNumber);
    }
    if (record.severityText) {
      writer.tag(3, 2);
      writer.string(record.severityText);
    }
    if (record.body !== undefined) {
      writer.tag(5, 2);
      const body = writer.begin();
      writeAnyValue(writer, record.body);
      writer.end(body);
    }
    let kept = 0;
    let dropped = 0;
    const skip = record.skipKeys;
    for (const key in record.attributes) {
      if (!Object.prototype.hasOwnProperty.call(record.attributes, key) || skip?.has(key) === true) continue;
      const value = record.attributes[key];
      if (value === undefined || key.length === 0) continue;
      if (kept >= this.#limits.attributeCountLimit) {
        dropped += 1;
        continue;
      }
      kept += 1;
      writeKeyValue(writer, 6, key, value, this.#limits.attributeValueLengthLimit);
    }
    writer.tag(7, 0);
    writer.varint(dropped);
    if (record.traceId !== undefined && record.spanId !== undefined) {
      if (record.traceFlags) {
        writer.tag(8, 5);
        writer.fixed32(record.traceFlags);
      }
      writer.tag(9, 2);
      writer.hexBytes(record.traceId);
      writer.tag(10, 2);
      writer.hexBytes(record.spanId);
    }
    writer.tag(11, 1);
    writer.hrTime(millisToHrTime(record.observedTimestamp ?? now));
    writer.end(start);
    this.#count += 1;
  }

  build(): Uint8Array {
    return encodeExportRequest([{ resource: this.#resource, scopes: [{ scope: this.#scope, records: this.#records }] }]);
  }
}

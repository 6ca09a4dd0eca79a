import { isValidSpanId, isValidTraceId } from '@opentelemetry/api';
import type { MappedLogRecord } from '../export/otlp-log-encoder.ts';
import { severityNumberForLevel } from './severity.ts';

export interface PinoMapping {
  messageKey: string;
  /** Level number to label, standard and custom levels. */
  labels: Record<number, string>;
}

const TRACE_FIELDS = ['trace_id', 'span_id', 'trace_flags'] as const;
const skipSets = new Map<string, { plain: ReadonlySet<string>; traced: ReadonlySet<string> }>();

function skipped(messageKey: string): { plain: ReadonlySet<string>; traced: ReadonlySet<string> } {
  let sets = skipSets.get(messageKey);
  if (sets === undefined) {
    const plain = new Set(['time', 'level', 'hostname', 'pid', messageKey]);
    sets = { plain, traced: new Set([...plain, ...TRACE_FIELDS]) };
    skipSets.set(messageKey, sets);
  }
  return sets;
}

function timestampOf(time: unknown): number | undefined {
  if (typeof time === 'number') return time;
  if (typeof time === 'string') {
    const parsed = Date.parse(time);
    return Number.isNaN(parsed) ? undefined : parsed;
  }
  return undefined;
}

/**
 * A parsed pino line as an OpenTelemetry log record, the way pino-opentelemetry-transport maps it:
 * the message is the body, `level` gives severity number and text, `time` the timestamp, `hostname`
 * and `pid` are left out (they are resource attributes), every other field is an attribute, and
 * `trace_id`/`span_id`/`trace_flags` become the record's trace context.
 *
 * The transport's mapper copies the line into a new object and the trace fields were then deleted
 * from it (which turns it into a slow dictionary object); here the parsed line is the attribute
 * source as it is, and the fields that are not attributes are skipped when it is encoded. Both are
 * the same record (test/logging/pino-record.test.ts).
 */
export function pinoRecord(line: Record<string, unknown>, mapping: PinoMapping): MappedLogRecord {
  const level = line.level;
  const skip = skipped(mapping.messageKey);
  const record: MappedLogRecord = {
    timestamp: timestampOf(line.time),
    body: line[mapping.messageKey],
    severityNumber: typeof level === 'number' ? severityNumberForLevel(level) : 0,
    severityText: typeof level === 'number' ? mapping.labels[level] : undefined,
    attributes: line,
    skipKeys: skip.plain,
  };
  const { trace_id: traceId, span_id: spanId, trace_flags: flags } = line;
  if (traceId === undefined || spanId === undefined || flags === undefined) return record;
  record.skipKeys = skip.traced;
  if (typeof traceId !== 'string' || typeof spanId !== 'string' || !isValidTraceId(traceId) || !isValidSpanId(spanId)) return record;
  const traceFlags = typeof flags === 'number' ? flags : typeof flags === 'string' ? Number.parseInt(flags, 16) : 0;
  record.traceId = traceId;
  record.spanId = spanId;
  record.traceFlags = Number.isInteger(traceFlags) ? traceFlags & 0xff : 0;
  return record;
}

/** The record's attributes as a plain object, for the SDK's LoggerProvider (the http/json path). */
export function attributesOf(record: MappedLogRecord): Record<string, unknown> {
  if (record.skipKeys === undefined) return record.attributes;
  const attributes: Record<string, unknown> = {};
  for (const key in record.attributes) {
    if (Object.prototype.hasOwnProperty.call(record.attributes, key) && !record.skipKeys.has(key)) attributes[key] = record.attributes[key];
  }
  return attributes;
}

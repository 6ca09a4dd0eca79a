import { loadSchema } from '../receiver/schema.ts';
import type { ExportSignal } from './export-worker-protocol.ts';

// OTLP/JSON from the protobuf faultline encodes, with the official schema (the .proto files the
// receiver reads too): the http/json protocol and the spool (the Collector's otlpjsonfile format)
// are this one conversion, so both carry exactly what the protobuf path carries.

const PLAIN = { longs: String, enums: Number, bytes: String, defaults: false, arrays: false, oneofs: false } as const;
// OTLP/JSON departs from the proto3 JSON mapping in one place: trace and span ids are hex, not base64.
const HEX_ID_KEYS = new Set(['traceId', 'spanId', 'parentSpanId']);

function hexIds(value: unknown): void {
  if (Array.isArray(value)) {
    for (const item of value) hexIds(item);
    return;
  }
  if (value === null || typeof value !== 'object') return;
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    const field = record[key];
    if (HEX_ID_KEYS.has(key) && typeof field === 'string') record[key] = Buffer.from(field, 'base64').toString('hex');
    else if (typeof field === 'object') hexIds(field);
  }
}

/** The OTLP/JSON text (one line) of an encoded Export*ServiceRequest. Throws on bytes that do not decode. */
export function otlpJson(signal: ExportSignal, request: Uint8Array): string {
  const type = loadSchema().requests[signal];
  const plain = type.toObject(type.decode(request), PLAIN);
  hexIds(plain);
  return JSON.stringify(plain);
}

/** Loads the schema ahead of need: parsing the .proto files should not eat into an exit deadline. */
export function prepareOtlpJson(): void {
  loadSchema();
}

/** The top-level field of each signal's request: a spooled line must have it to be shipped. */
export const REQUEST_FIELDS: Record<ExportSignal, string> = { traces: 'resourceSpans', metrics: 'resourceMetrics', logs: 'resourceLogs' };

/** Items in an OTLP/JSON request (spans, metric data points, log records), for the drop and spool counts. */
export function countItems(signal: ExportSignal, request: unknown): number {
  let items = 0;
  const resources = (request as Record<string, unknown> | null)?.[REQUEST_FIELDS[signal]];
  if (!Array.isArray(resources)) return 0;
  for (const resource of resources as Record<string, unknown>[]) {
    const scopes = resource[signal === 'traces' ? 'scopeSpans' : signal === 'metrics' ? 'scopeMetrics' : 'scopeLogs'];
    if (!Array.isArray(scopes)) continue;
    for (const scope of scopes as Record<string, unknown>[]) {
      const list = scope[signal === 'traces' ? 'spans' : signal === 'metrics' ? 'metrics' : 'logRecords'];
      if (!Array.isArray(list)) continue;
      if (signal !== 'metrics') items += list.length;
      else for (const metric of list as Record<string, unknown>[]) items += metricPoints(metric);
    }
  }
  return items;
}

function metricPoints(metric: Record<string, unknown>): number {
  for (const kind of ['sum', 'gauge', 'histogram', 'exponentialHistogram', 'summary']) {
    const points = (metric[kind] as { dataPoints?: unknown } | undefined)?.dataPoints;
    if (Array.isArray(points)) return points.length;
  }
  return 0;
}

import type {
  MetricType,
  ReceivedAttributes,
  ReceivedLogRecord,
  ReceivedMetricPoint,
  ReceivedScope,
  ReceivedSpan,
  ReceivedValue,
  Temporality,
} from './types.ts';

// The shapes below are what protobufjs's toObject makes of an OTLP request (see decode.ts): every
// scalar present with its default, int64 as decimal strings, unset messages as null, and a virtual
// property naming the member set in each oneof. Only the fields read here are declared.

interface PlainAnyValue {
  value?: string;
  stringValue?: string;
  boolValue?: boolean;
  intValue?: string;
  doubleValue?: number;
  arrayValue?: { values: (PlainAnyValue | null)[] } | null;
  kvlistValue?: { values: PlainKeyValue[] } | null;
  bytesValue?: Uint8Array;
}

interface PlainKeyValue {
  key: string;
  value: PlainAnyValue | null;
}

interface PlainResource {
  attributes: PlainKeyValue[];
}

interface PlainScope {
  name: string;
  version: string;
}

/** Each resource holds scope groups, either current (`scope…`) or deprecated (`instrumentationLibrary…`). */
interface PlainResourceGroup {
  resource: PlainResource | null;
}

interface PlainSpan {
  traceId: Uint8Array;
  spanId: Uint8Array;
  traceState: string;
  parentSpanId: Uint8Array;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: PlainKeyValue[];
  droppedAttributesCount: number;
  events: { timeUnixNano: string; name: string; attributes: PlainKeyValue[] }[];
  droppedEventsCount: number;
  links: { traceId: Uint8Array; spanId: Uint8Array; traceState: string; attributes: PlainKeyValue[] }[];
  droppedLinksCount: number;
  status: { code: number; message: string } | null;
}

interface PlainLogRecord {
  timeUnixNano: string;
  observedTimeUnixNano: string;
  severityNumber: number;
  severityText: string;
  body: PlainAnyValue | null;
  attributes: PlainKeyValue[];
  droppedAttributesCount: number;
  flags: number;
  traceId: Uint8Array;
  spanId: Uint8Array;
}

interface PlainNumberPoint {
  attributes: PlainKeyValue[];
  startTimeUnixNano: string;
  timeUnixNano: string;
  value?: string;
  asDouble?: number;
  asInt?: string;
}

interface PlainHistogramPoint {
  attributes: PlainKeyValue[];
  startTimeUnixNano: string;
  timeUnixNano: string;
  count: string;
  sum?: number;
  min?: number;
  max?: number;
  bucketCounts?: string[];
  explicitBounds?: number[];
  quantileValues?: { quantile: number; value: number }[];
}

interface PlainMetric {
  name: string;
  description: string;
  unit: string;
  data?: string;
  gauge?: { dataPoints: PlainNumberPoint[] } | null;
  sum?: { dataPoints: PlainNumberPoint[]; aggregationTemporality: number; isMonotonic: boolean } | null;
  histogram?: { dataPoints: PlainHistogramPoint[]; aggregationTemporality: number } | null;
  exponentialHistogram?: { dataPoints: PlainHistogramPoint[]; aggregationTemporality: number } | null;
  summary?: { dataPoints: PlainHistogramPoint[] } | null;
}

export function spansFromRequest(request: unknown): ReceivedSpan[] {
  const received: ReceivedSpan[] = [];
  for (const { item, resource, scope } of scopeItems(request, 'resourceSpans', 'Spans', 'spans')) {
    const span = item as PlainSpan;
    const parentSpanId = hex(span.parentSpanId);
    const statusMessage = span.status?.message ?? '';
    received.push({
      traceId: hex(span.traceId),
      spanId: hex(span.spanId),
      ...(parentSpanId === '' ? {} : { parentSpanId }),
      ...(span.traceState === '' ? {} : { traceState: span.traceState }),
      name: span.name,
      kind: span.kind,
      startTimeUnixNano: span.startTimeUnixNano,
      endTimeUnixNano: span.endTimeUnixNano,
      attributes: attributesOf(span.attributes),
      events: span.events.map((event) => ({
        name: event.name,
        timeUnixNano: event.timeUnixNano,
        attributes: attributesOf(event.attributes),
      })),
      links: span.links.map((link) => ({
        traceId: hex(link.traceId),
        spanId: hex(link.spanId),
        ...(link.traceState === '' ? {} : { traceState: link.traceState }),
        attributes: attributesOf(link.attributes),
      })),
      status: { code: span.status?.code ?? 0, ...(statusMessage === '' ? {} : { message: statusMessage }) },
      droppedAttributesCount: span.droppedAttributesCount,
      droppedEventsCount: span.droppedEventsCount,
      droppedLinksCount: span.droppedLinksCount,
      resource,
      scope,
    });
  }
  return received;
}

export function logsFromRequest(request: unknown): ReceivedLogRecord[] {
  const received: ReceivedLogRecord[] = [];
  for (const { item, resource, scope } of scopeItems(request, 'resourceLogs', 'Logs', 'logRecords')) {
    const record = item as PlainLogRecord;
    const traceId = hex(record.traceId);
    const spanId = hex(record.spanId);
    received.push({
      timeUnixNano: record.timeUnixNano,
      observedTimeUnixNano: record.observedTimeUnixNano,
      severityNumber: record.severityNumber,
      severityText: record.severityText,
      ...(record.body === null ? {} : { body: valueOf(record.body) }),
      attributes: attributesOf(record.attributes),
      ...(traceId === '' ? {} : { traceId }),
      ...(spanId === '' ? {} : { spanId }),
      flags: record.flags,
      droppedAttributesCount: record.droppedAttributesCount,
      resource,
      scope,
    });
  }
  return received;
}

export function metricPointsFromRequest(request: unknown): ReceivedMetricPoint[] {
  const received: ReceivedMetricPoint[] = [];
  for (const { item, resource, scope } of scopeItems(request, 'resourceMetrics', 'Metrics', 'metrics')) {
    const metric = item as PlainMetric;
    const common = { name: metric.name, unit: metric.unit, description: metric.description };
    const base = (type: MetricType, point: PlainNumberPoint | PlainHistogramPoint) => ({
      ...common,
      type,
      attributes: attributesOf(point.attributes),
      startTimeUnixNano: point.startTimeUnixNano,
      timeUnixNano: point.timeUnixNano,
      resource,
      scope,
    });
    switch (metric.data) {
      case 'gauge':
        for (const point of metric.gauge?.dataPoints ?? []) received.push({ ...base('gauge', point), ...numberValue(point) });
        break;
      case 'sum': {
        const sum = metric.sum;
        for (const point of sum?.dataPoints ?? []) {
          received.push({
            ...base('sum', point),
            isMonotonic: sum?.isMonotonic ?? false,
            ...temporalityOf(sum?.aggregationTemporality),
            ...numberValue(point),
          });
        }
        break;
      }
      case 'histogram':
      case 'exponentialHistogram': {
        const type = metric.data;
        const histogram = metric[type];
        for (const point of histogram?.dataPoints ?? []) {
          received.push({
            ...base(type, point),
            ...temporalityOf(histogram?.aggregationTemporality),
            ...distribution(point),
          });
        }
        break;
      }
      case 'summary':
        for (const point of metric.summary?.dataPoints ?? []) received.push({ ...base('summary', point), ...distribution(point) });
        break;
      default:
        // A metric with no data (or a kind newer than the schema) carries no points.
        break;
    }
  }
  return received;
}

/**
 * Every item with its resource and scope, from the current `scope<Kind>` groups and from the
 * deprecated `instrumentationLibrary<Kind>` ones that old SDKs still send.
 */
function scopeItems(
  request: unknown,
  resourceKey: string,
  kind: string,
  itemsKey: string,
): { item: unknown; resource: ReceivedAttributes; scope: ReceivedScope }[] {
  const found: { item: unknown; resource: ReceivedAttributes; scope: ReceivedScope }[] = [];
  const groups = (request as Record<string, PlainResourceGroup[] | undefined>)[resourceKey] ?? [];
  for (const group of groups) {
    const resource = attributesOf(group.resource?.attributes ?? []);
    const byKey = group as unknown as Record<string, Record<string, unknown>[] | undefined>;
    const scoped = [
      ...(byKey[`scope${kind}`] ?? []).map((entry) => ({ scope: entry.scope as PlainScope | null, entry })),
      ...(byKey[`instrumentationLibrary${kind}`] ?? []).map((entry) => ({ scope: entry.instrumentationLibrary as PlainScope | null, entry })),
    ];
    for (const { scope, entry } of scoped) {
      const plainScope: ReceivedScope = { name: scope?.name ?? '', version: scope?.version ?? '' };
      for (const item of (entry[itemsKey] ?? []) as unknown[]) found.push({ item, resource, scope: plainScope });
    }
  }
  return found;
}

function numberValue(point: PlainNumberPoint): { value?: number } {
  if (point.value === 'asDouble' && point.asDouble !== undefined) return { value: point.asDouble };
  if (point.value === 'asInt' && point.asInt !== undefined) return { value: Number(point.asInt) };
  return {};
}

function temporalityOf(aggregationTemporality: number | undefined): { temporality?: Temporality } {
  if (aggregationTemporality === 1) return { temporality: 'delta' };
  if (aggregationTemporality === 2) return { temporality: 'cumulative' };
  return {};
}

function distribution(point: PlainHistogramPoint): Partial<ReceivedMetricPoint> {
  return {
    count: Number(point.count),
    ...(point.sum === undefined ? {} : { sum: point.sum }),
    ...(point.min === undefined ? {} : { min: point.min }),
    ...(point.max === undefined ? {} : { max: point.max }),
    ...(point.explicitBounds === undefined ? {} : { explicitBounds: point.explicitBounds }),
    ...(point.bucketCounts === undefined ? {} : { bucketCounts: point.bucketCounts.map(Number) }),
    ...(point.quantileValues === undefined
      ? {}
      : { quantiles: point.quantileValues.map(({ quantile, value }) => ({ quantile, value })) }),
  };
}

export function attributesOf(keyValues: PlainKeyValue[]): ReceivedAttributes {
  const attributes: ReceivedAttributes = {};
  for (const { key, value } of keyValues) {
    // defineProperty, so that a key named "__proto__" is data rather than a prototype swap.
    Object.defineProperty(attributes, key, { value: valueOf(value), enumerable: true, writable: true, configurable: true });
  }
  return attributes;
}

export function valueOf(value: PlainAnyValue | null | undefined): ReceivedValue {
  switch (value?.value) {
    case 'stringValue':
      return value.stringValue ?? '';
    case 'boolValue':
      return value.boolValue ?? false;
    case 'intValue':
      return int64(value.intValue ?? '0');
    case 'doubleValue':
      return value.doubleValue ?? 0;
    case 'arrayValue':
      return (value.arrayValue?.values ?? []).map(valueOf);
    case 'kvlistValue':
      return attributesOf(value.kvlistValue?.values ?? []);
    case 'bytesValue':
      return hex(value.bytesValue);
    default:
      // An AnyValue with nothing set is OTLP's null.
      return null;
  }
}

function int64(decimal: string): number | string {
  const parsed = Number(decimal);
  return Number.isSafeInteger(parsed) ? parsed : decimal;
}

function hex(bytes: Uint8Array | undefined): string {
  return bytes === undefined ? '' : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

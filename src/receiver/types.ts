// The plain shapes the receiver hands out. Protobuf and JSON requests normalise to the same shapes:
// ids are lowercase hex, 64-bit timestamps are decimal strings (nanoseconds lose precision as numbers).
import type { Signal } from '../config.ts';

/** An OTLP AnyValue as plain JS: int64 is a number when safe and a decimal string otherwise, bytes are hex. */
export type ReceivedValue = string | number | boolean | null | ReceivedValue[] | { [key: string]: ReceivedValue };

export type ReceivedAttributes = Record<string, ReceivedValue>;

export type ReceiverMode = 'ok' | 'hang' | 'error';

export interface ReceivedScope {
  name: string;
  version: string;
}

export interface ReceivedSpanEvent {
  name: string;
  timeUnixNano: string;
  attributes: ReceivedAttributes;
}

export interface ReceivedSpanLink {
  traceId: string;
  spanId: string;
  traceState?: string;
  attributes: ReceivedAttributes;
}

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  /** Absent on root spans. */
  parentSpanId?: string;
  traceState?: string;
  name: string;
  /** OTLP SpanKind: 0 unspecified, 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: ReceivedAttributes;
  events: ReceivedSpanEvent[];
  links: ReceivedSpanLink[];
  /** OTLP StatusCode: 0 unset, 1 ok, 2 error. */
  status: { code: number; message?: string };
  droppedAttributesCount: number;
  droppedEventsCount: number;
  droppedLinksCount: number;
  resource: ReceivedAttributes;
  scope: ReceivedScope;
}

export interface ReceivedLogRecord {
  timeUnixNano: string;
  observedTimeUnixNano: string;
  severityNumber: number;
  severityText: string;
  /** Absent when the record has no body. */
  body?: ReceivedValue;
  attributes: ReceivedAttributes;
  /** Absent when the record was not emitted inside a span. */
  traceId?: string;
  spanId?: string;
  flags: number;
  droppedAttributesCount: number;
  resource: ReceivedAttributes;
  scope: ReceivedScope;
}

export type MetricType = 'sum' | 'gauge' | 'histogram' | 'exponentialHistogram' | 'summary';

export type Temporality = 'cumulative' | 'delta';

/** One data point, flattened with the metric it belongs to. */
export interface ReceivedMetricPoint {
  name: string;
  unit: string;
  description: string;
  type: MetricType;
  /** Sums only. */
  isMonotonic?: boolean;
  /** Sums and histograms. */
  temporality?: Temporality;
  attributes: ReceivedAttributes;
  /** Sums and gauges. */
  value?: number;
  /** Histograms and summaries. */
  count?: number;
  sum?: number;
  min?: number;
  max?: number;
  /** Explicit-bucket histograms: `bucketCounts` has one more entry than `explicitBounds`. */
  explicitBounds?: number[];
  bucketCounts?: number[];
  /** Summaries. */
  quantiles?: { quantile: number; value: number }[];
  startTimeUnixNano: string;
  timeUnixNano: string;
  resource: ReceivedAttributes;
  scope: ReceivedScope;
}

/** One HTTP request on a signal path, whatever came of it. */
export interface ReceivedRequest {
  signal: Signal;
  /** The media type without parameters, lowercased ('' when the header was missing). */
  contentType: string;
  /** The Content-Encoding ('identity' when none). */
  encoding: string;
  /**
   * The request's headers, names lowercased, repeated ones joined with ', ' (as Node does): what an
   * exporter sent besides the body, e.g. the OTEL_EXPORTER_OTLP_HEADERS a collector authenticates with.
   */
  headers: Record<string, string>;
  /** Body size on the wire (before decompression). */
  bytes: number;
  /** Epoch milliseconds when the body had arrived. */
  at: number;
  /** The HTTP status answered; absent when the receiver never answered ('hang' mode). */
  status?: number;
}

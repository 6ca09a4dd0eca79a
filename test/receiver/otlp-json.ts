// OTLP/JSON export requests written by hand, as any sender on the network could write them: for
// exact control of what the viewer is fed (fingerprints, cause chains, hostile text, timestamps).
import { randomBytes } from 'node:crypto';

type Attribute = string | number | boolean | string[];

export interface SpanSpec {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  /** OTLP SpanKind: 1 internal, 2 server, 3 client. */
  kind?: number;
  /** Epoch ms. */
  start: number;
  end: number;
  attributes?: Record<string, Attribute>;
  events?: { name: string; time: number; attributes: Record<string, Attribute> }[];
  status?: { code: number; message?: string };
}

export interface LogSpec {
  time: number;
  severityNumber?: number;
  severityText?: string;
  body: string;
  traceId?: string;
  spanId?: string;
  attributes?: Record<string, Attribute>;
}

export interface CounterPointSpec {
  attributes: Record<string, Attribute>;
  value: number;
  time: number;
}

export function hexId(bytes: 16 | 8): string {
  return randomBytes(bytes).toString('hex');
}

export function nanos(ms: number): string {
  return (BigInt(Math.round(ms)) * 1_000_000n).toString();
}

function anyValue(value: Attribute): Record<string, unknown> {
  if (Array.isArray(value)) return { arrayValue: { values: value.map((item) => ({ stringValue: item })) } };
  if (typeof value === 'string') return { stringValue: value };
  if (typeof value === 'boolean') return { boolValue: value };
  return Number.isInteger(value) ? { intValue: String(value) } : { doubleValue: value };
}

export function keyValues(attributes: Record<string, Attribute> = {}): { key: string; value: Record<string, unknown> }[] {
  return Object.entries(attributes).map(([key, value]) => ({ key, value: anyValue(value) }));
}

/** One resource (named by its service) with one scope holding `items` under `itemsKey`. */
function resourceGroup(service: string, scopeKey: string, itemsKey: string, items: unknown[]): Record<string, unknown> {
  return { resource: { attributes: keyValues({ 'service.name': service }) }, [scopeKey]: [{ scope: { name: 'hand-written' }, [itemsKey]: items }] };
}

export function tracesRequest(service: string, spans: SpanSpec[]): string {
  return JSON.stringify({
    resourceSpans: [
      resourceGroup(
        service,
        'scopeSpans',
        'spans',
        spans.map((span) => ({
          traceId: span.traceId,
          spanId: span.spanId,
          ...(span.parentSpanId === undefined ? {} : { parentSpanId: span.parentSpanId }),
          name: span.name,
          kind: span.kind ?? 1,
          startTimeUnixNano: nanos(span.start),
          endTimeUnixNano: nanos(span.end),
          attributes: keyValues(span.attributes),
          events: (span.events ?? []).map((event) => ({ name: event.name, timeUnixNano: nanos(event.time), attributes: keyValues(event.attributes) })),
          status: span.status ?? { code: 0 },
        })),
      ),
    ],
  });
}

export function logsRequest(service: string, records: LogSpec[]): string {
  return JSON.stringify({
    resourceLogs: [
      resourceGroup(
        service,
        'scopeLogs',
        'logRecords',
        records.map((record) => ({
          timeUnixNano: nanos(record.time),
          observedTimeUnixNano: nanos(record.time),
          severityNumber: record.severityNumber ?? 9,
          severityText: record.severityText ?? 'info',
          body: { stringValue: record.body },
          attributes: keyValues(record.attributes),
          ...(record.traceId === undefined ? {} : { traceId: record.traceId }),
          ...(record.spanId === undefined ? {} : { spanId: record.spanId }),
        })),
      ),
    ],
  });
}

/** One `app.errors` export of a process: cumulative (temporality 2) unless `delta`. */
export function errorCounterRequest(resource: Record<string, Attribute>, points: CounterPointSpec[], start: number, delta = false): string {
  return JSON.stringify({
    resourceMetrics: [
      {
        resource: { attributes: keyValues(resource) },
        scopeMetrics: [
          {
            scope: { name: 'faultline' },
            metrics: [
              {
                name: 'app.errors',
                unit: '{error}',
                sum: {
                  aggregationTemporality: delta ? 1 : 2,
                  isMonotonic: true,
                  dataPoints: points.map((point) => ({
                    attributes: keyValues(point.attributes),
                    startTimeUnixNano: nanos(start),
                    timeUnixNano: nanos(point.time),
                    asInt: String(point.value),
                  })),
                },
              },
            ],
          },
        ],
      },
    ],
  });
}

export async function postJson(baseUrl: string, path: '/v1/traces' | '/v1/logs' | '/v1/metrics', body: string): Promise<number> {
  const response = await fetch(`${baseUrl}${path}`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
  await response.arrayBuffer();
  return response.status;
}

/** The events faultline's recordError writes for an error with one cause: outermost first. */
export function recordedError(options: {
  time: number;
  type: string;
  message: string;
  fingerprint: string;
  category?: string;
  notes?: string[];
  cause?: { type: string; message: string };
}): SpanSpec['events'] {
  const outer: Record<string, Attribute> = {
    'exception.type': options.type,
    'exception.message': options.message,
    'exception.code': options.type,
    'error.category': options.category ?? 'internal',
    'exception.index': 0,
    'exception.cause_depth': 0,
    'exception.fingerprint': options.fingerprint,
    'exception.stacktrace': `Error: ${options.message}\n    at handler (app.js:1:1)`,
  };
  if (options.notes !== undefined) outer['exception.notes'] = options.notes;
  const events = [{ name: 'exception', time: options.time, attributes: outer }];
  if (options.cause !== undefined) {
    events.push({
      name: 'exception',
      time: options.time,
      attributes: {
        'exception.type': options.cause.type,
        'exception.message': options.cause.message,
        'error.category': 'internal',
        'exception.index': 1,
        'exception.cause_depth': 1,
        'exception.parent': 0,
        'exception.relation': 'cause',
      },
    });
  }
  return events;
}

import { isSpanContextValid, trace, type Span } from '@opentelemetry/api';

/**
 * The three fields that tie a log line to its span. The names and formats are the ones
 * pino-opentelemetry-transport and @opentelemetry/instrumentation-pino use (snake_case, lowercase
 * hex, flags as two hex digits), so any pino transport that knows them sets the record's context,
 * and Loki keeps them as structured metadata.
 */
export interface TraceFields {
  trace_id: string;
  span_id: string;
  trace_flags: string;
}

// Every line written inside one span carries the same fields: remember them for the last span
// seen (a span's context never changes). One entry, so at most one ended span is kept alive.
let lastSpan: Span | undefined;
let lastFields: TraceFields | undefined;

/**
 * Fields of the span active right now, or undefined outside a span (a line then gets none). The
 * object is shared between the lines of a span: copy it, do not modify it.
 */
export function activeTraceFields(): Readonly<TraceFields> | undefined {
  const span = trace.getActiveSpan();
  if (span === undefined) return undefined;
  if (span === lastSpan) return lastFields;
  const spanContext = span.spanContext();
  const fields = isSpanContextValid(spanContext)
    ? {
        trace_id: spanContext.traceId,
        span_id: spanContext.spanId,
        trace_flags: spanContext.traceFlags.toString(16).padStart(2, '0'),
      }
    : undefined;
  lastSpan = span;
  lastFields = fields;
  return fields;
}

/** The same fields as a JSON fragment (`,"trace_id":"…",…`) to splice into an already rendered line. */
export function traceFieldsJson(fields: TraceFields): string {
  // Ids and flags are validated hex, so they need no escaping.
  return `,"trace_id":"${fields.trace_id}","span_id":"${fields.span_id}","trace_flags":"${fields.trace_flags}"`;
}

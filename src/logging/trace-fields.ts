import { isSpanContextValid, trace } from '@opentelemetry/api';

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

/** Fields of the span active right now, or undefined outside a span (a line then gets none). */
export function activeTraceFields(): TraceFields | undefined {
  const span = trace.getActiveSpan();
  if (span === undefined) return undefined;
  const spanContext = span.spanContext();
  if (!isSpanContextValid(spanContext)) return undefined;
  return {
    trace_id: spanContext.traceId,
    span_id: spanContext.spanId,
    trace_flags: spanContext.traceFlags.toString(16).padStart(2, '0'),
  };
}

/** The same fields as a JSON fragment (`,"trace_id":"…",…`) to splice into an already rendered line. */
export function traceFieldsJson(fields: TraceFields): string {
  // Ids and flags are validated hex, so they need no escaping.
  return `,"trace_id":"${fields.trace_id}","span_id":"${fields.span_id}","trace_flags":"${fields.trace_flags}"`;
}

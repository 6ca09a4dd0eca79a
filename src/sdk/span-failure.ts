import { type Span, SpanStatusCode } from '@opentelemetry/api';
import { ATTR_ERROR_TYPE } from '@opentelemetry/semantic-conventions';

/**
 * Marks an instrumentation span (HTTP client/server) as failed. A thrown error goes on the span as
 * exception events but is not counted here: it is counted once, where the app handles or fails to
 * handle it, so one failure seen by the client span and by the request's error handler counts once.
 */
export function markSpanFailed(span: Span, errorType: string | undefined, description: string | undefined, error?: unknown): void {
  if (error !== undefined) {
    span.recordException(error instanceof Error ? error : typeof error === 'string' ? error : 'non-Error value thrown');
  }
  if (errorType !== undefined) span.setAttribute(ATTR_ERROR_TYPE, errorType);
  span.setStatus({ code: SpanStatusCode.ERROR, ...(description === undefined ? {} : { message: description }) });
}

import { type Span, SpanStatusCode } from '@opentelemetry/api';
import { ATTR_ERROR_TYPE } from '@opentelemetry/semantic-conventions';
import { recordError } from '../errors/record-error.ts';

/**
 * Marks an instrumentation span (HTTP client/server) as failed. A thrown error goes on the span
 * through the one recording path, but is not counted here: it is counted once, where the app
 * handles or fails to handle it, so one failure seen by the client span and by the request's error
 * handler counts once.
 */
export function markSpanFailed(span: Span, errorType: string | undefined, description: string | undefined, error?: unknown): void {
  if (error !== undefined) {
    recordError(error, { span, count: false });
    return;
  }
  // The app's error handler may already have recorded the real error (DATABASE_UNAVAILABLE rather
  // than "503"): keep its type and description.
  if ((span as unknown as { status?: { code?: number } }).status?.code === SpanStatusCode.ERROR) return;
  if (errorType !== undefined) span.setAttribute(ATTR_ERROR_TYPE, errorType);
  span.setStatus({ code: SpanStatusCode.ERROR, ...(description === undefined ? {} : { message: description }) });
}

import { type Span, SpanStatusCode, trace } from '@opentelemetry/api';
import type { ErrorInfo } from '../errors/classify.ts';
import { MAX_STATUS_DESCRIPTION_LENGTH } from '../errors/limits.ts';
import { recordError } from '../errors/record-error.ts';
import { cut } from '../errors/safe-read.ts';
import { ATTR_ERROR_TYPE, ATTR_HTTP_ROUTE } from '../semconv.ts';
import { warnOnce } from '../warn.ts';
import { buildProblem, customized, type HttpProblem, type ProblemOptions } from './problem.ts';

/** What the shared core needs from a framework's request and response. */
export interface ErrorExchange {
  /** The request path as the client sent it (the query is dropped from the body). */
  path: string | undefined;
  method: string | undefined;
  headersSent(): boolean;
  clientClosed(): boolean;
  /** Writes status, headers and body (no body for HEAD). */
  send(problem: HttpProblem, body: string | undefined): void;
  /**
   * Ends the connection: the only honest answer once a partial response is on the wire, and all
   * that is left when the client is gone. `status` is the problem's, when no header was sent yet.
   */
  abort(status: number | undefined): void;
  /** Optional: tells the framework the route template for the span (Fastify). */
  route?(): string | undefined;
}

/** What happened to the request, for adapters and tests. */
export type ErrorOutcome = { kind: 'sent'; problem: HttpProblem } | { kind: 'aborted'; problem: HttpProblem | undefined };

const FALLBACK_BODY = JSON.stringify({ type: 'about:blank', title: 'Internal Server Error', status: 500, detail: 'An unexpected error occurred.', code: 'INTERNAL_ERROR' });

function recordingSpan(): Span | undefined {
  const span = trace.getActiveSpan();
  return span?.isRecording() === true ? span : undefined;
}

/** A 5xx (or a broken partial response) is a failed server span; a 4xx is not (HTTP semantic conventions). */
function markFailed(span: Span | undefined, info: ErrorInfo): void {
  if (span === undefined) return;
  span.setAttribute(ATTR_ERROR_TYPE, info.type);
  span.setStatus({ code: SpanStatusCode.ERROR, message: cut(`${info.type}: ${info.message}`, MAX_STATUS_DESCRIPTION_LENGTH) });
}

/**
 * The one path every HTTP adapter takes: classify and record the error once on the request's
 * server span, build the problem, and write it, or end the connection when a partial response is
 * already on the wire or the client is gone. Never throws: a failure here falls back to a bare 500
 * or to closing the connection, and is reported once on stderr.
 */
export function respondWithError(err: unknown, exchange: ErrorExchange, options: ProblemOptions): ErrorOutcome {
  let problem: HttpProblem | undefined;
  try {
    const span = recordingSpan();
    const route = exchange.route?.();
    if (span !== undefined && route !== undefined) span.setAttribute(ATTR_HTTP_ROUTE, route);
    const headersSent = exchange.headersSent();
    const clientClosed = exchange.clientClosed();
    const info = recordError(err, { span, setStatus: false });
    problem = customized(buildProblem(err, info, { instance: exchange.path, clientClosed }, options), err, info, options);
    if (problem.status >= 500 || headersSent) markFailed(span, info);
    if (headersSent || clientClosed) {
      exchange.abort(headersSent ? undefined : problem.status);
      return { kind: 'aborted', problem };
    }
    const body = exchange.method === 'HEAD' ? undefined : JSON.stringify(problem.body);
    exchange.send(problem, body);
    return { kind: 'sent', problem };
  } catch (failure) {
    warnOnce('http-error-handler', `the HTTP error handler failed (${failure instanceof Error ? cut(failure.message, 200) : 'a non-Error'}); answering with a bare 500`);
    return fallback(exchange, problem);
  }
}

function fallback(exchange: ErrorExchange, problem: HttpProblem | undefined): ErrorOutcome {
  try {
    if (!exchange.headersSent() && !exchange.clientClosed()) {
      const bare: HttpProblem = { status: 500, headers: { 'content-type': 'application/problem+json' }, body: JSON.parse(FALLBACK_BODY) as HttpProblem['body'] };
      exchange.send(bare, FALLBACK_BODY);
      return { kind: 'sent', problem: bare };
    }
  } catch { // eslint-disable-line faultline/no-blind-catch -- the response itself is broken: the connection is closed below
  }
  try {
    exchange.abort(undefined);
  } catch { // eslint-disable-line faultline/no-blind-catch -- aborting an already broken exchange has nothing left to close
  }
  return { kind: 'aborted', problem };
}

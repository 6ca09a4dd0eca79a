/**
 * Errors an app handles itself, recorded without a line of faultline code in the app: Express's
 * error path (router hooks, express-error-capture.ts), Fastify's handler-error channel
 * (fastify-error-channel.ts); plain pino error lines are the logging folder's.
 *
 * This folder only observes: it never changes what the framework does with an error (which
 * handler runs, what is answered, what is logged), never adds work to a request that does not
 * fail, and never throws into the framework. Recording goes through the one path
 * (`recordUnlessRecorded`), so each error object counts once, whoever else sees it (a logger, the
 * toolkit's own handlers).
 */
import { type Span, trace } from '@opentelemetry/api';
import { OBSERVED, recordUnlessRecorded, wasRecorded } from '../errors/record-error.ts';
import { isObjectLike } from '../errors/safe-read.ts';
import { ATTR_HTTP_ROUTE } from '../semconv.ts';

/**
 * Records an error a framework is handing to the app's error handling, once, on the active span
 * (the request's server span), as handled; the response's status decides the span's status. The
 * route template, when the framework knows it, names the span if nothing named it yet. Never throws.
 */
export function recordHandledError(error: unknown, route: (() => string | undefined) | string | undefined): void {
  try {
    if (error === undefined || error === null) return;
    if (isObjectLike(error) && wasRecorded(error)) return;
    const span = trace.getActiveSpan();
    if (span?.isRecording() === true && route !== undefined) nameRoute(span, typeof route === 'string' ? route : route());
    recordUnlessRecorded(error, OBSERVED);
  } catch { // eslint-disable-line faultline/no-blind-catch -- observing an error must never change how the framework handles it
  }
}

function nameRoute(span: Span, route: string | undefined): void {
  if (route === undefined || route === '') return;
  const attributes = (span as Span & { attributes?: Record<string, unknown> }).attributes;
  // The first sighting is the most precise one: a router further out no longer knows its mount path.
  if (attributes?.[ATTR_HTTP_ROUTE] !== undefined) return;
  span.setAttribute(ATTR_HTTP_ROUTE, route);
}

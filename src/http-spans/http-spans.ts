import { AsyncResource } from 'node:async_hooks';
import type { ClientRequest, IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { context, propagation, ROOT_CONTEXT, type Span, SpanKind, trace, type Tracer } from '@opentelemetry/api';
import { isTracingSuppressed } from '@opentelemetry/core';
import {
  ATTR_CLIENT_ADDRESS,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_NETWORK_PROTOCOL_VERSION,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_URL_FULL,
  ATTR_URL_PATH,
  ATTR_URL_QUERY,
  ATTR_URL_SCHEME,
  ATTR_USER_AGENT_ORIGINAL,
} from '@opentelemetry/semantic-conventions';
import { redactText } from '../errors/redact.ts';
import { subscribeChannels } from './channel-subscriptions.ts';
import type { EnterableContextManager } from './context-manager.ts';
import type { HttpDurationHistogram } from './http-duration-histogram.ts';
import { MAX_STATUS_DESCRIPTION_LENGTH } from '../errors/limits.ts';
import { cut } from '../errors/safe-read.ts';
import { ATTR_EXCEPTION_INDEX, ATTR_EXCEPTION_MESSAGE, ATTR_EXCEPTION_TYPE, EVENT_EXCEPTION } from '../semconv.ts';
import { type ServerSpan, type ServerSpanSettings, startServerSpan as startSpanForRequest } from './server-span.ts';
import { markSpanFailed } from './span-failure.ts';

/**
 * HTTP server and client spans from Node's `diagnostics_channel` events instead of patching `http`.
 *
 * Patching instrumentation (instrumentation-http) cost most of the throughput the peers lost in our
 * measurements; these events are published by Node itself, need no loader hooks, and work the same
 * for ESM and CommonJS apps.
 */

const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH', 'QUERY']);

function normaliseMethod(method: string | undefined): string {
  const upper = (method ?? 'GET').toUpperCase();
  return KNOWN_METHODS.has(upper) ? upper : '_OTHER';
}

const headerGetter = {
  keys: (carrier: IncomingMessage['headers']) => Object.keys(carrier),
  get: (carrier: IncomingMessage['headers'], key: string) => carrier[key],
};

interface ServerRequestStart {
  request: IncomingMessage & { route?: { path?: unknown } };
  response: ServerResponse;
  socket: Socket;
}

/** Express and other routers leave the matched route on the request; Fastify adapters set it explicitly. */
function routeOf(request: ServerRequestStart['request'], span: Span): string | undefined {
  const attributes = (span as unknown as { attributes?: Record<string, unknown> }).attributes;
  const explicit = attributes?.[ATTR_HTTP_ROUTE];
  if (typeof explicit === 'string') return explicit;
  const expressRoute = request.route?.path;
  if (typeof expressRoute === 'string') {
    const base = (request as { baseUrl?: unknown }).baseUrl;
    return typeof base === 'string' ? base + expressRoute : expressRoute;
  }
  return undefined;
}

function startServerSpan(settings: ServerSpanSettings, contextManager: EnterableContextManager, outsideRequests: AsyncResource, duration: HttpDurationHistogram | undefined, message: ServerRequestStart): void {
  const startedAt = performance.now();
  const { request, response, socket } = message;
  const method = normaliseMethod(request.method);
  const target = request.url ?? '/';
  const queryAt = target.indexOf('?');
  const scheme = (socket as { encrypted?: boolean }).encrypted === true ? 'https' : 'http';
  const host = request.headers.host ?? '';
  const portAt = host.lastIndexOf(':');
  const attributes: Record<string, string | number> = {
    [ATTR_HTTP_REQUEST_METHOD]: method,
    [ATTR_URL_PATH]: queryAt === -1 ? target : target.slice(0, queryAt),
    [ATTR_URL_SCHEME]: scheme,
    [ATTR_NETWORK_PROTOCOL_VERSION]: request.httpVersion,
  };
  // Query strings carry tokens and e-mail addresses often enough to redact them before they leave.
  if (queryAt !== -1) attributes[ATTR_URL_QUERY] = redactText(target.slice(queryAt + 1));
  if (host !== '') {
    attributes[ATTR_SERVER_ADDRESS] = portAt > 0 && !host.endsWith(']') ? host.slice(0, portAt) : host;
    const port = portAt > 0 ? Number(host.slice(portAt + 1)) : NaN;
    if (Number.isInteger(port)) attributes[ATTR_SERVER_PORT] = port;
  }
  const userAgent = request.headers['user-agent'];
  if (userAgent !== undefined) attributes[ATTR_USER_AGENT_ORIGINAL] = userAgent;
  if (socket.remoteAddress !== undefined) attributes[ATTR_CLIENT_ADDRESS] = socket.remoteAddress;

  const parent = propagation.extract(ROOT_CONTEXT, request.headers, headerGetter);
  const span = startSpanForRequest(settings, method, attributes, parent);
  contextManager.enterWith(trace.setSpan(parent, span));
  response.once('close', () => {
    try {
      const route = endServerSpan(span, method, request, response);
      if (duration !== undefined) recordDuration(duration, startedAt, method, scheme, route, response);
      rearmIdleTimerOutsideRequest(outsideRequests, socket);
    } catch { // eslint-disable-line faultline/no-blind-catch -- an emitter listener that throws would be an uncaught exception in the app
    }
  });
}

/**
 * The server arms a keep-alive socket's idle timer as the response finishes, still inside the
 * request's context, so the timer would carry that context: its 'timeout' handlers would run with
 * the ended request's span active, and the span would stay reachable until the next request on the
 * socket (measured: half of what survived young-generation collections under load). Arming it
 * again, same delay, outside any request gives it the context the connection had.
 *
 * `outsideRequests` is an AsyncResource made once in the root context: entering it swaps in a frame
 * that already exists, where `contextManager.with(ROOT_CONTEXT, …)` built a new one per request
 * (~170 ns against ~10 ns in a micro-benchmark).
 */
function rearmIdleTimerOutsideRequest(outsideRequests: AsyncResource, socket: Socket): void {
  const timeout = socket.timeout;
  // A connection the app handed to the server itself may be any Duplex, without timers.
  if (typeof timeout !== 'number' || timeout <= 0 || socket.destroyed || typeof socket.setTimeout !== 'function') return;
  outsideRequests.runInAsyncScope(() => socket.setTimeout(timeout));
}

/** Ends the server span; returns the route template it found, for the duration metric. */
function endServerSpan(span: Span, method: string, request: ServerRequestStart['request'], response: ServerResponse): string | undefined {
  const status = response.statusCode;
  span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, status);
  const route = routeOf(request, span);
  if (route !== undefined) {
    span.setAttribute(ATTR_HTTP_ROUTE, route);
    span.updateName(`${method} ${route}`);
  }
  if (!response.writableFinished) {
    // The client went away before the response was complete, or the app cut it (a stream that failed).
    const cause = lastRecordedError(span);
    markSpanFailed(span, cause?.type ?? 'aborted', cause?.description ?? 'response aborted before it was complete');
  } else if (status >= 500) {
    // Semantic conventions: a server span is an error for 5xx only; 4xx is the client's fault. An
    // error recorded on the way (the app's own error handler answered) names the failure.
    const cause = lastRecordedError(span);
    markSpanFailed(span, cause?.type ?? String(status), cause?.description);
  }
  span.end();
  return route;
}

/**
 * The type and description of the last error recorded on the span (its outermost exception event),
 * when one was: an error the app's own handler answered, seen by a framework hook or a logger.
 * Only failed requests get here, and their spans hold a few events at most.
 */
function lastRecordedError(span: Span): { type: string; description: string } | undefined {
  const events = (span as Partial<ServerSpan>).events;
  if (events === undefined) return undefined;
  for (let index = events.length - 1; index >= 0; index -= 1) {
    const event = events[index];
    const attributes = event?.attributes;
    if (event?.name !== EVENT_EXCEPTION || attributes?.[ATTR_EXCEPTION_INDEX] !== 0) continue;
    const type = attributes[ATTR_EXCEPTION_TYPE];
    if (typeof type !== 'string') continue;
    const message = attributes[ATTR_EXCEPTION_MESSAGE];
    return { type, description: cut(typeof message === 'string' ? `${type}: ${message}` : type, MAX_STATUS_DESCRIPTION_LENGTH) };
  }
  return undefined;
}

/** `http.server.request.duration`: the request count and latency the SLO burn-rate alerts divide by. */
function recordDuration(duration: HttpDurationHistogram, startedAt: number, method: string, scheme: string, route: string | undefined, response: ServerResponse): void {
  const status = response.statusCode;
  const errorType = status >= 500 ? String(status) : response.writableFinished ? undefined : 'aborted';
  duration.record((performance.now() - startedAt) / 1000, method, scheme, status, route, errorType);
}

const clientSpans = new WeakMap<ClientRequest, Span>();

function startClientSpan(tracer: Tracer, request: ClientRequest): void {
  const active = context.active();
  if (isTracingSuppressed(active)) return;
  const method = normaliseMethod(request.method);
  const host = request.host;
  const port = (request as { socketPath?: string }).socketPath === undefined ? getPort(request) : NaN;
  const protocol = request.protocol;
  const attributes: Record<string, string | number> = {
    [ATTR_HTTP_REQUEST_METHOD]: method,
    [ATTR_SERVER_ADDRESS]: host,
    [ATTR_URL_FULL]: redactText(`${protocol}//${host}${Number.isInteger(port) ? `:${port}` : ''}${request.path}`),
  };
  if (Number.isInteger(port)) attributes[ATTR_SERVER_PORT] = port;
  const span = tracer.startSpan(method, { kind: SpanKind.CLIENT, attributes }, active);
  clientSpans.set(request, span);
  if (!request.headersSent) {
    propagation.inject(trace.setSpan(active, span), request, {
      set: (carrier: ClientRequest, key: string, value: string) => {
        carrier.setHeader(key, value);
      },
    });
  }
}

function getPort(request: ClientRequest): number {
  const agentPort = (request as { agent?: { defaultPort?: number } }).agent?.defaultPort;
  const hostHeader = request.getHeader('host');
  if (typeof hostHeader === 'string') {
    const at = hostHeader.lastIndexOf(':');
    if (at > 0 && !hostHeader.endsWith(']')) return Number(hostHeader.slice(at + 1));
  }
  return agentPort ?? (request.protocol === 'https:' ? 443 : 80);
}

function endClientSpan(request: ClientRequest, response: IncomingMessage | undefined, error: unknown): void {
  const span = clientSpans.get(request);
  if (span === undefined) return;
  clientSpans.delete(request);
  if (response?.statusCode !== undefined) {
    span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, response.statusCode);
    if (response.statusCode >= 400) markSpanFailed(span, String(response.statusCode), undefined);
  }
  if (error !== undefined) markSpanFailed(span, undefined, undefined, error);
  span.end();
}

export interface HttpSpans {
  disable(): void;
}

/** `duration` is undefined when no metric reader would ever read it. */
export function enableHttpSpans(tracer: Tracer, serverSpans: ServerSpanSettings, contextManager: EnterableContextManager, duration: HttpDurationHistogram | undefined): HttpSpans {
  const outsideRequests = contextManager.with(ROOT_CONTEXT, () => new AsyncResource('faultline.outside-requests'));
  const unsubscribe = subscribeChannels({
    'http.server.request.start': (message: ServerRequestStart) => {
      startServerSpan(serverSpans, contextManager, outsideRequests, duration, message);
    },
    'http.client.request.created': ({ request }: { request: ClientRequest }) => {
      startClientSpan(tracer, request);
    },
    'http.client.response.finish': ({ request, response }: { request: ClientRequest; response: IncomingMessage }) => {
      endClientSpan(request, response, undefined);
    },
    'http.client.request.error': ({ request, error }: { request: ClientRequest; error: unknown }) => {
      endClientSpan(request, undefined, error);
    },
  });
  return { disable: unsubscribe };
}

import type { IncomingMessage, ServerResponse } from 'node:http';
import { trace } from '@opentelemetry/api';
import { readProperty } from '../errors/safe-read.ts';
import { ATTR_HTTP_ROUTE } from '../semconv.ts';
import { respondWithError, type ErrorExchange } from './error-response.ts';
import type { ProblemOptions } from './problem.ts';

// Fastify 5's request and reply, typed structurally so Fastify is not a dependency.
export interface FastifyRequestLike {
  url: string;
  method: string;
  raw: IncomingMessage;
  routeOptions?: { url?: string | undefined };
}

export interface FastifyReplyLike {
  raw: ServerResponse;
  sent: boolean;
  code(status: number): FastifyReplyLike;
  header(name: string, value: string): FastifyReplyLike;
  getHeaders(): Record<string, unknown>;
  removeHeader(name: string): FastifyReplyLike;
  send(payload?: unknown): FastifyReplyLike;
}

export type FastifyErrorHandler = (error: unknown, request: FastifyRequestLike, reply: FastifyReplyLike) => void;

interface FastifyInstanceLike {
  setErrorHandler(handler: FastifyErrorHandler): unknown;
  addHook(name: 'onRequest', hook: (request: FastifyRequestLike, reply: FastifyReplyLike, done: () => void) => void): unknown;
}

/** The route template (`/orders/:id`), bounded unlike the path; undefined for unmatched requests. */
function routeOf(request: FastifyRequestLike): string | undefined {
  const url = readProperty(readProperty(request, 'routeOptions'), 'url');
  return typeof url === 'string' && url !== '' ? url : undefined;
}

const REPRESENTATION_HEADERS = /^(?:content-|etag$|last-modified$|transfer-encoding$)/i;

function fastifyExchange(request: FastifyRequestLike, reply: FastifyReplyLike): ErrorExchange {
  const res = reply.raw;
  return {
    path: request.url,
    method: request.method,
    headersSent: () => reply.sent || res.headersSent,
    clientClosed: () => res.destroyed || request.raw.socket.destroyed,
    route: () => routeOf(request),
    send: (problem, body) => {
      for (const name of Object.keys(reply.getHeaders())) {
        if (REPRESENTATION_HEADERS.test(name)) reply.removeHeader(name);
      }
      reply.code(problem.status);
      for (const [name, value] of Object.entries(problem.headers)) reply.header(name, value);
      // A Buffer, so Fastify keeps the media type as given instead of appending a charset.
      reply.send(body === undefined ? undefined : Buffer.from(body));
    },
    abort: (status) => {
      if (status !== undefined && !res.headersSent) res.statusCode = status;
      // A response that was already complete has nothing left to cut; destroying it could drop its last bytes.
      if (!res.writableEnded) res.destroy();
    },
  };
}

/**
 * Fastify 5 error handler: `app.setErrorHandler(fastifyErrorHandler())`. It records each error once
 * on the request's server span (5xx marks the span failed, 4xx does not), names the span's route,
 * and answers with an RFC 9457 problem+json body. Never throws. `fastifyErrorPlugin` also names
 * the route of requests that succeed.
 */
export function fastifyErrorHandler(options: ProblemOptions = {}): FastifyErrorHandler {
  return function faultlineErrorHandler(error, request, reply): void {
    respondWithError(error, fastifyExchange(request, reply), options);
  };
}

/** Fastify's `fastify-plugin` marks, set by hand so the plugin applies to the whole app without that package. */
const SKIP_OVERRIDE = Symbol.for('skip-override');
const DISPLAY_NAME = Symbol.for('fastify.display-name');

export type FastifyErrorPlugin = ((instance: FastifyInstanceLike, options: unknown, done: (err?: Error) => void) => void) & {
  [SKIP_OVERRIDE]: true;
  [DISPLAY_NAME]: string;
};

/**
 * `await app.register(fastifyErrorPlugin())`: sets `fastifyErrorHandler` as the app's error handler
 * and adds an onRequest hook that puts the route template (`http.route`) on every server span, so
 * spans and the request-duration metric group by route.
 */
export function fastifyErrorPlugin(options: ProblemOptions = {}): FastifyErrorPlugin {
  const plugin = (instance: FastifyInstanceLike, _options: unknown, done: (err?: Error) => void): void => {
    instance.addHook('onRequest', (request, _reply, hookDone) => {
      try {
        const route = routeOf(request);
        const span = trace.getActiveSpan();
        if (route !== undefined && span?.isRecording() === true) span.setAttribute(ATTR_HTTP_ROUTE, route);
      } catch { // eslint-disable-line faultline/no-blind-catch -- naming a span must never fail a request
      }
      hookDone();
    });
    instance.setErrorHandler(fastifyErrorHandler(options));
    done();
  };
  return Object.assign(plugin, { [SKIP_OVERRIDE]: true as const, [DISPLAY_NAME]: 'faultline' });
}

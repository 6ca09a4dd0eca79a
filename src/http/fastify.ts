import type { IncomingMessage, ServerResponse } from 'node:http';
import { type Span, trace } from '@opentelemetry/api';
import { OBSERVED, recordError } from '../errors/record-error.ts';
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

type OnSendHook = (request: FastifyRequestLike, reply: FastifyReplyLike, payload: unknown, done: (err: null, payload: unknown) => void) => void;

interface FastifyInstanceLike {
  setErrorHandler(handler: FastifyErrorHandler): unknown;
  addHook(name: 'onRequest', hook: (request: FastifyRequestLike, reply: FastifyReplyLike, done: () => void) => void): unknown;
  addHook(name: 'onSend', hook: OnSendHook): unknown;
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

interface NodeStreamLike {
  pipe(...args: unknown[]): unknown;
  once(event: 'error', listener: (error: unknown) => void): unknown;
}

function isNodeStream(payload: unknown): payload is NodeStreamLike {
  return typeof readProperty(payload, 'pipe') === 'function' && typeof readProperty(payload, 'once') === 'function';
}

function isWebStream(payload: unknown): payload is ReadableStream<unknown> {
  return typeof ReadableStream === 'function' && payload instanceof ReadableStream;
}

function recordStreamError(error: unknown, span: Span | undefined): void {
  // A stream that fails before the headers go out reaches the error handler as well: recorded once.
  if (span !== undefined) recordError(error, { span, ...OBSERVED });
}

/** The same stream, read through a reader that sees its failure: Fastify gives no other sight of it. */
function watchedWebStream(source: ReadableStream<unknown>, span: Span | undefined): ReadableStream<unknown> {
  const reader = source.getReader();
  return new ReadableStream<unknown>({
    async pull(controller) {
      let chunk: Awaited<ReturnType<typeof reader.read>>;
      try {
        chunk = await reader.read();
      } catch (error) {
        recordStreamError(error, span);
        controller.error(error);
        return;
      }
      if (chunk.done) controller.close();
      else controller.enqueue(chunk.value);
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
}

/**
 * `reply.send(stream)`: once the stream has sent the headers with its first chunk, Fastify meets its
 * failure by cutting the connection, without its error handler (or any hook) seeing the error.
 * This watches the stream and records its failure on the request's span.
 */
const watchStreamPayload: OnSendHook = (_request, _reply, payload, done) => {
  let sent = payload;
  try {
    if (isNodeStream(payload)) {
      const span = trace.getActiveSpan();
      payload.once('error', (error) => {
        recordStreamError(error, span);
      });
    } else if (isWebStream(payload)) {
      sent = watchedWebStream(payload, trace.getActiveSpan());
    }
  } catch { // eslint-disable-line faultline/no-blind-catch -- watching a stream must never fail the response
  }
  done(null, sent);
};

/** Fastify's `fastify-plugin` marks, set by hand so the plugin applies to the whole app without that package. */
const SKIP_OVERRIDE = Symbol.for('skip-override');
const DISPLAY_NAME = Symbol.for('fastify.display-name');

export type FastifyErrorPlugin = ((instance: FastifyInstanceLike, options: unknown, done: (err?: Error) => void) => void) & {
  [SKIP_OVERRIDE]: true;
  [DISPLAY_NAME]: string;
};

/**
 * `await app.register(fastifyErrorPlugin())`: sets `fastifyErrorHandler` as the app's error handler,
 * adds an onRequest hook that puts the route template (`http.route`) on every server span, so
 * spans and the request-duration metric group by route, and an onSend hook that records the
 * failure of a streamed response (`reply.send(stream)`) that fails after its headers were sent.
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
    instance.addHook('onSend', watchStreamPayload);
    instance.setErrorHandler(fastifyErrorHandler(options));
    done();
  };
  return Object.assign(plugin, { [SKIP_OVERRIDE]: true as const, [DISPLAY_NAME]: 'faultline' });
}

import type { IncomingMessage, ServerResponse } from 'node:http';
import { respondWithError, type ErrorExchange, type ErrorOutcome } from './error-response.ts';
import type { HttpProblem, ProblemOptions } from './problem.ts';

// Typed structurally so that node:http, Express and anything built on them fit.
type NodeRequest = Pick<IncomingMessage, 'method' | 'url'> & { originalUrl?: string; socket?: { destroyed?: boolean } | null };
type NodeResponse = Pick<ServerResponse, 'headersSent' | 'destroyed' | 'writableEnded' | 'statusCode' | 'setHeader' | 'removeHeader' | 'getHeaderNames' | 'end' | 'destroy'>;

/** Headers describing a body the handler had started to build; they would contradict the problem body. */
const REPRESENTATION_HEADERS = /^(?:content-|etag$|last-modified$|transfer-encoding$)/;

function sendProblem(res: NodeResponse, problem: HttpProblem, body: string | undefined): void {
  for (const name of res.getHeaderNames()) {
    if (REPRESENTATION_HEADERS.test(name)) res.removeHeader(name);
  }
  res.statusCode = problem.status;
  for (const [name, value] of Object.entries(problem.headers)) res.setHeader(name, value);
  if (body !== undefined) res.setHeader('content-length', Buffer.byteLength(body));
  res.end(body);
}

/** The shared core's view of a node:http (or Express) request/response pair. */
export function nodeExchange(req: NodeRequest, res: NodeResponse): ErrorExchange {
  return {
    path: req.originalUrl ?? req.url,
    method: req.method,
    headersSent: () => res.headersSent,
    clientClosed: () => res.destroyed || req.socket?.destroyed === true,
    send: (problem, body) => {
      sendProblem(res, problem, body);
    },
    abort: (status) => {
      // Labels the span and the duration metric when the client left before anything was sent.
      if (status !== undefined && !res.headersSent) res.statusCode = status;
      // A response that was already complete has nothing left to cut; destroying it could drop its last bytes.
      if (!res.writableEnded) res.destroy();
    },
  };
}

/**
 * Answers an error on a node:http response: records it once on the request's server span (a 5xx
 * marks the span failed, a 4xx does not) and writes an RFC 9457 problem+json body. After headers
 * were sent, or once the client is gone, it records the error and closes the connection instead.
 * Never throws.
 *
 *     http.createServer(async (req, res) => {
 *       try { await route(req, res); } catch (err) { handleHttpError(err, req, res); }
 *     });
 */
export function handleHttpError(err: unknown, req: NodeRequest, res: NodeResponse, options: ProblemOptions = {}): ErrorOutcome {
  return respondWithError(err, nodeExchange(req, res), options);
}

/**
 * Wraps a node:http request listener so that anything it throws or rejects with is answered by
 * `handleHttpError`: `http.createServer(withErrorHandling(async (req, res) => { … }))`.
 */
export function withErrorHandling<Req extends IncomingMessage, Res extends ServerResponse>(
  handler: (req: Req, res: Res) => unknown,
  options: ProblemOptions = {},
): (req: Req, res: Res) => void {
  return (req, res) => {
    let result: unknown;
    try {
      result = handler(req, res);
    } catch (err) {
      handleHttpError(err, req, res, options);
      return;
    }
    if (typeof (result as { then?: unknown } | undefined)?.then === 'function') {
      (result as PromiseLike<unknown>).then(undefined, (err: unknown) => {
        handleHttpError(err, req, res, options);
      });
    }
  };
}

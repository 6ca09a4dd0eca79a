import type { IncomingMessage, ServerResponse } from 'node:http';
import { handleHttpError } from './node-http.ts';
import type { ProblemOptions } from './problem.ts';

/** Express's error-middleware signature, typed structurally so Express is not a dependency. */
export type ExpressErrorMiddleware = (err: unknown, req: IncomingMessage & { originalUrl?: string }, res: ServerResponse, next: (err?: unknown) => void) => void;

/**
 * Express 5 error middleware: register it after the routes with `app.use(expressErrorHandler())`.
 * Every error that reaches it is recorded once on the request's server span and answered with an
 * RFC 9457 problem+json body (the rules are `problemFor`'s). An error after the headers were sent
 * closes the connection. It never calls `next` and never throws.
 */
export function expressErrorHandler(options: ProblemOptions = {}): ExpressErrorMiddleware {
  // Express recognises error middleware by its four parameters, so `next` stays though unused.
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  return function faultlineErrorHandler(err, req, res, next): void {
    handleHttpError(err, req, res, options);
  };
}

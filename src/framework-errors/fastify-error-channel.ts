import { readProperty } from '../errors/safe-read.ts';
import { subscribeChannels } from '../http-spans/channel-subscriptions.ts';
import { recordHandledError } from './framework-errors.ts';

/**
 * Fastify 5 publishes `tracing:fastify.request.handler:error` when a route handler throws or its
 * promise rejects (and when a preHandler hook fails), before its error handler runs: the app's own
 * `setErrorHandler`, or Fastify's default one. The error is recorded there, on the request's
 * server span, with the route template Fastify matched. Nothing is patched.
 */

const ERROR_CHANNEL = 'tracing:fastify.request.handler:error';

interface HandlerErrorEvent {
  error?: unknown;
  route?: { url?: unknown };
}

function routeOf(event: HandlerErrorEvent): string | undefined {
  const url = readProperty(readProperty(event, 'route'), 'url');
  return typeof url === 'string' ? url : undefined;
}

/** Subscribes to Fastify's handler-error channel; returns the unsubscribe. */
export function enableFastifyErrorCapture(): () => void {
  return subscribeChannels({
    [ERROR_CHANNEL]: (event: HandlerErrorEvent) => {
      recordHandledError(readProperty(event, 'error'), routeOf(event));
    },
  });
}

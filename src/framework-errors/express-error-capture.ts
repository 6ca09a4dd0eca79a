import { InstrumentationBase, InstrumentationNodeModuleDefinition, InstrumentationNodeModuleFile } from '@opentelemetry/instrumentation';
import { isObjectLike, readProperty } from '../errors/safe-read.ts';
import { recordHandledError } from './framework-errors.ts';

/**
 * Express 4 and 5 hand an error to the app's error middleware, or to their final handler, without
 * any channel to observe it. This hooks only that path, through the same loader hooks as the `pg`
 * instrumentation (require and import alike):
 *
 * - the router's layer method that passes an error on, layer by layer: `Layer.prototype.handleError`
 *   in the `router` package (Express 5) and `Layer.prototype.handle_error` in `express/lib/router`
 *   (Express 4). It runs only while an error travels through the stack;
 * - in `router` 2.3 and later, the function its `next(err)` calls with every error that reaches a
 *   router (`lib/tracing.js`'s `recordError`, taken by `index.js` when it loads). It sees the error
 *   before a mounted router hands it back to its parent, while the request still knows the mount
 *   path, so the route is `/api/orders/:id` rather than `/orders/:id`;
 * - `finalhandler`, which both versions use to answer an error no middleware answered: its factory
 *   runs once per request and gets one small wrapper around the callback it returns, the only
 *   thing on the path of a request that does not fail.
 *
 * Handlers, layers and routes are not wrapped, and no span is made per middleware.
 */

interface ExpressRequestLike {
  baseUrl?: unknown;
  route?: unknown;
}

type ErrorLayerMethod = (this: { handle?: unknown }, error: unknown, req: ExpressRequestLike, res: unknown, next: unknown) => unknown;
type FinalHandlerFactory = (this: unknown, req: ExpressRequestLike, res: unknown, options?: unknown) => (err?: unknown) => unknown;

const SCOPE_VERSION = '1.0.0';

/** The route template Express matched (`/orders/:id`, under the router's mount path); not the raw path. */
function routeOf(req: ExpressRequestLike): string | undefined {
  const path = readProperty(readProperty(req, 'route'), 'path');
  if (typeof path !== 'string') return undefined;
  const base = readProperty(req, 'baseUrl');
  return typeof base === 'string' ? base + path : path;
}

// router 2.3 and later keep the errors a request has seen, primitives included, in a Set on the
// request under this registered symbol; the recordError hook below records each on first sight.
const ROUTER_SEEN_ERRORS = Symbol.for('router.tracing.publishedErrors');

/**
 * Whether a thrown primitive was already recorded by the router's recordError hook: a primitive
 * has no identity for recordError to remember, so the later hooks ask the router's memory.
 */
function recordedByRouter(req: ExpressRequestLike, error: unknown): boolean {
  const seen = readProperty(req, ROUTER_SEEN_ERRORS);
  return seen instanceof Set && seen.has(error);
}

/** `next('route')` and `next('router')` are routing signals, not errors. */
function isRoutingSignal(error: unknown): boolean {
  return error === 'route' || error === 'router';
}

function wrapErrorLayerMethod(original: ErrorLayerMethod): ErrorLayerMethod {
  return function recordingErrorLayer(this: { handle?: unknown }, error, req, res, next) {
    // An object is recorded once, at the first layer that sees it. A thrown primitive cannot be
    // told apart from the next one: it is recorded where an error handler (four parameters) takes it.
    if (isRoutingSignal(error)) return original.call(this, error, req, res, next);
    if (isObjectLike(error) || (typeof this.handle === 'function' && this.handle.length === 4 && !recordedByRouter(req, error))) {
      recordHandledError(error, () => routeOf(req));
    }
    return original.call(this, error, req, res, next);
  };
}

type RouterRecordError = (this: unknown, req: ExpressRequestLike, err: unknown) => unknown;

function wrapRouterRecordError(original: RouterRecordError): RouterRecordError {
  return function recordingRouterError(this: unknown, req, err) {
    // The router's own answer says whether this request saw this error before: what tells a thrown
    // primitive apart from the same one passed on again.
    const first = original.call(this, req, err);
    if (!isRoutingSignal(err) && (first === true || isObjectLike(err))) recordHandledError(err, () => routeOf(req));
    return first;
  };
}

function wrapFinalHandler(original: FinalHandlerFactory): FinalHandlerFactory {
  const wrapped = function finalhandler(this: unknown, req: ExpressRequestLike, res: unknown, options?: unknown) {
    const done = original.call(this, req, res, options);
    return function finalHandlerRecordingErrors(this: unknown, err?: unknown) {
      if (err !== undefined && err !== null && err !== false && !isRoutingSignal(err) && (isObjectLike(err) || !recordedByRouter(req, err))) {
        recordHandledError(err, () => routeOf(req));
      }
      // eslint-disable-next-line prefer-rest-params
      return done.apply(this, arguments as unknown as [unknown]);
    };
  };
  // The module is the function; keep whatever else it carries.
  return Object.assign(wrapped, original);
}

/** Constructed by the preload (`instrumentations.ts`) disabled, then enabled once the loader hooks are in. */
export class ExpressErrorInstrumentation extends InstrumentationBase {
  constructor(config: { enabled?: boolean } = {}) {
    super('faultline-express-errors', SCOPE_VERSION, config);
  }

  protected init(): InstrumentationNodeModuleDefinition[] {
    const layerPatch = (method: 'handleError' | 'handle_error') => ({
      patch: (exports: unknown) => {
        const prototype = readProperty(exports, 'prototype') as Record<string, unknown> | undefined;
        if (prototype !== undefined && typeof prototype[method] === 'function') this._wrap(prototype as Record<string, ErrorLayerMethod>, method, wrapErrorLayerMethod);
        return exports;
      },
      unpatch: (exports: unknown) => {
        const prototype = readProperty(exports, 'prototype') as Record<string, ErrorLayerMethod> | undefined;
        if (prototype !== undefined) this._unwrap(prototype, method);
      },
    });
    const router5 = layerPatch('handleError');
    const router4 = layerPatch('handle_error');
    return [
      new InstrumentationNodeModuleDefinition('router', ['>=2.0.0 <3'], undefined, undefined, [
        new InstrumentationNodeModuleFile('router/lib/layer.js', ['>=2.0.0 <3'], router5.patch, router5.unpatch),
        new InstrumentationNodeModuleFile(
          'router/lib/tracing.js',
          ['>=2.0.0 <3'],
          (exports: unknown) => {
            if (typeof readProperty(exports, 'recordError') === 'function') this._wrap(exports as Record<string, RouterRecordError>, 'recordError', wrapRouterRecordError);
            return exports;
          },
          (exports: unknown) => {
            if (isObjectLike(exports)) this._unwrap(exports as Record<string, RouterRecordError>, 'recordError');
          },
        ),
      ]),
      new InstrumentationNodeModuleDefinition('express', ['>=4.0.0 <5'], undefined, undefined, [
        new InstrumentationNodeModuleFile('express/lib/router/layer.js', ['>=4.0.0 <5'], router4.patch, router4.unpatch),
      ]),
      new InstrumentationNodeModuleDefinition(
        'finalhandler',
        ['>=1.0.0 <3'],
        (exports: unknown) => (typeof exports === 'function' ? wrapFinalHandler(exports as FinalHandlerFactory) : exports),
        // The app keeps the wrapper it already holds; recording then stops with the SDK.
        undefined,
      ),
    ];
  }
}

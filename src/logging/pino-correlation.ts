import diagnosticsChannel from 'node:diagnostics_channel';
import { OBSERVED, recordUnlessRecorded } from '../errors/record-error.ts';
import { isErrorLike, readProperty } from '../errors/safe-read.ts';
import { getRuntime } from '../runtime.ts';
import { warnOnce } from '../warn.ts';
import { activeTraceFields, traceFieldsJson } from './trace-fields.ts';

/**
 * Trace fields for loggers the app made with plain `pino()`, without touching the app's code.
 *
 * pino (9.7 and later) publishes the `pino_asJson` tracing channel around the serialisation of every
 * line, with the logger instance in the event. On `start` we append the active span's fields to the
 * instance's pre-rendered bindings (the string pino puts at the front of each line) and on `end` we
 * put the bindings back, so the fields appear only in lines written inside a span. We do not patch
 * pino, load instrumentation-pino (which would also ship every line, a second time when the app has
 * its own transport) or touch the object the app logged.
 *
 * Shipping stays the app's choice: a plain pino logger keeps writing where the app told it to
 * (stdout, or the app's own transport, which now sees the fields and sets the record's context).
 * faultline ships only the lines of loggers made with `createLogger`, so no line is sent twice.
 *
 * The same event records the error of an error line written inside a span (`log.error({ err }, …)`
 * or `log.error(err)`, level error and above), once per error object and as handled, as a
 * createLogger line does: an app that logs what its own error handler caught gets the exception
 * on its span and the count without calling faultline. FAULTLINE_PINO_RECORD_ERRORS=false turns
 * that off.
 */

const START_CHANNEL = 'tracing:pino_asJson:start';
const END_CHANNEL = 'tracing:pino_asJson:end';
const CHINDINGS_DESCRIPTION = 'pino.chindings';

/** Set on loggers made by `createLogger` (inherited by their children): their mixin adds the fields. */
export const FAULTLINE_LOGGER = Symbol.for('faultline.logger');

const INSTALLED = Symbol.for('faultline.pinoCorrelation.v1');

interface AsJsonEvent {
  instance?: unknown;
  /** `asJson`'s arguments: the merged log object, the message, the level number, the time. */
  arguments?: ArrayLike<unknown>;
}

const ERROR_LEVEL = 50;
const ERROR_KEY_DESCRIPTION = 'pino.errorKey';

type Instance = Record<symbol, unknown>;

// pino keeps its symbols private; each copy of pino has its own, so look them up per copy.
let chindingsKey: symbol | undefined;
let errorKeyKey: symbol | undefined;

/** The symbol described `description` on the instance or its prototypes (child loggers inherit). */
function findPinoSymbol(instance: Instance, description: string): symbol | undefined {
  let holder: object | null = instance;
  while (holder !== null) {
    const key = Object.getOwnPropertySymbols(holder).find((symbol) => symbol.description === description);
    if (key !== undefined) return key;
    holder = Object.getPrototypeOf(holder) as object | null;
  }
  return undefined;
}

/** The key under which this copy of pino keeps an instance's rendered bindings. */
export function findChindingsKey(instance: Instance): symbol | undefined {
  if (chindingsKey !== undefined && Object.prototype.hasOwnProperty.call(instance, chindingsKey)) return chindingsKey;
  const key = findPinoSymbol(instance, CHINDINGS_DESCRIPTION);
  if (key !== undefined) chindingsKey = key;
  return key;
}

/** The field name this logger logs errors under (`err` unless the app set `errorKey`). */
function errorKeyOf(instance: Instance): string {
  if (errorKeyKey === undefined || !(errorKeyKey in instance)) errorKeyKey = findPinoSymbol(instance, ERROR_KEY_DESCRIPTION);
  const name = errorKeyKey === undefined ? undefined : instance[errorKeyKey];
  return typeof name === 'string' ? name : 'err';
}

/**
 * Records the error of an error-level line (pino has already turned `log.error(err)` into
 * `{ [errorKey]: err }`). Only error lines get past the level check, so other lines pay one
 * comparison.
 */
function recordLoggedError(event: AsJsonEvent, logger: Instance): void {
  const args = event.arguments;
  const level = args?.[2];
  if (typeof level !== 'number' || level < ERROR_LEVEL || !getRuntime().config.pinoRecordErrors) return;
  const error = readProperty(args?.[0], errorKeyOf(logger));
  if (isErrorLike(error)) recordUnlessRecorded(error, OBSERVED);
}

const restore = new WeakMap<object, { instance: Instance; key: symbol; bindings: string }>();

function onStart(message: unknown): void {
  try {
    const event = message as AsJsonEvent;
    const instance = event.instance;
    if (typeof instance !== 'object' || instance === null) return;
    const logger = instance as Instance;
    if (logger[FAULTLINE_LOGGER] === true) return;
    const fields = activeTraceFields();
    if (fields === undefined) return;
    recordLoggedError(event, logger);
    const key = findChindingsKey(logger);
    if (key === undefined) {
      warnOnce('pino-correlation', 'this pino version keeps its bindings where faultline cannot find them: plain pino() lines get no trace fields (use createLogger)');
      return;
    }
    const bindings = logger[key];
    if (typeof bindings !== 'string') return;
    restore.set(event, { instance: logger, key, bindings });
    logger[key] = bindings + traceFieldsJson(fields);
  } catch { // eslint-disable-line faultline/no-blind-catch -- a channel subscriber that throws would surface as an uncaught exception in the app
  }
}

function onEnd(message: unknown): void {
  try {
    const saved = restore.get(message as object);
    if (saved === undefined) return;
    restore.delete(message as object);
    saved.instance[saved.key] = saved.bindings;
  } catch { // eslint-disable-line faultline/no-blind-catch -- a channel subscriber that throws would surface as an uncaught exception in the app
  }
}

/**
 * Adds `trace_id`, `span_id` and `trace_flags` to lines of plain `pino()` loggers written inside a
 * span. Idempotent across calls and across copies of faultline; called by the preload.
 */
export function installPinoCorrelation(): void {
  const holder = globalThis as typeof globalThis & { [INSTALLED]?: boolean };
  if (holder[INSTALLED] === true) return;
  holder[INSTALLED] = true;
  diagnosticsChannel.subscribe(START_CHANNEL, onStart);
  diagnosticsChannel.subscribe(END_CHANNEL, onEnd);
}

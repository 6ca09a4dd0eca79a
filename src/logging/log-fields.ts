import { OBSERVED, recordUnlessRecorded } from '../errors/record-error.ts';
import { isSensitiveKey, REDACTED, redactText, redactValue } from '../errors/redact.ts';
import { isErrorLike, readProperty } from '../errors/safe-read.ts';
import { serializeError, type SerializedError } from '../errors/serialize.ts';

// What a createLogger line goes through before pino renders it: errors become the error model's
// serialized form, everything else a redacted bounded copy, the message redacted text. The same
// rules as recordError, so a secret that cannot reach a span cannot reach a log line either.

const TRACE_FIELDS = new Set(['trace_id', 'span_id', 'trace_flags']);

// Marks the objects serializeError made for a line. pino runs the `err` serializer after
// `formatters.log`, and a serialized error (message, stack) looks error-like: it must not be
// serialized twice. A symbol key is invisible to JSON and to pino's for...in, and cheaper than a
// WeakSet entry per line.
const SERIALIZED = Symbol('faultline.serializedError');

function serialize(error: unknown): unknown {
  const serialized = serializeError(error) as SerializedError & { [SERIALIZED]?: true };
  serialized[SERIALIZED] = true;
  return serialized;
}

/** The pino `err` serializer: the error model's form for errors, anything else untouched. */
export function serializeLoggedError(value: unknown): unknown {
  if (typeof value === 'object' && value !== null && (value as { [SERIALIZED]?: true })[SERIALIZED] === true) return value;
  return isErrorLike(value) ? serialize(value) : value;
}

/**
 * A copy of a log object (or child bindings) with every top-level error serialized and every other
 * value redacted. Keys with a serializer of the user's own are left to that serializer; the trace
 * fields are ours and hex, left as they are.
 */
export function prepareFields(object: Record<string, unknown>, userSerialized: ReadonlySet<string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key in object) {
    if (!Object.prototype.hasOwnProperty.call(object, key)) continue;
    let value: unknown;
    try {
      value = object[key];
    } catch { // eslint-disable-line faultline/no-blind-catch -- a value from the app may throw from any read (getters, proxies)
      out[key] = '[Unreadable]';
      continue;
    }
    if (userSerialized.has(key) || TRACE_FIELDS.has(key)) out[key] = value;
    else if (isSensitiveKey(key)) out[key] = value === null || value === undefined || typeof value === 'boolean' ? value : REDACTED;
    else if (isErrorLike(value)) out[key] = serialize(value);
    else if (typeof value === 'string') out[key] = redactText(value);
    else if (typeof value === 'number') out[key] = redactNumber(value);
    else if (typeof value === 'object' && value !== null) out[key] = redactValue(value);
    else out[key] = value;
  }
  return out;
}

/** A card number logged as a number is still a card number. */
function redactNumber(value: number): number | string {
  if (!Number.isSafeInteger(value) || value < 1e12) return value;
  const text = String(value);
  const redacted = redactText(text);
  return redacted === text ? value : redacted;
}

const ERROR_LEVEL = 50;

/**
 * The arguments of one log call, redacted, with the error recorded when the line is error level.
 *
 * Rule for an error that a boundary (HTTP middleware, the lifecycle) also records: the logger calls
 * `recordError(err, { handled: true })` (without asking for the ErrorInfo) and recordError records each error object once, so
 * `logger.error({ err })` plus the middleware count the error once and put one exception event on
 * the span, whichever runs first. On the HTTP server span the response's status decides the span's
 * status (a 4xx answer is not a failed span), not the log line.
 */
export function prepareArguments(args: unknown[], level: number, errorKey: string): unknown[] {
  const first = args[0];
  let error: unknown;
  // The error is needed to record it (error level and above) or to stand in for a missing message.
  if (level >= ERROR_LEVEL || args.length < 2 || args[1] === undefined) {
    if (isErrorLike(first)) error = first;
    else if (typeof first === 'object' && first !== null) {
      const nested = readProperty(first, errorKey);
      if (isErrorLike(nested)) error = nested;
    }
  }
  if (error !== undefined && level >= ERROR_LEVEL) {
    try {
      recordUnlessRecorded(error, OBSERVED);
    } catch { // eslint-disable-line faultline/no-blind-catch -- recording is best effort; the line is still written
    }
  }
  const out: unknown[] = [];
  for (let index = 0; index < args.length; index++) {
    const arg = args[index];
    if (typeof arg === 'string') out.push(redactText(arg));
    // Objects after the message are format arguments (%o, %j): pino prints them as they are.
    else if (index > 0 && typeof arg === 'object' && arg !== null) out.push(redactValue(arg));
    else out.push(arg);
  }
  // Without a message pino would use the error's message as it is: give it the redacted one.
  if (error !== undefined && (out.length === 1 || out[1] === undefined)) {
    const message = readProperty(error, 'message');
    out[1] = redactText(typeof message === 'string' ? message : '');
    out.length = 2;
  }
  return out;
}

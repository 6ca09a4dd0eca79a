import { types } from 'node:util';
import { pino, type DestinationStream, type LogFn, type Logger, type LoggerOptions } from 'pino';
import { boundedCopy } from '../errors/bounded-copy.ts';
import { REDACT_VALUE_LIMITS } from '../errors/limits.ts';
import { getRuntime } from '../runtime.ts';
import { warnOnce } from '../warn.ts';
import { getLogShipper, type LogShipper } from './log-shipper.ts';
import { prepareArguments, prepareFields, serializeLoggedError } from './log-fields.ts';
import { FAULTLINE_LOGGER, findChindingsKey } from './pino-correlation.ts';
import { prettyLine } from './pretty-line.ts';
import { STANDARD_LEVEL_LABELS } from './severity.ts';
import { activeTraceFields, traceFieldsJson } from './trace-fields.ts';

export interface CreateLoggerOptions<CustomLevels extends string = never> extends Omit<LoggerOptions<CustomLevels>, 'transport' | 'browser'> {
  /**
   * Human-readable lines on stdout instead of JSON, when stdout is a terminal. Defaults to
   * FAULTLINE_LOG_PRETTY. Only the local copy changes; the OTLP copy is always structured.
   */
  pretty?: boolean;
  /** Where the local copy of each line goes instead of stdout (a file, a test stream). */
  destination?: DestinationStream;
}

type Stream = DestinationStream & { flush?: (callback: (error?: Error | null) => void) => void; isTTY?: boolean };

/** Every line goes to the local destination as the app expects, and to the OTLP worker when enabled. */
class TeeDestination implements DestinationStream {
  readonly #local: Stream;
  #shipper: LogShipper | undefined | null = null;
  readonly #customLabels: Record<number, string> | undefined;
  readonly #messageKey: string;
  readonly #format: ((line: string) => string) | undefined;

  constructor(local: Stream, customLabels: Record<number, string> | undefined, messageKey: string, format: ((line: string) => string) | undefined) {
    this.#local = local;
    this.#customLabels = customLabels;
    this.#messageKey = messageKey;
    this.#format = format;
  }

  write(line: string): void {
    try {
      this.#local.write(this.#format === undefined ? line : this.#format(line));
    } catch { // eslint-disable-line faultline/no-blind-catch -- a closed stdout must not stop the export, nor throw into the app
    }
    this.#ship()?.write(line, this.#messageKey);
  }

  /**
   * The shipper is looked up at the first line, not when the logger is made: a logger created at
   * module top level, before a programmatic `start(options)`, then follows those options.
   */
  #ship(): LogShipper | undefined {
    if (this.#shipper === null) {
      this.#shipper = getLogShipper();
      if (this.#customLabels !== undefined) this.#shipper?.registerLevels(this.#customLabels);
    }
    return this.#shipper;
  }

  /** `logger.flush(cb)`: the local stream, then every line handed to the worker (bounded by the deadline). */
  flush(callback?: (error?: Error | null) => void): void {
    const local = new Promise<void>((resolve) => {
      if (typeof this.#local.flush !== 'function') {
        resolve();
        return;
      }
      try {
        this.#local.flush(() => {
          resolve();
        });
      } catch { // eslint-disable-line faultline/no-blind-catch -- a destination that cannot flush still lets flush() call back
        resolve();
      }
    });
    void Promise.all([local, this.#ship()?.flush(getRuntime().config.shutdownTimeoutMs)]).then(() => callback?.(null), () => callback?.(null)); // eslint-disable-line faultline/no-blind-catch -- flush() always calls back; a failed flush is counted in the drops
  }
}

function levelLabels(customLevels: Partial<Record<string, number>> | undefined): Record<number, string> {
  const labels: Record<number, string> = { ...STANDARD_LEVEL_LABELS };
  for (const [label, level] of Object.entries(customLevels ?? {})) if (level !== undefined) labels[level] = label;
  return labels;
}

/**
 * A pino logger wired into faultline:
 * - lines written inside a span carry `trace_id`, `span_id` and `trace_flags`;
 * - errors (under `err` or any top-level key) are serialized by the error model: type, code,
 *   category, message, capped stack, notes, fingerprint, causes, AggregateError children;
 * - secrets are redacted by the same rules as recordError, plus the pino `redact` paths given;
 * - `error`/`fatal` lines with an error record it (once per error object, `error.handled=true`);
 * - lines go to stdout (JSON, or pretty in a terminal when asked) and, unless OTEL_LOGS_EXPORTER
 *   says otherwise, over OTLP from a worker thread with the SDK's endpoint, headers and resource.
 * Level defaults to FAULTLINE_LOG_LEVEL. Every other pino option is honoured.
 */
export function createLogger<CustomLevels extends string = never>(options: CreateLoggerOptions<CustomLevels> = {}): Logger<CustomLevels> {
  const config = getRuntime().config;
  const { pretty, destination, mixin: userMixin, serializers: userSerializers, formatters: userFormatters, hooks: userHooks, ...rest } = options;
  if ('transport' in rest) {
    // Plain JavaScript callers can still pass it, and pino refuses a transport next to a stream.
    delete (rest as { transport?: unknown }).transport;
    warnOnce('logger-transport', 'createLogger ignores the pino `transport` option: lines are exported over OTLP already; use `destination` for the local copy');
  }
  const messageKey = rest.messageKey ?? 'msg';
  const errorKey = rest.errorKey ?? 'err';
  const userSerialized = new Set(Object.keys(userSerializers ?? {}));

  const local: Stream = destination ?? pino.destination(1);
  const labels = levelLabels(rest.customLevels);
  const wantPretty = pretty ?? config.logPretty;
  const isTerminal = (destination === undefined ? (process.stdout as { isTTY?: boolean }).isTTY : local.isTTY) === true;
  const format = wantPretty && isTerminal ? (line: string) => prettyLine(line, messageKey, errorKey, labels) : undefined;

  // The trace fields are the first fields of the line after the bindings. Rendering them as part of
  // the bindings for the duration of the call (the way plain pino loggers get them) gives the same
  // line as merging them in through the mixin, at a fraction of the cost: no merged object, no
  // three more fields to prepare and stringify. Only where the line is then certainly the same: no
  // option of the user's own could see, move or rewrite the fields, and the logged object has no
  // field that would land before them or replace them (see mergesAhead).
  const splice =
    userMixin === undefined &&
    userFormatters?.log === undefined &&
    userHooks?.logMethod === undefined &&
    rest.mixinMergeStrategy === undefined &&
    rest.redact === undefined &&
    rest.nestedKey === undefined &&
    !TRACE_FIELD_NAMES.some((name) => userSerialized.has(name));
  let splicedInstance: unknown;

  const logger = pino<CustomLevels>(
    {
      ...(rest as LoggerOptions<CustomLevels>),
      level: rest.level ?? config.logLevel,
      serializers: { err: serializeLoggedError, [errorKey]: serializeLoggedError, ...userSerializers },
      mixin(mergeObject, level, instance) {
        // The fields are in the line already, or there are none (see logMethod below).
        if (instance === splicedInstance) return {};
        const fields = activeTraceFields();
        if (userMixin !== undefined) {
          const own = userMixin(mergeObject, level, instance);
          return fields === undefined ? own : { ...own, ...fields };
        }
        // pino merges the line's object into what the mixin returns: always a fresh object.
        return fields === undefined ? {} : { trace_id: fields.trace_id, span_id: fields.span_id, trace_flags: fields.trace_flags };
      },
      formatters: {
        ...userFormatters,
        log(object) {
          const shaped = userFormatters?.log === undefined ? object : userFormatters.log(object);
          return prepareFields(shaped, userSerialized);
        },
        bindings(bindings) {
          const shaped: object = userFormatters?.bindings === undefined ? bindings : userFormatters.bindings(bindings);
          return prepareFields(shaped as Record<string, unknown>, userSerialized);
        },
      },
      hooks: {
        ...userHooks,
        logMethod(args, method, level) {
          try {
            logPrepared.call(this, args, method, level);
          } catch (error) {
            // pino reads the logged object's properties as it merges it into the line: a getter
            // that throws there must not throw into the app. The line is written again from a
            // bounded copy that marks what cannot be read.
            const [first, ...others] = args;
            const copy = typeof first === 'object' && first !== null ? boundedCopy(first, REDACT_VALUE_LIMITS) : first;
            // An object that cannot even be listed stays an object, so the message stays the message.
            const readable = typeof first === 'object' && first !== null && (typeof copy !== 'object' || copy === null) ? { logged: copy } : copy;
            try {
              method.apply(this, [readable, ...others] as Parameters<typeof method>);
            } catch { // eslint-disable-line faultline/no-blind-catch -- the warning names the original error; a second failure would only throw into the app
              warnOnce('log-line-unwritable', `a log line could not be written: ${error instanceof Error ? error.message : String(error)}`);
            }
          }
        },
      },
    },
    new TeeDestination(local, rest.customLevels === undefined ? undefined : labels, messageKey, format),
  );

  function logPrepared(this: Logger, args: Parameters<LogFn>, method: LogFn, level: number): void {
    const prepared = prepareArguments(args, level, errorKey) as Parameters<typeof method>;
    if (userHooks?.logMethod !== undefined) {
      userHooks.logMethod.call(this, prepared, method, level);
      return;
    }
    if (splice && splicedInstance === undefined) {
      const fields = activeTraceFields();
      const instance = this as unknown as Record<symbol, unknown>;
      if (fields === undefined) {
        // No span: the mixin need not look again.
        splicedInstance = instance;
        try {
          method.apply(this, prepared);
        } finally {
          splicedInstance = undefined;
        }
        return;
      }
      if (!mergesAhead(prepared[0])) {
        const key = findChindingsKey(instance);
        const bindings = key === undefined ? undefined : instance[key];
        if (key !== undefined && typeof bindings === 'string') {
          instance[key] = bindings + traceFieldsJson(fields);
          splicedInstance = instance;
          try {
            method.apply(this, prepared);
          } finally {
            instance[key] = bindings;
            splicedInstance = undefined;
          }
          return;
        }
      }
    }
    method.apply(this, prepared);
  }
  Object.defineProperty(logger, FAULTLINE_LOGGER, { value: true });
  redactChildBindings(logger, userSerialized);
  return logger;
}

const TRACE_FIELD_NAMES = ['trace_id', 'span_id', 'trace_flags'];
const ARRAY_INDEX = /^(?:0|[1-9]\d*)$/;

/**
 * Whether the object pino would merge behind the mixin's trace fields has a field that would
 * replace one of them, or come before them (integer-like keys are enumerated first). Proxies, and
 * objects whose reading fails, take the mixin path, which reads them the way it always did.
 */
function mergesAhead(first: unknown): boolean {
  if (typeof first !== 'object' || first === null) return false;
  if (types.isProxy(first)) return true;
  try {
    if (first instanceof Error) return false;
    const own = first as Record<string, unknown>;
    for (const name of TRACE_FIELD_NAMES) if (Object.prototype.propertyIsEnumerable.call(own, name)) return true;
    for (const key in own) {
      const lead = key.charCodeAt(0);
      if (lead >= 48 && lead <= 57 && ARRAY_INDEX.test(key) && Object.prototype.propertyIsEnumerable.call(own, key)) return true;
    }
    return false;
  } catch { // eslint-disable-line faultline/no-blind-catch -- a logged object that throws on reads takes the mixin path, which reads nothing
    return true;
  }
}

/**
 * pino applies `formatters.bindings` to the root logger's bindings only, so the bindings of
 * `child()` and `setBindings()` are redacted here. Children inherit these methods from the root.
 */
function redactChildBindings<CustomLevels extends string>(logger: Logger<CustomLevels>, userSerialized: ReadonlySet<string>): void {
  const prepare = (bindings: unknown): unknown =>
    typeof bindings === 'object' && bindings !== null ? prepareFields(bindings as Record<string, unknown>, userSerialized) : bindings;
  // Taken unbound on purpose: each is called with the logger it is invoked on (a child, a grandchild).
  const child = Reflect.get(logger, 'child') as (...args: unknown[]) => unknown;
  const setBindings = Reflect.get(logger, 'setBindings') as (bindings: unknown) => void;
  Object.defineProperty(logger, 'child', {
    configurable: true,
    writable: true,
    value: function (this: Logger<CustomLevels>, bindings: unknown, ...rest: unknown[]) {
      return child.call(this, prepare(bindings), ...rest);
    },
  });
  Object.defineProperty(logger, 'setBindings', {
    configurable: true,
    writable: true,
    value: function (this: Logger<CustomLevels>, bindings: unknown) {
      setBindings.call(this, prepare(bindings));
    },
  });
}

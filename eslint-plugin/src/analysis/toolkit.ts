// Names the rules know from faultline and from the platform. A rule option can add to each list;
// these are the defaults, and the docs pages list them.

/** Functions that record an error on the one recording path. */
export const RECORDERS: readonly string[] = ['recordError'];

/** Functions that answer whether an error is a cancellation. */
export const CANCELLATION_CHECKS: readonly string[] = ['isCancellation'];

/**
 * Names that mean "a cancellation" when an error is compared with them: error classes
 * (`instanceof Cancelled`), `name` values (`err.name === 'AbortError'`) and codes
 * (`err.code === 'ABORT_ERR'`, `hasCode(err, 'CANCELLED')`). `TimeoutError` is the reason of a
 * signal from `AbortSignal.timeout()`.
 */
export const CANCELLATION_NAMES: readonly string[] = ['AbortError', 'TimeoutError', 'Cancelled', 'CANCELLED', 'ABORT_ERR', 'TaskCancelledError'];

/** Methods of a pino-style logger (and of `console`) that write a line. */
export const LOG_METHODS: readonly string[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'log'];

/** Metric instrument types of `@opentelemetry/api` and the methods that take attributes. */
export const INSTRUMENT_TYPES: readonly string[] = ['Counter', 'UpDownCounter', 'Histogram', 'Gauge', 'ObservableResult', 'BatchObservableResult'];
export const INSTRUMENT_METHODS: readonly string[] = ['add', 'record', 'observe'];

/**
 * faultline's own error classes (its catalog and AppError), as `preserve-caught-error` needs them:
 * its `errorClassNames` option matches the name a class is called by. Each takes
 * `(message, { cause, details })`, so the cause goes in the second argument.
 */
export const FAULTLINE_ERROR_CLASSES: readonly string[] = [
  'AppError',
  'ValidationError',
  'NotFound',
  'Unauthorized',
  'Forbidden',
  'Conflict',
  'RateLimited',
  'DatabaseUnavailable',
  'DatabaseConflict',
  'DatabaseConstraint',
  'DatabaseTransactionAborted',
  'DatabaseTimeout',
  'DatabaseError',
  'OperationTimeout',
  'Cancelled',
  'CircuitOpen',
  'BulkheadRejected',
  'DependencyFailed',
  'InternalError',
  'TaskGroupClosed',
  'TaskGroupError',
];

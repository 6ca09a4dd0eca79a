import { defineError } from './define-error.ts';

// faultline's own errors. Every code here has a row in docs/errors.md (a test keeps them in step);
// codes are public API: dashboards and alerts match on them.

/** Input did not match the expected shape; `details.issues` lists what was wrong. */
export const ValidationError = defineError({
  code: 'VALIDATION_FAILED',
  name: 'ValidationError',
  category: 'validation',
  httpStatus: 400,
  message: 'Validation failed',
});

export const NotFound = defineError({ code: 'NOT_FOUND', category: 'not_found', httpStatus: 404, message: 'Not found' });

export const Unauthorized = defineError({ code: 'UNAUTHORIZED', category: 'unauthorized', httpStatus: 401, message: 'Unauthorized' });

export const Forbidden = defineError({ code: 'FORBIDDEN', category: 'forbidden', httpStatus: 403, message: 'Forbidden' });

export const Conflict = defineError({ code: 'CONFLICT', category: 'conflict', httpStatus: 409, message: 'Conflict' });

export const RateLimited = defineError({
  code: 'RATE_LIMITED',
  category: 'rate_limited',
  httpStatus: 429,
  retryable: true,
  message: 'Too many requests',
});

/** The database could not be reached or refused the connection (down, restarting, out of connections). */
export const DatabaseUnavailable = defineError({
  code: 'DATABASE_UNAVAILABLE',
  category: 'dependency',
  httpStatus: 503,
  retryable: true,
  message: 'Database unavailable',
});

/** A unique constraint was violated: the row already exists. */
export const DatabaseConflict = defineError({
  code: 'DATABASE_CONFLICT',
  category: 'conflict',
  httpStatus: 409,
  message: 'The record conflicts with an existing one',
});

/** A foreign-key, not-null or check constraint rejected the data. */
export const DatabaseConstraint = defineError({
  code: 'DATABASE_CONSTRAINT',
  category: 'validation',
  httpStatus: 422,
  message: 'The data violates a database constraint',
});

/**
 * Serialization failure or deadlock: the transaction was rolled back and may be retried as a whole.
 * A dependency failure, not a conflict: the client's request was fine, the database's concurrency
 * control gave up, so it counts toward the server-side error budget and answers 503.
 */
export const DatabaseTransactionAborted = defineError({
  code: 'DATABASE_TRANSACTION_ABORTED',
  category: 'dependency',
  httpStatus: 503,
  retryable: true,
  message: 'The transaction was aborted by a concurrent one',
});

/** Statement or lock timeout, or the query was cancelled by the server. */
export const DatabaseTimeout = defineError({
  code: 'DATABASE_TIMEOUT',
  category: 'timeout',
  httpStatus: 504,
  retryable: true,
  message: 'The database did not answer in time',
});

/** Any other database failure (syntax error, missing table, permission): a bug, not a retry case. */
export const DatabaseError = defineError({
  code: 'DATABASE_ERROR',
  category: 'internal',
  httpStatus: 500,
  message: 'Database error',
});

/** An operation ran past its deadline. */
export const OperationTimeout = defineError({
  code: 'OPERATION_TIMEOUT',
  category: 'timeout',
  httpStatus: 504,
  retryable: true,
  message: 'The operation timed out',
});

/** An operation was cancelled (its AbortSignal fired, its task group failed, the client went away). */
export const Cancelled = defineError({ code: 'CANCELLED', category: 'cancelled', message: 'The operation was cancelled' });

/** A circuit breaker is open: the dependency is failing and calls are refused without trying. */
export const CircuitOpen = defineError({
  code: 'CIRCUIT_OPEN',
  category: 'dependency',
  httpStatus: 503,
  retryable: true,
  message: 'Circuit breaker is open',
});

/**
 * A bulkhead refused the call: its concurrency limit and its queue were full. Load shedding, not a
 * failure of the dependency, so `rate_limited` (a breaker must not count it); but the capacity that
 * ran out is this service's, not the client's quota, so 503 (overloaded, try later), not 429.
 */
export const BulkheadRejected = defineError({
  code: 'BULKHEAD_REJECTED',
  category: 'rate_limited',
  httpStatus: 503,
  retryable: true,
  message: 'Bulkhead is full: the call was refused without trying',
});

/** An upstream service failed or answered with an error. */
export const DependencyFailed = defineError({
  code: 'DEPENDENCY_FAILED',
  category: 'dependency',
  httpStatus: 502,
  retryable: true,
  message: 'A dependency failed',
});

/** A failure with no better classification. */
export const InternalError = defineError({ code: 'INTERNAL_ERROR', category: 'internal', httpStatus: 500, message: 'Internal error' });

// TaskGroupError (TASK_GROUP_FAILED), an AggregateError, is in task-group-error.ts: it classifies its
// failures, and classify reaches this catalog through the driver tables, so it cannot live here.

/** A task was spawned into a task group that had already settled: structured concurrency allows no stragglers. */
export const TaskGroupClosed = defineError({
  code: 'TASK_GROUP_CLOSED',
  category: 'internal',
  message: 'The task group has settled; no task can be spawned into it',
});

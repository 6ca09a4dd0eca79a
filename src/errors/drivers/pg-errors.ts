import type { AppError } from '../app-error.ts';
import type { ErrorCategory } from '../category.ts';
import {
  DatabaseConflict,
  DatabaseConstraint,
  DatabaseError,
  DatabaseTimeout,
  DatabaseTransactionAborted,
  DatabaseUnavailable,
} from '../catalog.ts';

// node-postgres (`pg`, `pg-pool`) errors: the one SQLSTATE table that both `translatePgError`
// (src/db/postgres.ts, which builds the typed error) and `classify` (which reads a raw error) use.

/** One of faultline's database errors: what a SQLSTATE or a driver error means. */
export interface DatabaseErrorKind {
  new (message?: string, options?: { cause?: unknown; details?: Record<string, unknown> }): AppError;
  readonly category: ErrorCategory;
  readonly retryable: boolean;
}

export interface DatabaseTranslation {
  kind: DatabaseErrorKind;
  /** The translated error's message: says what happened without echoing data. */
  message?: string;
}

/** Five characters of digits and capitals: the shape of every SQLSTATE. */
export const SQLSTATE = /^[0-9A-Z]{5}$/;

/**
 * SQLSTATE → faultline error. Infrastructure trouble is retryable and answered 503/504 (never a
 * bug-looking 500, never a user error); constraint violations are the client's data.
 * Reference: https://www.postgresql.org/docs/current/errcodes-appendix.html
 */
const BY_SQLSTATE: ReadonlyMap<string, DatabaseTranslation> = new Map<string, DatabaseTranslation>([
  ['23505', { kind: DatabaseConflict, message: 'A record with the same unique key already exists' }],
  ['23P01', { kind: DatabaseConflict, message: 'The record overlaps an existing one (exclusion constraint)' }],
  ['23503', { kind: DatabaseConstraint, message: 'The record refers to a row that does not exist, or is still referred to (foreign key)' }],
  ['23502', { kind: DatabaseConstraint, message: 'A required value is missing (not-null constraint)' }],
  ['23514', { kind: DatabaseConstraint, message: 'A value is out of the allowed range (check constraint)' }],
  ['23001', { kind: DatabaseConstraint, message: 'The record is still referred to (restrict)' }],
  ['40001', { kind: DatabaseTransactionAborted, message: 'The transaction could not be serialized with a concurrent one and was rolled back' }],
  ['40P01', { kind: DatabaseTransactionAborted, message: 'The transaction was rolled back to resolve a deadlock' }],
  ['57014', { kind: DatabaseTimeout, message: 'The query was cancelled (statement timeout or cancel request)' }],
  ['55P03', { kind: DatabaseTimeout, message: 'A lock could not be acquired in time' }],
  ['25P03', { kind: DatabaseTimeout, message: 'The session was closed after idling in a transaction' }],
  ['53300', { kind: DatabaseUnavailable, message: 'The database has no free connection slots' }],
  ['57P01', { kind: DatabaseUnavailable, message: 'The database connection was terminated by an administrator or a shutdown' }],
  ['57P02', { kind: DatabaseUnavailable, message: 'The database connection was terminated by a server crash' }],
  ['57P03', { kind: DatabaseUnavailable, message: 'The database is starting up or shutting down' }],
]);

/** Whole SQLSTATE classes that mean "the server or the link is in trouble". */
const BY_CLASS: ReadonlyMap<string, DatabaseTranslation> = new Map<string, DatabaseTranslation>([
  ['08', { kind: DatabaseUnavailable, message: 'The database connection failed' }],
  ['53', { kind: DatabaseUnavailable, message: 'The database is out of resources' }],
  ['57', { kind: DatabaseUnavailable, message: 'The database stopped the operation' }],
  ['58', { kind: DatabaseUnavailable, message: 'The database hit a system error' }],
]);

const UNKNOWN_SERVER_ERROR: DatabaseTranslation = { kind: DatabaseError };

/** What a PostgreSQL server error means, by its SQLSTATE; anything unlisted is an internal DatabaseError. */
export function pgServerTranslation(sqlState: string): DatabaseTranslation {
  return BY_SQLSTATE.get(sqlState) ?? BY_CLASS.get(sqlState.slice(0, 2)) ?? UNKNOWN_SERVER_ERROR;
}

const QUERY_READ_TIMEOUT: DatabaseTranslation = { kind: DatabaseTimeout, message: 'The database did not answer the query in time' };
const CONNECTION_TERMINATED: DatabaseTranslation = { kind: DatabaseUnavailable, message: 'The database connection was terminated' };
const POOL_TIMEOUT: DatabaseTranslation = { kind: DatabaseUnavailable, message: 'No database connection became available in time' };

/**
 * Errors node-postgres and pg-pool raise without a SQLSTATE, by their exact messages: the client's
 * `query_timeout`, a connection that died ("Connection terminated unexpectedly", "… due to
 * connection timeout") or can no longer be used ("Client was closed and is not queryable"), and a
 * pool that had no client to hand out in time.
 */
export function pgClientTranslation(message: string): DatabaseTranslation | undefined {
  if (message === 'Query read timeout') return QUERY_READ_TIMEOUT;
  if (message.startsWith('Connection terminated') || message.endsWith('is not queryable')) return CONNECTION_TERMINATED;
  if (message === 'timeout exceeded when trying to connect') return POOL_TIMEOUT;
  return undefined;
}

import { type Attributes, type Span, trace } from '@opentelemetry/api';
import { AppError, isAppError } from '../errors/app-error.ts';
import {
  DatabaseConflict,
  DatabaseConstraint,
  DatabaseError,
  DatabaseTimeout,
  DatabaseTransactionAborted,
  DatabaseUnavailable,
} from '../errors/catalog.ts';
import { isObjectLike, readProperty, readString } from '../errors/safe-read.ts';
import {
  ATTR_DB_COLLECTION_NAME,
  ATTR_DB_POSTGRESQL_COLUMN,
  ATTR_DB_POSTGRESQL_CONSTRAINT,
  ATTR_DB_RESPONSE_STATUS_CODE,
  ATTR_DB_SYSTEM_NAME,
  DB_SYSTEM_NAME_VALUE_POSTGRESQL,
} from '../semconv.ts';
import { warnOnce } from '../warn.ts';

type AppErrorClass = new (message?: string, options?: { cause?: unknown; details?: Record<string, unknown> }) => AppError;

interface Translation {
  kind: AppErrorClass;
  message?: string;
}

const SQLSTATE = /^[0-9A-Z]{5}$/;

/**
 * SQLSTATE → faultline error. Infrastructure trouble is retryable and answered 503/504 (never a
 * bug-looking 500, never a user error); constraint violations are the client's data.
 * Reference: https://www.postgresql.org/docs/current/errcodes-appendix.html
 */
const BY_SQLSTATE: ReadonlyMap<string, Translation> = new Map<string, Translation>([
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
const BY_CLASS: ReadonlyMap<string, Translation> = new Map<string, Translation>([
  ['08', { kind: DatabaseUnavailable, message: 'The database connection failed' }],
  ['53', { kind: DatabaseUnavailable, message: 'The database is out of resources' }],
  ['57', { kind: DatabaseUnavailable, message: 'The database stopped the operation' }],
  ['58', { kind: DatabaseUnavailable, message: 'The database hit a system error' }],
]);

/** Node socket errors on the way to the server. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ENETDOWN', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND', 'ECONNABORTED']);

/** Errors node-postgres and pg-pool raise without a SQLSTATE (their exact messages). */
function byDriverMessage(message: string): Translation | undefined {
  if (message === 'Query read timeout') return { kind: DatabaseTimeout, message: 'The database did not answer the query in time' };
  if (message.startsWith('Connection terminated') || message.endsWith('is not queryable')) {
    return { kind: DatabaseUnavailable, message: 'The database connection was terminated' };
  }
  if (message === 'timeout exceeded when trying to connect') return { kind: DatabaseUnavailable, message: 'No database connection became available in time' };
  return undefined;
}

/** A server error from node-postgres: a five-character SQLSTATE `code` and a `severity`. */
export function isPgError(err: unknown): boolean {
  const code = readProperty(err, 'code');
  return typeof code === 'string' && SQLSTATE.test(code) && typeof readProperty(err, 'severity') === 'string';
}

function translationFor(err: unknown): Translation {
  const code = readString(err, 'code', 64);
  if (code !== undefined && isPgError(err)) {
    return BY_SQLSTATE.get(code) ?? BY_CLASS.get(code.slice(0, 2)) ?? { kind: DatabaseError };
  }
  if (code !== undefined && NETWORK_CODES.has(code)) return { kind: DatabaseUnavailable, message: 'The database could not be reached' };
  const message = readString(err, 'message', 256);
  return (message === undefined ? undefined : byDriverMessage(message)) ?? { kind: DatabaseError };
}

/** Names from the error that identify schema objects, never values (pg's `detail` echoes the row: it is left out). */
function schemaFacts(err: unknown): Record<string, string> {
  const facts: Record<string, string> = {};
  const sqlstate = readString(err, 'code', 16);
  if (sqlstate !== undefined && isPgError(err)) facts.sqlstate = sqlstate;
  for (const key of ['constraint', 'table', 'column', 'schema'] as const) {
    const value = readString(err, key, 128);
    if (value !== undefined && value !== '') facts[key] = value;
  }
  return facts;
}

function spanAttributes(facts: Record<string, string>): Attributes {
  const attributes: Attributes = { [ATTR_DB_SYSTEM_NAME]: DB_SYSTEM_NAME_VALUE_POSTGRESQL };
  if (facts.sqlstate !== undefined) attributes[ATTR_DB_RESPONSE_STATUS_CODE] = facts.sqlstate;
  if (facts.table !== undefined) attributes[ATTR_DB_COLLECTION_NAME] = facts.table;
  if (facts.constraint !== undefined) attributes[ATTR_DB_POSTGRESQL_CONSTRAINT] = facts.constraint;
  if (facts.column !== undefined) attributes[ATTR_DB_POSTGRESQL_COLUMN] = facts.column;
  return attributes;
}

export interface TranslatePgErrorOptions {
  /** Span that gets the database attributes; default: the active span. */
  span?: Span;
}

/**
 * Turns an error from node-postgres (`pg`, `pg-pool`) into one of faultline's database errors,
 * with the original as `cause`:
 *
 * | what happened | error | category | HTTP |
 * |---|---|---|---|
 * | connection refused/reset, terminated (57P01), too many connections (53300), classes 08/53/57/58 | DatabaseUnavailable | dependency, retryable | 503 |
 * | deadlock (40P01), serialization failure (40001) | DatabaseTransactionAborted | dependency, retryable | 503 |
 * | statement timeout / query cancelled (57014), lock timeout (55P03), client query timeout | DatabaseTimeout | timeout, retryable | 504 |
 * | unique (23505), exclusion (23P01) | DatabaseConflict | conflict | 409 |
 * | foreign key (23503), not-null (23502), check (23514) | DatabaseConstraint | validation | 422 |
 * | anything else (syntax, missing table, permissions) | DatabaseError | internal | 500 |
 *
 * The SQLSTATE, constraint, table and column go in the error's `details` and on the span
 * (`db.response.status_code`, `db.postgresql.constraint`, `db.collection.name`,
 * `db.postgresql.column`, `db.system.name`); query text, parameters and pg's `detail` (which
 * echoes the offending row) never do. An AppError is returned as it is. Never throws.
 */
export function translatePgError(err: unknown, options: TranslatePgErrorOptions = {}): AppError {
  if (isAppError(err)) return err;
  try {
    const translation = translationFor(err);
    const facts = schemaFacts(err);
    annotateSpan(options.span, facts);
    return new translation.kind(translation.message, { cause: err, details: facts });
  } catch { // eslint-disable-line faultline/no-blind-catch -- translation never throws into the app: any failure of it falls back to DatabaseError with the cause
    return new DatabaseError(undefined, { cause: err });
  }
}

function annotateSpan(explicit: Span | undefined, facts: Record<string, string>): void {
  try {
    const span = explicit ?? trace.getActiveSpan();
    if (span?.isRecording() === true) span.setAttributes(spanAttributes(facts));
  } catch { // eslint-disable-line faultline/no-blind-catch -- span attributes are a courtesy; the translation stands without them
  }
}

type Callback = (err: unknown, ...results: unknown[]) => void;

const proxies = new WeakMap<object, object>();

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return isObjectLike(value) && typeof readProperty(value, 'then') === 'function';
}

/** Calls `method`, translating a thrown error, a rejected promise or a callback's error. */
function callTranslated(target: object, method: (...args: unknown[]) => unknown, args: unknown[], wrapResult: (value: unknown) => unknown): unknown {
  const last = args.length > 0 ? args[args.length - 1] : undefined;
  if (typeof last === 'function') {
    const callback = last as Callback;
    args = [
      ...args.slice(0, -1),
      (err: unknown, ...results: unknown[]) => {
        callback(err === undefined || err === null ? err : translatePgError(err), ...(results.length > 0 ? [wrapResult(results[0]), ...results.slice(1)] : []));
      },
    ];
  }
  let result: unknown;
  try {
    result = method.apply(target, args);
  } catch (err) {
    throw translatePgError(err);
  }
  if (typeof last === 'function' || !isThenable(result)) return result;
  return Promise.resolve(result).then(wrapResult, (err: unknown) => {
    throw translatePgError(err);
  });
}

const identity = (value: unknown): unknown => value;
const wrapClient = (value: unknown): unknown => (isObjectLike(value) && typeof readProperty(value, 'query') === 'function' ? withPgErrors(value) : value);

/**
 * Wraps a `pg.Pool` or `pg.Client` so that every error from `query` and `connect` comes out
 * translated by `translatePgError` (clients checked out with `pool.connect()` are wrapped too).
 * Everything else (`end`, `on`, `release`, counters) is the original's. Promise and callback styles
 * both work; streams and cursors (submittables) are passed through untouched.
 *
 *     const db = withPgErrors(new pg.Pool({ connectionString }));
 *     await db.query('insert into users(email) values ($1)', [email]); // throws DatabaseConflict on a duplicate
 */
export function withPgErrors<T extends object>(db: T): T {
  if (!isObjectLike(db)) {
    warnOnce('with-pg-errors', 'withPgErrors expects a pg Pool or Client; returning the value unchanged');
    return db;
  }
  const existing = proxies.get(db);
  if (existing !== undefined) return existing as T;
  const wrappers = new Map<PropertyKey, { original: unknown; wrapper: unknown }>();
  const proxy = new Proxy(db, {
    get(target, key) {
      const value: unknown = Reflect.get(target, key, target);
      if ((key !== 'query' && key !== 'connect') || typeof value !== 'function') return value;
      const cached = wrappers.get(key);
      if (cached?.original === value) return cached.wrapper;
      const method = value as (...args: unknown[]) => unknown;
      const wrapper = (...args: unknown[]): unknown => callTranslated(target, method, args, key === 'connect' ? wrapClient : identity);
      wrappers.set(key, { original: value, wrapper });
      return wrapper;
    },
  });
  proxies.set(db, proxy);
  return proxy;
}


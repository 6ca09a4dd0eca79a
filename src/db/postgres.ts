import { type Attributes, type Span, trace } from '@opentelemetry/api';
import { AppError, isAppError } from '../errors/app-error.ts';
import { DatabaseError, DatabaseUnavailable } from '../errors/catalog.ts';
import { pgClientTranslation, pgServerTranslation, SQLSTATE, type DatabaseTranslation } from '../errors/drivers/pg-errors.ts';
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

/** Node socket errors on the way to the server. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ENETDOWN', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND', 'ECONNABORTED']);

/** A server error from node-postgres: a five-character SQLSTATE `code` and a `severity`. */
export function isPgError(err: unknown): boolean {
  const code = readProperty(err, 'code');
  return typeof code === 'string' && SQLSTATE.test(code) && typeof readProperty(err, 'severity') === 'string';
}

const UNREACHABLE: DatabaseTranslation = { kind: DatabaseUnavailable, message: 'The database could not be reached' };
const OTHER: DatabaseTranslation = { kind: DatabaseError };

function translationFor(err: unknown): DatabaseTranslation {
  const code = readString(err, 'code', 64);
  if (code !== undefined && isPgError(err)) return pgServerTranslation(code);
  if (code !== undefined && NETWORK_CODES.has(code)) return UNREACHABLE;
  const message = readString(err, 'message', 256);
  return (message === undefined ? undefined : pgClientTranslation(message)) ?? OTHER;
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


import { DatabaseConflict, DatabaseConstraint, DatabaseTimeout, DatabaseTransactionAborted, DatabaseUnavailable } from '../catalog.ts';
import type { DatabaseErrorKind } from './pg-errors.ts';

// MySQL and MariaDB errors as `mysql2` (and `mysql`) raise them: a server error carries the server's
// `errno` and `sqlState` (and a `code` name from the client's list, which is MySQL's: MariaDB's own
// numbers get MySQL's name for the same number, or none, so the number and the SQLSTATE decide);
// a client error carries only a `code`. They mean what the PostgreSQL table says for the same
// failure, so they map to the same database errors.

interface ServerRule {
  kind: DatabaseErrorKind;
  /** Required SQLSTATE prefix, for numbers that MySQL and MariaDB use for different errors. */
  sqlState?: string;
}

/** Server error numbers. https://mariadb.com/kb/en/mariadb-error-code-reference/ and MySQL's server error reference. */
const BY_ERRNO: ReadonlyMap<number, ServerRule> = new Map<number, ServerRule>([
  // The same unique key again.
  [1062, { kind: DatabaseConflict }], // ER_DUP_ENTRY
  [1586, { kind: DatabaseConflict }], // ER_DUP_ENTRY_WITH_KEY_NAME
  [1022, { kind: DatabaseConflict }], // ER_DUP_KEY
  [1169, { kind: DatabaseConflict }], // ER_DUP_UNIQUE
  // The client's data breaks a constraint.
  [1452, { kind: DatabaseConstraint }], // ER_NO_REFERENCED_ROW_2 (foreign key)
  [1216, { kind: DatabaseConstraint }], // ER_NO_REFERENCED_ROW
  [1451, { kind: DatabaseConstraint }], // ER_ROW_IS_REFERENCED_2
  [1217, { kind: DatabaseConstraint }], // ER_ROW_IS_REFERENCED
  [1048, { kind: DatabaseConstraint }], // ER_BAD_NULL_ERROR (not null)
  [1364, { kind: DatabaseConstraint }], // ER_NO_DEFAULT_FOR_FIELD (a required value is missing, strict mode)
  [3819, { kind: DatabaseConstraint, sqlState: 'HY000' }], // MySQL ER_CHECK_CONSTRAINT_VIOLATED
  [4025, { kind: DatabaseConstraint, sqlState: '23' }], // MariaDB ER_CONSTRAINT_FAILED (check)
  // Concurrency control gave up: retry the transaction as a whole.
  [1213, { kind: DatabaseTransactionAborted }], // ER_LOCK_DEADLOCK
  // Too slow: a lock that never came, a statement past its time limit, a query killed.
  [1205, { kind: DatabaseTimeout }], // ER_LOCK_WAIT_TIMEOUT
  [3024, { kind: DatabaseTimeout, sqlState: 'HY000' }], // MySQL ER_QUERY_TIMEOUT (max_execution_time)
  [1969, { kind: DatabaseTimeout, sqlState: '70100' }], // MariaDB ER_STATEMENT_TIMEOUT (max_statement_time)
  [1317, { kind: DatabaseTimeout }], // ER_QUERY_INTERRUPTED (KILL QUERY; PostgreSQL's 57014)
  // The server cannot serve the connection.
  [1040, { kind: DatabaseUnavailable }], // ER_CON_COUNT_ERROR (too many connections)
  [1203, { kind: DatabaseUnavailable }], // ER_TOO_MANY_USER_CONNECTIONS
  [1053, { kind: DatabaseUnavailable }], // ER_SERVER_SHUTDOWN
  [1927, { kind: DatabaseUnavailable, sqlState: '70100' }], // MariaDB ER_CONNECTION_KILLED
  [1041, { kind: DatabaseUnavailable }], // ER_OUT_OF_RESOURCES
  [1021, { kind: DatabaseUnavailable }], // ER_DISK_FULL
]);

/** SQLSTATEs that say enough whatever the number: a broken link (class 08), a rolled-back transaction. */
function bySqlState(sqlState: string): DatabaseErrorKind | undefined {
  if (sqlState.startsWith('08')) return DatabaseUnavailable;
  if (sqlState === '40001') return DatabaseTransactionAborted;
  if (sqlState === 'HYT00') return DatabaseTimeout;
  return undefined;
}

/** What a MySQL/MariaDB server error means; undefined for the rest (syntax, missing table, access: internal). */
export function mysqlServerKind(errno: number | undefined, sqlState: string): DatabaseErrorKind | undefined {
  const rule = errno === undefined ? undefined : BY_ERRNO.get(errno);
  if (rule !== undefined && (rule.sqlState === undefined || sqlState.startsWith(rule.sqlState))) return rule.kind;
  return bySqlState(sqlState);
}

/** Errors of the client itself (mysql2, mysql), by `code`: the connection died or the client's query timeout fired. */
const BY_CLIENT_CODE: ReadonlyMap<string, DatabaseErrorKind> = new Map<string, DatabaseErrorKind>([
  ['PROTOCOL_CONNECTION_LOST', DatabaseUnavailable],
  ['PROTOCOL_ENQUEUE_AFTER_FATAL_ERROR', DatabaseUnavailable],
  ['PROTOCOL_ENQUEUE_AFTER_QUIT', DatabaseUnavailable],
  ['PROTOCOL_ENQUEUE_AFTER_DESTROY', DatabaseUnavailable],
  ['PROTOCOL_SEQUENCE_TIMEOUT', DatabaseTimeout],
]);

/** mysql2's error for a query on a connection that died earlier (it carries `fatal`, no code). */
const CLOSED_STATE_MESSAGE = "Can't add new command when connection is in closed state";

export function mysqlClientKind(code: string | undefined, message: string): DatabaseErrorKind | undefined {
  if (code !== undefined) return BY_CLIENT_CODE.get(code);
  return message === CLOSED_STATE_MESSAGE ? DatabaseUnavailable : undefined;
}

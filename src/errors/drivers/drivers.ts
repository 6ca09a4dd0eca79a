/**
 * Raw errors of database and cache drivers — node-postgres, mysql2/MariaDB, node-redis, ioredis —
 * recognised by their shape (SQLSTATE, errno, code, class name, exact message), so that classify()
 * gives a unique violation, a deadlock or a dropped Redis connection its category without any
 * wrapper. This folder must never import a driver: they are optional, and recognising an error
 * must not load one.
 */
import type { CategoryVerdict } from '../category.ts';
import { readProperty } from '../safe-read.ts';
import { mysqlClientKind, mysqlServerKind } from './mysql-errors.ts';
import { pgClientTranslation, pgServerTranslation, SQLSTATE, type DatabaseErrorKind } from './pg-errors.ts';
import { redisVerdict } from './redis-errors.ts';

/** What a database server error carries beyond its code: read only when the code says it may be one. */
export interface DriverFacts {
  /** node-postgres errors carry the SQLSTATE as `code` and a `severity`; MySQL-family ones `sqlState` and `errno`. */
  system: 'postgresql' | 'mysql';
  sqlState: string;
  errno: number | undefined;
}

/**
 * The server-error facts of a thrown object, or undefined. Costs one property read for an error
 * without a code, none for codes no database driver uses.
 */
export function readDriverFacts(value: object, code: string | undefined): DriverFacts | undefined {
  if (code !== undefined && SQLSTATE.test(code)) {
    return typeof readProperty(value, 'severity') === 'string' ? { system: 'postgresql', sqlState: code, errno: undefined } : undefined;
  }
  // mysql2 names the server's errors ER_…, and leaves numbers it has no name for without a code.
  if (code !== undefined && !code.startsWith('ER_')) return undefined;
  const sqlState = readProperty(value, 'sqlState');
  if (typeof sqlState !== 'string' || !SQLSTATE.test(sqlState)) return undefined;
  const errno = readProperty(value, 'errno');
  return { system: 'mysql', sqlState, errno: typeof errno === 'number' && Number.isInteger(errno) ? errno : undefined };
}

/** The facts of a thrown value that the recognisers read (a subset of what classify reads). */
export interface DriverErrorShape {
  name: string | undefined;
  constructorName: string | undefined;
  code: string | undefined;
  message: string;
  driver: DriverFacts | undefined;
}

const verdictOf = (kind: DatabaseErrorKind): CategoryVerdict => ({ category: kind.category, retryable: kind.retryable });

/**
 * The category and retryability of a raw driver error, or undefined when the value is not one the
 * recognisers know. A database server error the tables do not list is undefined too, so that it
 * stays internal, as translatePgError makes it.
 */
export function driverVerdict(facts: DriverErrorShape): CategoryVerdict | undefined {
  const driver = facts.driver;
  if (driver !== undefined) {
    const kind = driver.system === 'postgresql' ? pgServerTranslation(driver.sqlState).kind : mysqlServerKind(driver.errno, driver.sqlState);
    return kind === undefined ? undefined : verdictOf(kind);
  }
  const clientKind = mysqlClientKind(facts.code, facts.message) ?? (facts.code === undefined ? pgClientTranslation(facts.message)?.kind : undefined);
  if (clientKind !== undefined) return verdictOf(clientKind);
  return facts.code === undefined ? redisVerdict(facts) : undefined;
}

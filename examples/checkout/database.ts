import { context, ROOT_CONTEXT } from '@opentelemetry/api';
import pg from 'pg';
import { withPgErrors } from 'faultline';
import type { Logger } from 'pino';

// The connection pool. `withPgErrors` makes every failed query or connect throw one of
// faultline's database errors: a refused or dropped connection is DatabaseUnavailable (503,
// retryable), a unique violation DatabaseConflict (409), and so on; the driver's error stays as
// `cause`. The preload's pg instrumentation adds a span per query.

export type Database = pg.Pool;

export function createDatabase(connectionString: string | undefined, log: Logger): Database {
  const pool = new pg.Pool({
    // Without a connection string pg reads PGHOST, PGPORT, PGUSER, PGPASSWORD and PGDATABASE.
    ...(connectionString === undefined ? {} : { connectionString }),
    max: 10,
    // Fail fast while the database is away instead of queueing requests behind dead connections.
    connectionTimeoutMillis: 2000,
    query_timeout: 5000,
    idleTimeoutMillis: 10_000,
  });
  // An idle connection that breaks (the server restarted) is reported here; without a listener
  // the pool's 'error' event would crash the process. The event runs in the context of whichever
  // request opened the connection: logged from the root context, it is not put on that trace.
  pool.on('error', (err) => {
    context.with(ROOT_CONTEXT, () => {
      log.warn({ err }, 'an idle database connection failed; the pool replaces it');
    });
  });
  return withPgErrors(pool);
}

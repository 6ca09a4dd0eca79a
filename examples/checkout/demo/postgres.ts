import type { NetConnectOpts } from 'node:net';
import pg from 'pg';

// Where the demo finds PostgreSQL: DATABASE_URL, else the PG* variables, else the local default
// postgres://postgres@127.0.0.1:5432/postgres.

export interface PostgresTarget {
  /** host:port (or the socket directory), as the user will recognise it. */
  display: string;
  /** How the outage relay reaches the server. */
  socket: NetConnectOpts;
  /** For connecting directly. */
  connectionString: string;
  /** The same credentials and database through a relay on 127.0.0.1:`port`. */
  connectionStringVia(port: number): string;
}

type Env = Readonly<Record<string, string | undefined>>;

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed === undefined || trimmed === '' ? undefined : trimmed;
}

export function postgresTarget(env: Env): PostgresTarget {
  const databaseUrl = nonEmpty(env.DATABASE_URL);
  let url: URL;
  let socketDirectory: string | undefined;
  if (databaseUrl !== undefined) {
    url = new URL(databaseUrl);
    if (url.hostname === '') url.hostname = '127.0.0.1';
  } else {
    const host = nonEmpty(env.PGHOST) ?? '127.0.0.1';
    url = new URL('postgres://127.0.0.1');
    if (host.startsWith('/')) socketDirectory = host;
    else url.hostname = host;
    url.port = nonEmpty(env.PGPORT) ?? '5432';
    url.username = encodeURIComponent(nonEmpty(env.PGUSER) ?? 'postgres');
    const password = env.PGPASSWORD;
    if (password !== undefined && password !== '') url.password = encodeURIComponent(password);
    url.pathname = `/${encodeURIComponent(nonEmpty(env.PGDATABASE) ?? 'postgres')}`;
    if (socketDirectory !== undefined) url.searchParams.set('host', socketDirectory);
  }
  const port = Number(url.port === '' ? 5432 : url.port);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return {
    display: socketDirectory === undefined ? `${url.hostname}:${port}` : `${socketDirectory} (port ${port})`,
    socket: socketDirectory === undefined ? { host, port } : { path: `${socketDirectory}/.s.PGSQL.${port}` },
    connectionString: url.href,
    connectionStringVia(relayPort) {
      const via = new URL(url.href);
      via.hostname = '127.0.0.1';
      via.port = String(relayPort);
      via.searchParams.delete('host');
      return via.href;
    },
  };
}

/** Why a connection failed, in a few words: a socket error code or the server's message. */
function reasonOf(err: unknown): string {
  const first = err instanceof AggregateError ? (err.errors[0] as unknown) : err;
  const code = (first as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return code;
  const message = err instanceof Error ? err.message.split('\n', 1)[0] : String(err);
  return message === undefined || message === '' ? 'unknown error' : message.slice(0, 160);
}

/** Undefined when the server answers a query; otherwise the reason it could not. */
export async function checkPostgres(target: PostgresTarget): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: target.connectionString, connectionTimeoutMillis: 5000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('select 1');
    return undefined;
  } catch (err) {
    return reasonOf(err);
  } finally {
    await client.end().catch(() => undefined); // eslint-disable-line faultline/no-blind-catch -- closing the probe connection is best effort; its result is already decided
  }
}

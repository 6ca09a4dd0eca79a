import type { Span } from '@opentelemetry/api';
import { recordError } from '../errors/record-error.ts';
import { isObjectLike, readProperty, readString } from '../errors/safe-read.ts';
import { ATTR_DB_CLIENT_CONNECTION_POOL_NAME, ATTR_DB_SYSTEM_NAME, ATTR_RESOURCE_DESTROYED, DB_SYSTEM_NAME_VALUE_POSTGRESQL } from '../semconv.ts';
import { hold, resourceName, ResourceHandle, type Hold, type Resource } from './resource.ts';

/** What acquirePgClient uses of a node-postgres pool client (`pg.PoolClient`). */
export interface PgPoolClientLike {
  /** pg-pool: `release()` returns the client to the pool, `release(err)` destroys it. */
  release(err?: Error | boolean): void;
  on(event: 'error', listener: (err: Error) => void): unknown;
  removeListener(event: 'error', listener: (err: Error) => void): unknown;
}

/** What acquirePgClient uses of a node-postgres pool (`pg.Pool`, or one wrapped by `withPgErrors`). */
export interface PgPoolLike {
  connect(): Promise<PgPoolClientLike>;
}

/**
 * The client a pool's `connect()` resolves to (`pg.PoolClient` for a `pg.Pool`). Inference from an
 * overloaded method reads its last overload, pg's callback form: matching both overloads keeps
 * the promise's type.
 */
export type PgClientOf<Pool> = Pool extends { connect(): Promise<infer Client>; connect(callback: never): void }
  ? Client
  : Pool extends { connect(): Promise<infer Client> }
    ? Client
    : PgPoolClientLike;

export interface PgClientOptions {
  /**
   * `db.client.connection.pool.name`. Default, as the conventions advise for unnamed pools: the
   * database name, else `host:port`, else `postgresql`.
   */
  poolName?: string;
}

/** A pool client held for `await using`: `client` is the checked-out `pg.PoolClient`. */
export interface PgClientResource<Client> extends Resource<Client> {
  readonly client: Client;
  /** Why the client will be destroyed rather than returned to the pool, if it will be. */
  readonly broken: PgClientBreak | undefined;
}

/**
 * Why a client is not fit for the next borrower: its connection failed (an `error` event), the
 * server ended its session (a FATAL or PANIC message: terminated backend, shutdown), or it is
 * left inside a transaction (open or failed: the next borrower's queries would run in it).
 */
export type PgClientBreak = 'connection_error' | 'session_ended' | 'in_transaction' | 'not_queryable';

interface Watch {
  broken: PgClientBreak | undefined;
  error: unknown;
  detach: () => void;
}

const FATAL_SEVERITIES = new Set(['FATAL', 'PANIC']);
const poolNames = new WeakMap<object, string>();

/** The conventions' name for an unnamed pool: db.namespace, else server.address[:port], else the system. */
function conventionalPoolName(client: object): string {
  const database = readString(client, 'database', 128);
  if (database !== undefined && database !== '') return database;
  const host = readString(client, 'host', 128);
  const port = readProperty(client, 'port');
  if (host !== undefined && host !== '') {
    const address = host.includes(':') ? `[${host}]` : host;
    return typeof port === 'number' || typeof port === 'string' ? `${address}:${String(port)}` : address;
  }
  return DB_SYSTEM_NAME_VALUE_POSTGRESQL;
}

/**
 * Listens for what breaks a checked-out client. pg-pool listens for `error` only on idle clients: a
 * checked-out client whose backend is terminated while the app is between queries emits `error`
 * with no listener, which crashes the process. The listener here keeps it alive and marks the
 * client broken; the error goes on the resource span as events, not counted: the app meets the
 * same failure on its next query and counts it there.
 */
function watch(client: PgPoolClientLike, span: Span): Watch {
  const state: Watch = { broken: undefined, error: undefined, detach: () => undefined };
  const onError = (err: Error): void => {
    if (state.broken === undefined) {
      state.broken = 'connection_error';
      state.error = err;
    }
    recordError(err, { span, count: false, setStatus: false });
  };
  // A FATAL message arrives before the socket closes: the query in flight rejects with it while
  // the client still looks queryable, so this is what tells in time.
  const onMessage = (message: unknown): void => {
    if (state.broken === undefined && FATAL_SEVERITIES.has(String(readProperty(message, 'severity')))) {
      state.broken = 'session_ended';
      state.error = message;
    }
  };
  client.on('error', onError);
  const connection = readProperty(client, 'connection');
  const connectionOn = readProperty(connection, 'on');
  const listening = isObjectLike(connection) && typeof connectionOn === 'function';
  if (listening) connectionOn.call(connection, 'errorMessage', onMessage);
  state.detach = () => {
    client.removeListener('error', onError);
    const off = readProperty(connection, 'removeListener');
    if (listening && typeof off === 'function') off.call(connection, 'errorMessage', onMessage);
  };
  return state;
}

/** The break found at release time, when no event told before. */
function breakAtRelease(client: object, state: Watch): PgClientBreak | undefined {
  if (state.broken !== undefined) return state.broken;
  if (readProperty(client, '_queryable') === false || readProperty(client, '_ending') === true) return 'not_queryable';
  const status = readProperty(client, 'getTransactionStatus');
  if (typeof status === 'function') {
    const value: unknown = status.call(client);
    if (value === 'T' || value === 'E') return 'in_transaction';
  }
  return undefined;
}

class PgClientHandle<Client extends PgPoolClientLike> extends ResourceHandle<Client> implements PgClientResource<Client> {
  readonly #state: { watch: Watch | undefined };

  constructor(held: Hold<Client>, state: { watch: Watch | undefined }) {
    super(held);
    this.#state = state;
  }

  get client(): Client {
    return this.value;
  }

  get broken(): PgClientBreak | undefined {
    const watching = this.#state.watch;
    return watching === undefined ? undefined : breakAtRelease(this.value, watching);
  }
}

/**
 * Checks a client out of a node-postgres pool for `await using`: returned to the pool when the
 * block ends, destroyed instead (`release(err)`) when it is broken — its connection failed, the
 * server ended its session (a terminated backend), or it is left inside a transaction.
 *
 *     await using db = await acquirePgClient(pool);
 *     await db.client.query('update accounts set …');
 *
 * Records the database conventions' `db.client.connection.wait_time` (pool.connect) and
 * `db.client.connection.use_time` (checkout to release) in seconds, by
 * `db.client.connection.pool.name`; a span `resource <pool name>`; a failed checkout (counted once);
 * leaks as for acquireResource. While checked out, a connection error no longer crashes the
 * process (pg-pool listens only on idle clients).
 */
export function acquirePgClient<Pool extends PgPoolLike>(pool: Pool, options: PgClientOptions = {}): Promise<PgClientResource<PgClientOf<Pool>>> {
  type Client = PgClientOf<Pool> & PgPoolClientLike;
  if (!isObjectLike(pool) || typeof readProperty(pool, 'connect') !== 'function') {
    return Promise.reject(new TypeError('acquirePgClient: expected a pg Pool (an object with connect())')); // eslint-disable-line faultline/only-coded-errors -- API misuse is a TypeError, as Node's own APIs throw
  }
  const explicit = options.poolName === undefined ? undefined : resourceName(options.poolName, DB_SYSTEM_NAME_VALUE_POSTGRESQL, 'acquirePgClient');
  const state: { watch: Watch | undefined } = { watch: undefined };
  return hold<Client, PgClientResource<Client>>(
    {
      name: explicit ?? poolNames.get(pool) ?? DB_SYSTEM_NAME_VALUE_POSTGRESQL,
      metrics: 'db-connection',
      attributes: { [ATTR_DB_SYSTEM_NAME]: DB_SYSTEM_NAME_VALUE_POSTGRESQL },
      acquire: () => pool.connect() as Promise<Client>,
      acquired: (client, span) => {
        state.watch = watch(client, span);
        let name = explicit ?? poolNames.get(pool);
        if (name === undefined) {
          name = conventionalPoolName(client);
          poolNames.set(pool, name);
        }
        span.setAttribute(ATTR_DB_CLIENT_CONNECTION_POOL_NAME, name);
        return name;
      },
      release: (client, span) => {
        const watching = state.watch;
        watching?.detach();
        const broken = watching === undefined ? undefined : breakAtRelease(client, watching);
        if (broken === undefined) {
          client.release();
          return;
        }
        span.setAttribute(ATTR_RESOURCE_DESTROYED, broken);
        const error = watching?.error;
        client.release(error instanceof Error ? error : new Error(`pool client destroyed: ${broken}`));
      },
      entry: acquirePgClient,
    },
    (held) => new PgClientHandle(held, state),
  );
}

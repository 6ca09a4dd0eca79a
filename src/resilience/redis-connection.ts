// One way to send a command to Redis through either client a user may have: node-redis 5
// (`sendCommand`) or ioredis (`call`). Neither package is imported here unless the store is given a
// URL, and then only the one that is installed, when it is first needed: both are optional peers.
import { warnOnce } from '../warn.ts';

/** A node-redis 5 client (`createClient()`), connected by its owner. */
export interface NodeRedisClientLike {
  sendCommand(args: string[]): Promise<unknown>;
  readonly isReady?: boolean;
}

/** An ioredis client (`new Redis()`). */
export interface IoRedisClientLike {
  call(command: string, ...args: string[]): Promise<unknown>;
  readonly status?: string;
}

export type RedisClientLike = NodeRedisClientLike | IoRedisClientLike;

/** A command sender with its owner's way of closing it (only for clients this module made). */
export interface RedisConnection {
  send(args: string[]): Promise<unknown>;
  close(): Promise<void>;
}

// ioredis has a `sendCommand` too (taking its own Command objects): `call` tells them apart.
function isNodeRedis(client: unknown): client is NodeRedisClientLike {
  return typeof (client as { sendCommand?: unknown } | null)?.sendCommand === 'function' && !isIoRedis(client);
}

function isIoRedis(client: unknown): client is IoRedisClientLike {
  return typeof (client as { call?: unknown } | null)?.call === 'function';
}

/** Whether `client` looks like a client of either library. */
export function isRedisClient(client: unknown): client is RedisClientLike {
  return typeof client === 'object' && client !== null && (isNodeRedis(client) || isIoRedis(client));
}

/** Wraps the user's client. Closing it stays the user's business. */
export function connectionFor(client: RedisClientLike): RedisConnection {
  if (!isIoRedis(client)) {
    return {
      send: (args) => client.sendCommand(args),
      close: () => Promise.resolve(),
    };
  }
  return {
    send: ([command = '', ...rest]) => client.call(command, ...rest),
    close: () => Promise.resolve(),
  };
}

function ignore(): void {
  // an 'error' event of a client we own: the store notices the failed commands and reports them
}

interface OwnedNodeRedis extends NodeRedisClientLike {
  on(event: 'error', listener: (error: unknown) => void): unknown;
  connect(): Promise<unknown>;
  destroy(): void;
}

interface OwnedIoRedis extends IoRedisClientLike {
  on(event: 'error', listener: (error: unknown) => void): unknown;
  disconnect(): void;
}

/** Reconnect quickly at first, then every 2 s: the breaker resynchronises when Redis returns. */
function reconnectDelay(attempt: number): number {
  return Math.min(50 * 2 ** Math.min(attempt, 6), 2000);
}

/**
 * A client of our own for `url`: node-redis if the app has it, else ioredis. Its errors are
 * listened to (an unlistened 'error' event would crash the app) and it reconnects for ever.
 * Undefined, with one warning, when neither package can be loaded.
 */
export async function connectUrl(url: string, connectTimeoutMs: number): Promise<RedisConnection | undefined> {
  const nodeRedis = await importOptional('redis');
  if (nodeRedis !== undefined && typeof (nodeRedis as { createClient?: unknown }).createClient === 'function') {
    const createClient = (nodeRedis as { createClient: (options: object) => OwnedNodeRedis }).createClient;
    const client = createClient({ url, socket: { connectTimeout: connectTimeoutMs, reconnectStrategy: reconnectDelay } });
    client.on('error', ignore);
    client.connect().catch(ignore);
    return {
      send: (args) => client.sendCommand(args),
      close: () => {
        client.destroy();
        return Promise.resolve();
      },
    };
  }
  const ioredis = await importOptional('ioredis');
  const Redis = (ioredis as { default?: unknown } | undefined)?.default;
  if (typeof Redis === 'function') {
    const client = new (Redis as new (url: string, options: object) => OwnedIoRedis)(url, {
      connectTimeout: connectTimeoutMs,
      retryStrategy: reconnectDelay,
      maxRetriesPerRequest: 1,
    });
    client.on('error', ignore);
    return {
      send: ([command = '', ...rest]) => client.call(command, ...rest),
      close: () => {
        client.disconnect();
        return Promise.resolve();
      },
    };
  }
  warnOnce('breaker-store-no-client', 'redisBreakerStore: a url needs the "redis" or the "ioredis" package, and neither could be loaded; breakers keep their state per process');
  return undefined;
}

async function importOptional(name: string): Promise<unknown> {
  try {
    return (await import(name)) as unknown;
  } catch { // eslint-disable-line faultline/no-blind-catch -- an optional peer that is not installed: the caller tries the other or warns
    return undefined;
  }
}

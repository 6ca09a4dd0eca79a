import type { BreakerRules, CircuitSnapshot, Transition } from './breaker-rules.ts';
import { BREAKER_SCRIPT, BREAKER_SCRIPT_SHA, scriptArguments, type ScriptCall } from './breaker-script.ts';
import { connectionFor, connectUrl, isRedisClient, type RedisClientLike, type RedisConnection } from './redis-connection.ts';
import type { CircuitState } from './telemetry.ts';
import { warnOnce } from '../warn.ts';

// Breaker state shared through Redis: where the breakers of every process of a service keep one
// state per breaker name. The store only runs the breaker script (breaker-script.ts) and bounds
// how long that may take; what to do when it cannot is the breaker's (circuit-breaker.ts).

export interface RedisBreakerStoreOptions {
  /**
   * A connected node-redis 5 client (`createClient()`) or an ioredis client. The store never closes
   * it. Give `client` or `url`.
   */
  client?: RedisClientLike;
  /** `redis://…`: the store makes (and owns) a client, with node-redis if installed, else ioredis. */
  url?: string;
  /** Keys are `<prefix><breaker name>`. Default `faultline:breaker:`. */
  prefix?: string;
  /**
   * Longest a call waits for Redis (a failure's report, a probe's reservation and verdict); past
   * it the breaker goes on with per-process state. Default 100 ms.
   */
  commandTimeoutMs?: number;
  /**
   * How often each breaker reads the shared state and reports the successes it counted: a
   * transition made by another process is seen within this (plus `commandTimeoutMs`).
   * Default 500 ms.
   */
  syncIntervalMs?: number;
  /** Keys expire this long after their last change (never before an open breaker could be probed). Default 1 hour. */
  keyTtlMs?: number;
}

/** Where circuit breakers keep state they share across processes: `redisBreakerStore()`. */
export interface BreakerStore {
  /** Key prefix in use. */
  readonly prefix: string;
  /** Closes the client the store made from a `url` (a client the app gave stays open). */
  close(): Promise<void>;
}

/** The store could not answer (not connected, an error reply, past the timeout). */
export class StoreUnavailable extends Error {
  override readonly name = 'StoreUnavailable';
  /** Never reaches the app: the breaker turns it into its fallback, a store_unavailable event and one warning. */
  readonly code = 'BREAKER_STORE_UNAVAILABLE';
}

const DEFAULT_PREFIX = 'faultline:breaker:';
const DEFAULT_COMMAND_TIMEOUT_MS = 100;
const DEFAULT_SYNC_INTERVAL_MS = 500;
const DEFAULT_KEY_TTL_MS = 60 * 60 * 1000;
/** The first command of a store may wait for the connection to be made. */
const CONNECT_TIMEOUT_MS = 2000;
/** Commands sent and not yet answered, over all breakers of a store: past this, Redis counts as unavailable. */
const MAX_OUTSTANDING = 64;

const STATES: readonly string[] = ['closed', 'open', 'half_open'];
const TRANSITIONS: readonly string[] = ['opened', 'half_opened', 'closed'];

function positive(value: unknown, fallback: number, what: string): number {
  if (value === undefined) return fallback;
  if (typeof value === 'number' && Number.isFinite(value) && value > 0) return value;
  warnOnce(`breaker-store-${what}`, `redisBreakerStore: ${what} must be a positive number of ms (got ${typeof value === 'number' ? String(value) : typeof value}); using ${String(fallback)}`);
  return fallback;
}

export class RedisBreakerStore implements BreakerStore {
  readonly prefix: string;
  readonly commandTimeoutMs: number;
  readonly syncIntervalMs: number;
  readonly keyTtlMs: number;
  readonly #connection: Promise<RedisConnection | undefined>;
  /** False when the options named no client and no url: breakers then keep state per process from the start. */
  readonly configured: boolean;
  #connected = false;
  #outstanding = 0;
  #closed = false;

  constructor(options: RedisBreakerStoreOptions) {
    this.prefix = typeof options.prefix === 'string' ? options.prefix : DEFAULT_PREFIX;
    if (options.prefix !== undefined && typeof options.prefix !== 'string') warnOnce('breaker-store-prefix', `redisBreakerStore: prefix must be a string; using ${DEFAULT_PREFIX}`);
    this.commandTimeoutMs = positive(options.commandTimeoutMs, DEFAULT_COMMAND_TIMEOUT_MS, 'commandTimeoutMs');
    this.syncIntervalMs = positive(options.syncIntervalMs, DEFAULT_SYNC_INTERVAL_MS, 'syncIntervalMs');
    this.keyTtlMs = positive(options.keyTtlMs, DEFAULT_KEY_TTL_MS, 'keyTtlMs');
    this.configured = isRedisClient(options.client) || (typeof options.url === 'string' && options.url !== '');
    if (isRedisClient(options.client)) {
      this.#connection = Promise.resolve(connectionFor(options.client));
    } else if (typeof options.url === 'string' && options.url !== '') {
      this.#connection = connectUrl(options.url, CONNECT_TIMEOUT_MS);
    } else {
      warnOnce('breaker-store-input', 'redisBreakerStore: give a node-redis or ioredis `client`, or a `url`; breakers keep their state per process');
      this.#connection = Promise.resolve(undefined);
    }
  }

  keyFor(name: string): string {
    return this.prefix + name;
  }

  /** The key's TTL for these rules: at least as long as an open breaker waits and a probe holds. */
  ttlFor(rules: BreakerRules): number {
    return Math.ceil(Math.max(this.keyTtlMs, rules.halfOpenMaxMs + rules.probeReservationMs + rules.windowMs));
  }

  /**
   * Runs one step of the breaker script on the server. Rejects with StoreUnavailable when the
   * store cannot answer within `commandTimeoutMs` (the first command: until connected), never
   * waiting longer.
   */
  async run(name: string, call: ScriptCall, rules: BreakerRules): Promise<CircuitSnapshot> {
    if (this.#closed) throw new StoreUnavailable('the store is closed');
    if (this.#outstanding >= MAX_OUTSTANDING) throw new StoreUnavailable(`${String(MAX_OUTSTANDING)} commands are waiting for Redis`);
    const timeoutMs = this.#connected ? this.commandTimeoutMs : Math.max(this.commandTimeoutMs, CONNECT_TIMEOUT_MS);
    this.#outstanding += 1;
    const command = this.#evaluate(this.keyFor(name), scriptArguments(call, rules, this.ttlFor(rules))).finally(() => {
      this.#outstanding -= 1;
    });
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(new StoreUnavailable(`Redis did not answer within ${String(timeoutMs)} ms`));
      }, timeoutMs);
      timer.unref();
    });
    // The losing promise must not turn into an unhandled rejection.
    command.catch(ignore);
    try {
      const reply = await Promise.race([command, deadline]);
      this.#connected = true;
      return parseReply(reply);
    } finally {
      clearTimeout(timer);
    }
  }

  async #evaluate(key: string, args: string[]): Promise<unknown> {
    const connection = await this.#connection;
    if (connection === undefined) throw new StoreUnavailable('no Redis client');
    try {
      return await connection.send(['EVALSHA', BREAKER_SCRIPT_SHA, '1', key, ...args]);
    } catch (error) {
      // A server that restarted, or was flushed, no longer has the script: EVAL sends and caches it.
      if (!messageOf(error).startsWith('NOSCRIPT')) throw toUnavailable(error);
    }
    try {
      return await connection.send(['EVAL', BREAKER_SCRIPT, '1', key, ...args]);
    } catch (error) {
      throw toUnavailable(error);
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      await (await this.#connection)?.close();
    } catch { // eslint-disable-line faultline/no-blind-catch -- closing a client that already failed: nothing is left to release
    }
  }
}

function ignore(): void {
  // handled by the race it lost
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function toUnavailable(error: unknown): StoreUnavailable {
  return new StoreUnavailable(messageOf(error), { cause: error });
}

function parseReply(reply: unknown): CircuitSnapshot {
  if (!Array.isArray(reply) || reply.length < 7) throw new StoreUnavailable('the breaker script answered in an unknown shape');
  const [state, generation, wait, transition, granted, openings, failures] = reply.map((item) => (Buffer.isBuffer(item) ? item.toString() : String(item)));
  if (state === undefined || !STATES.includes(state)) throw new StoreUnavailable(`the breaker script answered an unknown state ${String(state)}`);
  return {
    state: state as CircuitState,
    generation: Number(generation),
    waitMs: Number(wait),
    transition: transition !== undefined && TRANSITIONS.includes(transition) ? (transition as Transition) : undefined,
    granted: granted === '1',
    openings: Number(openings),
    failures: Number(failures),
  };
}

/**
 * A store for breaker state shared by every process that uses the same Redis and prefix. Pass it
 * to `circuitBreaker({ store })`; one store serves any number of breakers.
 */
export function redisBreakerStore(options: RedisBreakerStoreOptions): BreakerStore {
  const given: unknown = options;
  return new RedisBreakerStore(typeof given === 'object' && given !== null ? options : {});
}

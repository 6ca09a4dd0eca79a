import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import mysql from 'mysql2/promise';
import { createClient } from 'redis';
import { Redis, type RedisOptions } from 'ioredis';
import { translatePgError } from '../../src/db/postgres.ts';
import { isAppError } from '../../src/errors/app-error.ts';
import { classify } from '../../src/errors/classify.ts';
import { problemFor } from '../../src/http/problem.ts';
import { closedPort } from '../helpers/closed-port.ts';

// Raw errors, thrown by the real drivers against the real PostgreSQL, MariaDB and Redis of this
// machine, classified without any wrapper: classify() and the HTTP status they are answered with.

interface Expected {
  type: string | RegExp;
  category: string;
  retryable: boolean;
  status: number;
}

/** The error `work` fails with; it must be the driver's own, not one of ours. */
async function raw(work: () => Promise<unknown>): Promise<Error> {
  const outcome: { value?: unknown; error?: unknown } = await work().then(
    (value: unknown) => ({ value }),
    (error: unknown) => ({ error }),
  );
  assert.ok('error' in outcome, `expected a failure, got ${JSON.stringify(outcome.value)?.slice(0, 200)}`);
  assert.ok(outcome.error instanceof Error, `a driver error, not ${String(outcome.error)}`);
  assert.ok(!isAppError(outcome.error), 'a raw driver error, not an AppError');
  return outcome.error;
}

function expectClassified(err: Error, expected: Expected, label: string): void {
  const info = classify(err);
  const where = `${label} (${err.constructor.name}: ${err.message.slice(0, 120)})`;
  if (typeof expected.type === 'string') assert.equal(info.type, expected.type, `type of ${where}`);
  else assert.match(info.type, expected.type, `type of ${where}`);
  assert.equal(info.category, expected.category, `category of ${where}`);
  assert.equal(info.retryable, expected.retryable, `retryable of ${where}`);
  assert.equal(problemFor(err).status, expected.status, `HTTP status of ${where}`);
}

const pgConnection = { host: '127.0.0.1', port: 5432, user: 'postgres', database: 'postgres' };

describe('raw node-postgres errors', () => {
  const schema = `faultline_rawpg_${process.pid}`;
  let admin: pg.Client;
  let pool: pg.Pool;

  before(async () => {
    admin = new pg.Client(pgConnection);
    await admin.connect();
    await admin.query(`drop schema if exists ${schema} cascade`);
    await admin.query(`create schema ${schema}`);
    await admin.query(`create table ${schema}.customers (id int primary key, email text not null unique)`);
    await admin.query(`create table ${schema}.accounts (id int primary key, balance int not null check (balance >= 0), customer_id int references ${schema}.customers(id))`);
    await admin.query(`insert into ${schema}.customers values (1, 'taken@example.com'), (2, 'other@example.com')`);
    await admin.query(`insert into ${schema}.accounts values (1, 10, 1), (2, 10, 2)`);
    pool = new pg.Pool({ ...pgConnection, max: 4 });
  });

  after(async () => {
    await pool.end();
    await admin.query(`drop schema if exists ${schema} cascade`);
    await admin.end();
  });

  /** classify() of a raw error means what translatePgError makes of it: one table for both. */
  function expectSameAsTranslation(err: Error, label: string): void {
    const info = classify(err);
    const translated = translatePgError(err);
    assert.equal(info.category, translated.category, `${label}: the category translatePgError gives`);
    assert.equal(info.retryable, translated.retryable, `${label}: the retryability translatePgError gives`);
  }

  test('constraint violations: unique (23505) is a 409 conflict, foreign key, not-null and check are 400 validation errors', async () => {
    const cases: [string, string, Expected][] = [
      ['unique', `insert into ${schema}.customers values (3, 'taken@example.com')`, { type: '23505', category: 'conflict', retryable: false, status: 409 }],
      ['not-null', `insert into ${schema}.customers values (4, null)`, { type: '23502', category: 'validation', retryable: false, status: 400 }],
      ['check', `update ${schema}.accounts set balance = -5 where id = 1`, { type: '23514', category: 'validation', retryable: false, status: 400 }],
      ['foreign key', `insert into ${schema}.accounts values (3, 1, 999)`, { type: '23503', category: 'validation', retryable: false, status: 400 }],
      ['syntax', 'selec 1', { type: '42601', category: 'internal', retryable: false, status: 500 }],
    ];
    for (const [label, sql, expected] of cases) {
      const err = await raw(() => pool.query(sql));
      expectClassified(err, expected, label);
      expectSameAsTranslation(err, label);
    }
  });

  test('statement timeout (57014) and lock timeout (55P03) are retryable 504 timeouts', async () => {
    const client = await pool.connect();
    const holder = await pool.connect();
    try {
      await client.query('set statement_timeout = 50');
      const statement = await raw(() => client.query('select pg_sleep(2)'));
      expectClassified(statement, { type: '57014', category: 'timeout', retryable: true, status: 504 }, 'statement timeout');
      expectSameAsTranslation(statement, 'statement timeout');
      await client.query('reset statement_timeout');

      await holder.query('begin');
      await holder.query(`select * from ${schema}.accounts where id = 1 for update`);
      const lock = await raw(() => client.query(`select * from ${schema}.accounts where id = 1 for update nowait`));
      expectClassified(lock, { type: '55P03', category: 'timeout', retryable: true, status: 504 }, 'lock not available');
      expectSameAsTranslation(lock, 'lock not available');
    } finally {
      await holder.query('rollback').catch(() => undefined);
      client.release();
      holder.release();
    }
  });

  test('a deadlock (40P01) is a retryable 503 dependency failure', async () => {
    const first = await pool.connect();
    const second = await pool.connect();
    try {
      await first.query('begin');
      await second.query('begin');
      await first.query(`update ${schema}.accounts set balance = balance + 1 where id = 1`);
      await second.query(`update ${schema}.accounts set balance = balance + 1 where id = 2`);
      const outcomes = await Promise.allSettled([
        first.query(`update ${schema}.accounts set balance = balance + 1 where id = 2`),
        second.query(`update ${schema}.accounts set balance = balance + 1 where id = 1`),
      ]);
      const victims = outcomes.flatMap((outcome) => (outcome.status === 'rejected' ? [outcome.reason as Error] : []));
      assert.equal(victims.length, 1, 'one transaction is the deadlock victim');
      expectClassified(victims[0]!, { type: '40P01', category: 'dependency', retryable: true, status: 503 }, 'deadlock');
      expectSameAsTranslation(victims[0]!, 'deadlock');
    } finally {
      await first.query('rollback').catch(() => undefined);
      await second.query('rollback').catch(() => undefined);
      first.release();
      second.release();
    }
  });

  test("connection errors: refused, terminated (57P01), a dead client, the client's query timeout and an exhausted pool", async () => {
    const refused = await raw(async () => {
      const client = new pg.Client({ ...pgConnection, port: await closedPort() });
      await client.connect();
    });
    expectClassified(refused, { type: 'ECONNREFUSED', category: 'dependency', retryable: true, status: 503 }, 'refused');

    const victim = new pg.Client(pgConnection);
    victim.on('error', () => undefined);
    await victim.connect();
    const terminated = await raw(() => victim.query('select pg_terminate_backend(pg_backend_pid())'));
    expectClassified(terminated, { type: '57P01', category: 'dependency', retryable: true, status: 503 }, 'terminated');
    expectSameAsTranslation(terminated, 'terminated');
    const dead = await raw(() => victim.query('select 1'));
    expectClassified(dead, { type: 'Error', category: 'dependency', retryable: true, status: 503 }, 'dead client');
    expectSameAsTranslation(dead, 'dead client');
    await victim.end().catch(() => undefined);

    const slow = new pg.Client({ ...pgConnection, query_timeout: 50 });
    await slow.connect();
    const readTimeout = await raw(() => slow.query('select pg_sleep(1)'));
    expectClassified(readTimeout, { type: 'Error', category: 'timeout', retryable: true, status: 504 }, 'query_timeout');
    expectSameAsTranslation(readTimeout, 'query_timeout');
    await slow.end().catch(() => undefined);

    const tiny = new pg.Pool({ ...pgConnection, max: 1, connectionTimeoutMillis: 100 });
    const held = await tiny.connect();
    const exhausted = await raw(() => tiny.query('select 1'));
    expectClassified(exhausted, { type: 'Error', category: 'dependency', retryable: true, status: 503 }, 'pool timeout');
    expectSameAsTranslation(exhausted, 'pool timeout');
    held.release();
    await tiny.end();
  });
});

describe('raw mysql2 errors from MariaDB', () => {
  const table = `faultline_raw_${process.pid}`;
  const config = { host: '127.0.0.1', port: 3306, user: 'root', password: '', database: 'test' };
  let admin: mysql.Connection;

  before(async () => {
    admin = await mysql.createConnection(config);
    await admin.query(`drop table if exists ${table}, ${table}_parent`);
    await admin.query(`create table ${table}_parent (id int primary key) engine=innodb`);
    await admin.query(
      `create table ${table} (id int primary key, email varchar(64) not null unique, balance int not null check (balance >= 0), parent int, foreign key (parent) references ${table}_parent(id)) engine=innodb`,
    );
    await admin.query(`insert into ${table} (id, email, balance) values (1, 'taken@example.com', 10), (2, 'other@example.com', 10)`);
  });

  after(async () => {
    await admin.query(`drop table if exists ${table}, ${table}_parent`);
    await admin.end();
  });

  test('constraint violations: duplicate key (1062) is a 409 conflict, not-null, foreign key and check are 400', async () => {
    const cases: [string, string, Expected][] = [
      ['duplicate', `insert into ${table} (id, email, balance) values (3, 'taken@example.com', 1)`, { type: 'ER_DUP_ENTRY', category: 'conflict', retryable: false, status: 409 }],
      ['duplicate primary key', `insert into ${table} (id, email, balance) values (1, 'new@example.com', 1)`, { type: 'ER_DUP_ENTRY', category: 'conflict', retryable: false, status: 409 }],
      ['not-null', `insert into ${table} (id, email, balance) values (4, null, 1)`, { type: 'ER_BAD_NULL_ERROR', category: 'validation', retryable: false, status: 400 }],
      ['foreign key', `insert into ${table} (id, email, balance, parent) values (5, 'fk@example.com', 1, 42)`, { type: 'ER_NO_REFERENCED_ROW_2', category: 'validation', retryable: false, status: 400 }],
      // MariaDB's 4025 (ER_CONSTRAINT_FAILED), which mysql2 names after MySQL's 4025: the number and SQLSTATE decide,
      // and the type stays the driver's code.
      ['check', `update ${table} set balance = -1 where id = 1`, { type: 'ER_INNODB_AUTOEXTEND_SIZE_OUT_OF_RANGE', category: 'validation', retryable: false, status: 400 }],
      ['syntax', 'selec 1', { type: 'ER_PARSE_ERROR', category: 'internal', retryable: false, status: 500 }],
      ['missing table', `select * from ${table}_missing`, { type: 'ER_NO_SUCH_TABLE', category: 'internal', retryable: false, status: 500 }],
    ];
    for (const [label, sql, expected] of cases) expectClassified(await raw(() => admin.query(sql)), expected, label);
  });

  test('lock wait timeout (1205) and statement timeouts (1969, killed query 1317) are retryable 504 timeouts; a deadlock (1213) is a retryable 503', async () => {
    const first = await mysql.createConnection(config);
    const second = await mysql.createConnection(config);
    try {
      await second.query('set innodb_lock_wait_timeout = 1');
      await first.query('begin');
      await first.query(`update ${table} set balance = balance + 1 where id = 1`);
      const lockWait = await raw(() => second.query(`update ${table} set balance = balance + 1 where id = 1`));
      expectClassified(lockWait, { type: 'ER_LOCK_WAIT_TIMEOUT', category: 'timeout', retryable: true, status: 504 }, 'lock wait timeout');
      await first.query('rollback');

      await second.query('set innodb_lock_wait_timeout = 10');
      await first.query('begin');
      await second.query('begin');
      await first.query(`update ${table} set balance = balance + 1 where id = 1`);
      await second.query(`update ${table} set balance = balance + 1 where id = 2`);
      const crossing = first.query(`update ${table} set balance = balance + 1 where id = 2`).catch((err: unknown) => err);
      await delay(100);
      const outcomes = await Promise.all([crossing, second.query(`update ${table} set balance = balance + 1 where id = 1`).catch((err: unknown) => err)]);
      const victims = outcomes.filter((outcome): outcome is Error => outcome instanceof Error);
      assert.equal(victims.length, 1, 'one transaction is the deadlock victim');
      expectClassified(victims[0]!, { type: 'ER_LOCK_DEADLOCK', category: 'dependency', retryable: true, status: 503 }, 'deadlock');
      await first.query('rollback');
      await second.query('rollback');

      const statement = await raw(() => first.query(`set statement max_statement_time = 0.05 for select count(*) from seq_1_to_100000000 where seq % 7 = 100`));
      // mysql2 has no name for MariaDB's 1969 (ER_STATEMENT_TIMEOUT): the type falls back to the class name.
      expectClassified(statement, { type: 'Error', category: 'timeout', retryable: true, status: 504 }, 'max_statement_time');
      assert.equal((statement as { errno?: number }).errno, 1969);

      const [[{ id }]] = (await second.query('select connection_id() as id')) as unknown as [[{ id: number }]];
      const sleeping = second.query('select sleep(5)').catch((err: unknown) => err);
      await delay(150);
      await first.query(`kill query ${String(id)}`);
      const killed = await sleeping;
      assert.ok(killed instanceof Error, 'KILL QUERY interrupts the statement with an error');
      expectClassified(killed, { type: 'ER_QUERY_INTERRUPTED', category: 'timeout', retryable: true, status: 504 }, 'kill query');
    } finally {
      await first.query('rollback').catch(() => undefined);
      await second.query('rollback').catch(() => undefined);
      await first.end().catch(() => undefined);
      await second.end().catch(() => undefined);
    }
  });

  test("connection errors: refused, lost, a closed connection and the client's query timeout", async () => {
    const refused = await raw(async () => mysql.createConnection({ ...config, port: await closedPort() }));
    expectClassified(refused, { type: 'ECONNREFUSED', category: 'dependency', retryable: true, status: 503 }, 'refused');

    const victim = await mysql.createConnection(config);
    victim.on('error', () => undefined);
    const [[{ id }]] = (await victim.query('select connection_id() as id')) as unknown as [[{ id: number }]];
    const sleeping = victim.query('select sleep(5)').catch((err: unknown) => err);
    await delay(150);
    await admin.query(`kill ${String(id)}`);
    const lost = await sleeping;
    assert.ok(lost instanceof Error);
    expectClassified(lost, { type: 'PROTOCOL_CONNECTION_LOST', category: 'dependency', retryable: true, status: 503 }, 'connection lost');
    const closed = await raw(() => victim.query('select 1'));
    expectClassified(closed, { type: 'Error', category: 'dependency', retryable: true, status: 503 }, 'closed connection');
    victim.destroy();

    const impatient = await mysql.createConnection(config);
    const inactivity = await raw(() => impatient.query({ sql: 'select sleep(2)', timeout: 100 }));
    expectClassified(inactivity, { type: 'PROTOCOL_SEQUENCE_TIMEOUT', category: 'timeout', retryable: true, status: 504 }, 'query timeout');
    impatient.destroy();

    const denied = await raw(() => mysql.createConnection({ ...config, user: `faultline_nobody_${process.pid}` }));
    expectClassified(denied, { type: /^ER_ACCESS_DENIED/, category: 'internal', retryable: false, status: 500 }, 'access denied');
  });
});

/** A redis-server of our own on a port of the range given to this suite, to stop, pause and kill. */
async function startRedis(port: number, extra: string[] = []): Promise<ChildProcess> {
  const server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...extra], { stdio: 'ignore' });
  for (let attempt = 0; attempt < 100; attempt++) {
    const up = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.destroy();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (up) return server;
    await delay(50);
  }
  server.kill('SIGKILL');
  throw new Error(`redis-server did not start on ${String(port)}`);
}

async function stopRedis(server: ChildProcess): Promise<void> {
  if (server.exitCode !== null || server.signalCode !== null) return;
  const exited = new Promise((resolve) => server.once('exit', resolve));
  server.kill('SIGCONT');
  server.kill('SIGKILL');
  await exited;
}

describe('raw Redis client errors', () => {
  const key = `faultline:raw-errors:${process.pid}`;

  after(async () => {
    const client = createClient({ socket: { host: '127.0.0.1', port: 6379 } });
    await client.connect();
    await client.del([key, `${key}:list`]);
    client.destroy();
  });

  test('node-redis: refused, closed, offline, a killed server and timeouts are retryable 503/504', async () => {
    const port = await closedPort();
    const refusing = createClient({ socket: { host: '127.0.0.1', port, reconnectStrategy: false } });
    refusing.on('error', () => undefined);
    expectClassified(await raw(() => refusing.connect()), { type: 'ECONNREFUSED', category: 'dependency', retryable: true, status: 503 }, 'refused');

    const client = createClient({ socket: { host: '127.0.0.1', port: 6379 } });
    await client.connect();
    await client.set(key, 'a string');
    expectClassified(await raw(() => client.lPush(key, 'x')), { type: 'SimpleError', category: 'internal', retryable: false, status: 500 }, 'WRONGTYPE reply');
    client.destroy();
    expectClassified(await raw(() => client.get(key)), { type: 'ClientClosedError', category: 'dependency', retryable: true, status: 503 }, 'closed');

    // Reconnecting to nothing: without an offline queue a command fails at once; with one, its timeout runs out.
    const offline = createClient({ socket: { host: '127.0.0.1', port, reconnectStrategy: () => 50 }, disableOfflineQueue: true });
    offline.on('error', () => undefined);
    void offline.connect().catch(() => undefined);
    await delay(30);
    expectClassified(await raw(() => offline.get(key)), { type: 'ClientOfflineError', category: 'dependency', retryable: true, status: 503 }, 'offline');
    offline.destroy();
    const queued = createClient({ socket: { host: '127.0.0.1', port, reconnectStrategy: () => 50 } });
    queued.on('error', () => undefined);
    void queued.connect().catch(() => undefined);
    await delay(30);
    expectClassified(await raw(() => queued.withCommandOptions({ timeout: 100 }).get(key)), { type: 'TimeoutError', category: 'timeout', retryable: true, status: 504 }, 'command timeout');
    queued.destroy();

    const server = await startRedis(6395);
    const clients: ReturnType<typeof createClient>[] = [];
    try {
      const impatient = createClient({ socket: { host: '127.0.0.1', port: 6395, reconnectStrategy: false, socketTimeout: 200 } });
      const patient = createClient({ socket: { host: '127.0.0.1', port: 6395, reconnectStrategy: false } });
      clients.push(impatient, patient);
      for (const each of clients) each.on('error', () => undefined);
      await Promise.all(clients.map((each) => each.connect()));
      const waiting = raw(() => impatient.blPop(`${key}:list`, 5));
      const alsoWaiting = raw(() => patient.blPop(`${key}:list`, 5));
      await delay(100);
      // The server stops answering: the socket with a timeout gives up on it.
      server.kill('SIGSTOP');
      expectClassified(await waiting, { type: 'SocketTimeoutError', category: 'timeout', retryable: true, status: 504 }, 'socket timeout');
      // Then it dies: the other client's socket closes under its pending command.
      server.kill('SIGKILL');
      expectClassified(await alsoWaiting, { type: 'SocketClosedUnexpectedlyError', category: 'dependency', retryable: true, status: 503 }, 'socket closed');
    } finally {
      for (const each of clients) if (each.isOpen) each.destroy();
      await stopRedis(server);
    }
  });

  test('ioredis: refused, closed, a killed server, command timeouts and BUSY replies are retryable 503/504', async () => {
    const port = await closedPort();
    const clients: Redis[] = [];
    const client = (options: RedisOptions): Redis => {
      const made = new Redis(options);
      made.on('error', () => undefined);
      clients.push(made);
      return made;
    };
    const server = await startRedis(6396, ['--busy-reply-threshold', '50']);
    try {
      const refusing = client({ host: '127.0.0.1', port, retryStrategy: () => null, lazyConnect: true });
      expectClassified(await raw(() => refusing.connect()), { type: 'Error', category: 'dependency', retryable: true, status: 503 }, 'refused ("Connection is closed.")');
      const retrying = client({ host: '127.0.0.1', port, maxRetriesPerRequest: 1, retryStrategy: () => 20 });
      expectClassified(await raw(() => retrying.get(key)), { type: 'MaxRetriesPerRequestError', category: 'dependency', retryable: true, status: 503 }, 'max retries');
      const offline = client({ host: '127.0.0.1', port, enableOfflineQueue: false, retryStrategy: () => 20 });
      expectClassified(await raw(() => offline.get(key)), { type: 'Error', category: 'dependency', retryable: true, status: 503 }, 'offline queue disabled');

      const impatient = client({ host: '127.0.0.1', port: 6379, commandTimeout: 100 });
      expectClassified(await raw(() => impatient.blpop(`${key}:list`, 1)), { type: 'Error', category: 'timeout', retryable: true, status: 504 }, 'command timeout');
      const plain = client({ host: '127.0.0.1', port: 6379 });
      await plain.set(key, 'a string');
      expectClassified(await raw(() => plain.lpush(key, 'x')), { type: 'ReplyError', category: 'internal', retryable: false, status: 500 }, 'WRONGTYPE reply');
      plain.disconnect();
      expectClassified(await raw(() => plain.get(key)), { type: 'Error', category: 'dependency', retryable: true, status: 503 }, 'closed');

      const scripted = client({ host: '127.0.0.1', port: 6396, retryStrategy: () => null });
      const other = client({ host: '127.0.0.1', port: 6396, retryStrategy: () => null });
      await Promise.all([scripted.ping(), other.ping()]);
      const looping = scripted.eval('while true do end', 0).catch((err: unknown) => err);
      await delay(150);
      const busy = await raw(() => other.get(key));
      assert.match(busy.message, /^BUSY /);
      expectClassified(busy, { type: 'ReplyError', category: 'dependency', retryable: true, status: 503 }, 'BUSY reply');
      await other.script('KILL').catch(() => undefined);
      await looping;

      const pending = raw(() => other.blpop(`${key}:list`, 5));
      await delay(100);
      server.kill('SIGKILL');
      expectClassified(await pending, { type: 'Error', category: 'dependency', retryable: true, status: 503 }, 'killed server');
    } finally {
      for (const each of clients) each.disconnect();
      await stopRedis(server);
    }
  });
});

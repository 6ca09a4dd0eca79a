import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { context, trace, type Span } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace';
import pg from 'pg';
import { translatePgError, withPgErrors } from '../../src/db/postgres.ts';
import { isAppError, type AppError } from '../../src/errors/app-error.ts';
import { recordError } from '../../src/errors/record-error.ts';
import { problemFor } from '../../src/http/problem.ts';
import { closedPort } from '../helpers/closed-port.ts';

// Every failure here is produced by the real PostgreSQL server at 127.0.0.1:5432; nothing is mocked.

const connection = { host: '127.0.0.1', port: 5432, user: 'postgres', database: 'postgres' };
const schema = `faultline_pg_${process.pid}`;
const limitedRole = `faultline_limited_${process.pid}`;

const exporter = new InMemorySpanExporter();
const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
trace.setGlobalTracerProvider(provider);
const tracer = trace.getTracer('postgres-test');

interface Caught {
  error: AppError;
  span: ReadableSpan;
}

/** Runs `work` inside an active span, expects it to fail, records the failure as a boundary would, returns both. */
async function failureOf(name: string, work: () => Promise<unknown>): Promise<Caught> {
  exporter.reset();
  let caught: unknown;
  await tracer.startActiveSpan(name, async (span: Span) => {
    try {
      await work();
    } catch (err) {
      caught = err;
      recordError(err, { span });
    } finally {
      span.end();
    }
  });
  assert.ok(caught !== undefined, `${name} should have failed`);
  assert.ok(isAppError(caught), `${name}: ${String(caught)} is translated to an AppError`);
  const span = exporter.getFinishedSpans().find((finished) => finished.name === name);
  assert.ok(span !== undefined);
  return { error: caught, span };
}

function expectTranslation(
  { error, span }: Caught,
  expected: { code: string; category: string; retryable: boolean; status: number; sqlstate?: string; constraint?: string; table?: string; column?: string },
): void {
  assert.equal(error.code, expected.code);
  assert.equal(error.category, expected.category);
  assert.equal(error.retryable, expected.retryable);
  assert.equal(problemFor(error).status, expected.status, 'the HTTP status it is answered with');
  assert.ok(error.cause instanceof Error, 'the driver error is kept as cause');
  assert.equal(span.attributes['db.system.name'], 'postgresql');
  assert.equal(span.attributes['db.response.status_code'], expected.sqlstate);
  assert.equal(span.attributes['db.postgresql.constraint'], expected.constraint);
  assert.equal(span.attributes['db.collection.name'], expected.table);
  assert.equal(span.attributes['db.postgresql.column'], expected.column);
  if (expected.sqlstate !== undefined) {
    assert.equal((error.cause as { code?: string }).code, expected.sqlstate);
    assert.equal(error.details?.sqlstate, expected.sqlstate);
    const types = span.events.map((event) => event.attributes?.['exception.type']);
    assert.deepEqual(types, [expected.code, expected.sqlstate], 'exception events: the translated error, then the driver error');
  }
}

function assertAbsent(caught: Caught, values: string[]): void {
  const exported = JSON.stringify({ attributes: caught.span.attributes, events: caught.span.events, status: caught.span.status });
  const ownText = JSON.stringify({ message: caught.error.message, details: caught.error.details });
  for (const value of values) {
    assert.ok(!exported.includes(value), `${value} leaked onto the span: ${exported}`);
    assert.ok(!ownText.includes(value), `${value} leaked into the translated error: ${ownText}`);
  }
}

describe('PostgreSQL errors, against the real server', () => {
  let admin: pg.Client;
  let pool: pg.Pool;
  let db: pg.Pool;

  before(async () => {
    admin = new pg.Client(connection);
    await admin.connect();
    await admin.query(`drop schema if exists ${schema} cascade`);
    await admin.query(`drop role if exists ${limitedRole}`);
    await admin.query(`create schema ${schema}`);
    await admin.query(`create table ${schema}.customers (id serial primary key, email text not null unique)`);
    await admin.query(`create table ${schema}.orders (id serial primary key, customer_id int not null references ${schema}.customers (id))`);
    await admin.query(`create table ${schema}.accounts (id int primary key, balance int not null check (balance >= 0))`);
    await admin.query(`insert into ${schema}.accounts values (1, 100), (2, 100)`);
    await admin.query(`insert into ${schema}.customers (email) values ('first.customer@example.com')`);
    pool = new pg.Pool({ ...connection, max: 4 });
    db = withPgErrors(pool);
  });

  after(async () => {
    await pool.end();
    await admin.query(`drop schema if exists ${schema} cascade`);
    await admin.query(`drop role if exists ${limitedRole}`);
    await admin.end();
  });

  test('unique violation (23505) is a conflict, without the duplicate value', async () => {
    const caught = await failureOf('unique', () => db.query(`insert into ${schema}.customers (email) values ($1)`, ['first.customer@example.com']));
    expectTranslation(caught, {
      code: 'DATABASE_CONFLICT',
      category: 'conflict',
      retryable: false,
      status: 409,
      sqlstate: '23505',
      constraint: 'customers_email_key',
      table: 'customers',
    });
    // pg's own `detail` is "Key (email)=(first.customer@example.com) already exists."
    assert.match(String((caught.error.cause as { detail?: string }).detail), /first\.customer@example\.com/);
    assertAbsent(caught, ['first.customer@example.com', 'first.customer']);
  });

  test('foreign key (23503), not-null (23502) and check (23514) violations are validation errors (422)', async () => {
    const foreignKey = await failureOf('foreign key', () => db.query(`insert into ${schema}.orders (customer_id) values ($1)`, [987654]));
    expectTranslation(foreignKey, {
      code: 'DATABASE_CONSTRAINT',
      category: 'validation',
      retryable: false,
      status: 422,
      sqlstate: '23503',
      constraint: 'orders_customer_id_fkey',
      table: 'orders',
    });
    assertAbsent(foreignKey, ['987654']);

    const notNull = await failureOf('not null', () => db.query(`insert into ${schema}.customers (email) values ($1)`, [null]));
    expectTranslation(notNull, { code: 'DATABASE_CONSTRAINT', category: 'validation', retryable: false, status: 422, sqlstate: '23502', table: 'customers', column: 'email' });

    const check = await failureOf('check', () => db.query(`update ${schema}.accounts set balance = $1 where id = 1`, [-4321]));
    expectTranslation(check, {
      code: 'DATABASE_CONSTRAINT',
      category: 'validation',
      retryable: false,
      status: 422,
      sqlstate: '23514',
      constraint: 'accounts_balance_check',
      table: 'accounts',
    });
    assertAbsent(check, ['4321']);
  });

  test('a deadlock between two transactions (40P01) is a retryable dependency failure', async () => {
    const first = await db.connect();
    const second = await db.connect();
    try {
      await first.query('begin');
      await second.query('begin');
      await first.query(`update ${schema}.accounts set balance = balance - 1 where id = 1`);
      await second.query(`update ${schema}.accounts set balance = balance - 1 where id = 2`);
      // Opposite order: each waits for the other's row lock until the deadlock detector picks a victim.
      const caught = await failureOf('deadlock', async () => {
        const outcomes = await Promise.allSettled([
          first.query(`update ${schema}.accounts set balance = balance + 1 where id = 2`),
          second.query(`update ${schema}.accounts set balance = balance + 1 where id = 1`),
        ]);
        const failures = outcomes.filter((outcome) => outcome.status === 'rejected');
        assert.equal(failures.length, 1, 'exactly one transaction is the deadlock victim');
        throw failures[0]!.reason;
      });
      expectTranslation(caught, { code: 'DATABASE_TRANSACTION_ABORTED', category: 'dependency', retryable: true, status: 503, sqlstate: '40P01' });
    } finally {
      await first.query('rollback').catch(() => undefined);
      await second.query('rollback').catch(() => undefined);
      first.release();
      second.release();
    }
  });

  test('a serialization failure between two SERIALIZABLE transactions (40001) is a retryable dependency failure', async () => {
    const first = await db.connect();
    const second = await db.connect();
    try {
      await first.query('begin isolation level serializable');
      await second.query('begin isolation level serializable');
      await first.query(`select balance from ${schema}.accounts where id = 1`);
      await second.query(`select balance from ${schema}.accounts where id = 1`);
      await first.query(`update ${schema}.accounts set balance = balance + 5 where id = 1`);
      await first.query('commit');
      const caught = await failureOf('serialization', () => second.query(`update ${schema}.accounts set balance = balance + 7 where id = 1`));
      expectTranslation(caught, { code: 'DATABASE_TRANSACTION_ABORTED', category: 'dependency', retryable: true, status: 503, sqlstate: '40001', table: undefined });
    } finally {
      await second.query('rollback').catch(() => undefined);
      first.release();
      second.release();
    }
  });

  test('a statement timeout (57014) is a retryable timeout (504)', async () => {
    const client = await db.connect();
    try {
      await client.query('set statement_timeout = 50');
      const caught = await failureOf('statement timeout', () => client.query('select pg_sleep(1)'));
      expectTranslation(caught, { code: 'DATABASE_TIMEOUT', category: 'timeout', retryable: true, status: 504, sqlstate: '57014' });
      assert.match((caught.error.cause as Error).message, /statement timeout/);
    } finally {
      await client.query('reset statement_timeout').catch(() => undefined);
      client.release();
    }
  });

  test('too many connections for a role with a connection limit (53300) is DatabaseUnavailable', async () => {
    await admin.query(`create role ${limitedRole} login connection limit 1`);
    const holder = new pg.Client({ ...connection, user: limitedRole });
    await holder.connect();
    const extra = withPgErrors(new pg.Client({ ...connection, user: limitedRole }));
    try {
      const caught = await failureOf('too many connections', () => extra.connect());
      expectTranslation(caught, { code: 'DATABASE_UNAVAILABLE', category: 'dependency', retryable: true, status: 503, sqlstate: '53300' });
    } finally {
      await extra.end().catch(() => undefined);
      await holder.end();
    }
  });

  test('a backend ended with pg_terminate_backend (57P01), then the dead connection, are DatabaseUnavailable', async () => {
    const client = withPgErrors(new pg.Client(connection));
    const connectionErrors: unknown[] = [];
    client.on('error', (err: unknown) => connectionErrors.push(err));
    await client.connect();
    try {
      const { rows } = await client.query<{ pid: number }>('select pg_backend_pid() as pid');
      const pid = rows[0]!.pid;
      const caught = await failureOf('terminated', async () => {
        // Settled at once: the rejection may arrive before the terminate call returns.
        const sleeping = client.query('select pg_sleep(10)').then(
          () => assert.fail('the sleeping query should have been terminated'),
          (err: unknown) => err,
        );
        // Terminate only once the sleep is running, so the query (not the idle client) gets the error.
        for (let attempt = 0; attempt < 200; attempt++) {
          const active = await admin.query(`select 1 from pg_stat_activity where pid = $1 and query like 'select pg_sleep%' and state = 'active'`, [pid]);
          if (active.rowCount === 1) break;
          await new Promise((resolve) => setTimeout(resolve, 25));
        }
        await admin.query('select pg_terminate_backend($1)', [pid]);
        throw await sleeping;
      });
      expectTranslation(caught, { code: 'DATABASE_UNAVAILABLE', category: 'dependency', retryable: true, status: 503, sqlstate: '57P01' });

      const dead = await failureOf('dead connection', () => client.query('select 1'));
      expectTranslation(dead, { code: 'DATABASE_UNAVAILABLE', category: 'dependency', retryable: true, status: 503 });
      assert.match((dead.error.cause as Error).message, /not queryable|Connection terminated/);
    } finally {
      await client.end().catch(() => undefined);
    }
  });

  test('connection refused (a closed port) is DatabaseUnavailable, in promise and callback style', async () => {
    const port = await closedPort();
    const refused = withPgErrors(new pg.Pool({ ...connection, port, max: 1 }));
    try {
      const caught = await failureOf('refused', () => refused.query('select 1'));
      expectTranslation(caught, { code: 'DATABASE_UNAVAILABLE', category: 'dependency', retryable: true, status: 503 });
      assert.equal((caught.error.cause as { code?: string }).code, 'ECONNREFUSED');

      const viaCallback = await new Promise<unknown>((resolve) => {
        refused.query('select 1', (err: Error | undefined) => {
          resolve(err);
        });
      });
      assert.ok(isAppError(viaCallback));
      assert.equal(viaCallback.code, 'DATABASE_UNAVAILABLE');
    } finally {
      await refused.end();
    }
  });

  test('other server errors are internal DatabaseErrors (500), and successful queries pass through', async () => {
    const caught = await failureOf('missing table', () => db.query(`select * from ${schema}.no_such_table`));
    expectTranslation(caught, { code: 'DATABASE_ERROR', category: 'internal', retryable: false, status: 500, sqlstate: '42P01' });
    assert.equal(problemFor(caught.error).body.detail, 'An unexpected error occurred.', "an internal error's message stays out of the response");

    const { rows } = await db.query<{ answer: number }>('select 41 + 1 as answer');
    assert.equal(rows[0]!.answer, 42);
    assert.equal(withPgErrors(pool), db, 'wrapping twice gives the same wrapper');
    assert.equal(db.totalCount, pool.totalCount, 'everything but query and connect is the pool itself');
  });

  test('translatePgError leaves AppErrors alone and never throws on odd input', () => {
    const already = translatePgError(new Error('Connection terminated unexpectedly'));
    assert.equal(already.code, 'DATABASE_UNAVAILABLE');
    assert.equal(translatePgError(already), already);
    for (const odd of [undefined, null, 'text', 42, { code: 'XX000' }, Object.create(null) as object]) {
      const translated = translatePgError(odd);
      assert.ok(isAppError(translated));
      assert.equal(translated.code, 'DATABASE_ERROR');
    }
  });
});

import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace';
import pg from 'pg';
import { withPgErrors } from '../../src/db/postgres.ts';
import { acquirePgClient } from '../../src/resources/pg-client.ts';

// A real pool against the PostgreSQL server at 127.0.0.1:5432. Backends are terminated from a
// second connection with pg_terminate_backend, as an administrator or a failover would.

const connection = { host: '127.0.0.1', port: 5432, user: 'postgres', database: 'postgres', application_name: `faultline_resources_${process.pid}` };
const exporter = new InMemorySpanExporter();
const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
trace.setGlobalTracerProvider(provider);

let pool: pg.Pool;
let admin: pg.Client;

async function backendPid(client: pg.PoolClient): Promise<number> {
  const { rows } = await client.query<{ pid: number }>('select pg_backend_pid() as pid');
  return rows[0]!.pid;
}

async function terminate(pid: number): Promise<void> {
  const { rows } = await admin.query<{ done: boolean }>('select pg_terminate_backend($1) as done', [pid]);
  assert.equal(rows[0]?.done, true, `backend ${pid} terminated`);
}

function lastResourceSpan(): ReadableSpan {
  const span = exporter.getFinishedSpans().filter((candidate) => candidate.name.startsWith('resource ')).at(-1);
  assert.ok(span !== undefined, 'a resource span ended');
  return span;
}

before(async () => {
  pool = new pg.Pool({ ...connection, max: 1 });
  admin = new pg.Client(connection);
  await admin.connect();
});

beforeEach(() => {
  exporter.reset();
});

after(async () => {
  await admin.end();
  await pool.end();
});

describe('acquirePgClient against a real PostgreSQL pool', () => {
  it('returns the client to the pool after the block threw, and the next checkout gets the same backend', async () => {
    let pid = 0;
    const failure = new Error('the handler failed after its query');
    await assert.rejects(async () => {
      await using db = await acquirePgClient(pool);
      pid = await backendPid(db.client);
      throw failure;
    }, (error: unknown) => error === failure);
    assert.equal(pool.totalCount, 1);
    assert.equal(pool.idleCount, 1, 'released, not destroyed');
    await using again = await acquirePgClient(pool);
    assert.equal(await backendPid(again.client), pid);
    assert.equal(again.broken, undefined);
  });

  it('names the pool as the conventions advise (the database) on the span', async () => {
    {
      await using db = await acquirePgClient(pool);
      await db.client.query('select 1');
    }
    const span = lastResourceSpan();
    assert.equal(span.name, 'resource postgres');
    assert.equal(span.attributes['db.client.connection.pool.name'], 'postgres');
    assert.equal(span.attributes['db.system.name'], 'postgresql');
    assert.equal(span.attributes['app.resource.destroyed'], undefined);
    {
      await using named = await acquirePgClient(pool, { poolName: 'orders-primary' });
      assert.equal(named.name, 'orders-primary');
    }
  });

  it('a backend terminated between queries: no crash, the client is destroyed, the next checkout gets a new backend', async () => {
    let pid = 0;
    {
      await using db = await acquirePgClient(pool);
      pid = await backendPid(db.client);
      await terminate(pid);
      // pg emits 'error' on the checked-out client, which pg-pool does not listen to: without the
      // resource's listener this would be an uncaught exception.
      for (let i = 0; i < 100 && db.broken === undefined; i++) await sleep(10);
      assert.ok(db.broken === 'connection_error' || db.broken === 'session_ended', `broken: ${String(db.broken)}`);
    }
    assert.equal(pool.totalCount, 0, 'destroyed, not returned to the pool');
    const span = lastResourceSpan();
    assert.ok(span.attributes['app.resource.destroyed'] !== undefined);
    const types = span.events.filter((event) => event.name === 'exception').map((event) => event.attributes?.['exception.code']);
    assert.ok(types.includes('57P01'), `the termination is on the span: ${types.join()}`);
    await using next = await acquirePgClient(pool);
    assert.notEqual(await backendPid(next.client), pid);
  });

  it('a backend terminated during a query: the FATAL answer marks the client broken before its socket closes', async () => {
    let pid = 0;
    let queryError: unknown;
    {
      await using db = await acquirePgClient(pool);
      pid = await backendPid(db.client);
      const slow = db.client.query('select pg_sleep(10)').catch((error: unknown) => error);
      await sleep(100);
      await terminate(pid);
      queryError = await slow;
      assert.equal(db.broken, 'session_ended');
    }
    assert.equal((queryError as { code?: string }).code, '57P01');
    assert.equal(pool.totalCount, 0);
    await using next = await acquirePgClient(pool);
    assert.notEqual(await backendPid(next.client), pid);
  });

  it('a client left inside a transaction is destroyed, so the next borrower does not run in it', async () => {
    let pid = 0;
    await assert.rejects(async () => {
      await using db = await acquirePgClient(pool);
      pid = await backendPid(db.client);
      await db.client.query('begin');
      await db.client.query('select 1/0');
    }, /division by zero/);
    assert.equal(lastResourceSpan().attributes['app.resource.destroyed'], 'in_transaction');
    await using next = await acquirePgClient(pool);
    assert.notEqual(await backendPid(next.client), pid);
    // The destroyed client would answer "current transaction is aborted"; the new one answers.
    const { rows } = await next.client.query<{ one: number }>('select 1 as one');
    assert.equal(rows[0]?.one, 1);
  });

  it('works with a pool wrapped by withPgErrors, whose errors come out translated', async () => {
    const wrapped = withPgErrors(pool);
    await assert.rejects(async () => {
      await using db = await acquirePgClient(wrapped);
      await db.client.query('select * from faultline_no_such_table');
    }, (error: unknown) => (error as { code?: string }).code === 'DATABASE_ERROR');
    assert.equal(pool.idleCount, 1);
  });

  it('a refused checkout rejects with the driver\'s error, recorded on the resource span', async () => {
    const refusing = new pg.Pool({ ...connection, port: 1, max: 1 });
    try {
      await assert.rejects(acquirePgClient(refusing), (error: unknown) => (error as { code?: string }).code === 'ECONNREFUSED');
      const span = lastResourceSpan();
      assert.equal(span.status.code, 2);
    } finally {
      await refusing.end();
    }
  });
});

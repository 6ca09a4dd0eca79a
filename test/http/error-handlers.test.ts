import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import mysql from 'mysql2/promise';
import { startReceiver, type OtlpReceiver, type ReceivedSpan } from '../../src/receiver/index.ts';
import { otlpEnv, runApp, type AppRun } from '../helpers/run-app.ts';
import { closedPort } from '../helpers/closed-port.ts';

// One table of failures, answered by the node:http, Express 5 and Fastify 5 fixture apps (each a
// real child process under `--import faultline/register`, sending to a local OTLP receiver).

const SERVER_KIND = 2;
const GENERIC_INTERNAL = 'An unexpected error occurred.';
/** `detail` of errors whose own message is not for the client (src/http/problem.ts). */
const GENERIC = {
  conflict: 'The request conflicts with the current state of the resource.',
  validation: 'The request is not valid.',
  dependency: 'A service this request depends on is unavailable; retry later.',
  timeout: 'The request took too long to complete.',
};
const INVALID_ORDER = { email: 'jane.doe@', card: { number: '4111 1111 1111 1111' }, quantity: 0 };

interface Row {
  scenario: string;
  query?: string;
  body?: unknown;
  status: number;
  code: string;
  title?: string;
  /** Exact `detail`. */
  detail?: string;
  retryAfter?: string;
  /** `error.type` and `error.category` the request counts under on `app.errors`. */
  type: string;
  category: string;
  /** Text that must appear neither in the response nor anywhere on the server span. */
  secrets?: string[];
  /** Server-side text that stays out of the response (it may be on the span). */
  clientHidden?: string[];
  issuePaths?: string[];
  /** The fixtures' customize hook adds `service`; it throws for one row, which then gets the default body. */
  customized?: boolean;
  spanAttributes?: Record<string, string>;
}

const rows: Row[] = [
  { scenario: 'not-found', query: '?token=abc123', status: 404, code: 'NOT_FOUND', title: 'Not Found', detail: 'Order 42 was not found', type: 'NOT_FOUND', category: 'not_found', clientHidden: ['abc123'] },
  { scenario: 'conflict', status: 409, code: 'CONFLICT', detail: 'Order 42 is already paid', type: 'CONFLICT', category: 'conflict' },
  { scenario: 'unauthorized', status: 401, code: 'UNAUTHORIZED', detail: 'Unauthorized', type: 'UNAUTHORIZED', category: 'unauthorized' },
  { scenario: 'forbidden', status: 403, code: 'FORBIDDEN', detail: 'Only the account owner may refund', type: 'FORBIDDEN', category: 'forbidden' },
  { scenario: 'rate-limited', status: 429, code: 'RATE_LIMITED', retryAfter: '7', detail: 'Too many payment attempts', type: 'RATE_LIMITED', category: 'rate_limited' },
  { scenario: 'timeout', status: 504, code: 'OPERATION_TIMEOUT', detail: 'The fraud check did not answer within 2 s', type: 'OPERATION_TIMEOUT', category: 'timeout' },
  {
    scenario: 'internal-app-error',
    status: 500,
    code: 'INTERNAL_ERROR',
    detail: GENERIC_INTERNAL,
    type: 'INTERNAL_ERROR',
    category: 'internal',
    clientHidden: ['ledger mismatch'],
  },
  { scenario: 'own-status', status: 402, code: 'CARD_DECLINED', title: 'Payment Required', detail: 'The card was declined by the issuer', type: 'CARD_DECLINED', category: 'validation' },
  {
    scenario: 'plain-error',
    status: 500,
    code: 'INTERNAL_ERROR',
    title: 'Internal Server Error',
    detail: GENERIC_INTERNAL,
    type: 'Error',
    category: 'internal',
    secrets: ['hunter2'],
    clientHidden: ['10.1.2.3'],
  },
  { scenario: 'type-error', status: 500, code: 'INTERNAL_ERROR', detail: GENERIC_INTERNAL, type: 'TypeError', category: 'internal', clientHidden: ['total'] },
  { scenario: 'fetch-refused', status: 503, code: 'DEPENDENCY_FAILED', retryAfter: '5', type: 'ECONNREFUSED', category: 'dependency' },
  {
    scenario: 'pg-unavailable',
    status: 503,
    code: 'DATABASE_UNAVAILABLE',
    retryAfter: '5',
    detail: 'The database could not be reached',
    type: 'DATABASE_UNAVAILABLE',
    category: 'dependency',
    spanAttributes: { 'db.system.name': 'postgresql' },
  },
  {
    scenario: 'pg-unique',
    status: 409,
    code: 'DATABASE_CONFLICT',
    detail: 'A record with the same unique key already exists',
    type: 'DATABASE_CONFLICT',
    category: 'conflict',
    secrets: ['taken@example.com'],
    spanAttributes: {
      'db.system.name': 'postgresql',
      'db.response.status_code': '23505',
      'db.postgresql.constraint': 'customers_email_key',
      'db.collection.name': 'customers',
    },
  },
  ...['zod', 'valibot', 'arktype'].map(
    (library): Row => ({
      scenario: `${library}-invalid`,
      body: INVALID_ORDER,
      status: 400,
      code: 'VALIDATION_FAILED',
      title: 'Bad Request',
      type: 'VALIDATION_FAILED',
      category: 'validation',
      issuePaths: ['/card/number', '/email', '/quantity'],
      secrets: ['4111 1111 1111 1111', 'jane.doe@'],
    }),
  ),
  {
    scenario: 'secret-in-message',
    status: 409,
    code: 'CONFLICT',
    type: 'CONFLICT',
    category: 'conflict',
    secrets: ['sk_live_4eC39HqLyjWDarjtT1zdp7dc', 'jane.doe@example.com'],
  },
  // Raw driver errors, no wrapper: the status follows the category classify() recognises.
  { scenario: 'raw-pg-unique', status: 409, code: 'CONFLICT', detail: GENERIC.conflict, type: '23505', category: 'conflict', secrets: ['taken@example.com'], clientHidden: ['duplicate key'] },
  { scenario: 'raw-pg-not-null', status: 400, code: 'VALIDATION_FAILED', detail: GENERIC.validation, type: '23502', category: 'validation', clientHidden: ['null value'] },
  { scenario: 'raw-pg-statement-timeout', status: 504, code: 'OPERATION_TIMEOUT', detail: GENERIC.timeout, type: '57014', category: 'timeout', clientHidden: ['statement timeout'] },
  { scenario: 'raw-pg-terminated', status: 503, code: 'DEPENDENCY_FAILED', retryAfter: '5', detail: GENERIC.dependency, type: '57P01', category: 'dependency', clientHidden: ['administrator'] },
  { scenario: 'raw-mysql-duplicate', status: 409, code: 'CONFLICT', detail: GENERIC.conflict, type: 'ER_DUP_ENTRY', category: 'conflict', clientHidden: ['taken@example.com', 'Duplicate entry'] },
  { scenario: 'raw-mysql-not-null', status: 400, code: 'VALIDATION_FAILED', detail: GENERIC.validation, type: 'ER_BAD_NULL_ERROR', category: 'validation', clientHidden: ['cannot be null'] },
  { scenario: 'raw-mysql-lock-wait', status: 504, code: 'OPERATION_TIMEOUT', detail: GENERIC.timeout, type: 'ER_LOCK_WAIT_TIMEOUT', category: 'timeout', clientHidden: ['Lock wait'] },
  // MariaDB's 1927 (connection killed) has no name in mysql2's list: the type is the class name.
  { scenario: 'raw-mysql-killed', status: 503, code: 'DEPENDENCY_FAILED', retryAfter: '5', detail: GENERIC.dependency, type: 'Error', category: 'dependency', clientHidden: ['Connection was killed'] },
  { scenario: 'raw-redis-closed', status: 503, code: 'DEPENDENCY_FAILED', retryAfter: '5', detail: GENERIC.dependency, type: 'ClientClosedError', category: 'dependency', clientHidden: ['client is closed'] },
  { scenario: 'raw-ioredis-timeout', status: 504, code: 'OPERATION_TIMEOUT', detail: GENERIC.timeout, type: 'Error', category: 'timeout', clientHidden: ['timed out'] },
  { scenario: 'raw-ioredis-refused', status: 503, code: 'DEPENDENCY_FAILED', retryAfter: '5', detail: GENERIC.dependency, type: 'Error', category: 'dependency', clientHidden: ['Connection is closed'] },
  { scenario: 'customize-throws', status: 409, code: 'CONFLICT', detail: 'Coupon already redeemed', type: 'CONFLICT', category: 'conflict', customized: false },
  { scenario: 'cancelled-inside', status: 503, code: 'CANCELLED', retryAfter: '5', type: 'CANCELLED', category: 'cancelled' },
];

interface Answer {
  status: number;
  contentType: string | null;
  retryAfter: string | null;
  body: Record<string, unknown>;
  text: string;
}

async function request(port: string, path: string, body?: unknown): Promise<Answer> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return {
    status: response.status,
    contentType: response.headers.get('content-type'),
    retryAfter: response.headers.get('retry-after'),
    body: JSON.parse(text) as Record<string, unknown>,
    text,
  };
}

function outermostExceptions(span: ReceivedSpan): ReceivedSpan['events'] {
  return span.events.filter((event) => event.name === 'exception' && event.attributes['exception.index'] === 0);
}

const frameworks = [
  { name: 'node:http', fixture: 'test/fixtures/http/node-app.mjs' },
  { name: 'Express 5', fixture: 'test/fixtures/http/express-app.mjs' },
  { name: 'Fastify 5', fixture: 'test/fixtures/http/fastify-app.mjs' },
];

describe('HTTP error handlers: one table, three frameworks', () => {
  let receiver: OtlpReceiver;
  let admin: pg.Client;
  let mariadb: mysql.Connection;
  let fixtureEnv: Record<string, string | undefined>;
  const schema = `faultline_http_${process.pid}`;
  /** Bodies without trace_id, per framework, compared at the end. */
  const bodies = new Map<string, Map<string, unknown>>();

  before(async () => {
    receiver = await startReceiver();
    admin = new pg.Client({ host: '127.0.0.1', port: 5432, user: 'postgres', database: 'postgres' });
    await admin.connect();
    await admin.query(`drop schema if exists ${schema} cascade`);
    await admin.query(`create schema ${schema}`);
    await admin.query(`create table ${schema}.customers (id serial primary key, email text not null unique)`);
    await admin.query(`insert into ${schema}.customers (email) values ('taken@example.com')`);
    mariadb = await mysql.createConnection({ host: '127.0.0.1', port: 3306, user: 'root', password: '', database: 'test' });
    await mariadb.query(`drop table if exists ${schema}`);
    await mariadb.query(`create table ${schema} (id int auto_increment primary key, email varchar(64) not null unique) engine=innodb`);
    await mariadb.query(`insert into ${schema} (email) values ('taken@example.com')`);
    fixtureEnv = otlpEnv(receiver.url, {
      FIXTURE_PG_SCHEMA: schema,
      FIXTURE_MYSQL_TABLE: schema,
      FIXTURE_REDIS_KEY: `faultline:${schema}`,
      FIXTURE_CLOSED_PORT: String(await closedPort()),
    });
  });

  after(async () => {
    await admin.query(`drop schema if exists ${schema} cascade`);
    await admin.end();
    await mariadb.query(`drop table if exists ${schema}`);
    await mariadb.end();
    await receiver.close();
  });

  for (const framework of frameworks) {
    test(`${framework.name}: statuses, problem bodies, spans and counters`, { timeout: 180_000 }, async () => {
      receiver.clear();
      const app: AppRun = runApp(framework.fixture, { env: fixtureEnv });
      try {
        const port = (await app.waitForLine(/listening (\d+)/, 30_000))[1]!;
        const answers = new Map<string, Answer>();
        for (const row of rows) answers.set(row.scenario, await request(port, `/scenario/${row.scenario}${row.query ?? ''}`, row.body));

        // A partial response, then a throw: the connection is cut, the server lives on.
        const partial = await fetch(`http://127.0.0.1:${port}/scenario/after-headers`);
        assert.equal(partial.status, 200, 'the headers were already on the wire');
        await assert.rejects(partial.text(), 'the body is cut off, not completed as if nothing happened');

        // The client leaves while the handler waits; the cancellation is counted, nothing is sent.
        const abort = new AbortController();
        const gone = fetch(`http://127.0.0.1:${port}/scenario/client-gone`, { signal: abort.signal });
        await app.waitForLine(/client-gone waiting/, 30_000);
        abort.abort();
        await assert.rejects(gone);

        const ok = await request(port, '/scenario/ok');
        assert.equal(ok.status, 200, 'the server still answers after every failure');
        assert.equal(app.child.exitCode, null);

        const own = new Map<string, unknown>();
        for (const row of rows) {
          const answer = answers.get(row.scenario)!;
          const where = `${framework.name} ${row.scenario}`;
          assert.equal(answer.status, row.status, `${where}: status (body ${answer.text})`);
          assert.equal(answer.contentType, 'application/problem+json', where);
          assert.equal(answer.retryAfter, row.retryAfter ?? null, `${where}: Retry-After`);
          const body = answer.body;
          assert.equal(body.status, row.status, where);
          assert.equal(body.code, row.code, where);
          assert.equal(body.type, 'about:blank', where);
          assert.equal(typeof body.title, 'string', where);
          if (row.title !== undefined) assert.equal(body.title, row.title, where);
          assert.equal(typeof body.detail, 'string', where);
          if (row.detail !== undefined) assert.equal(body.detail, row.detail, where);
          assert.equal(body.instance, `/scenario/${row.scenario}`, `${where}: instance is the path without the query`);
          assert.match(String(body.trace_id), /^[0-9a-f]{32}$/, where);
          assert.equal(body.service, row.customized === false ? undefined : 'fixture', `${where}: customize hook`);
          assert.doesNotMatch(answer.text, /\n\s+at |stack|notes/i, `${where}: no stack or notes in the body`);
          for (const secret of [...(row.secrets ?? []), ...(row.clientHidden ?? [])]) {
            assert.ok(!answer.text.includes(secret), `${where}: ${secret} leaked into ${answer.text}`);
          }
          if (row.issuePaths !== undefined) {
            const issues = body.errors as { path: string; code: string; message: string }[];
            assert.deepEqual(issues.map((issue) => issue.path).sort(), row.issuePaths, where);
            for (const issue of issues) {
              assert.equal(typeof issue.code, 'string', where);
              assert.ok(issue.code.length > 0, where);
              assert.ok(issue.message.length > 0, where);
            }
          } else {
            assert.equal(body.errors, undefined, where);
          }
          const { trace_id: _traceId, ...comparable } = body;
          own.set(row.scenario, comparable);
        }
        bodies.set(framework.name, own);

        // Spans: the server span of each request carries the error once; 5xx fail it, 4xx do not.
        const traceIds = new Map(rows.map((row) => [row.scenario, String(answers.get(row.scenario)!.body.trace_id)]));
        const serverSpan = (traceId: string): ReceivedSpan | undefined => receiver.spans.find((span) => span.kind === SERVER_KIND && span.traceId === traceId);
        const spanAt = (path: string): ReceivedSpan | undefined => receiver.spans.find((span) => span.kind === SERVER_KIND && span.attributes['url.path'] === path);
        const afterHeadersSpan = (): ReceivedSpan | undefined => spanAt('/scenario/after-headers');
        const okSpan = (): ReceivedSpan | undefined => spanAt('/scenario/ok');
        await receiver.waitFor(() => [...traceIds.values()].every((traceId) => serverSpan(traceId) !== undefined) && afterHeadersSpan() !== undefined && okSpan() !== undefined, {
          timeoutMs: 60_000,
          description: 'a server span for every request',
        });
        for (const row of rows) {
          const where = `${framework.name} ${row.scenario}`;
          const span = serverSpan(traceIds.get(row.scenario)!)!;
          const exceptions = outermostExceptions(span);
          assert.equal(exceptions.length, 1, `${where}: recorded once`);
          const event = exceptions[0]!;
          assert.equal(event.attributes['exception.type'], row.type, where);
          assert.equal(event.attributes['error.category'], row.category, where);
          assert.equal(span.attributes['http.response.status_code'], row.status, where);
          assert.equal(span.status.code, row.status >= 500 ? 2 : 0, `${where}: span status`);
          for (const [key, value] of Object.entries(row.spanAttributes ?? {})) assert.equal(span.attributes[key], value, `${where}: ${key}`);
          const spanText = JSON.stringify(span);
          for (const secret of row.secrets ?? []) assert.ok(!spanText.includes(secret), `${where}: ${secret} leaked onto the span`);
          if (row.issuePaths !== undefined) {
            const message = String(event.attributes['exception.message']);
            for (const path of row.issuePaths) assert.ok(message.includes(path), `${where}: issue ${path} in exception.message ${message}`);
            const notes = event.attributes['exception.notes'] as string[];
            assert.deepEqual(notes, ['payload shape: { email: string, card: { number: string }, quantity: number }'], where);
          }
        }
        const broken = afterHeadersSpan()!;
        assert.equal(outermostExceptions(broken).length, 1, `${framework.name}: the error after the headers is recorded once`);
        assert.equal(broken.status.code, 2, `${framework.name}: a cut-off response is a failed span`);
        // The request that succeeds after all those failures carries none of them.
        const succeeded = okSpan()!;
        assert.deepEqual(succeeded.events, [], `${framework.name}: no exception event on the successful request`);
        assert.equal(succeeded.status.code, 0, `${framework.name}: the successful request's span is not failed`);
        assert.equal(succeeded.attributes['http.response.status_code'], 200, framework.name);
        assert.equal(succeeded.attributes['error.type'], undefined, framework.name);
        if (framework.name !== 'node:http') {
          assert.equal(serverSpan(traceIds.get('not-found')!)!.attributes['http.route'], '/scenario/:name', `${framework.name} names the route`);
        }

        // Counters: each error counted once under its type and category.
        const expected = new Map<string, { type: string; category: string; count: number }>();
        const count = (type: string, category: string): void => {
          const key = `${type}/${category}`;
          const entry = expected.get(key) ?? { type, category, count: 0 };
          entry.count += 1;
          expected.set(key, entry);
        };
        for (const row of rows) count(row.type, row.category);
        count('Error', 'internal'); // after-headers
        count('CANCELLED', 'cancelled'); // client-gone
        const total = [...expected.values()].reduce((sum, entry) => sum + entry.count, 0);
        const sumOf = (entry: { type: string; category: string }): number =>
          receiver.latestSum('app.errors', { 'error.type': entry.type, 'error.category': entry.category, 'error.handled': true });
        await receiver.waitFor(() => receiver.latestSum('app.errors') >= total && [...expected.values()].every((entry) => sumOf(entry) >= entry.count), {
          timeoutMs: 60_000,
          description: `app.errors reaching ${total}`,
        });
        for (const entry of expected.values()) assert.equal(sumOf(entry), entry.count, `${framework.name}: app.errors ${entry.type}/${entry.category}`);
        assert.equal(receiver.latestSum('app.errors'), total, `${framework.name}: no error counted twice`);
      } finally {
        app.child.kill('SIGTERM');
        await app.exited;
      }
    });
  }

  test('the three frameworks answer with the same bodies', () => {
    const reference = bodies.get('node:http');
    assert.ok(reference !== undefined && bodies.size === frameworks.length, 'every framework ran');
    for (const [name, own] of bodies) assert.deepEqual(Object.fromEntries(own), Object.fromEntries(reference), name);
  });
});

import assert from 'node:assert/strict';
import { STATUS_CODES } from 'node:http';
import { describe, test } from 'node:test';
import { context, INVALID_SPAN_CONTEXT, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { AppError } from '../../src/errors/app-error.ts';
import { ERROR_CATEGORIES, type ErrorCategory } from '../../src/errors/category.ts';
import * as catalog from '../../src/errors/catalog.ts';
import { defineError } from '../../src/errors/define-error.ts';
import { problemFor } from '../../src/http/problem.ts';
import { stderrOf } from '../helpers/stderr-lines.ts';

// The rules of docs/boundaries.md ("Status", "Body"), checked through problemFor, the entry point
// every adapter shares. Errors that are not AppErrors are built the way http-errors, body-parser
// and Fastify build theirs: an Error carrying `status`/`statusCode` (and `expose`).
function carrying(status: unknown, extra: Record<string, unknown> = {}, message = 'framework says no'): Error {
  return Object.assign(new Error(message), { status, ...extra });
}

/** The catalog's own class for each category: an error of the category that has no code of its own answers with this class's code. */
const CATALOG_CLASS: Record<ErrorCategory, new () => AppError> = {
  validation: catalog.ValidationError,
  unauthorized: catalog.Unauthorized,
  forbidden: catalog.Forbidden,
  not_found: catalog.NotFound,
  conflict: catalog.Conflict,
  rate_limited: catalog.RateLimited,
  internal: catalog.InternalError,
  dependency: catalog.DependencyFailed,
  timeout: catalog.OperationTimeout,
  cancelled: catalog.Cancelled,
};

function catalogCodeOf(category: ErrorCategory): string {
  const instance = new CATALOG_CLASS[category]();
  assert.equal(instance.category, category, 'the catalog class is of that category');
  return instance.code;
}

describe('the status of an error that carries its own (http-errors, body-parser, Fastify)', () => {
  test('every error status a framework sets is kept, whichever category it falls in', () => {
    for (const status of [400, 401, 403, 404, 405, 408, 409, 410, 412, 413, 415, 422, 429, 460, 499, 500, 501, 502, 503, 504, 560, 599]) {
      assert.equal(problemFor(carrying(status)).status, status, `status ${String(status)}`);
      assert.equal(problemFor(Object.assign(new Error('x'), { statusCode: status })).status, status, `statusCode ${String(status)}`);
    }
  });

  test('a status outside 400–599, or not an integer, is ignored: the error is a plain 500', () => {
    for (const status of [200, 302, 399, 600, 404.5, '404', Number.NaN]) {
      const problem = problemFor(carrying(status));
      assert.equal(problem.status, 500, `status ${String(status)}`);
      assert.equal(problem.body.code, 'INTERNAL_ERROR');
    }
  });

  test('`status` is read before `statusCode`', () => {
    assert.equal(problemFor(carrying(409, { statusCode: 410 })).status, 409);
    assert.equal(problemFor(carrying('bad', { statusCode: 410 })).status, 410);
  });

  test("an AppError's own httpStatus wins; one outside 400–599 falls back to its category", () => {
    const Teapot = defineError({ code: 'TEAPOT', category: 'conflict', httpStatus: 418 });
    assert.equal(problemFor(new Teapot('short and stout')).status, 418);
    assert.equal(problemFor(new AppError('x', { code: 'ODD', category: 'conflict', httpStatus: 200 })).status, 409);
    assert.equal(problemFor(new AppError('x', { code: 'ODD', category: 'not_found', httpStatus: 600 })).status, 404);
    assert.equal(problemFor(new AppError('x', { code: 'ODD', category: 'not_found', httpStatus: 410.5 })).status, 404);
    assert.equal(problemFor(new AppError('x', { code: 'ODD', category: 'not_found', httpStatus: '410' as unknown as number })).status, 404);
    // An AppError's own `status` property is not its HTTP status: only httpStatus counts.
    assert.equal(problemFor(Object.assign(new AppError('x', { code: 'ODD', category: 'not_found' }), { status: 410 })).status, 404);
  });

  test('499 is for a cancellation whose client has gone, nothing else', () => {
    assert.equal(problemFor(new Error('x'), { clientClosed: true }).status, 500);
    assert.equal(problemFor(carrying(404), { clientClosed: true }).status, 404);
  });

  test('the title is the status reason phrase, with names for the statuses Node does not know', () => {
    assert.equal(problemFor(carrying(413)).body.title, STATUS_CODES[413]);
    assert.equal(problemFor(carrying(460)).body.title, 'Bad Request');
    assert.equal(problemFor(carrying(560)).body.title, 'Internal Server Error');
    assert.equal(problemFor(new catalog.Cancelled(), { clientClosed: true }).body.title, 'Client Closed Request');
  });
});

describe('what the client is told', () => {
  test('a client error is shown its message unless it says `expose: false`; a server error never', () => {
    assert.equal(problemFor(carrying(400, {}, 'bad JSON at position 3')).body.detail, 'bad JSON at position 3');
    assert.equal(problemFor(carrying(400, { expose: true }, 'bad JSON at position 3')).body.detail, 'bad JSON at position 3');
    assert.equal(problemFor(Object.assign(new Error('bad JSON at position 3'), { statusCode: 400 })).body.detail, 'bad JSON at position 3');
    // A validation error recognised by its class name, carrying no status: not known to be meant for the client.
    const zod = problemFor(Object.assign(new Error('schema internals: /srv/app/schema.js'), { name: 'ZodError' }));
    assert.equal(zod.status, 400);
    assert.ok(!zod.body.detail.includes('/srv/app'), zod.body.detail);
    const hidden = problemFor(carrying(400, { expose: false }, 'parser internals: /srv/app/parse.js'));
    assert.equal(hidden.status, 400);
    assert.ok(!hidden.body.detail.includes('/srv/app'), hidden.body.detail);
    for (const status of [500, 502, 503, 504]) {
      const problem = problemFor(carrying(status, { expose: true }, 'upstream db-7.internal refused'));
      assert.ok(!problem.body.detail.includes('db-7'), `status ${String(status)}: ${problem.body.detail}`);
    }
  });

  test('an AppError shows its message unless its category is internal, then a generic sentence', () => {
    const Gateway = defineError({ code: 'GATEWAY_DOWN', category: 'dependency' });
    assert.equal(problemFor(new Gateway('the payment gateway is down')).body.detail, 'the payment gateway is down');
    const internal = problemFor(new catalog.InternalError('SELECT * FROM users failed'));
    assert.ok(!internal.body.detail.includes('SELECT'), internal.body.detail);
    const silent = problemFor(new Gateway(''));
    assert.notEqual(silent.body.detail, '', 'an empty message gives the generic sentence');
  });

  test('every category has its own non-empty generic sentence and, for other errors, the catalog code of the category', () => {
    const samples: Record<ErrorCategory, unknown> = {
      validation: carrying(400, { expose: false }),
      unauthorized: carrying(401, { expose: false }),
      forbidden: carrying(403, { expose: false }),
      not_found: carrying(404, { expose: false }),
      conflict: carrying(409, { expose: false }),
      rate_limited: carrying(429, { expose: false }),
      internal: new Error('boom'),
      dependency: carrying(503),
      timeout: carrying(504),
      cancelled: new DOMException('This operation was aborted', 'AbortError'),
    };
    const details = new Set<string>();
    for (const category of ERROR_CATEGORIES) {
      const problem = problemFor(samples[category]);
      assert.equal(problem.body.code, catalogCodeOf(category), category);
      assert.notEqual(problem.body.detail, '', category);
      assert.ok(!problem.body.detail.includes('framework says no'), category);
      details.add(problem.body.detail);
    }
    assert.equal(details.size, ERROR_CATEGORIES.length, 'one sentence per category');
  });

  test('a long message is cut, and so is a long path', () => {
    const Long = defineError({ code: 'LONG', category: 'conflict' });
    const detail = problemFor(new Long('x'.repeat(5000))).body.detail;
    assert.ok(detail.length <= 1024 && detail.length > 1000, `detail of ${String(detail.length)} characters`);
    const instance = problemFor(new Long('x'), { instance: `/${'a'.repeat(5000)}` }).body.instance ?? '';
    assert.ok(instance.length <= 512 && instance.length > 500, `instance of ${String(instance.length)} characters`);
  });

  test('instance is the path without query or fragment, redacted; an empty path gives none', () => {
    assert.equal(problemFor(new Error('x'), { instance: '/users/jane.doe@example.com/orders#top' }).body.instance, '/users/[REDACTED:email]/orders');
    assert.equal(problemFor(new Error('x'), { instance: '/a?b#c' }).body.instance, '/a');
    assert.equal(problemFor(new Error('x'), { instance: '/orders/7' }).body.instance, '/orders/7');
    assert.equal('instance' in problemFor(new Error('x'), { instance: '' }).body, false);
    assert.equal('trace_id' in problemFor(new Error('x')).body, false, 'no span, no trace ID');
  });

  test('an AppError code is redacted and cut, and is URI-encoded in `type`', () => {
    const Odd = defineError({ code: 'A B/C', category: 'conflict', message: 'Odd' });
    assert.equal(problemFor(new Odd(), {}, { typeBaseUrl: 'https://e.example/' }).body.type, 'https://e.example/A%20B%2FC');
    const long = new AppError('x', { code: 'C'.repeat(200), category: 'conflict' });
    assert.ok(problemFor(long).body.code.length <= 64);
  });

  test('with typeBaseUrl: an internal AppError gets a type, an empty base gives none, a class without default message keeps the reason phrase', () => {
    const Internal = defineError({ code: 'LEDGER_BROKEN', category: 'internal', message: 'Ledger inconsistent' });
    const internal = problemFor(new Internal(), {}, { typeBaseUrl: 'https://e.example/' });
    assert.equal(internal.body.type, 'https://e.example/LEDGER_BROKEN');
    assert.equal(internal.body.title, 'Ledger inconsistent');
    assert.equal(problemFor(new Internal(), {}, { typeBaseUrl: '' }).body.type, 'about:blank');
    assert.equal(problemFor(new Internal(), {}, { typeBaseUrl: '' }).body.title, 'Internal Server Error');
    const missing = problemFor(carrying(404), {}, { typeBaseUrl: 'https://e.example/' });
    assert.equal(missing.body.type, 'https://e.example/NOT_FOUND', 'a classified error that is not an AppError gets its category code as type');
    const Bare = defineError({ code: 'BARE', category: 'conflict' });
    const bare = problemFor(new AppError('x', { code: 'BARE2', category: 'conflict' }), {}, { typeBaseUrl: 'https://e.example/' });
    assert.equal(bare.body.title, 'Conflict');
    assert.equal(problemFor(new Bare('x'), {}, { typeBaseUrl: 'https://e.example/' }).body.type, 'https://e.example/BARE');
  });

  test('`errors` lists issues for validation errors only', () => {
    assert.equal('errors' in problemFor(new catalog.ValidationError()).body, false);
    const issues = [{ path: '/sku', code: 'taken', message: 'already exists' }];
    assert.equal('errors' in problemFor(new catalog.Conflict(undefined, { details: { issues } })).body, false);
  });

  test('trace_id is the active span\'s trace ID, and absent when the active span context is invalid', () => {
    const manager = new AsyncLocalStorageContextManager().enable();
    context.setGlobalContextManager(manager);
    try {
      const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
      const span = trace.wrapSpanContext({ traceId, spanId: '00f067aa0ba902b7', traceFlags: 1 });
      const body = context.with(trace.setSpan(ROOT_CONTEXT, span), () => problemFor(new Error('x')).body);
      assert.equal(body.trace_id, traceId);
      const invalid = context.with(trace.setSpan(ROOT_CONTEXT, trace.wrapSpanContext(INVALID_SPAN_CONTEXT)), () => problemFor(new Error('x')).body);
      assert.equal('trace_id' in invalid, false);
      assert.equal(context.with(ROOT_CONTEXT, () => problemFor(new Error('x'), { traceId: 'f'.repeat(32) }).body.trace_id), 'f'.repeat(32), 'the caller\'s trace ID wins');
    } finally {
      context.disable();
    }
  });

  test('customize may change the body in place and return nothing; a non-function is ignored', () => {
    const edited = problemFor(new catalog.Conflict(), {}, {
      customize: (problem) => {
        problem.hint = 'reload and retry';
        return undefined;
      },
    });
    assert.equal(edited.body.hint, 'reload and retry');
    assert.equal(edited.body.code, 'CONFLICT', 'customize starts from the default body');
    let ignored: ReturnType<typeof problemFor> | undefined;
    const lines = stderrOf(() => {
      ignored = problemFor(new catalog.Conflict(), {}, { customize: 'not a function' as never });
    });
    assert.equal(ignored?.body.code, 'CONFLICT');
    assert.deepEqual(lines, [], 'a customize that is not a function is not a failure to warn about');
  });
});

describe('Retry-After (429 and 503 only)', () => {
  test('only a 429 or a 503 says when to retry', () => {
    for (const status of [400, 404, 500, 502, 504]) {
      assert.equal(problemFor(carrying(status, { retryAfterSeconds: 10 })).headers['retry-after'], undefined, `status ${String(status)}`);
    }
    assert.equal(problemFor(carrying(429, { retryAfterSeconds: 10 })).headers['retry-after'], '10');
    assert.equal(problemFor(carrying(503, { retryAfterSeconds: 10 })).headers['retry-after'], '10');
  });

  test("the error's own value is rounded up and capped at a day; an unusable one falls back to the option", () => {
    const limited = (value: unknown): string | undefined =>
      problemFor(Object.assign(new catalog.RateLimited(), { retryAfterSeconds: value }), {}, { retryAfterSeconds: 7 }).headers['retry-after'];
    assert.equal(limited(0), '0');
    assert.equal(limited(0.1), '1');
    assert.equal(limited(86_400), '86400');
    assert.equal(limited(10 ** 9), '86400');
    for (const unusable of [-1, Number.NaN, Number.POSITIVE_INFINITY, '30', null]) {
      assert.equal(limited(unusable), '7', String(unusable));
    }
  });

  test('the property is read before details.retryAfterSeconds', () => {
    const both = Object.assign(new catalog.RateLimited(undefined, { details: { retryAfterSeconds: 40 } }), { retryAfterSeconds: 20 });
    assert.equal(problemFor(both).headers['retry-after'], '20');
  });
});

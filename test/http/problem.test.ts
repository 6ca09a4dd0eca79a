import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { ERROR_CATEGORIES } from '../../src/errors/category.ts';
import { Cancelled, RateLimited, ValidationError } from '../../src/errors/catalog.ts';
import { defineError } from '../../src/errors/define-error.ts';
import { handleHttpError, withErrorHandling } from '../../src/http/node-http.ts';
import { problemFor } from '../../src/http/problem.ts';

const expectedStatus: Record<string, number> = {
  validation: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  rate_limited: 429,
  internal: 500,
  dependency: 503,
  timeout: 504,
  cancelled: 503,
};

function revokedProxy(): object {
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  return proxy;
}

const hostileError = new Proxy(new Error('x'), {
  get() {
    throw new Error('hostile getter');
  },
  getPrototypeOf() {
    throw new Error('hostile prototype');
  },
});

describe('problemFor: the rules every adapter shares', () => {
  test('each category answers with its status; an AppError without httpStatus falls back to it', () => {
    for (const category of ERROR_CATEGORIES) {
      const Err = defineError({ code: `PROBE_${category.toUpperCase()}`, category, message: `probe ${category}` });
      const problem = problemFor(new Err());
      assert.equal(problem.status, expectedStatus[category], category);
      assert.equal(problem.body.status, problem.status);
      assert.equal(problem.body.code, `PROBE_${category.toUpperCase()}`);
      assert.equal(problem.headers['retry-after'], problem.status === 429 || problem.status === 503 ? '5' : undefined, category);
    }
  });

  test('a cancellation is 499 when the client has gone, 503 when it came from inside the server', () => {
    assert.equal(problemFor(new Cancelled(), { clientClosed: true }).status, 499);
    assert.equal(problemFor(new Cancelled()).status, 503);
    const abort = new DOMException('This operation was aborted', 'AbortError');
    assert.equal(problemFor(abort, { clientClosed: true }).status, 499);
  });

  test("an error's own status is kept when it agrees with its category: body-parser and Fastify errors, not an upstream's 404", () => {
    const tooLarge = Object.assign(new Error('request entity too large'), { status: 413, statusCode: 413, expose: true, type: 'entity.too.large' });
    const problem = problemFor(tooLarge);
    assert.equal(problem.status, 413);
    assert.equal(problem.body.detail, 'request entity too large', 'a client error meant to be shown keeps its message');
    assert.equal(problem.body.code, 'VALIDATION_FAILED');

    const mediaType = Object.assign(new Error('Unsupported Media Type: text/csv'), { code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE', statusCode: 415 });
    assert.equal(problemFor(mediaType).status, 415);

    const upstream = Object.assign(new Error('Request failed with status code 404'), { code: 'ERR_BAD_REQUEST', status: 404 });
    const dependency = problemFor(upstream);
    assert.equal(dependency.status, 503, "the upstream's 404 is our dependency failure");
    assert.equal(dependency.body.code, 'DEPENDENCY_FAILED');
    assert.equal(dependency.body.detail, 'A service this request depends on is unavailable; retry later.');

    const missingFile = Object.assign(new Error("ENOENT: no such file or directory, open '/srv/app/keys/private.pem'"), { code: 'ENOENT' });
    const notFound = problemFor(missingFile);
    assert.equal(notFound.status, 404);
    assert.ok(!JSON.stringify(notFound.body).includes('/srv/app'), 'a system error message is not shown');
  });

  test('typeBaseUrl gives each code a type URI and its class default message as title', () => {
    const Declined = defineError({ code: 'CARD_DECLINED', category: 'validation', httpStatus: 402, message: 'Card declined' });
    const typed = problemFor(new Declined('Insufficient funds'), { instance: '/payments/7?card=4111111111111111', traceId: 'a'.repeat(32) }, {
      typeBaseUrl: 'https://docs.example.com/errors/',
    });
    assert.deepEqual(typed.body, {
      type: 'https://docs.example.com/errors/CARD_DECLINED',
      title: 'Card declined',
      status: 402,
      detail: 'Insufficient funds',
      code: 'CARD_DECLINED',
      instance: '/payments/7',
      trace_id: 'a'.repeat(32),
    });
    const untyped = problemFor(new Error('boom'), {}, { typeBaseUrl: 'https://docs.example.com/errors/' });
    assert.equal(untyped.body.type, 'about:blank', 'an unclassified internal error has no type of its own');
    assert.equal(untyped.body.title, 'Internal Server Error');
  });

  test('Retry-After comes from the error when it says, else from the option', () => {
    assert.equal(problemFor(new RateLimited(undefined, { details: { retryAfterSeconds: 2.2 } })).headers['retry-after'], '3');
    assert.equal(problemFor(Object.assign(new RateLimited(), { retryAfterSeconds: 30 })).headers['retry-after'], '30');
    assert.equal(problemFor(new RateLimited(), {}, { retryAfterSeconds: 11 }).headers['retry-after'], '11');
  });

  test('validation issues are listed in `errors`', () => {
    const issues = [{ path: '/email', code: 'invalid_format', message: 'Invalid email address' }];
    const problem = problemFor(new ValidationError('Validation failed (1 issue): /email: Invalid email address', { details: { issues } }));
    assert.equal(problem.status, 400);
    assert.deepEqual(problem.body.errors, issues);
  });

  test('customize adds members; if it throws or returns something unserialisable, the default body is sent', () => {
    const added = problemFor(new RateLimited(), {}, { customize: (problem) => ({ ...problem, plan: 'free' }) });
    assert.equal(added.body.plan, 'free');
    const thrown = problemFor(new RateLimited(), {}, {
      customize: () => {
        throw new Error('broken hook');
      },
    });
    assert.equal(thrown.body.code, 'RATE_LIMITED');
    const unserialisable = problemFor(new RateLimited(), {}, { customize: (problem) => ({ ...problem, big: 1n }) });
    assert.equal(unserialisable.body.big, undefined);
  });

  test('never throws, whatever was thrown', () => {
    for (const thrown of [undefined, null, 'a string', 42, Symbol('s'), revokedProxy(), hostileError, { message: 'plain object' }]) {
      const problem = problemFor(thrown);
      assert.equal(problem.status, 500);
      assert.equal(problem.body.detail, 'An unexpected error occurred.');
      assert.equal(problem.body.code, 'INTERNAL_ERROR');
    }
  });
});

describe('handleHttpError and withErrorHandling on a real node:http server', () => {
  let server: http.Server;
  let base: string;
  const routes = new Map<string, (req: http.IncomingMessage, res: http.ServerResponse) => unknown>();

  before(async () => {
    server = http.createServer(
      withErrorHandling((req, res) => {
        const route = routes.get(new URL(req.url ?? '/', 'http://x').pathname);
        if (route === undefined) throw new Error('no route');
        return route(req, res);
      }),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  test('sync throws and rejections become problems; headers of the abandoned body are dropped', async () => {
    routes.set('/sync', (_req, res) => {
      res.setHeader('content-type', 'text/html');
      res.setHeader('content-length', '9999');
      res.setHeader('etag', '"v1"');
      res.setHeader('access-control-allow-origin', '*');
      throw new RateLimited();
    });
    routes.set('/async', async () => {
      await new Promise((resolve) => setImmediate(resolve));
      throw revokedProxy();
    });
    const sync = await fetch(`${base}/sync?x=1`);
    assert.equal(sync.status, 429);
    assert.equal(sync.headers.get('content-type'), 'application/problem+json');
    assert.equal(sync.headers.get('etag'), null);
    assert.equal(sync.headers.get('access-control-allow-origin'), '*', 'headers unrelated to the body stay (CORS)');
    const body = (await sync.json()) as Record<string, unknown>;
    assert.equal(body.instance, '/sync');
    const asyncAnswer = await fetch(`${base}/async`);
    assert.equal(asyncAnswer.status, 500);
    assert.equal(((await asyncAnswer.json()) as Record<string, unknown>).code, 'INTERNAL_ERROR');
  });

  test('HEAD gets the status and headers without a body', async () => {
    routes.set('/head', () => {
      throw new RateLimited();
    });
    const answer = await fetch(`${base}/head`, { method: 'HEAD' });
    assert.equal(answer.status, 429);
    assert.equal(await answer.text(), '');
  });

  test('after the headers were sent the connection is cut; on a finished response nothing throws', async () => {
    routes.set('/partial', async (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('half');
      await new Promise((resolve) => setTimeout(resolve, 10));
      throw new Error('stream failed');
    });
    let outcome: unknown;
    routes.set('/finished', (req, res) => {
      res.end('done');
      outcome = handleHttpError(new Error('late'), req, res);
    });
    const partial = await fetch(`${base}/partial`);
    assert.equal(partial.status, 200);
    await assert.rejects(partial.text());
    const finished = await fetch(`${base}/finished`);
    assert.equal(await finished.text(), 'done');
    assert.deepEqual((outcome as { kind: string }).kind, 'aborted');
    const still = await fetch(`${base}/head`);
    assert.equal(still.status, 429, 'the server keeps answering');
  });

  test('a response whose methods throw falls back without throwing into the caller', () => {
    const brokenResponse = {
      headersSent: false,
      destroyed: false,
      writableEnded: false,
      statusCode: 200,
      getHeaderNames: () => {
        throw new Error('broken response');
      },
      setHeader: () => {
        throw new Error('broken response');
      },
      removeHeader: () => undefined,
      end: () => {
        throw new Error('broken response');
      },
      destroy: () => {
        throw new Error('cannot destroy either');
      },
    } as unknown as http.ServerResponse;
    const outcome = handleHttpError(new Error('boom'), { method: 'GET', url: '/x' } as http.IncomingMessage, brokenResponse);
    assert.equal(outcome.kind, 'aborted');
  });
});

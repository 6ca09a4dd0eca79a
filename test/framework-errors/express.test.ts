import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startReceiver, type OtlpReceiver } from '../../src/receiver/index.ts';
import { exceptionsOn, installExpress4, serve, spanFor, STATUS_ERROR, type ServedRun } from './framework-helpers.ts';

// Express apps that handle their own errors, run under `--import faultline/register` with no
// faultline API: every error reaching the app's error middleware (or Express's final handler) is
// one exception event on its server span, with its code as exception.type, and one app.errors count.

const FAILING = [
  { path: '/orders/1/sync', type: 'ORDER_SYNC_FAILED', route: '/orders/:id/sync' },
  { path: '/orders/2/async', type: 'ORDER_ASYNC_FAILED', route: '/orders/:id/async' },
  { path: '/orders/3/next', type: 'ORDER_NEXT_FAILED', route: '/orders/:id/next' },
  // Express 4's router gives no sight of an error before a mounted router hands it back to its
  // parent, by which time the request has forgotten the mount path (README: the route is then the
  // router's own, `/items/:id`). Express 5's router does.
  { path: '/api/items/4', type: 'ITEM_FAILED', route: '/api/items/:id', express4Route: '/items/:id' },
];
const PATHS = ['/ok', ...FAILING.map((request) => request.path)];
// next('text'): a primitive has no identity to record once by, so the router's own memory of the
// request's errors is what keeps it to one record. (faultline's own handler records every primitive
// it is given, as recordError does, so the toolkit case leaves it out.)
const PRIMITIVE = { path: '/orders/5/primitive', type: '_OTHER', route: '/orders/:id/primitive' };

const APPS = [
  { name: 'Express 5, ESM', fixture: 'test/fixtures/framework-errors/express-app.mjs', express4: false },
  { name: 'Express 5, CommonJS', fixture: 'test/fixtures/framework-errors/express-app.cjs', express4: false },
  { name: 'Express 4, CommonJS', fixture: 'test/fixtures/framework-errors/express4/app.cjs', express4: true },
];

const HANDLERS = [
  { handler: 'pino', status: 500, logged: true },
  { handler: 'silent', status: 500, logged: false },
  { handler: '4xx', status: 422, logged: false },
  { handler: 'final', status: 500, logged: false },
];

function assertRecordedOnce(receiver: OtlpReceiver, run: ServedRun, status: number, express4 = false, failing: readonly (typeof FAILING)[number][] = FAILING): void {
  const ok = spanFor(run, '/ok');
  assert.equal(ok.events.length, 0);
  assert.notEqual(ok.status.code, STATUS_ERROR);
  for (const request of failing) {
    const span = spanFor(run, request.path);
    assert.equal(span.attributes['http.response.status_code'], status, request.path);
    const exceptions = exceptionsOn(span);
    assert.equal(exceptions.length, 1, `${request.path}: ${JSON.stringify(span.events.map((event) => event.attributes['exception.type']))}`);
    assert.equal(exceptions[0]!.attributes['exception.type'], request.type);
    // The toolkit's classification rides on the event, beyond the semantic-convention anchors.
    assert.equal(exceptions[0]!.attributes['error.category'], 'internal');
    assert.equal(exceptions[0]!.attributes['exception.retryable'], false);
    assert.match(String(exceptions[0]!.attributes['exception.fingerprint']), /^[0-9a-f]{16}$/);
    if (request.type === '_OTHER') assert.equal(exceptions[0]!.attributes['exception.message'], 'the order was refused');
    assert.equal(span.attributes['http.route'], express4 ? (request.express4Route ?? request.route) : request.route, request.path);
    if (status >= 500) {
      assert.equal(span.status.code, STATUS_ERROR);
      assert.equal(span.attributes['error.type'], request.type);
    } else {
      // A 4xx answer is the client's: the exception is on the span, the span did not fail.
      assert.notEqual(span.status.code, STATUS_ERROR);
      assert.equal(span.attributes['error.type'], undefined);
    }
    assert.equal(receiver.latestSum('app.errors', { 'error.type': request.type, 'error.handled': true, 'error.category': 'internal' }), 1, request.type);
  }
  assert.equal(receiver.latestSum('app.errors'), failing.length, 'nothing else counted');
}

describe('zero-code capture of the errors an Express app handles itself', () => {
  let receiver: OtlpReceiver;
  before(async () => {
    installExpress4();
    receiver = await startReceiver();
  });
  after(async () => {
    await receiver.close();
  });

  for (const app of APPS) {
    for (const { handler, status, logged } of HANDLERS) {
      test(`${app.name}, ${handler === 'final' ? 'no error middleware (final handler)' : `error middleware: ${handler}`}`, async () => {
        const run = await serve(receiver, app.fixture, [...PATHS, PRIMITIVE.path], { FIXTURE_HANDLER: handler });
        assertRecordedOnce(receiver, run, status, app.express4, [...FAILING, PRIMITIVE]);
        if (logged) assert.equal(run.stdout.split('\n').filter((line) => line.includes('"request failed"')).length, FAILING.length + 1);
      });
    }
  }

  test('expressErrorHandler with the error also logged through plain pino: each error counted once', async () => {
    const run = await serve(receiver, 'test/fixtures/framework-errors/express-app.mjs', PATHS, { FIXTURE_HANDLER: 'toolkit' });
    assertRecordedOnce(receiver, run, 500);
  });

  test('OTEL_NODE_DISABLED_INSTRUMENTATIONS=express leaves Express alone', async () => {
    const run = await serve(receiver, 'test/fixtures/framework-errors/express-app.cjs', PATHS, { FIXTURE_HANDLER: 'silent', OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'express' });
    for (const request of FAILING) assert.equal(exceptionsOn(spanFor(run, request.path)).length, 0);
    assert.equal(receiver.latestSum('app.errors'), 0);
  });
});

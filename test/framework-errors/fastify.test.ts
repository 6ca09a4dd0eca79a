import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startReceiver, type OtlpReceiver } from '../../src/receiver/index.ts';
import { exceptionsOn, serve, spanFor, STATUS_ERROR, type ServedRun } from './framework-helpers.ts';

// Fastify 5 apps that handle their own errors, under `--import faultline/register` with no faultline
// API: Fastify publishes a handler's failure on `tracing:fastify.request.handler:error`, and that
// one event puts the error on the request's server span and counts it once.

const FIXTURE = 'test/fixtures/framework-errors/fastify-app.mjs';
const FAILING = [
  { path: '/orders/1/sync', type: 'ORDER_SYNC_FAILED', route: '/orders/:id/sync' },
  { path: '/orders/2/async', type: 'ORDER_ASYNC_FAILED', route: '/orders/:id/async' },
];
const PATHS = ['/ok', ...FAILING.map((request) => request.path)];

function assertRecordedOnce(receiver: OtlpReceiver, run: ServedRun, status: number): void {
  const ok = spanFor(run, '/ok');
  assert.equal(ok.events.length, 0);
  assert.notEqual(ok.status.code, STATUS_ERROR);
  for (const request of FAILING) {
    const span = spanFor(run, request.path);
    assert.equal(span.attributes['http.response.status_code'], status);
    const exceptions = exceptionsOn(span);
    assert.equal(exceptions.length, 1, `${request.path}: ${JSON.stringify(span.events.map((event) => event.attributes['exception.type']))}`);
    assert.equal(exceptions[0]!.attributes['exception.type'], request.type);
    assert.equal(exceptions[0]!.attributes['error.category'], 'internal');
    assert.equal(span.attributes['http.route'], request.route);
    if (status >= 500) {
      assert.equal(span.status.code, STATUS_ERROR);
      assert.equal(span.attributes['error.type'], request.type);
    } else {
      assert.notEqual(span.status.code, STATUS_ERROR);
    }
    assert.equal(receiver.latestSum('app.errors', { 'error.type': request.type, 'error.handled': true }), 1, request.type);
  }
  assert.equal(receiver.latestSum('app.errors'), FAILING.length, 'nothing else counted');
}

describe('zero-code capture of the errors a Fastify app handles itself', () => {
  let receiver: OtlpReceiver;
  before(async () => {
    receiver = await startReceiver();
  });
  after(async () => {
    await receiver.close();
  });

  for (const { handler, status } of [
    { handler: 'own', status: 500 },
    { handler: 'own-pino', status: 500 },
    { handler: 'own-4xx', status: 422 },
    { handler: 'default', status: 500 },
  ]) {
    test(handler === 'default' ? 'no setErrorHandler: Fastify’s default handler answers and logs' : `its own setErrorHandler: ${handler}`, async () => {
      const run = await serve(receiver, FIXTURE, PATHS, { FIXTURE_HANDLER: handler });
      assertRecordedOnce(receiver, run, status);
      if (handler === 'own-pino' || handler === 'default') assert.ok(run.stdout.includes('"level":50'), 'the app logged the errors itself');
    });
  }

  test('OTEL_NODE_DISABLED_INSTRUMENTATIONS=fastify leaves Fastify alone', async () => {
    const run = await serve(receiver, FIXTURE, PATHS, { FIXTURE_HANDLER: 'own', OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'fastify' });
    for (const request of FAILING) assert.equal(exceptionsOn(spanFor(run, request.path)).length, 0);
    assert.equal(receiver.latestSum('app.errors'), 0);
  });

  test('fastifyErrorPlugin: a streamed response that fails after its headers were sent is recorded', async () => {
    const run = await serve(receiver, FIXTURE, ['/stream', '/web-stream'], { FIXTURE_HANDLER: 'toolkit' });
    for (const [path, type] of [
      ['/stream', 'EXPORT_STREAM_FAILED'],
      ['/web-stream', 'EXPORT_WEB_STREAM_FAILED'],
    ] as const) {
      const span = spanFor(run, path);
      assert.equal(span.attributes['http.response.status_code'], 200, 'the headers went out before the failure');
      const exceptions = exceptionsOn(span);
      assert.equal(exceptions.length, 1, `${path}: ${JSON.stringify(span.events)}`);
      assert.equal(exceptions[0]!.attributes['exception.type'], type);
      assert.equal(span.status.code, STATUS_ERROR);
      assert.equal(span.attributes['error.type'], type);
      assert.equal(receiver.latestSum('app.errors', { 'error.type': type, 'error.handled': true }), 1);
    }
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startReceiver, type OtlpReceiver, type ReceivedSpan } from '../../src/receiver/index.ts';
import { otlpEnv, runApp } from '../helpers/run-app.ts';
import { closedPort } from '../helpers/closed-port.ts';

const SERVER = 'test/fixtures/preload/server.mjs';
const DEADLINE_MS = 2000;
// What may pass between the deadline and the moment the test sees the process gone: the test's pipe
// and a busy host. The flush itself ends 150 ms before a 2 s deadline (the teardown reserve, see
// shutdown-deadline.ts), so a flush that overran its budget by the reserve shows here.
const MARGIN_MS = 100;
// Under `npm test`'s coverage, NODE_V8_COVERAGE makes every child write a profile as it exits
// (200-250 ms): the harness's work, not the app's, so the timed children run without it.
const UNTIMED = { NODE_V8_COVERAGE: undefined };

async function get(port: string, path: string): Promise<number> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}${path}`);
    await response.text();
    return response.status;
  } catch {
    return 0; // the app died mid-request, as intended by the crash tests
  }
}

function serverSpan(spans: readonly ReceivedSpan[], path: string): ReceivedSpan | undefined {
  return spans.find((span) => span.kind === 2 && span.attributes['url.path'] === path);
}

function stripPaths(stderr: string): string {
  return stderr.replace(/file:\/\/\S+?\/test\/fixtures\//g, 'file:///FIXTURES/');
}

describe('uncaught errors are exported before the process dies', () => {
  let receiver: OtlpReceiver;
  before(async () => {
    receiver = await startReceiver();
  });
  after(async () => {
    await receiver.close();
  });

  test('an uncaught exception in a request: exception span arrives, exit code and stderr match plain Node', async () => {
    const plain = runApp(SERVER, { preload: false });
    const plainPort = (await plain.waitForLine(/listening (\d+)/))[1]!;
    await get(plainPort, '/crash');
    const plainExit = await plain.exited;

    const app = runApp(SERVER, { env: otlpEnv(receiver.url) });
    const port = (await app.waitForLine(/listening (\d+)/))[1]!;
    await get(port, '/crash');
    const exit = await app.exited;

    assert.equal(plainExit.code, 1);
    assert.equal(exit.code, plainExit.code);
    assert.equal(stripPaths(exit.stderr), stripPaths(plainExit.stderr));

    // Already in the receiver when the process has exited: no waiting.
    const span = serverSpan(receiver.spans, '/crash');
    assert.ok(span, `no server span for /crash among ${receiver.spans.map((s) => s.name).join(', ')}`);
    assert.equal(span.status.code, 2, 'status ERROR');
    const event = span.events.find((e) => e.name === 'exception');
    assert.ok(event, 'exception event on the active span');
    assert.equal(event.attributes['exception.type'], 'TypeError');
    assert.match(String(event.attributes['exception.message']), /Cannot read properties of undefined/);
    assert.match(String(event.attributes['exception.stacktrace']), /at handle \(/);
    assert.equal(span.attributes['error.type'], 'TypeError');
  });

  for (const path of ['/throw', '/rethrow']) {
    test(`\`throw\` in a request (${path}): exit code and stderr match plain Node, caret included`, async () => {
      const plain = runApp(SERVER, { preload: false });
      const plainPort = (await plain.waitForLine(/listening (\d+)/))[1]!;
      await get(plainPort, path);
      const plainExit = await plain.exited;
      const app = runApp(SERVER, { env: otlpEnv(receiver.url) });
      const port = (await app.waitForLine(/listening (\d+)/))[1]!;
      await get(port, path);
      const exit = await app.exited;
      assert.equal(exit.code, 1);
      assert.equal(stripPaths(exit.stderr), stripPaths(plainExit.stderr));
    });
  }

  test('an unhandled rejection: exception span arrives, exit code and stderr match plain Node', async () => {
    const plain = runApp(SERVER, { preload: false });
    const plainPort = (await plain.waitForLine(/listening (\d+)/))[1]!;
    await get(plainPort, '/reject');
    const plainExit = await plain.exited;

    receiver.clear();
    const app = runApp(SERVER, { env: otlpEnv(receiver.url) });
    const port = (await app.waitForLine(/listening (\d+)/))[1]!;
    await get(port, '/reject');
    const exit = await app.exited;

    assert.equal(plainExit.code, 1);
    assert.equal(exit.code, 1);
    assert.equal(stripPaths(exit.stderr), stripPaths(plainExit.stderr));
    const withEvent = receiver.spans.find((span) =>
      span.events.some((e) => e.name === 'exception' && e.attributes['exception.type'] === 'RangeError'),
    );
    assert.ok(withEvent, 'a span carries the rejection');
    assert.equal(withEvent.status.code, 2);
    assert.equal(withEvent.events.find((e) => e.name === 'exception')?.attributes['exception.message'], 'quota exhausted for tenant');
  });

  test('the crash is counted as an unhandled error in app.errors before exit', async () => {
    receiver.clear();
    const app = runApp(SERVER, { env: otlpEnv(receiver.url) });
    const port = (await app.waitForLine(/listening (\d+)/))[1]!;
    await get(port, '/crash');
    await app.exited;
    assert.equal(receiver.latestSum('app.errors', { 'error.type': 'TypeError', 'error.handled': false }), 1);
  });
});

describe('signals and normal exit', () => {
  let receiver: OtlpReceiver;
  before(async () => {
    receiver = await startReceiver();
  });
  after(async () => {
    await receiver.close();
  });

  test('SIGTERM with requests in flight: finished requests are exported and the exit code is 143', async () => {
    const app = runApp(SERVER, { env: otlpEnv(receiver.url, { OTEL_BSP_SCHEDULE_DELAY: '60000' }) });
    const port = (await app.waitForLine(/listening (\d+)/))[1]!;
    for (let i = 0; i < 5; i++) assert.equal(await get(port, `/ok?i=${i}`), 200);
    const inFlight = get(port, '/slow?ms=20000');
    await new Promise((resolve) => setTimeout(resolve, 100));
    app.child.kill('SIGTERM');
    const exit = await app.exited;
    await inFlight;
    assert.equal(exit.code, 143);
    const finished = receiver.spans.filter((span) => span.kind === 2 && span.attributes['url.path'] === '/ok');
    assert.equal(finished.length, 5, 'every finished request was flushed despite a 60 s batch delay');
  });

  test('SIGINT exits with 130 after flushing', async () => {
    receiver.clear();
    const app = runApp(SERVER, { env: otlpEnv(receiver.url, { OTEL_BSP_SCHEDULE_DELAY: '60000' }) });
    const port = (await app.waitForLine(/listening (\d+)/))[1]!;
    await get(port, '/ok?sigint');
    app.child.kill('SIGINT');
    const exit = await app.exited;
    assert.equal(exit.code, 130);
    assert.ok(serverSpan(receiver.spans, '/ok'));
  });

  test('when the event loop drains, buffered spans are flushed before exit', async () => {
    receiver.clear();
    const app = runApp('test/fixtures/preload/short-lived.mjs', { env: otlpEnv(receiver.url, { OTEL_BSP_SCHEDULE_DELAY: '60000' }) });
    const exit = await app.exited;
    assert.equal(exit.code, 0, exit.stderr);
    assert.ok(serverSpan(receiver.spans, '/short'), 'server span of the only request');
    assert.ok(receiver.spans.some((span) => span.kind === 3), 'client span of the fetch');
  });
});

describe('a dead collector never holds the process past the deadline', () => {
  let hanging: OtlpReceiver;
  let refused: string;
  before(async () => {
    hanging = await startReceiver({ mode: 'hang' });
    refused = `http://127.0.0.1:${await closedPort()}`;
  });
  after(async () => {
    await hanging.close();
  });

  for (const collector of ['refusing connections', 'accepting and never answering'] as const) {
    const endpoint = (): string => (collector === 'refusing connections' ? refused : hanging.url);

    test(`SIGTERM, collector ${collector}`, async () => {
      const app = runApp(SERVER, { env: { ...otlpEnv(endpoint()), ...UNTIMED } });
      const port = (await app.waitForLine(/listening (\d+)/))[1]!;
      for (let i = 0; i < 20; i++) await get(port, '/ok');
      const signalledAt = Date.now();
      app.child.kill('SIGTERM');
      const exit = await app.exited;
      const took = Date.now() - signalledAt;
      assert.equal(exit.code, 143);
      assert.ok(took <= DEADLINE_MS + MARGIN_MS, `exit took ${took} ms`);
    });

    test(`uncaught exception, collector ${collector}`, async () => {
      const app = runApp(SERVER, { env: { ...otlpEnv(endpoint()), ...UNTIMED } });
      const port = (await app.waitForLine(/listening (\d+)/))[1]!;
      const crashedAt = Date.now();
      await get(port, '/crash');
      const exit = await app.exited;
      const took = Date.now() - crashedAt;
      assert.equal(exit.code, 1);
      assert.ok(took <= DEADLINE_MS + MARGIN_MS, `exit took ${took} ms`);
    });

    test(`normal exit, collector ${collector}`, async () => {
      const app = runApp('test/fixtures/preload/short-lived.mjs', { env: { ...otlpEnv(endpoint()), ...UNTIMED } });
      await app.waitForLine(/done/);
      const doneAt = Date.now();
      const exit = await app.exited;
      const took = Date.now() - doneAt;
      assert.equal(exit.code, 0);
      assert.ok(took <= DEADLINE_MS + MARGIN_MS, `exit took ${took} ms`);
    });
  }

  test('the deadline is configurable with FAULTLINE_SHUTDOWN_TIMEOUT_MS, and drops are reported', async () => {
    // The exporter would wait 10 s for an answer (its default timeout): only the deadline ends this.
    const app = runApp(SERVER, { env: { ...otlpEnv(hanging.url, { FAULTLINE_SHUTDOWN_TIMEOUT_MS: '300' }), ...UNTIMED } });
    const port = (await app.waitForLine(/listening (\d+)/))[1]!;
    for (let i = 0; i < 5; i++) await get(port, '/ok');
    const signalledAt = Date.now();
    app.child.kill('SIGTERM');
    const exit = await app.exited;
    assert.equal(exit.code, 143);
    assert.ok(Date.now() - signalledAt <= 300 + MARGIN_MS, `exit took ${Date.now() - signalledAt} ms`);
    assert.match(exit.stderr, /faultline: dropping telemetry: \d+ traces item\(s\), shutdown/);
    assert.match(exit.stderr, /faultline: 5 span\(s\) were not exported/);
  });
});

describe('an app that registered its own handlers keeps control', () => {
  let receiver: OtlpReceiver;
  before(async () => {
    receiver = await startReceiver();
  });
  after(async () => {
    await receiver.close();
  });

  test('errors are recorded as unhandled, the process keeps serving, and its SIGTERM handler decides the exit', async () => {
    const app = runApp('test/fixtures/preload/own-handlers.mjs', { env: otlpEnv(receiver.url) });
    const port = (await app.waitForLine(/listening (\d+)/))[1]!;
    assert.equal(await get(port, '/throw'), 200);
    assert.equal(await get(port, '/reject'), 200);
    await app.waitForLine(/app handled uncaught bad template/);
    await app.waitForLine(/app handled rejection lost promise/);
    assert.equal(await get(port, '/ok'), 200, 'still serving');
    app.child.kill('SIGTERM');
    const exit = await app.exited;
    assert.equal(exit.code, 7, 'the app chose the exit code');
    assert.match(exit.stdout, /app got SIGTERM/);
    const types = receiver.spans.flatMap((span) => span.events.map((event) => event.attributes['exception.type']));
    assert.ok(types.includes('SyntaxError'), `recorded: ${types.join()}`);
    assert.ok(types.includes('EvalError'), `recorded: ${types.join()}`);
    assert.equal(receiver.latestSum('app.errors', { 'error.handled': false }), 2);
  });
});

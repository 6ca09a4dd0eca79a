import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startReceiver, type OtlpReceiver, type ReceivedSpan } from '../../src/receiver/index.ts';
import { otlpEnv, runApp } from '../helpers/run-app.ts';

async function get(port: string, path: string, headers: Record<string, string> = {}): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, { headers });
  await response.text();
  return response.status;
}

const SERVER_KIND = 2;
const CLIENT_KIND = 3;

function assertServerSpanConventions(span: ReceivedSpan, path: string, port: string): void {
  assert.equal(span.name, 'GET');
  assert.equal(span.attributes['http.request.method'], 'GET');
  assert.equal(span.attributes['url.path'], path);
  assert.equal(span.attributes['url.scheme'], 'http');
  assert.equal(span.attributes['http.response.status_code'], 200);
  assert.equal(span.attributes['server.address'], '127.0.0.1');
  assert.equal(span.attributes['server.port'], Number(port));
  assert.equal(span.attributes['network.protocol.version'], '1.1');
  assert.equal(span.status.code, 0, 'a 200 leaves the status unset');
}

describe('HTTP spans for ESM and CommonJS apps', () => {
  let receiver: OtlpReceiver;
  before(async () => {
    receiver = await startReceiver();
  });
  after(async () => {
    await receiver.close();
  });

  for (const fixture of ['test/fixtures/preload/server.mjs', 'test/fixtures/preload/server.cjs']) {
    test(`${fixture}: server spans follow the semantic conventions, client calls propagate W3C trace context`, async () => {
      receiver.clear();
      const app = runApp(fixture, { env: otlpEnv(receiver.url) });
      try {
        const port = (await app.waitForLine(/listening (\d+)/))[1]!;
        const incomingTraceId = '4bf92f3577b34da6a3ce929d0e0e4736';
        assert.equal(await get(port, '/fanout', { traceparent: `00-${incomingTraceId}-00f067aa0ba902b7-01` }), 200);
        await receiver.waitFor(() => receiver.spans.filter((span) => span.kind === SERVER_KIND).length >= 2, {
          description: 'the fan-out request and its inner request',
        });
        const outer = receiver.spans.find((span) => span.kind === SERVER_KIND && span.attributes['url.path'] === '/fanout');
        assert.ok(outer);
        assertServerSpanConventions(outer, '/fanout', port);
        assert.equal(outer.traceId, incomingTraceId, 'the incoming traceparent is continued');
        assert.equal(outer.parentSpanId, '00f067aa0ba902b7');

        const clients = receiver.spans.filter((span) => span.kind === CLIENT_KIND);
        assert.ok(clients.length >= 1);
        for (const client of clients) {
          assert.equal(client.traceId, incomingTraceId);
          assert.equal(client.parentSpanId, outer.spanId, 'client spans are children of the active server span');
          assert.equal(client.attributes['http.request.method'], 'GET');
          assert.equal(client.attributes['server.address'], '127.0.0.1');
          assert.equal(client.attributes['http.response.status_code'], 200);
          const inner = receiver.spans.find((span) => span.kind === SERVER_KIND && span.parentSpanId === client.spanId);
          assert.ok(inner, 'the called server continues the client span');
        }
        assert.equal(outer.resource['service.name'], 'faultline-test-app');
        assert.equal(typeof outer.resource['host.name'], 'string', 'host detector');
        assert.equal(typeof outer.resource['process.pid'], 'number', 'process detector');

        // The export of the first batch went out over HTTP: a later batch must not carry a span of it.
        assert.equal(await get(port, '/ok'), 200);
        await receiver.waitFor(() => receiver.spans.some((span) => span.kind === SERVER_KIND && span.attributes['url.path'] === '/ok' && span.traceId !== incomingTraceId), {
          description: 'a later request, exported after the first batch',
        });
        assert.deepEqual(
          receiver.spans.filter((span) => span.attributes['http.request.method'] === 'POST').map((span) => span.name),
          [],
          'the exporter does not trace its own requests',
        );
      } finally {
        app.child.kill('SIGTERM');
        await app.exited;
      }
    });
  }

  test('fetch and node:http client spans both appear from an ESM app', async () => {
    receiver.clear();
    const app = runApp('test/fixtures/preload/server.mjs', { env: otlpEnv(receiver.url) });
    try {
      const port = (await app.waitForLine(/listening (\d+)/))[1]!;
      await get(port, '/fanout');
      await receiver.waitFor(() => receiver.spans.filter((span) => span.kind === CLIENT_KIND).length >= 2);
      const urls = receiver.spans.filter((span) => span.kind === CLIENT_KIND).map((span) => String(span.attributes['url.full']));
      assert.ok(urls.some((url) => url.endsWith('/ok?via=http')), urls.join());
      assert.ok(urls.some((url) => url.endsWith('/ok?via=fetch')), urls.join());
    } finally {
      app.child.kill('SIGTERM');
      await app.exited;
    }
  });
});

describe('http.server.request.duration', () => {
  test('counts every request per method, status and error type, with cumulative buckets that add up', async () => {
    const receiver = await startReceiver();
    const app = runApp('test/fixtures/preload/server.mjs', { env: otlpEnv(receiver.url) });
    try {
      const port = (await app.waitForLine(/listening (\d+)/))[1]!;
      for (let i = 0; i < 5; i += 1) assert.equal(await get(port, `/ok?i=${i}`), 200);
      for (let i = 0; i < 3; i += 1) assert.equal(await get(port, '/missing'), 404);
      assert.equal(await get(port, '/slow?ms=30'), 200);
      const latest = (status: number): NonNullable<ReturnType<typeof findPoint>> | undefined => findPoint(receiver, status);
      await receiver.waitFor(() => latest(200)?.count === 6 && latest(404)?.count === 3, { description: 'six 200s and three 404s in one cumulative series each' });
      const ok = latest(200)!;
      assert.equal(ok.type, 'histogram');
      assert.equal(ok.unit, 's');
      assert.equal(ok.temporality, 'cumulative');
      assert.deepEqual(ok.attributes, { 'http.request.method': 'GET', 'url.scheme': 'http', 'http.response.status_code': 200 });
      assert.deepEqual(ok.explicitBounds, [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10]);
      assert.equal(ok.bucketCounts!.reduce((total, count) => total + count, 0), 6);
      assert.ok(ok.max! >= 0.03 && ok.max! < 5, `the 30 ms request is the slowest: ${ok.max}`);
      assert.ok(ok.sum! >= ok.max! && ok.min! <= ok.max!);
      // The 30 ms request cannot be in a bucket whose upper bound is 25 ms or less.
      assert.equal(ok.bucketCounts!.slice(3).reduce((total, count) => total + count, 0) >= 1, true);
      assert.equal(ok.scope.name, 'faultline');
      assert.equal(ok.resource['service.name'], 'faultline-test-app');
      assert.equal(latest(404)!.attributes['error.type'], undefined, 'a 4xx is not a server error');
    } finally {
      app.child.kill('SIGTERM');
      await app.exited;
      await receiver.close();
    }
  });
});

function findPoint(receiver: OtlpReceiver, status: number) {
  return receiver.metrics.findLast((point) => point.name === 'http.server.request.duration' && point.attributes['http.response.status_code'] === status);
}

describe('exporters and protocols', () => {
  let receiver: OtlpReceiver;
  before(async () => {
    receiver = await startReceiver();
  });
  after(async () => {
    await receiver.close();
  });

  for (const protocol of ['http/protobuf', 'http/json'] as const) {
    test(`OTEL_EXPORTER_OTLP_PROTOCOL=${protocol}: traces, metrics and logs are received`, async () => {
      receiver.clear();
      const app = runApp('test/fixtures/preload/short-lived.mjs', { env: otlpEnv(receiver.url, { OTEL_EXPORTER_OTLP_PROTOCOL: protocol }) });
      const exit = await app.exited;
      assert.equal(exit.code, 0, exit.stderr);
      const expected = protocol === 'http/json' ? 'application/json' : 'application/x-protobuf';
      const traces = receiver.requests.filter((request) => request.signal === 'traces');
      const metrics = receiver.requests.filter((request) => request.signal === 'metrics');
      assert.ok(traces.length > 0 && traces.every((request) => request.contentType.startsWith(expected)), JSON.stringify(traces));
      assert.ok(metrics.length > 0 && metrics.every((request) => request.contentType.startsWith(expected)));
      assert.ok(receiver.spans.some((span) => span.attributes['url.path'] === '/short'));
    });
  }

  test('per-signal endpoint variables win over the base endpoint', async () => {
    const other = await startReceiver();
    try {
      receiver.clear();
      const app = runApp('test/fixtures/preload/short-lived.mjs', {
        env: otlpEnv(receiver.url, { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${other.url}/v1/traces` }),
      });
      await app.exited;
      assert.ok(other.spans.some((span) => span.attributes['url.path'] === '/short'));
      assert.equal(receiver.spans.length, 0);
      assert.ok(receiver.requests.some((request) => request.signal === 'metrics'));
    } finally {
      await other.close();
    }
  });

  test('OTEL_TRACES_EXPORTER=console prints spans, none sends nothing', async () => {
    receiver.clear();
    const app = runApp('test/fixtures/preload/short-lived.mjs', {
      env: otlpEnv(receiver.url, { OTEL_TRACES_EXPORTER: 'console', OTEL_METRICS_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none' }),
    });
    const exit = await app.exited;
    assert.equal(exit.code, 0, exit.stderr);
    assert.match(exit.stdout, /traceId: '[0-9a-f]{32}'/);
    assert.match(exit.stdout, /'url\.path': '\/short'/);
    assert.equal(receiver.requests.length, 0);
  });

  test('a malformed OTEL_* value is one clear warning and the app still serves', async () => {
    receiver.clear();
    const app = runApp('test/fixtures/preload/server.mjs', {
      env: otlpEnv(receiver.url, {
        OTEL_BSP_MAX_QUEUE_SIZE: 'lots',
        OTEL_EXPORTER_OTLP_PROTOCOL: 'carrier-pigeon',
        OTEL_RESOURCE_ATTRIBUTES: '=nokey,deployment.environment.name=test',
        OTEL_TRACES_SAMPLER_ARG: '7',
      }),
    });
    try {
      const port = (await app.waitForLine(/listening (\d+)/))[1]!;
      assert.equal(await get(port, '/ok'), 200);
      await receiver.waitFor(() => receiver.spans.some((span) => span.attributes['url.path'] === '/ok'));
      const span = receiver.spans.find((s) => s.attributes['url.path'] === '/ok');
      assert.equal(span?.resource['deployment.environment.name'], 'test', 'the valid pair is kept');
    } finally {
      app.child.kill('SIGTERM');
    }
    const exit = await app.exited;
    assert.match(exit.stderr, /^faultline: ignoring OTEL_BSP_MAX_QUEUE_SIZE="lots": expected an integer/m);
    assert.match(exit.stderr, /^faultline: ignoring OTEL_EXPORTER_OTLP_PROTOCOL="carrier-pigeon"/m);
    assert.match(exit.stderr, /^faultline: ignoring OTEL_RESOURCE_ATTRIBUTES="=nokey"/m);
    assert.match(exit.stderr, /^faultline: ignoring OTEL_TRACES_SAMPLER_ARG="7"/m);
    const warnings = exit.stderr.split('\n').filter((line) => line.includes('OTEL_BSP_MAX_QUEUE_SIZE'));
    assert.equal(warnings.length, 1, 'one line per problem');
  });

  test('start() and shutdown() from code are idempotent and export', async () => {
    receiver.clear();
    const app = runApp('test/fixtures/preload/programmatic.mjs', { preload: false, env: otlpEnv(receiver.url) });
    const exit = await app.exited;
    assert.equal(exit.code, 0, exit.stderr);
    assert.match(exit.stdout, /shut down/);
    const span = receiver.spans.find((s) => s.attributes['url.path'] === '/programmatic');
    assert.ok(span);
    assert.equal(span.resource['service.name'], 'programmatic-app');
    assert.equal(receiver.spans.filter((s) => s.attributes['url.path'] === '/programmatic' && s.kind === SERVER_KIND).length, 1);
  });
});

describe('switches', () => {
  let receiver: OtlpReceiver;
  before(async () => {
    receiver = await startReceiver();
  });
  after(async () => {
    await receiver.close();
  });

  test('OTEL_SDK_DISABLED=true: the app runs and nothing is exported', async () => {
    receiver.clear();
    const exit = await runApp('test/fixtures/preload/short-lived.mjs', { env: otlpEnv(receiver.url, { OTEL_SDK_DISABLED: 'true' }) }).exited;
    assert.equal(exit.code, 0, exit.stderr);
    assert.match(exit.stdout, /done/);
    assert.equal(receiver.requests.length, 0);
  });

  test('a disabled SDK is not loaded at all; an enabled one is', async () => {
    const run = (extra: Record<string, string>) =>
      runApp('test/fixtures/preload/short-lived.mjs', {
        preload: false,
        nodeArgs: ['--import', './test/fixtures/preload/report-sdk-imports.mjs', '--import', 'faultline/register'],
        env: otlpEnv(receiver.url, extra),
      }).exited;
    const switches: Record<string, string>[] = [{ OTEL_SDK_DISABLED: 'true' }, { FAULTLINE_DISABLED: '1' }];
    for (const disabled of switches) {
      const exit = await run(disabled);
      assert.equal(exit.code, 0, exit.stderr);
      assert.match(exit.stdout, /done/);
      assert.doesNotMatch(exit.stderr, /resolved @opentelemetry\/sdk-/, `${JSON.stringify(disabled)}: ${exit.stderr}`);
    }
    const enabled = await run({});
    assert.equal(enabled.code, 0, enabled.stderr);
    assert.match(enabled.stderr, /resolved @opentelemetry\/sdk-trace/, 'the hook sees the SDK when it is loaded');
  });

  test('the preload and the public entry do not load Node\'s undici at start-up', async () => {
    // An ESM import of node:http builds a facade that reads http's lazy WebSocket getters, which
    // load undici: about 25 ms of start-up. The control run shows the check sees that load.
    const run = async (args: string[]) => {
      const exit = await runApp('test/fixtures/preload/report-undici.mjs', { args, env: otlpEnv(receiver.url) }).exited;
      assert.equal(exit.code, 0, exit.stderr);
      return JSON.parse(exit.stdout.trim().split('\n').at(-1) ?? '') as { undici: boolean };
    };
    assert.deepEqual(await run([]), { undici: false });
    assert.deepEqual(await run(['--import-http']), { undici: true }, 'an ESM import of node:http loads undici');
  });

  test('FAULTLINE_HANDLE_PROCESS_EVENTS=false: SIGTERM ends the process as plain Node does', async () => {
    const app = runApp('test/fixtures/preload/server.mjs', { env: otlpEnv(receiver.url, { FAULTLINE_HANDLE_PROCESS_EVENTS: 'false' }) });
    await app.waitForLine(/listening (\d+)/);
    app.child.kill('SIGTERM');
    const exit = await app.exited;
    assert.equal(exit.code, null);
    assert.equal(exit.signal, 'SIGTERM');
  });
});

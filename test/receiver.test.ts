import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { describe, it } from 'node:test';
import { ROOT_CONTEXT, SeverityNumber, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { OTLPLogExporter as JsonLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as ProtoLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPMetricExporter as JsonMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as ProtoMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { OTLPTraceExporter as JsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { AggregationTemporality, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { startReceiver, type OtlpReceiver, type ReceiverOptions } from '../src/receiver/index.ts';

type Protocol = 'protobuf' | 'json';
const PROTOCOLS: Protocol[] = ['protobuf', 'json'];
const MEDIA: Record<Protocol, string> = { protobuf: 'application/x-protobuf', json: 'application/json' };
const SERVICE = 'receiver-test-service';
const resource = resourceFromAttributes({ 'service.name': SERVICE, 'deployment.environment.name': 'test' });

type TraceExporterConfig = NonNullable<ConstructorParameters<typeof ProtoTraceExporter>[0]>;

async function withReceiver(options: ReceiverOptions, body: (receiver: OtlpReceiver) => Promise<void>): Promise<void> {
  const receiver = await startReceiver(options);
  try {
    await body(receiver);
  } finally {
    await receiver.close();
  }
}

function traceExporter(protocol: Protocol, receiver: OtlpReceiver, extra: Partial<TraceExporterConfig> = {}) {
  const config = { url: `${receiver.url}/v1/traces`, ...extra };
  return protocol === 'protobuf' ? new ProtoTraceExporter(config) : new JsonTraceExporter(config);
}

function nanos(time: readonly [number, number]): string {
  return (BigInt(time[0]) * 1_000_000_000n + BigInt(time[1])).toString();
}

function readable(span: Span): ReadableSpan {
  return span as unknown as ReadableSpan;
}

async function post(url: string, body: string | Uint8Array, headers: Record<string, string>) {
  const response = await fetch(url, { method: 'POST', body, headers });
  return { status: response.status, contentType: response.headers.get('content-type'), body: Buffer.from(await response.arrayBuffer()) };
}

/** Exports a parent SERVER span and a failing child with an exception event and a link, through the real SDK. */
async function exportTwoSpans(protocol: Protocol, receiver: OtlpReceiver, extra: Partial<TraceExporterConfig> = {}) {
  const provider = new TracerProvider({ resource, spanProcessors: [new SimpleSpanProcessor({ exporter: traceExporter(protocol, receiver, extra) })] });
  const tracer = provider.getTracer('receiver-test-scope', '1.2.3');
  const parent = tracer.startSpan('GET /checkout', {
    kind: SpanKind.SERVER,
    attributes: { 'http.request.method': 'GET', 'http.response.status_code': 500, ratio: 0.25, retried: false, tags: ['a', 'b'], big: 2 ** 40 },
  });
  const child = tracer.startSpan(
    'charge card',
    { kind: SpanKind.CLIENT, links: [{ context: parent.spanContext(), attributes: { 'link.reason': 'retry-of' } }] },
    trace.setSpan(ROOT_CONTEXT, parent),
  );
  child.addEvent('exception', { 'exception.type': 'ECONNREFUSED', 'exception.message': 'connect refused', 'exception.escaped': true });
  child.setStatus({ code: SpanStatusCode.ERROR, message: 'card declined' });
  child.setAttribute('error.type', 'ECONNREFUSED');
  child.end();
  parent.end();
  await provider.forceFlush();
  await provider.shutdown();
  return { parent: readable(parent), child: readable(child) };
}

describe('OTLP receiver: traces from the real SDK exporters', () => {
  for (const protocol of PROTOCOLS) {
    it(`decodes spans sent as ${protocol}`, async () => {
      await withReceiver({}, async (receiver) => {
        const { parent, child } = await exportTwoSpans(protocol, receiver);
        await receiver.waitFor(() => receiver.spans.length === 2, { description: 'both spans' });

        assert.ok(receiver.requests.length >= 1);
        for (const request of receiver.requests) {
          assert.equal(request.signal, 'traces');
          assert.equal(request.contentType, MEDIA[protocol]);
          assert.equal(request.encoding, 'identity');
          assert.equal(request.status, 200);
          assert.ok(request.bytes > 0);
        }

        const gotParent = receiver.spans.find((span) => span.name === 'GET /checkout');
        const gotChild = receiver.spans.find((span) => span.name === 'charge card');
        assert.ok(gotParent && gotChild, 'both spans decoded by name');

        assert.equal(gotParent.traceId, parent.spanContext().traceId);
        assert.equal(gotParent.spanId, parent.spanContext().spanId);
        assert.equal(gotParent.parentSpanId, undefined);
        assert.equal(gotParent.kind, 2, 'SERVER is OTLP SpanKind 2');
        assert.deepEqual(gotParent.attributes, {
          'http.request.method': 'GET',
          'http.response.status_code': 500,
          ratio: 0.25,
          retried: false,
          tags: ['a', 'b'],
          big: 2 ** 40,
        });
        assert.equal(gotParent.startTimeUnixNano, nanos(parent.startTime));
        assert.equal(gotParent.endTimeUnixNano, nanos(parent.endTime));
        assert.deepEqual(gotParent.status, { code: 0 });

        assert.equal(gotChild.traceId, child.spanContext().traceId);
        assert.equal(gotChild.spanId, child.spanContext().spanId);
        assert.match(gotChild.traceId, /^[0-9a-f]{32}$/);
        assert.match(gotChild.spanId, /^[0-9a-f]{16}$/);
        assert.equal(gotChild.parentSpanId, parent.spanContext().spanId);
        assert.equal(gotChild.kind, 3, 'CLIENT is OTLP SpanKind 3');
        assert.deepEqual(gotChild.status, { code: 2, message: 'card declined' });
        assert.equal(gotChild.attributes['error.type'], 'ECONNREFUSED');
        assert.equal(gotChild.events.length, 1);
        assert.deepEqual(gotChild.events[0], {
          name: 'exception',
          timeUnixNano: nanos(child.events[0]?.time ?? [0, 0]),
          attributes: { 'exception.type': 'ECONNREFUSED', 'exception.message': 'connect refused', 'exception.escaped': true },
        });
        assert.deepEqual(gotChild.links, [
          { traceId: parent.spanContext().traceId, spanId: parent.spanContext().spanId, attributes: { 'link.reason': 'retry-of' } },
        ]);

        for (const span of [gotParent, gotChild]) {
          assert.equal(span.resource['service.name'], SERVICE);
          assert.equal(span.resource['deployment.environment.name'], 'test');
          assert.deepEqual(span.scope, { name: 'receiver-test-scope', version: '1.2.3' });
        }
      });
    });

    it(`decodes gzip-compressed spans sent as ${protocol}`, async () => {
      await withReceiver({}, async (receiver) => {
        const gzip = 'gzip' as TraceExporterConfig['compression'];
        const { child } = await exportTwoSpans(protocol, receiver, { compression: gzip });
        await receiver.waitFor(() => receiver.spans.length === 2);
        assert.ok(receiver.requests.every((request) => request.encoding === 'gzip' && request.contentType === MEDIA[protocol]));
        assert.equal(receiver.spans.find((span) => span.name === 'charge card')?.spanId, child.spanContext().spanId);
      });
    });
  }

  it('emits each decoded batch to live listeners, and a throwing listener breaks nothing', async () => {
    await withReceiver({}, async (receiver) => {
      const seen: string[] = [];
      receiver.on('spans', (spans) => {
        for (const span of spans) seen.push(span.name);
      });
      receiver.on('spans', () => {
        throw new Error('listener bug');
      });
      const { child } = await exportTwoSpans('json', receiver);
      await receiver.waitFor(() => seen.length === 2);
      assert.deepEqual(seen.sort(), ['GET /checkout', 'charge card']);
      assert.equal(receiver.spans.find((span) => span.name === 'charge card')?.spanId, child.spanContext().spanId);
      assert.ok(receiver.requests.every((request) => request.status === 200));
    });
  });
});

describe('OTLP receiver: metrics from the real SDK exporters', () => {
  for (const protocol of PROTOCOLS) {
    it(`decodes counters, histograms and gauges sent as ${protocol}`, async () => {
      await withReceiver({}, async (receiver) => {
        const exporter =
          protocol === 'protobuf'
            ? new ProtoMetricExporter({ url: `${receiver.url}/v1/metrics` })
            : new JsonMetricExporter({ url: `${receiver.url}/v1/metrics` });
        // A long interval: exports happen only when the test flushes.
        const provider = new MeterProvider({ resource, readers: [new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 600_000 })] });
        const meter = provider.getMeter('receiver-test-meter', '4.5.6');
        const errors = meter.createCounter('app.errors', { unit: '{error}', description: 'Errors recorded' });
        const latency = meter.createHistogram('checkout.duration', { unit: 'ms' });
        meter.createObservableGauge('queue.depth').addCallback((result) => {
          result.observe(7, { queue: 'payments' });
        });

        errors.add(2, { 'error.type': 'ECONNREFUSED', 'error.handled': true });
        errors.add(3, { 'error.type': 'ECONNREFUSED', 'error.handled': true });
        errors.add(1, { 'error.type': 'CardDeclined', 'error.handled': false });
        latency.record(4);
        latency.record(12);
        latency.record(30);
        await provider.forceFlush();
        await receiver.waitFor(() => receiver.metrics.some((point) => point.name === 'queue.depth'), { description: 'the first export' });

        assert.ok(receiver.requests.every((request) => request.signal === 'metrics' && request.contentType === MEDIA[protocol]));
        const counterPoint = receiver.metrics.find((point) => point.name === 'app.errors' && point.attributes['error.type'] === 'ECONNREFUSED');
        assert.ok(counterPoint);
        assert.equal(counterPoint.type, 'sum');
        assert.equal(counterPoint.isMonotonic, true);
        assert.equal(counterPoint.temporality, 'cumulative');
        assert.equal(counterPoint.unit, '{error}');
        assert.equal(counterPoint.description, 'Errors recorded');
        assert.equal(counterPoint.value, 5);
        assert.deepEqual(counterPoint.attributes, { 'error.type': 'ECONNREFUSED', 'error.handled': true });
        assert.equal(counterPoint.resource['service.name'], SERVICE);
        assert.deepEqual(counterPoint.scope, { name: 'receiver-test-meter', version: '4.5.6' });
        assert.match(counterPoint.timeUnixNano, /^\d{19}$/);
        assert.ok(BigInt(counterPoint.startTimeUnixNano) <= BigInt(counterPoint.timeUnixNano));

        assert.equal(receiver.latestSum('app.errors', { 'error.type': 'ECONNREFUSED' }), 5);
        assert.equal(receiver.latestSum('app.errors', { 'error.type': 'CardDeclined', 'error.handled': false }), 1);
        assert.equal(receiver.latestSum('app.errors'), 6);
        assert.equal(receiver.latestSum('app.errors', { 'error.type': 'NoSuchType' }), 0);

        const histogram = receiver.metrics.find((point) => point.name === 'checkout.duration');
        assert.ok(histogram);
        assert.equal(histogram.type, 'histogram');
        assert.equal(histogram.temporality, 'cumulative');
        assert.equal(histogram.count, 3);
        assert.equal(histogram.sum, 46);
        assert.equal(histogram.min, 4);
        assert.equal(histogram.max, 30);
        assert.equal(histogram.bucketCounts?.reduce((total, count) => total + count, 0), 3);
        assert.equal(histogram.bucketCounts.length, (histogram.explicitBounds?.length ?? 0) + 1);

        const gauge = receiver.metrics.find((point) => point.name === 'queue.depth');
        assert.equal(gauge?.type, 'gauge');
        assert.equal(gauge.value, 7);
        assert.deepEqual(gauge.attributes, { queue: 'payments' });

        // Cumulative exports repeat the running total: the latest point per series counts, not their sum.
        errors.add(4, { 'error.type': 'ECONNREFUSED', 'error.handled': true });
        await provider.forceFlush();
        await receiver.waitFor(() => receiver.latestSum('app.errors', { 'error.type': 'ECONNREFUSED' }) === 9, {
          description: 'the second cumulative export',
        });
        assert.equal(receiver.latestSum('app.errors'), 10);
        await provider.shutdown();
      });
    });
  }

  it('sums the deltas of a delta-temporality counter', async () => {
    await withReceiver({}, async (receiver) => {
      const exporter = new ProtoMetricExporter({ url: `${receiver.url}/v1/metrics`, temporalityPreference: AggregationTemporality.DELTA });
      const provider = new MeterProvider({ resource, readers: [new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 600_000 })] });
      const counter = provider.getMeter('delta-meter').createCounter('jobs.done');
      counter.add(2);
      await provider.forceFlush();
      counter.add(5);
      await provider.forceFlush();
      await receiver.waitFor(() => receiver.metrics.filter((point) => point.name === 'jobs.done').length === 2);
      assert.ok(receiver.metrics.every((point) => point.temporality === 'delta'));
      assert.equal(receiver.latestSum('jobs.done'), 7);
      await provider.shutdown();
    });
  });
});

describe('OTLP receiver: logs from the real SDK exporters', () => {
  for (const protocol of PROTOCOLS) {
    it(`decodes log records sent as ${protocol}`, async () => {
      await withReceiver({}, async (receiver) => {
        const exporter =
          protocol === 'protobuf'
            ? new ProtoLogExporter({ url: `${receiver.url}/v1/logs` })
            : new JsonLogExporter({ url: `${receiver.url}/v1/logs` });
        const provider = new LoggerProvider({ resource, processors: [new SimpleLogRecordProcessor({ exporter })] });
        const logger = provider.getLogger('receiver-test-logger', '0.1.0');
        // A span only to give the log record a context; it is not exported anywhere.
        const tracerProvider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter: new InMemorySpanExporter() })] });
        const span = tracerProvider.getTracer('log-context').startSpan('handler');

        logger.emit({
          timestamp: 1_700_000_000_123,
          severityNumber: SeverityNumber.ERROR,
          severityText: 'error',
          body: { msg: 'payment failed', err: { type: 'CardDeclined', code: 402 }, notes: ['retry later', 'card ending 42'] },
          attributes: { 'error.type': 'CardDeclined', attempt: 2 },
          context: trace.setSpan(ROOT_CONTEXT, span),
        });
        logger.emit({ severityNumber: SeverityNumber.INFO, severityText: 'info', body: 'server started' });
        span.end();
        await provider.forceFlush();
        await receiver.waitFor(() => receiver.logs.length === 2, { description: 'both log records' });

        assert.ok(receiver.requests.every((request) => request.signal === 'logs' && request.contentType === MEDIA[protocol]));
        const failure = receiver.logs.find((log) => log.severityText === 'error');
        assert.ok(failure);
        assert.equal(failure.severityNumber, 17);
        assert.equal(failure.timeUnixNano, '1700000000123000000');
        assert.match(failure.observedTimeUnixNano, /^\d{19}$/);
        assert.deepEqual(failure.body, { msg: 'payment failed', err: { type: 'CardDeclined', code: 402 }, notes: ['retry later', 'card ending 42'] });
        assert.deepEqual(failure.attributes, { 'error.type': 'CardDeclined', attempt: 2 });
        assert.equal(failure.traceId, span.spanContext().traceId);
        assert.equal(failure.spanId, span.spanContext().spanId);
        assert.equal(failure.flags & 0xff, span.spanContext().traceFlags);
        assert.equal(failure.resource['service.name'], SERVICE);
        assert.deepEqual(failure.scope, { name: 'receiver-test-logger', version: '0.1.0' });

        const startup = receiver.logs.find((log) => log.severityText === 'info');
        assert.ok(startup);
        assert.equal(startup.severityNumber, 9);
        assert.equal(startup.body, 'server started');
        assert.equal(startup.traceId, undefined, 'a record outside any span has no trace id');
        assert.equal(startup.spanId, undefined);

        await provider.shutdown();
        await tracerProvider.shutdown();
      });
    });
  }
});

describe('OTLP receiver: HTTP contract', () => {
  const spanJson = (traceId: string) =>
    JSON.stringify({
      resourceSpans: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'hand-made' } }] },
          scopeSpans: [
            {
              scope: { name: 'manual' },
              spans: [
                {
                  traceId,
                  spanId: '00f067aa0ba902b7',
                  name: 'hand-made span',
                  kind: 'SPAN_KIND_SERVER',
                  start_time_unix_nano: 'RAW_INT64',
                  endTimeUnixNano: '1700000000000000999',
                  attributes: [
                    { key: 'big', value: { intValue: '9007199254740993' } },
                    { key: 'blob', value: { bytesValue: Buffer.from([0xde, 0xad]).toString('base64') } },
                    { key: '__proto__', value: { stringValue: 'plain data' } },
                    { key: 'empty', value: {} },
                  ],
                  unknownFutureField: { anything: true },
                },
              ],
            },
          ],
        },
      ],
      // A JSON number past 2^53, written as the digits a non-JS exporter would send.
    }).replace('"RAW_INT64"', '1700000000000000001');

  it('answers an empty success response in the request\'s own content type', async () => {
    await withReceiver({}, async (receiver) => {
      const json = await post(`${receiver.url}/v1/traces`, spanJson('4bf92f3577b34da6a3ce929d0e0e4736'), { 'content-type': 'application/json; charset=utf-8' });
      assert.equal(json.status, 200);
      assert.equal(json.contentType, 'application/json');
      assert.deepEqual(JSON.parse(json.body.toString()), {});

      const proto = await post(`${receiver.url}/v1/logs`, new Uint8Array(0), { 'content-type': 'application/x-protobuf' });
      assert.equal(proto.status, 200);
      assert.equal(proto.contentType, 'application/x-protobuf');
      assert.equal(proto.body.length, 0, 'an empty ExportLogsServiceResponse encodes to zero bytes');
    });
  });

  it('keeps the headers of each request, names lowercased', async () => {
    await withReceiver({}, async (receiver) => {
      const answer = await post(`${receiver.url}/v1/logs`, new Uint8Array(0), { 'content-type': 'application/x-protobuf', 'X-Api-Key': 'k-1', authorization: 'Bearer t' });
      assert.equal(answer.status, 200);
      const headers = receiver.requests[0]?.headers;
      assert.equal(headers?.['x-api-key'], 'k-1');
      assert.equal(headers?.authorization, 'Bearer t');
      assert.equal(headers?.['content-type'], 'application/x-protobuf');
    });
  });

  it('reads the OTLP/JSON mapping: hex ids, enum names, snake_case names, int64 as numbers or strings, bytes as base64', async () => {
    await withReceiver({}, async (receiver) => {
      const response = await post(`${receiver.url}/v1/traces`, spanJson('4BF92F3577B34DA6A3CE929D0E0E4736'), { 'content-type': 'application/json' });
      assert.equal(response.status, 200);
      const [span] = receiver.spans;
      assert.ok(span);
      assert.equal(span.traceId, '4bf92f3577b34da6a3ce929d0e0e4736', 'ids come out lowercase');
      assert.equal(span.spanId, '00f067aa0ba902b7');
      assert.equal(span.kind, 2);
      assert.equal(span.startTimeUnixNano, '1700000000000000001', 'an int64 sent as a JSON number keeps every digit');
      assert.equal(span.endTimeUnixNano, '1700000000000000999');
      assert.equal(span.attributes.big, '9007199254740993', 'an unsafe int64 stays an exact string');
      assert.equal(span.attributes.blob, 'dead');
      assert.equal(Object.getPrototypeOf(span.attributes), Object.prototype);
      assert.equal(span.attributes['__proto__'], 'plain data');
      assert.equal(span.attributes.empty, null);
      assert.deepEqual(span.resource, { 'service.name': 'hand-made' });
      assert.deepEqual(span.scope, { name: 'manual', version: '' });
    });
  });

  it('decodes a gzip body and refuses one that inflates past the size bound', async () => {
    await withReceiver({ maxBodyBytes: 64 * 1024 }, async (receiver) => {
      const ok = await post(`${receiver.url}/v1/traces`, gzipSync(spanJson('4bf92f3577b34da6a3ce929d0e0e4736')), {
        'content-type': 'application/json',
        'content-encoding': 'gzip',
      });
      assert.equal(ok.status, 200);
      assert.equal(receiver.spans[0]?.name, 'hand-made span');

      const bomb = gzipSync(Buffer.alloc(1024 * 1024, ' '));
      assert.ok(bomb.length < 64 * 1024);
      const refused = await post(`${receiver.url}/v1/traces`, bomb, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      assert.equal(refused.status, 413);
      assert.equal(receiver.spans.length, 1);
    });
  });

  it('answers 400 to undecodable bodies and keeps working', async () => {
    await withReceiver({}, async (receiver) => {
      const cases: [string, string | Uint8Array, Record<string, string>][] = [
        ['/v1/traces', '{"resourceSpans": [', { 'content-type': 'application/json' }],
        ['/v1/traces', '[1, 2, 3]', { 'content-type': 'application/json' }],
        ['/v1/traces', '{"resourceSpans": "nope"}', { 'content-type': 'application/json' }],
        ['/v1/traces', spanJson('not-hex-at-all'), { 'content-type': 'application/json' }],
        // A length-delimited field that claims far more bytes than follow.
        ['/v1/traces', new Uint8Array([0x0a, 0xff, 0xff, 0xff, 0x0f, 0x01]), { 'content-type': 'application/x-protobuf' }],
        ['/v1/metrics', new Uint8Array([0x0a, 0x05, 0x01]), { 'content-type': 'application/x-protobuf' }],
        ['/v1/logs', Buffer.from('definitely not gzip'), { 'content-type': 'application/json', 'content-encoding': 'gzip' }],
      ];
      for (const [path, body, headers] of cases) {
        const response = await post(`${receiver.url}${path}`, body, headers);
        assert.equal(response.status, 400, `${path} ${String(body).slice(0, 40)}`);
        if (headers['content-type'] === 'application/json') {
          const status = JSON.parse(response.body.toString()) as { code: number; message: string };
          assert.equal(status.code, 3, 'google.rpc.Code INVALID_ARGUMENT');
          assert.ok(status.message.length > 0);
        }
      }
      assert.equal(receiver.spans.length + receiver.logs.length + receiver.metrics.length, 0);

      const { child } = await exportTwoSpans('protobuf', receiver);
      await receiver.waitFor(() => receiver.spans.some((span) => span.spanId === child.spanContext().spanId));
    });
  });

  it('answers 415 to unknown content types and encodings, 404 to other paths, 405 to other methods, 413 past the bound', async () => {
    await withReceiver({ maxBodyBytes: 1024 }, async (receiver) => {
      assert.equal((await post(`${receiver.url}/v1/traces`, 'hello', { 'content-type': 'text/plain' })).status, 415);
      assert.equal((await post(`${receiver.url}/v1/traces`, '{}', {})).status, 415);
      assert.equal((await post(`${receiver.url}/v1/traces`, '{}', { 'content-type': 'application/json', 'content-encoding': 'br' })).status, 415);
      assert.equal((await post(`${receiver.url}/v1/profiles`, '{}', { 'content-type': 'application/json' })).status, 404);
      assert.equal((await post(`${receiver.url}/`, '{}', { 'content-type': 'application/json' })).status, 404);
      assert.equal((await fetch(`${receiver.url}/v1/traces`)).status, 405);
      assert.equal((await post(`${receiver.url}/v1/traces`, 'x'.repeat(4096), { 'content-type': 'application/json' })).status, 413);
      assert.equal((await post(`${receiver.url}/v1/traces`, '{}', { 'content-type': 'application/json' })).status, 200, 'still serving');
      assert.deepEqual(
        receiver.requests.map((request) => request.status),
        [415, 415, 415, 413, 200],
        'requests on signal paths are recorded with their answer',
      );
    });
  });

  it("'error' mode answers 503 and keeps nothing; switching back to 'ok' receives again", async () => {
    await withReceiver({ mode: 'error' }, async (receiver) => {
      const refused = await post(`${receiver.url}/v1/traces`, spanJson('4bf92f3577b34da6a3ce929d0e0e4736'), { 'content-type': 'application/json' });
      assert.equal(refused.status, 503);
      assert.equal((JSON.parse(refused.body.toString()) as { code: number }).code, 14, 'google.rpc.Code UNAVAILABLE');
      assert.equal(receiver.spans.length, 0);
      assert.equal(receiver.requests[0]?.status, 503);

      receiver.setMode('ok');
      const accepted = await post(`${receiver.url}/v1/traces`, spanJson('4bf92f3577b34da6a3ce929d0e0e4736'), { 'content-type': 'application/json' });
      assert.equal(accepted.status, 200);
      assert.equal(receiver.spans.length, 1);
    });
  });

  it("'hang' mode reads requests and never answers, so a real exporter's export fails", async () => {
    const receiver = await startReceiver({ mode: 'hang' });
    let settled = false;
    const pending = fetch(`${receiver.url}/v1/traces`, {
      method: 'POST',
      body: spanJson('4bf92f3577b34da6a3ce929d0e0e4736'),
      headers: { 'content-type': 'application/json' },
    }).finally(() => {
      settled = true;
    });
    pending.catch(() => undefined);
    try {
      await receiver.waitFor(() => receiver.requests.length === 1, { description: 'the held request to arrive' });
      assert.equal(receiver.requests[0]?.status, undefined);
      assert.ok((receiver.requests[0]?.bytes ?? 0) > 0);

      const exporter = new ProtoTraceExporter({ url: `${receiver.url}/v1/traces`, timeoutMillis: 500 });
      const provider = new TracerProvider({ resource, spanProcessors: [new SimpleSpanProcessor({ exporter: new InMemorySpanExporter() })] });
      const span = provider.getTracer('hang').startSpan('never delivered');
      span.end();
      const result = await new Promise<ExportResult>((resolve) => {
        exporter.export([readable(span)], resolve);
      });
      assert.equal(result.code, ExportResultCode.FAILED);
      await exporter.shutdown();
      await provider.shutdown();

      assert.equal(settled, false, 'the first request is still without an answer');
      assert.equal(receiver.spans.length, 0);
    } finally {
      await receiver.close();
    }
    await assert.rejects(pending, 'closing the receiver drops the held connection');
  });

  it('waitFor rejects with a message that says what was waited for and what arrived', async () => {
    await withReceiver({}, async (receiver) => {
      await post(`${receiver.url}/v1/traces`, spanJson('4bf92f3577b34da6a3ce929d0e0e4736'), { 'content-type': 'application/json' });
      await assert.rejects(
        receiver.waitFor(() => receiver.spans.some((span) => span.name === 'never sent'), { timeoutMs: 200, description: 'a span that never comes' }),
        (error: Error) => {
          assert.match(error.message, /timed out after 200 ms waiting for a span that never comes/);
          assert.match(error.message, /1 spans, 0 log records, 0 metric points/);
          assert.match(error.message, /never sent/);
          return true;
        },
      );
    });
  });

  it('clear() forgets what was received', async () => {
    await withReceiver({}, async (receiver) => {
      await post(`${receiver.url}/v1/traces`, spanJson('4bf92f3577b34da6a3ce929d0e0e4736'), { 'content-type': 'application/json' });
      assert.equal(receiver.spans.length, 1);
      receiver.clear();
      assert.equal(receiver.spans.length, 0);
      assert.equal(receiver.requests.length, 0);
    });
  });
});

describe('OTLP receiver CLI', () => {
  it('prints one line per received span and log record', async () => {
    const cli = fileURLToPath(new URL('../src/receiver/cli.ts', import.meta.url));
    const child = spawn(process.execPath, [cli, '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      output += chunk;
    });
    const exited = once(child, 'exit');
    try {
      const until = async (pattern: RegExp, what: string) => {
        for (let waited = 0; !pattern.test(output); waited += 50) {
          if (waited > 20_000 || child.exitCode !== null) assert.fail(`CLI never printed ${what}; output so far:\n${output}`);
          await delay(50);
        }
        return pattern.exec(output);
      };
      const url = (await until(/listening on (http:\/\/127\.0\.0\.1:\d+)/, 'its address'))?.[1];
      assert.ok(url !== undefined);

      const provider = new TracerProvider({ resource, spanProcessors: [new SimpleSpanProcessor({ exporter: new JsonTraceExporter({ url: `${url}/v1/traces` }) })] });
      const span = provider.getTracer('cli').startSpan('cli span');
      span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
      await provider.shutdown();
      const line = (await until(/^span .*"cli span".*$/m, 'the span line'))?.[0] ?? '';
      assert.ok(line.includes(SERVICE));
      assert.ok(line.includes('ERROR'));
      assert.ok(line.includes(`trace=${span.spanContext().traceId}`));

      const loggers = new LoggerProvider({ resource, processors: [new SimpleLogRecordProcessor({ exporter: new ProtoLogExporter({ url: `${url}/v1/logs` }) })] });
      loggers.getLogger('cli').emit({ severityText: 'WARN', severityNumber: SeverityNumber.WARN, body: 'disk almost full' });
      await loggers.shutdown();
      await until(/^log receiver-test-service WARN disk almost full$/m, 'the log line');
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
    assert.equal(child.exitCode, 0);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { context, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, TraceFlags } from '@opentelemetry/api';
import { TraceState } from '@opentelemetry/core';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { encodeTraceExportRequest } from '../../src/export/otlp-trace-encoder.ts';

// faultline's span encoder replaces the SDK's serializer on the export path; whatever a span holds,
// a Collector must receive exactly what the SDK would have sent.

function spansOf(record: (provider: TracerProvider) => void, resourceAttributes: Record<string, string | number> = { 'service.name': 'encoder-test' }): ReadableSpan[] {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({
    resource: resourceFromAttributes(resourceAttributes),
    spanProcessors: [new SimpleSpanProcessor({ exporter })],
    spanLimits: { attributeValueLengthLimit: 100_000 },
  });
  record(provider);
  return exporter.getFinishedSpans();
}

function assertSameBytes(spans: ReadableSpan[]): void {
  const expected = Buffer.from(ProtobufTraceSerializer.serializeRequest(spans) ?? new Uint8Array());
  const actual = Buffer.from(encodeTraceExportRequest(spans));
  assert.ok(expected.length > 0);
  assert.equal(actual.toString('hex'), expected.toString('hex'));
}

describe('OTLP span encoding', () => {
  it('writes the same bytes as the SDK for every attribute type', () => {
    const spans = spansOf((provider) => {
      const span = provider.getTracer('types', '1.2.3').startSpan('GET /orders/:id', {
        kind: SpanKind.SERVER,
        attributes: {
          ascii: 'hello',
          unicode: 'zürich — 東京 🚀',
          lone: 'broken \ud800 surrogate',
          empty: '',
          long: 'x'.repeat(200),
          longer: 'y'.repeat(20_000),
          yes: true,
          no: false,
          zero: 0,
          small: 42,
          negative: -7,
          big: 2 ** 40 + 3,
          huge: Number.MAX_SAFE_INTEGER,
          veryNegative: -(2 ** 45),
          fraction: 3.25,
          nan: Number.NaN,
          infinite: Number.POSITIVE_INFINITY,
          strings: ['a', 'ü', ''],
          numbers: [1, -2, 3.5],
          flags: [true, false],
          holes: ['a', null as unknown as string, undefined as unknown as string],
        },
      });
      span.end();
    });
    assertSameBytes(spans);
  });

  it('writes the same bytes for events, links, trace state, status and parents', () => {
    const spans = spansOf((provider) => {
      const tracer = provider.getTracer('shapes');
      const remoteParent = trace.setSpanContext(ROOT_CONTEXT, {
        traceId: '0af7651916cd43dd8448eb211c80319c',
        spanId: 'b7ad6b7169203331',
        traceFlags: TraceFlags.SAMPLED,
        isRemote: true,
        traceState: new TraceState('vendor=abc,other=1'),
      });
      const server = tracer.startSpan('server', { kind: SpanKind.SERVER }, remoteParent);
      const local = trace.setSpan(ROOT_CONTEXT, server);
      const child = tracer.startSpan(
        'db query',
        {
          kind: SpanKind.CLIENT,
          links: [
            { context: { traceId: 'ffffffffffffffffffffffffffffffff', spanId: '00000000000000ab', traceFlags: TraceFlags.NONE, isRemote: false } },
            {
              context: { traceId: '0123456789ABCDEF0123456789abcdef', spanId: 'ABCDEF0123456789', traceFlags: TraceFlags.SAMPLED, traceState: new TraceState('k=v') },
              attributes: { 'link.reason': 'retry', attempt: 2 },
            },
          ],
        },
        local,
      );
      child.addEvent('exception', { 'exception.type': 'DeadlockError', 'exception.message': 'deadlock detected', 'exception.stacktrace': `Error\n${'    at frame (file.js:1:1)\n'.repeat(400)}` });
      child.addEvent('plain');
      child.setStatus({ code: SpanStatusCode.ERROR, message: 'deadlock detected' });
      child.end();
      const internal = tracer.startSpan('internal', {}, local);
      internal.setStatus({ code: SpanStatusCode.OK });
      internal.end();
      for (const kind of [SpanKind.PRODUCER, SpanKind.CONSUMER]) tracer.startSpan(`kind ${kind}`, { kind }, local).end();
      server.end();
      context.disable();
    });
    assert.equal(spans.length, 5);
    assertSameBytes(spans);
  });

  it('groups many spans by resource and scope like the SDK', () => {
    const first = spansOf((provider) => {
      for (let i = 0; i < 300; i += 1) provider.getTracer(i % 2 === 0 ? 'even' : 'odd', '0.0.1').startSpan(`span ${i}`, { attributes: { i } }).end();
    });
    const second = spansOf(
      (provider) => {
        provider.getTracer('other').startSpan('from another resource').end();
      },
      { 'service.name': 'second', 'host.id': 'abc', 'process.pid': 4242 },
    );
    assertSameBytes([...first.slice(0, 150), ...second, ...first.slice(150)]);
  });

  it('returns an independent copy each time, so a retried export still sends its own bytes', () => {
    const spans = spansOf((provider) => {
      provider.getTracer('copies').startSpan('one').end();
      provider.getTracer('copies').startSpan('two, a longer name').end();
    });
    const one = encodeTraceExportRequest([spans[0]!]);
    const before = Buffer.from(one).toString('hex');
    encodeTraceExportRequest([spans[1]!]);
    assert.equal(Buffer.from(one).toString('hex'), before);
  });
});

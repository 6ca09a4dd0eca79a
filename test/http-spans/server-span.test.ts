import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ROOT_CONTEXT, type Span, SpanKind, SpanStatusCode, trace, TraceFlags } from '@opentelemetry/api';
import { TraceState } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AlwaysOffSampler, AlwaysOnSampler, ParentBasedSampler, type ReadableSpan, type Sampler, type SpanProcessor, TraceIdRatioBasedSampler } from '@opentelemetry/sdk-trace';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { recordError } from '../../src/errors/record-error.ts';
import type { BatchExporter } from '../../src/export/batch-queue.ts';
import type { SealedBatch } from '../../src/export/batches.ts';
import { EncodedSpanBatch } from '../../src/export/otlp-trace-encoder.ts';
import { type EffectiveSpanLimits, startServerSpan } from '../../src/http-spans/server-span.ts';
import { processorsConsumeSpansAtEnd, QueuedSpanProcessor } from '../../src/export/span-processor.ts';

// HTTP server spans are made outside the SDK's Tracer, for speed; everything an app or a
// processor can observe must behave as it does on an SDK span.

const LIMITS: EffectiveSpanLimits = { attributeValueLengthLimit: 50, attributeCountLimit: 12, linkCountLimit: 2, eventCountLimit: 3, attributePerEventCountLimit: 4, attributePerLinkCountLimit: 1 };

function harness(sampler: Sampler = new ParentBasedSampler({ root: new AlwaysOnSampler() })) {
  const started: Span[] = [];
  const ended: ReadableSpan[] = [];
  const processor: SpanProcessor = {
    onStart: (span) => started.push(span),
    onEnd: (span) => ended.push(span),
    forceFlush: () => Promise.resolve(),
    shutdown: () => Promise.resolve(),
  };
  const settings = { sampler, processors: [processor], resource: resourceFromAttributes({ 'service.name': 'server-span-test' }), scope: { name: 'faultline' }, limits: LIMITS };
  return { settings, started, ended, start: (attributes = {}, parent = ROOT_CONTEXT) => startServerSpan(settings, 'GET', { 'http.request.method': 'GET', ...attributes }, parent) };
}

describe('HTTP server spans', () => {
  it('start a new trace with valid random IDs, reach the processors once, and time themselves', async () => {
    const { start, started, ended } = harness();
    const before = Date.now();
    const span = start();
    await new Promise((resolve) => setTimeout(resolve, 20));
    span.end();
    span.end();
    const context = span.spanContext();
    assert.match(context.traceId, /^[0-9a-f]{32}$/);
    assert.match(context.spanId, /^[0-9a-f]{16}$/);
    assert.ok(trace.isSpanContextValid(context));
    assert.equal(context.traceFlags, TraceFlags.SAMPLED);
    assert.equal(started.length, 1);
    assert.equal(ended.length, 1, 'ending twice reports once');
    const readable = ended[0]!;
    assert.equal(readable.kind, SpanKind.SERVER);
    assert.equal(readable.parentSpanContext, undefined);
    const startMs = readable.startTime[0] * 1000 + readable.startTime[1] / 1e6;
    assert.ok(Math.abs(startMs - before) < 50, `start time ${startMs} vs ${before}`);
    const durationMs = readable.duration[0] * 1000 + readable.duration[1] / 1e6;
    assert.ok(durationMs >= 19 && durationMs < 1000, `duration ${durationMs}`);
    assert.deepEqual(new Set([...Array.from({ length: 200 }, () => start().spanContext().spanId)]).size, 200);
  });

  it('continue a remote parent, with its trace state', () => {
    const { start, ended } = harness();
    const parent = trace.setSpanContext(ROOT_CONTEXT, {
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: '00f067aa0ba902b7',
      traceFlags: TraceFlags.SAMPLED,
      isRemote: true,
      traceState: new TraceState('vendor=1'),
    });
    start({}, parent).end();
    const span = ended[0]!;
    assert.equal(span.spanContext().traceId, '4bf92f3577b34da6a3ce929d0e0e4736');
    assert.equal(span.parentSpanContext?.spanId, '00f067aa0ba902b7');
    assert.equal(span.parentSpanContext?.isRemote, true);
    assert.equal(span.spanContext().traceState?.serialize(), 'vendor=1');
  });

  it('follow the configured sampler: an unsampled parent or always_off gives a non-recording span', () => {
    const parentBased = harness();
    const unsampledParent = trace.setSpanContext(ROOT_CONTEXT, { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: TraceFlags.NONE, isRemote: true });
    const child = parentBased.start({}, unsampledParent);
    assert.equal(child.isRecording(), false);
    assert.equal(child.spanContext().traceId, '4bf92f3577b34da6a3ce929d0e0e4736', 'the trace still propagates');
    child.end();
    assert.equal(parentBased.started.length, 0);

    const off = harness(new AlwaysOffSampler());
    off.start().end();
    assert.equal(off.ended.length, 0);

    const ratio = harness(new TraceIdRatioBasedSampler(0.5));
    for (let i = 0; i < 400; i += 1) ratio.start().end();
    assert.ok(ratio.ended.length > 120 && ratio.ended.length < 280, `${ratio.ended.length} of 400 sampled at 0.5`);
  });

  it('apply the span limits to their own and the app attributes, events and links', () => {
    const { start, ended } = harness();
    const span = start({ 'user_agent.original': 'u'.repeat(80) });
    for (let i = 0; i < 20; i += 1) span.setAttribute(`app.field${i}`, i);
    span.setAttribute('app.long', 'x'.repeat(500));
    span.setAttribute('http.request.method', 'POST');
    span.setAttribute('app.bad', { nested: () => 1 } as never);
    for (let i = 0; i < 5; i += 1) span.addEvent(`event ${i}`, { a: 1, b: 2, c: 3, d: 4, e: 5, f: 'y'.repeat(100) });
    span.addLinks([
      { context: { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: 1 } },
      { context: { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203332', traceFlags: 1 } },
      { context: { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203333', traceFlags: 1 }, attributes: { one: 1, two: 2 } },
    ]);
    span.setStatus({ code: SpanStatusCode.OK });
    span.setStatus({ code: SpanStatusCode.ERROR, message: 'too late' });
    span.updateName('GET /orders/:id');
    span.end();
    span.setAttribute('after.end', 1);
    const readable = ended[0]!;
    assert.equal(readable.name, 'GET /orders/:id');
    assert.equal(String(readable.attributes['user_agent.original']).length, 50);
    assert.equal(Object.keys(readable.attributes).length, 12);
    assert.equal(readable.attributes['http.request.method'], 'POST', 'overwriting an attribute is not limited');
    assert.equal(readable.droppedAttributesCount, 12, '10 more app fields, app.long and app.bad came after the count limit');
    assert.equal(readable.attributes['after.end'], undefined);
    assert.deepEqual(readable.events.map((event) => event.name), ['event 2', 'event 3', 'event 4']);
    assert.equal(readable.droppedEventsCount, 2);
    assert.equal(Object.keys(readable.events[0]!.attributes ?? {}).length, 4);
    assert.equal(readable.links.length, 2);
    assert.equal(readable.droppedLinksCount, 1);
    assert.deepEqual(readable.links.map((link) => link.context.spanId), ['b7ad6b7169203332', 'b7ad6b7169203333'], 'the oldest link goes');
    assert.equal(Object.keys(readable.links[1]!.attributes ?? {}).length, 1);
    assert.deepEqual(readable.status, { code: SpanStatusCode.OK }, 'OK is final');
  });

  it('take recorded errors like an SDK span: an exception event and an error status', () => {
    const { start, ended } = harness();
    const span = start();
    recordError(new TypeError('card number missing'), { span, count: false });
    span.recordException('plain text failure');
    span.end();
    const readable = ended[0]!;
    assert.equal(readable.status.code, SpanStatusCode.ERROR);
    const exceptions = readable.events.filter((event) => event.name === 'exception');
    assert.equal(exceptions.length, 2);
    assert.equal(exceptions[0]!.attributes?.['exception.type'], 'TypeError');
    assert.equal(exceptions[1]!.attributes?.['exception.message'], 'plain text failure');
  });

  it('let go of attributes, events and links once every processor has encoded them at end', async () => {
    const sent: Uint8Array[] = [];
    const exporter: BatchExporter<Uint8Array> = {
      export(batch: SealedBatch<Uint8Array>, done: (result: ExportResult) => void) {
        sent.push(batch.payload.slice());
        done({ code: ExportResultCode.SUCCESS });
      },
      shutdown: () => Promise.resolve(),
    };
    const encoding = new QueuedSpanProcessor(exporter, { maxQueueSize: 64, maxBatchSize: 64, delayMillis: 10_000 }, () => new EncodedSpanBatch(), true);
    const holding: ReadableSpan[] = [];
    const plain: SpanProcessor = { onStart: () => undefined, onEnd: (span) => holding.push(span), forceFlush: () => Promise.resolve(), shutdown: () => Promise.resolve() };
    assert.equal(processorsConsumeSpansAtEnd([encoding]), true);
    assert.equal(processorsConsumeSpansAtEnd([encoding, plain]), false, 'a processor that may read the span later keeps it whole');
    assert.equal(processorsConsumeSpansAtEnd([new QueuedSpanProcessor(exporter, { maxQueueSize: 64, maxBatchSize: 64, delayMillis: 10_000 }, () => new EncodedSpanBatch())]), false);

    const base = { sampler: new AlwaysOnSampler(), resource: resourceFromAttributes({ 'service.name': 'server-span-test' }), scope: { name: 'faultline' }, limits: LIMITS };
    const released = startServerSpan({ ...base, processors: [encoding], releaseEndedSpans: true }, 'GET', { 'url.path': '/released-path' }, ROOT_CONTEXT);
    released.addEvent('marker-event', { note: 'event-attribute-value' });
    released.addLink({ context: { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: TraceFlags.SAMPLED } });
    released.setStatus({ code: SpanStatusCode.ERROR, message: 'ORDER_REJECTED: status-description' });
    released.end();
    await encoding.forceFlush();
    const bytes = Buffer.concat(sent);
    for (const text of ['/released-path', 'marker-event', 'event-attribute-value', 'status-description']) assert.ok(bytes.includes(text), `the export carries ${text}`);
    const shell = released as unknown as ReadableSpan;
    assert.deepEqual([Object.keys(shell.attributes).length, shell.events.length, shell.links.length], [0, 0, 0]);
    assert.deepEqual(shell.status, { code: SpanStatusCode.ERROR }, 'the status keeps its code, not its description');
    assert.equal(released.spanContext().traceFlags, TraceFlags.SAMPLED, 'the span context stays readable for correlation');
    released.setAttribute('late', 1);
    released.addEvent('late');
    assert.deepEqual([Object.keys(shell.attributes).length, shell.events.length], [0, 0], 'an ended span takes nothing more');

    const kept = startServerSpan({ ...base, processors: [encoding, plain], releaseEndedSpans: processorsConsumeSpansAtEnd([encoding, plain]) }, 'GET', { 'url.path': '/kept-path' }, ROOT_CONTEXT);
    kept.addEvent('kept-event');
    kept.setStatus({ code: SpanStatusCode.ERROR, message: 'kept-description' });
    kept.end();
    assert.equal(holding[0]!.attributes['url.path'], '/kept-path');
    assert.equal(holding[0]!.status.message, 'kept-description');
    assert.equal(holding[0]!.events[0]!.name, 'kept-event');
    await encoding.shutdown();
  });
});

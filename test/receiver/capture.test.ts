import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { SeverityNumber, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { OTLPLogExporter as JsonLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPMetricExporter as ProtoMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { OTLPTraceExporter as ProtoTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { readCapture, startReceiver } from '../../src/receiver/index.ts';
import { hexId, postJson, tracesRequest } from './otlp-json.ts';
import { runCli } from './receiver-cli.ts';

// The capture file (`--save`): one OTLP/JSON export request per line with its signal, appended as
// requests are accepted, read back by readCapture()/replay()/--load and by the incident tool.

const scratch = mkdtempSync(path.join(os.tmpdir(), 'faultline-capture-'));
after(() => {
  rmSync(scratch, { recursive: true, force: true });
});
let files = 0;
const scratchFile = (name = 'capture.jsonl') => path.join(scratch, `${++files}-${name}`);

const resource = resourceFromAttributes({ 'service.name': 'capture-test', 'service.instance.id': 'capture-1' });

/** Real SDK exports of all three signals: protobuf spans, JSON logs, protobuf metrics. */
async function exportEverySignal(url: string): Promise<void> {
  const tracerProvider = new TracerProvider({ resource, spanProcessors: [new SimpleSpanProcessor({ exporter: new ProtoTraceExporter({ url: `${url}/v1/traces` }) })] });
  const tracer = tracerProvider.getTracer('capture-test', '1.0.0');
  const parent = tracer.startSpan('POST /orders', { kind: SpanKind.SERVER, attributes: { 'http.request.method': 'POST', big: 2 ** 53 + 2, ratio: 0.5, ok: false, tags: ['a', 'b'] } });
  parent.addEvent('exception', { 'exception.type': 'CARD_DECLINED', 'exception.message': 'declined', 'exception.index': 0, 'exception.notes': ['order 1'] });
  parent.setStatus({ code: SpanStatusCode.ERROR, message: 'CARD_DECLINED: declined' });
  parent.end();
  await tracerProvider.shutdown();

  const loggerProvider = new LoggerProvider({ resource, processors: [new SimpleLogRecordProcessor({ exporter: new JsonLogExporter({ url: `${url}/v1/logs` }) })] });
  loggerProvider.getLogger('capture-test').emit({
    severityNumber: SeverityNumber.ERROR,
    severityText: 'error',
    body: { msg: 'charge failed', err: { type: 'CARD_DECLINED' } },
    attributes: { attempt: 2 },
    context: undefined,
  });
  await loggerProvider.shutdown();

  const meterProvider = new MeterProvider({ resource, readers: [new PeriodicExportingMetricReader({ exporter: new ProtoMetricExporter({ url: `${url}/v1/metrics` }), exportIntervalMillis: 60_000 })] });
  const meter = meterProvider.getMeter('faultline');
  meter.createCounter('app.errors').add(3, { 'error.type': 'CARD_DECLINED', 'error.category': 'validation', 'error.handled': true });
  meter.createHistogram('http.server.request.duration', { unit: 's' }).record(0.25, { 'http.route': '/orders' });
  await meterProvider.shutdown();
}

/** A receiver saving to `file` gets one span; returns its trace ID. */
async function saveOneSpan(file: string, name: string): Promise<string> {
  const receiver = await startReceiver({ save: file });
  const traceId = hexId(16);
  try {
    await postJson(receiver.url, '/v1/traces', tracesRequest('svc', [{ traceId, spanId: hexId(8), name, start: Date.now(), end: Date.now() }]));
  } finally {
    await receiver.close();
  }
  return traceId;
}

function lines(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  assert.ok(text.endsWith('\n'), 'the file ends with a whole line');
  return text.slice(0, -1).split('\n');
}

describe('capture file (--save)', () => {
  it('writes one OTLP/JSON line per accepted export request, with its signal, that reads back to the same telemetry', async () => {
    const file = scratchFile();
    const receiver = await startReceiver({ save: file });
    try {
      await exportEverySignal(receiver.url);
      // Refused requests are not part of what was received.
      assert.equal(await postJson(receiver.url, '/v1/traces', '{ not json'), 400);
      assert.equal((await fetch(`${receiver.url}/v1/logs`, { method: 'POST', body: 'x', headers: { 'content-type': 'text/plain' } })).status, 415);
    } finally {
      await receiver.close();
    }
    const accepted = receiver.requests.filter((request) => request.status === 200);
    const written = lines(file);
    assert.equal(written.length, accepted.length, 'one line per accepted request');
    assert.deepEqual(
      written.map((line) => /^\{"signal":"(traces|metrics|logs)",/.exec(line)?.[1]),
      accepted.map((request) => request.signal),
      'each line starts with its signal, in the order the requests were accepted',
    );

    // The OTLP/JSON encoding: lowerCamelCase, hex ids, 64-bit integers as strings, enums as integers.
    const traces = JSON.parse(written.find((line) => line.startsWith('{"signal":"traces"')) ?? '{}') as {
      resourceSpans: { scopeSpans: { spans: { traceId: string; spanId: string; kind: number; startTimeUnixNano: string; attributes: { key: string; value: Record<string, unknown> }[] }[] }[] }[];
    };
    const span = traces.resourceSpans[0]?.scopeSpans[0]?.spans[0];
    assert.ok(span);
    const sent = receiver.spans[0];
    assert.ok(sent);
    assert.equal(span.traceId, sent.traceId);
    assert.match(span.traceId, /^[0-9a-f]{32}$/);
    assert.match(span.spanId, /^[0-9a-f]{16}$/);
    assert.equal(span.kind, 2);
    assert.match(span.startTimeUnixNano, /^\d{19}$/);
    assert.deepEqual(span.attributes.find((attribute) => attribute.key === 'big')?.value, { intValue: String(2 ** 53 + 2) }, 'int64 past 2^53 stays exact, as a string');

    const entries = [];
    for await (const entry of readCapture(file)) entries.push(entry);
    assert.deepEqual(
      entries.map((entry) => [entry.signal, entry.line]),
      accepted.map((request, index) => [request.signal, index + 1]),
    );

    const replayed = await startReceiver();
    try {
      assert.equal(await replayed.replay(file), accepted.length);
      assert.deepEqual(replayed.spans, receiver.spans, 'spans read back from the file equal the spans received');
      assert.deepEqual(replayed.logs, receiver.logs);
      assert.deepEqual(replayed.metrics, receiver.metrics);
      assert.equal(replayed.latestSum('app.errors', { 'error.type': 'CARD_DECLINED' }), 3);
    } finally {
      await replayed.close();
    }
  });

  it('appends to an existing capture, cutting off a partial last line left by a writer stopped mid-line', async () => {
    const file = scratchFile();
    const firstTrace = await saveOneSpan(file, 'first');
    const whole = readFileSync(file, 'utf8');
    writeFileSync(file, `${whole}${whole.slice(0, 40)}`);
    const secondTrace = await saveOneSpan(file, 'second');
    const written = lines(file);
    assert.equal(written.length, 2);
    assert.equal(`${written[0] ?? ''}\n`, whole, 'the whole line before the cut is kept as it was');
    const replayed = await startReceiver();
    try {
      await replayed.replay(file);
      assert.deepEqual(
        replayed.spans.map((span) => span.traceId),
        [firstTrace, secondTrace],
      );
    } finally {
      await replayed.close();
    }
  });

  it('reads lines without a signal member by their top-level key (a Collector file exporter\'s lines), and names a bad line', async () => {
    const file = scratchFile();
    const collectorLine = tracesRequest('svc', [{ traceId: hexId(16), spanId: hexId(8), name: 'from a collector', start: Date.now(), end: Date.now() }]);
    writeFileSync(file, `${collectorLine}\n\n{"signal":"logs","resourceLogs":[]}\n{"resourceSpans":[],"resourceLogs":[]}\n`);
    const seen: string[] = [];
    await assert.rejects(
      async () => {
        for await (const entry of readCapture(file)) seen.push(`${entry.line}:${entry.signal}`);
      },
      (error: Error) => error.name === 'CaptureFormatError' && error.message.startsWith(`${file}:4: `),
    );
    assert.deepEqual(seen, ['1:traces', '3:logs']);
  });

  it('refuses to append to a file that is not a capture file, and leaves it untouched', async () => {
    const file = scratchFile('notes.md');
    writeFileSync(file, '# my notes\nno newline at the end');
    await assert.rejects(startReceiver({ save: file }), /cannot write the capture file .*not a capture file/);
    assert.equal(readFileSync(file, 'utf8'), '# my notes\nno newline at the end');
  });
});

describe('faultline-receiver --save', () => {
  it('killed mid-stream, leaves whole lines with every request it acknowledged', { timeout: 60_000 }, async () => {
    const file = scratchFile();
    const cli = runCli(['--port', '0', '--save', file]);
    const url = (await cli.line(/listening on (http:\/\/127\.0\.0\.1:\d+)/))[1] ?? '';
    const acknowledged = new Set<string>();
    let sending = true;
    // Big requests (about 300 KB each) from several senders at once, until the process is killed.
    const sender = async () => {
      while (sending) {
        const name = `request-${hexId(8)}`;
        const body = tracesRequest('killed', [{ traceId: hexId(16), spanId: hexId(8), name, start: Date.now(), end: Date.now(), attributes: { payload: 'x'.repeat(300_000) } }]);
        try {
          if ((await postJson(url, '/v1/traces', body)) === 200) acknowledged.add(name);
        } catch {
          return;
        }
      }
    };
    const senders = Array.from({ length: 4 }, sender);
    while (acknowledged.size < 40) await new Promise((resolve) => setTimeout(resolve, 10));
    cli.child.kill('SIGKILL');
    await cli.exited;
    sending = false;
    await Promise.all(senders);

    const text = readFileSync(file, 'utf8');
    const wholeLines = text.slice(0, text.lastIndexOf('\n') + 1).split('\n').slice(0, -1);
    const names = new Set(
      wholeLines.map((line) => {
        const parsed = JSON.parse(line) as { signal: string; resourceSpans: { scopeSpans: { spans: { name: string }[] }[] }[] };
        assert.equal(parsed.signal, 'traces');
        return parsed.resourceSpans[0]?.scopeSpans[0]?.spans[0]?.name ?? '';
      }),
    );
    for (const name of acknowledged) assert.ok(names.has(name), `acknowledged ${name} should be a whole line in the file`);
    assert.ok(wholeLines.length >= acknowledged.size);

    // A later --save on the same file goes on appending whole lines, whatever the kill left behind.
    const again = runCli(['--port', '0', '--save', file]);
    const againUrl = (await again.line(/listening on (http:\/\/127\.0\.0\.1:\d+)/))[1] ?? '';
    assert.equal(await postJson(againUrl, '/v1/traces', tracesRequest('after', [{ traceId: hexId(16), spanId: hexId(8), name: 'after the kill', start: Date.now(), end: Date.now() }])), 200);
    again.child.kill('SIGTERM');
    assert.equal((await again.exited).code, 0);
    let count = 0;
    for await (const entry of readCapture(file)) {
      assert.equal(entry.signal, 'traces');
      count += 1;
    }
    assert.equal(count, wholeLines.length + 1);
  });

  it('answers a capture file it cannot write with one line and exit code 2, creating nothing', async () => {
    const directory = path.join(scratch, 'a-directory');
    mkdirSync(directory);
    const missing = path.join(scratch, 'no-such-dir', 'capture.jsonl');
    for (const target of [missing, directory]) {
      const { code, stdout, stderr } = await runCli(['--port', '0', '--save', target]).exited;
      assert.equal(code, 2, stderr);
      assert.equal(stdout, '');
      assert.match(stderr, /^faultline-receiver: cannot write the capture file .+\n$/);
    }
    assert.equal(existsSync(missing), false);
  });
});

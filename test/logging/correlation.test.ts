import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startReceiver, type OtlpReceiver } from '../../src/receiver/index.ts';
import { otlpEnv, runApp } from '../helpers/run-app.ts';
import { jsonLines, recordsWith, spanNamed } from './log-helpers.ts';

const TRACED = 'test/fixtures/logging/traced-app.mjs';
const REQUESTS = 'test/fixtures/logging/request-app.mjs';
const SERVER_KIND = 2;

describe('createLogger: records carry the trace context of the span they were written in', () => {
  let receiver: OtlpReceiver;
  before(async () => {
    receiver = await startReceiver();
  });
  after(async () => {
    await receiver.close();
  });

  test('trace and span IDs of each record equal those of its span; lines outside a span have none', async () => {
    receiver.clear();
    const app = runApp(TRACED, { env: otlpEnv(receiver.url) });
    const exit = await app.exited;
    assert.equal(exit.code, 0, exit.stderr);
    const stdoutLines = jsonLines(exit.stdout);
    await receiver.waitFor(() => receiver.logs.length >= stdoutLines.length && receiver.spans.length >= 5, {
      description: 'every line the app wrote and its spans',
    });
    assert.equal(receiver.logs.length, stdoutLines.length, 'each stdout line is exported once');

    let inside = 0;
    for (const record of receiver.logs) {
      const where = record.attributes.where;
      assert.equal(typeof where, 'string', `record without where: ${JSON.stringify(record)}`);
      if (where === 'outside') {
        assert.equal(record.traceId, undefined, `no trace id outside a span: ${String(record.body)}`);
        assert.equal(record.spanId, undefined);
        continue;
      }
      const span = spanNamed(receiver.spans, String(where));
      assert.equal(record.traceId, span.traceId, `trace id of "${String(record.body)}"`);
      assert.equal(record.spanId, span.spanId, `span id of "${String(record.body)}"`);
      assert.equal(record.flags, 1, 'sampled');
      assert.equal(record.attributes.trace_id, undefined, 'the trace fields become the record context, not attributes');
      assert.deepEqual(record.resource, span.resource, 'logs and traces carry the same resource, service.name included');
      inside += 1;
    }
    assert.ok(inside >= 10);
    // The concurrent spans did not borrow each other's context.
    const b = recordsWith(receiver.logs, 'where', 'job-b');
    const c = recordsWith(receiver.logs, 'where', 'job-c');
    assert.equal(b.length, 3);
    assert.equal(c.length, 3);
    assert.notEqual(b[0]!.spanId, c[0]!.spanId);

    // The stdout copy carries the same fields, in the format pino transports and Loki read.
    for (const line of stdoutLines) {
      if (line.where === 'outside') {
        assert.equal(line.trace_id, undefined);
        continue;
      }
      const span = spanNamed(receiver.spans, String(line.where));
      assert.equal(line.trace_id, span.traceId);
      assert.equal(line.span_id, span.spanId);
      assert.equal(line.trace_flags, '01');
    }
  });

  test('pino levels map to OpenTelemetry severity numbers', async () => {
    receiver.clear();
    const app = runApp(TRACED, { env: otlpEnv(receiver.url) });
    const exit = await app.exited;
    assert.equal(exit.code, 0, exit.stderr);
    await receiver.waitFor(() => recordsWith(receiver.logs, 'where', 'levels').length >= 7, { description: 'the level lines' });
    const byBody = new Map(recordsWith(receiver.logs, 'where', 'levels').map((record) => [String(record.body), record]));
    const expected: [string, number, string][] = [
      ['trace', 1, 'trace'],
      ['debug', 5, 'debug'],
      ['info', 9, 'info'],
      ['audit', 9, 'audit'], // custom level 35: the range of info, the level at or below it
      ['warn', 13, 'warn'],
      ['error', 17, 'error'],
      ['fatal', 21, 'fatal'],
    ];
    for (const [level, severityNumber, severityText] of expected) {
      const record = byBody.get(`level ${level}`);
      assert.ok(record, `record for ${level}`);
      assert.equal(record.severityNumber, severityNumber, level);
      assert.equal(record.severityText, severityText, level);
    }
  });

  test('the error log of a failed request links to the span with its exception event; the error counts once', async () => {
    receiver.clear();
    const app = runApp(REQUESTS, { env: otlpEnv(receiver.url) });
    const port = (await app.waitForLine(/listening (\d+)/))[1]!;
    for (const path of ['/fail-boundary-first?order=1', '/fail-logger-first?order=2', '/pay?order=3', '/fail-logged-only?order=4']) {
      const response = await fetch(`http://127.0.0.1:${port}${path}`);
      await response.text();
    }
    app.child.kill('SIGTERM');
    const exit = await app.exited;
    assert.equal(exit.code, 0, exit.stderr);
    await receiver.waitFor(() => recordsWith(receiver.logs, 'order', '3').length >= 1 && receiver.spans.filter((s) => s.kind === SERVER_KIND).length >= 4, {
      description: 'request logs and server spans',
    });

    for (const order of ['1', '2', '4']) {
      const failed = recordsWith(receiver.logs, 'order', order).filter((record) => record.body === 'payment failed');
      assert.equal(failed.length, 1, `one error line for order ${order}`);
      const record = failed[0]!;
      assert.equal(record.severityNumber, 17);
      const span = receiver.spans.find((candidate) => candidate.spanId === record.spanId);
      assert.ok(span, `the span of the error line of order ${order}`);
      assert.equal(span.traceId, record.traceId);
      assert.equal(span.kind, SERVER_KIND, 'the request span');
      const outer = span.events.filter((event) => event.name === 'exception' && event.attributes['exception.message'] === `card declined for order ${order}`);
      assert.equal(outer.length, 1, 'one exception event for the error, not one per recorder');
      assert.equal(outer[0]!.attributes['exception.type'], 'CARD_DECLINED');
      assert.equal(span.status.code, 2);

      const err = record.attributes.err as Record<string, unknown>;
      assert.equal(err.type, 'CARD_DECLINED');
      assert.equal(err.message, `card declined for order ${order}`);
      assert.equal(err.fingerprint, outer[0]!.attributes['exception.fingerprint'], 'log and span name the same error');
      assert.match(String(err.stack), /at charge \(/);
      assert.equal((err.cause as Record<string, unknown>).message, 'issuer said no');
    }
    const ok = recordsWith(receiver.logs, 'order', '3')[0]!;
    const okSpan = receiver.spans.find((span) => span.spanId === ok.spanId);
    assert.equal(okSpan?.attributes['url.path'], '/pay');

    // Metrics are flushed at exit: three failed requests, three counts, whoever recorded first
    // (the third one was only logged: the logger recorded it).
    await receiver.waitFor(() => receiver.latestSum('app.errors', { 'error.type': 'CARD_DECLINED' }) >= 3, { description: 'app.errors' });
    assert.equal(receiver.latestSum('app.errors', { 'error.type': 'CARD_DECLINED' }), 3);
    assert.equal(receiver.latestSum('app.errors', { 'error.type': 'CARD_DECLINED', 'error.handled': true }), 3);
  });

  test('OTEL_EXPORTER_OTLP_LOGS_PROTOCOL=http/json is honoured like the SDK honours it', async () => {
    receiver.clear();
    const app = runApp(TRACED, { env: otlpEnv(receiver.url, { OTEL_EXPORTER_OTLP_LOGS_PROTOCOL: 'http/json' }) });
    const exit = await app.exited;
    assert.equal(exit.code, 0, exit.stderr);
    const lines = jsonLines(exit.stdout).length;
    await receiver.waitFor(() => receiver.logs.length >= lines && receiver.spans.some((span) => span.name === 'job-a'), { description: 'the records' });
    const logRequests = receiver.requests.filter((request) => request.signal === 'logs');
    assert.ok(logRequests.length > 0);
    assert.ok(logRequests.every((request) => request.contentType === 'application/json'));
    const record = recordsWith(receiver.logs, 'where', 'job-a')[0]!;
    const span = spanNamed(receiver.spans, 'job-a');
    assert.equal(record.traceId, span.traceId);
    assert.equal(record.spanId, span.spanId);
  });

  test('OTEL_LOGS_EXPORTER=none: lines stay on stdout, nothing of them is exported', async () => {
    receiver.clear();
    const app = runApp(TRACED, { env: otlpEnv(receiver.url, { OTEL_LOGS_EXPORTER: 'none' }) });
    const exit = await app.exited;
    assert.equal(exit.code, 0, exit.stderr);
    await receiver.waitFor(() => receiver.spans.some((span) => span.name === 'levels'), { description: 'the spans' });
    assert.ok(jsonLines(exit.stdout).length >= 19);
    assert.equal(receiver.logs.length, 0);
    assert.equal(receiver.requests.filter((request) => request.signal === 'logs').length, 0);
  });

  test('every exporter none: no export worker thread starts at all', async () => {
    receiver.clear();
    const app = runApp(TRACED, { env: otlpEnv(receiver.url, { OTEL_LOGS_EXPORTER: 'none', OTEL_TRACES_EXPORTER: 'none', OTEL_METRICS_EXPORTER: 'none' }) });
    const exit = await app.exited;
    assert.equal(exit.code, 0, exit.stderr);
    assert.match(exit.stdout, /workers started 0/);
    assert.ok(jsonLines(exit.stdout).length >= 19);
    assert.equal(receiver.requests.length, 0);
  });

  test('faultline disabled: no worker thread, plain JSON lines on stdout', async () => {
    receiver.clear();
    const app = runApp(TRACED, { env: otlpEnv(receiver.url, { FAULTLINE_DISABLED: 'true' }) });
    const exit = await app.exited;
    assert.equal(exit.code, 0, exit.stderr);
    assert.match(exit.stdout, /workers started 0/);
    assert.ok(jsonLines(exit.stdout).length >= 19);
    assert.equal(receiver.logs.length, 0);
  });
});

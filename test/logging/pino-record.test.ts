import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import { type AnyValue, isValidSpanId, isValidTraceId, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { ProtobufLogsSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { LoggerProvider, type ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { pinoRecord } from '../../src/logging/pino-record.ts';
import { severityNumberForLevel, STANDARD_LEVEL_LABELS } from '../../src/logging/severity.ts';
import { encodedResource, encodedScope } from '../../src/export/otlp-common-encoding.ts';
import { EncodedLogBatch } from '../../src/export/otlp-log-encoder.ts';

// The log worker maps parsed pino lines itself instead of through pino-opentelemetry-transport's
// mapper and the SDK's LoggerProvider; the Collector must receive the same records.

type Mapper = (line: Record<string, unknown>, options: { messageKey: string; levels: { labels: Record<number, string> }; severityNumberMap: Record<number, number> }) => {
  timestamp?: number;
  body?: AnyValue;
  severityNumber: number;
  severityText?: string;
  attributes: Record<string, AnyValue>;
};
const { toOpenTelemetry } = createRequire(import.meta.url)('pino-opentelemetry-transport/lib/opentelemetry-mapper.js') as { toOpenTelemetry: Mapper };

const LIMITS = { attributeCountLimit: 128, attributeValueLengthLimit: 8192 };
const SCOPE = { name: 'faultline', version: '0.0.0' };
const OBSERVED = 1_795_549_090_000;
const labels: Record<number, string> = { ...STANDARD_LEVEL_LABELS, 35: 'notice' };

/** What the transport's mapper, the trace fields as the transport reads them, and the SDK make of the lines. */
function reference(lines: Record<string, unknown>[], messageKey: string, resource: ReturnType<typeof resourceFromAttributes>): string {
  const emitted: ReadableLogRecord[] = [];
  const provider = new LoggerProvider({ resource, logRecordLimits: LIMITS, processors: [{ onEmit: (record) => emitted.push(record), forceFlush: () => Promise.resolve(), shutdown: () => Promise.resolve() }] });
  const logger = provider.getLogger(SCOPE.name, SCOPE.version);
  for (const line of lines) {
    const severityNumberMap: Record<number, number> = typeof line.level === 'number' ? { [line.level]: severityNumberForLevel(line.level) } : {};
    const mapped = toOpenTelemetry(structuredClone(line), { messageKey, levels: { labels }, severityNumberMap });
    const { trace_id: traceId, span_id: spanId, trace_flags: flags } = mapped.attributes;
    let context;
    if (traceId !== undefined && spanId !== undefined && flags !== undefined) {
      delete mapped.attributes.trace_id;
      delete mapped.attributes.span_id;
      delete mapped.attributes.trace_flags;
      if (typeof traceId === 'string' && typeof spanId === 'string' && isValidTraceId(traceId) && isValidSpanId(spanId)) {
        context = trace.setSpanContext(ROOT_CONTEXT, { traceId, spanId, traceFlags: Number.parseInt(String(flags), 16) & 0xff, isRemote: true });
      }
    }
    const time = typeof mapped.timestamp === 'string' ? Date.parse(mapped.timestamp) : mapped.timestamp;
    logger.emit({ timestamp: time, observedTimestamp: OBSERVED, body: mapped.body, severityNumber: mapped.severityNumber, severityText: mapped.severityText, attributes: mapped.attributes, ...(context === undefined ? {} : { context }) });
  }
  return Buffer.from(ProtobufLogsSerializer.serializeRequest(emitted)!).toString('hex');
}

function ours(lines: Record<string, unknown>[], messageKey: string, resource: ReturnType<typeof resourceFromAttributes>): string {
  const batch = new EncodedLogBatch(encodedResource(resource), encodedScope(SCOPE), LIMITS);
  for (const line of lines) batch.add({ ...pinoRecord(line, { messageKey, labels }), observedTimestamp: OBSERVED });
  return Buffer.from(batch.build()).toString('hex');
}

describe('pino lines as OpenTelemetry log records', () => {
  it('map exactly as pino-opentelemetry-transport and the SDK do', () => {
    const resource = resourceFromAttributes({ 'service.name': 'pino-record-test' });
    const lines: Record<string, unknown>[] = [
      { level: 30, time: 1_795_549_085_300, pid: 7, hostname: 'box', orderId: 'o-1', amount: 42.5, msg: 'order placed' },
      {
        level: 50,
        time: 1_795_549_085_301,
        pid: 7,
        hostname: 'box',
        trace_id: '4bf92f3577b34da6a3ce929d0e0e4736',
        span_id: '00f067aa0ba902b7',
        trace_flags: '01',
        err: { type: 'ORDER_REJECTED', message: 'rejected', stack: 'Error: rejected\n    at x (file.js:1:1)', causes: [{ type: 'Error', message: 'ü' }] },
        msg: 'order failed',
      },
      { level: 40, time: '2026-11-24T10:00:00.000Z', trace_id: 'not-hex', span_id: '00f067aa0ba902b7', trace_flags: '00', msg: 'bad trace fields are dropped' },
      { level: 35, time: 1_795_549_085_302, 1: 'numeric key', z: null, a: [1, 'two', false], msg: 'custom level' },
      { level: 30, time: 1_795_549_085_303, only: 'no message' },
      { level: 'info', time: 1_795_549_085_304, msg: { structured: true } },
      { level: 30, time: 1_795_549_085_305, trace_id: '4bf92f3577b34da6a3ce929d0e0e4736', msg: 'partial trace fields stay attributes' },
    ];
    assert.equal(ours(lines, 'msg', resource), reference(lines, 'msg', resource));
    const custom = lines.map(({ msg, ...rest }) => ({ ...rest, message: msg }));
    assert.equal(ours(custom, 'message', resource), reference(custom, 'message', resource));
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ROOT_CONTEXT, trace, type AnyValue } from '@opentelemetry/api';
import { ProtobufLogsSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { LoggerProvider, type ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { encodedResource, encodedScope } from '../../src/export/otlp-common-encoding.ts';
import { EncodedLogBatch, type MappedLogRecord } from '../../src/export/otlp-log-encoder.ts';

// The log worker encodes mapped pino lines itself instead of going through the SDK's
// LoggerProvider and serializer; the Collector must receive the same bytes either way.

const LIMITS = { attributeCountLimit: 128, attributeValueLengthLimit: 40 };
const SCOPE = { name: 'faultline', version: '1.2.3' };

function sdkBytes(records: MappedLogRecord[], resource: ReturnType<typeof resourceFromAttributes>): Buffer {
  const emitted: ReadableLogRecord[] = [];
  const provider = new LoggerProvider({
    resource,
    logRecordLimits: LIMITS,
    processors: [{ onEmit: (record) => emitted.push(record), forceFlush: () => Promise.resolve(), shutdown: () => Promise.resolve() }],
  });
  const logger = provider.getLogger(SCOPE.name, SCOPE.version);
  for (const record of records) {
    const context =
      record.traceId === undefined || record.spanId === undefined
        ? undefined
        : trace.setSpanContext(ROOT_CONTEXT, { traceId: record.traceId, spanId: record.spanId, traceFlags: record.traceFlags ?? 0, isRemote: true });
    logger.emit({
      timestamp: record.timestamp,
      observedTimestamp: record.observedTimestamp,
      severityNumber: record.severityNumber,
      severityText: record.severityText,
      body: record.body,
      attributes: record.attributes as Record<string, AnyValue>,
      ...(context === undefined ? {} : { context }),
    });
  }
  return Buffer.from(ProtobufLogsSerializer.serializeRequest(emitted)!);
}

function ourBytes(records: MappedLogRecord[], resource: ReturnType<typeof resourceFromAttributes>): Buffer {
  const batch = new EncodedLogBatch(encodedResource(resource), encodedScope(SCOPE), LIMITS);
  for (const record of records) batch.add(record);
  assert.equal(batch.count, records.length);
  return Buffer.from(batch.build());
}

describe('OTLP log encoding', () => {
  it('writes the same bytes as the SDK for pino-shaped records, limits included', () => {
    const resource = resourceFromAttributes({ 'service.name': 'log-encoder-test', 'host.name': 'box', 'process.pid': 42 });
    const manyAttributes = Object.fromEntries(Array.from({ length: 140 }, (_, i) => [`field${i}`, i]));
    const records: MappedLogRecord[] = [
      { timestamp: 1_795_549_085_300, observedTimestamp: 1_795_549_085_301, severityNumber: 9, severityText: 'info', body: 'order placed', attributes: { orderId: 'o-1', amount: 42.5, items: 3, ok: true, nothing: null } },
      {
        timestamp: 1_795_549_085_999,
        observedTimestamp: 1_795_549_086_000,
        severityNumber: 17,
        severityText: 'error',
        body: 'order failed',
        attributes: {
          err: { type: 'ORDER_REJECTED', message: 'order o-2 was rejected by the pricing rules, which is long', stack: `Error\n${'    at frame (file.js:1:1)\n'.repeat(50)}`, causes: [{ type: 'Error', message: 'ü'.repeat(60) }], notes: ['a', 'b'] },
          tags: ['x'.repeat(100), 'y'],
          path: '/orders/o-2',
        },
        traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
        spanId: '00f067aa0ba902b7',
        traceFlags: 1,
      },
      { timestamp: 1_795_549_087_000, observedTimestamp: 1_795_549_087_000, severityNumber: 13, severityText: 'warn', attributes: { '': 'empty key is dropped', kept: 'yes' }, traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: 0 },
      { timestamp: 1_795_549_088_123, observedTimestamp: 1_795_549_088_124, severityNumber: 0, body: { structured: ['body', 1] }, attributes: manyAttributes },
    ];
    assert.equal(ourBytes(records, resource).toString('hex'), sdkBytes(records, resource).toString('hex'));
  });
});

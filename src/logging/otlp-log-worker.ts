// The log worker: turns pino lines into OTLP log records off the main thread.
//
// Why our own worker entry instead of pino-opentelemetry-transport's: its BatchLogRecordProcessor
// drops records silently when its queue is full and reports no export outcome, and thread-stream's
// exit path blocks for up to 10 s per buffer. Here every line is accounted for in counters the
// main thread can read, and the main thread decides how long to wait. The pino-to-OTel mapping
// (body, severity, attributes) is pino-opentelemetry-transport's own, so records look the same as
// with the transport.
import { createRequire } from 'node:module';
import { parentPort, workerData } from 'node:worker_threads';
import { ROOT_CONTEXT, trace, type Logger as OtelLogger, isValidSpanId, isValidTraceId, type AnyValue, type Attributes, type Context, type SeverityNumber } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { OTLPLogExporter as JsonLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as ProtoLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { LoggerProvider, type LogRecordExporter, type LogRecordProcessor, type ReadableLogRecord, type ReadWriteLogRecord } from '@opentelemetry/sdk-logs';
import { Slot, type FromLogWorker, type LogWorkerSettings, type ResourceAttributes, type ToLogWorker } from './log-shipper-protocol.ts';
import { severityNumberForLevel, STANDARD_LEVEL_LABELS } from './severity.ts';

interface MappedRecord {
  timestamp?: number | string;
  body?: AnyValue;
  severityNumber: SeverityNumber;
  severityText?: string;
  attributes: Attributes;
}

type ToOpenTelemetry = (
  line: Record<string, unknown>,
  options: { messageKey: string; levels: { labels: Record<number, string> }; severityNumberMap: Record<number, number> },
) => MappedRecord;

const { toOpenTelemetry } = createRequire(import.meta.url)('pino-opentelemetry-transport/lib/opentelemetry-mapper.js') as {
  toOpenTelemetry: ToOpenTelemetry;
};

const settings = workerData as LogWorkerSettings;
const port = parentPort;
const control = new BigInt64Array(settings.control);

const labels: Record<number, string> = { ...STANDARD_LEVEL_LABELS };
const severityNumberMap: Record<number, number> = {};

// Lines received and not yet taken into the export queue. They wait here, not in a dropped pile,
// while the queue is full: the main thread bounds how many can be outstanding and counts the rest.
interface Batch {
  lines: string[];
  messageKey: string;
  next: number;
}
const inbox: Batch[] = [];
let accepted = 0n;
let exported = 0n;
let failed = 0n;

let queue: ReadableLogRecord[] = [];
let inFlight = false;
let timer: NodeJS.Timeout | undefined;
let flushRequested = 0;
let flushCompleted = 0;

const queueProcessor: LogRecordProcessor = {
  onEmit(record: ReadWriteLogRecord) {
    queue.push(record);
  },
  forceFlush: () => Promise.resolve(),
  shutdown: () => Promise.resolve(),
};

function loggerFor(attributes: ResourceAttributes): OtelLogger {
  const provider = new LoggerProvider({
    resource: resourceFromAttributes(attributes),
    logRecordLimits: { attributeValueLengthLimit: settings.attributeValueLengthLimit },
    processors: [queueProcessor],
  });
  return provider.getLogger(settings.scopeName, settings.scopeVersion);
}

// Records wait in the inbox until the resource is complete, so every record carries the same
// resource as the SDK's spans and metrics (host.id, for one, is detected asynchronously).
let otelLogger = loggerFor(settings.resourceAttributes);
let resourceReady = !settings.resourcePending;

function createExporter(): LogRecordExporter {
  const options = { url: settings.url, headers: settings.headers, timeoutMillis: settings.timeoutMillis };
  return settings.protocol === 'http/json' ? new JsonLogExporter(options) : new ProtoLogExporter(options);
}
const exporter = createExporter();

function countFailed(lines: number, reason: string): void {
  failed += BigInt(lines);
  Atomics.store(control, Slot.failed, failed);
  const message: FromLogWorker = { kind: 'failed', lines, reason };
  port?.postMessage(message);
}

/** The log record's context from the line's trace fields, as pino-opentelemetry-transport reads them. */
function spanContextOf(attributes: Record<string, unknown>): Context | undefined {
  const { trace_id: traceId, span_id: spanId, trace_flags: flags } = attributes;
  if (traceId === undefined || spanId === undefined || flags === undefined) return undefined;
  delete attributes.trace_id;
  delete attributes.span_id;
  delete attributes.trace_flags;
  if (typeof traceId !== 'string' || typeof spanId !== 'string' || !isValidTraceId(traceId) || !isValidSpanId(spanId)) return undefined;
  const traceFlags = typeof flags === 'number' ? flags : typeof flags === 'string' ? Number.parseInt(flags, 16) : 0;
  return trace.setSpanContext(ROOT_CONTEXT, { traceId, spanId, traceFlags: Number.isInteger(traceFlags) ? traceFlags & 0xff : 0, isRemote: true });
}

function timestampOf(time: number | string | undefined): number | undefined {
  if (typeof time === 'number') return time;
  if (typeof time === 'string') {
    const parsed = Date.parse(time);
    return Number.isNaN(parsed) ? undefined : parsed;
  }
  return undefined;
}

function emit(line: string, messageKey: string): boolean {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return false;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return false;
  const object = parsed as Record<string, unknown>;
  const level = object.level;
  if (typeof level === 'number' && !(level in severityNumberMap)) severityNumberMap[level] = severityNumberForLevel(level);
  const mapped = toOpenTelemetry(object, { messageKey, levels: { labels }, severityNumberMap });
  const spanContext = spanContextOf(mapped.attributes);
  otelLogger.emit({
    timestamp: timestampOf(mapped.timestamp),
    body: mapped.body,
    severityNumber: mapped.severityNumber,
    severityText: mapped.severityText,
    attributes: mapped.attributes,
    ...(spanContext === undefined ? {} : { context: spanContext }),
  });
  return true;
}

/** Moves lines from the inbox into the export queue while it has room. */
function drain(): void {
  if (!resourceReady) return;
  let unreadable = 0;
  const before = accepted;
  let batch = inbox[0];
  while (batch !== undefined && queue.length < settings.maxQueueSize) {
    const line = batch.lines[batch.next++];
    if (line !== undefined) {
      accepted++;
      let ok: boolean;
      try {
        ok = emit(line, batch.messageKey);
      } catch {
        ok = false;
      }
      if (!ok) unreadable++;
    }
    if (batch.next >= batch.lines.length) {
      inbox.shift();
      batch = inbox[0];
    }
  }
  if (accepted !== before) Atomics.store(control, Slot.accepted, accepted);
  if (unreadable > 0) countFailed(unreadable, 'unreadable log line');
}

function exportBatch(): void {
  if (timer !== undefined) clearTimeout(timer);
  timer = undefined;
  const batch = queue.length <= settings.maxBatchSize ? queue : queue.slice(0, settings.maxBatchSize);
  queue = batch === queue ? [] : queue.slice(batch.length);
  inFlight = true;
  let settled = false;
  const done = (result: ExportResult): void => {
    if (settled) return;
    settled = true;
    if (result.code === ExportResultCode.SUCCESS) {
      exported += BigInt(batch.length);
      Atomics.store(control, Slot.exported, exported);
    } else {
      countFailed(batch.length, result.error?.message ?? 'export failed');
    }
    inFlight = false;
    pump();
  };
  try {
    exporter.export(batch, done);
  } catch (error) {
    done({ code: ExportResultCode.FAILED, error: error instanceof Error ? error : new Error(String(error)) });
  }
}

function completeFlushIfIdle(): void {
  if (flushRequested <= flushCompleted) return;
  if (inFlight || queue.length > 0 || inbox.length > 0) return;
  flushCompleted = flushRequested;
  Atomics.store(control, Slot.flushed, BigInt(flushCompleted));
  Atomics.notify(control, Slot.flushed);
  const message: FromLogWorker = { kind: 'flushed', sequence: flushCompleted };
  port?.postMessage(message);
}

/** One step of the pipeline: fill the queue, export when a batch is full, a flush waits or the delay ran out. */
function pump(): void {
  drain();
  if (!inFlight && queue.length > 0) {
    if (queue.length >= settings.maxBatchSize || flushRequested > flushCompleted) exportBatch();
    else
      timer ??= setTimeout(() => {
        timer = undefined;
        if (!inFlight && queue.length > 0) exportBatch();
      }, settings.delayMillis);
  }
  completeFlushIfIdle();
}

port?.on('message', (message: ToLogWorker) => {
  switch (message.kind) {
    case 'lines':
      if (message.lines.length > 0) inbox.push({ lines: message.lines, messageKey: message.messageKey, next: 0 });
      break;
    case 'flush':
      flushRequested = Math.max(flushRequested, message.sequence);
      break;
    case 'resource':
      if (!resourceReady) {
        otelLogger = loggerFor(message.attributes);
        resourceReady = true;
      }
      break;
    case 'levels':
      Object.assign(labels, message.labels);
      for (const level of Object.keys(message.labels)) severityNumberMap[Number(level)] = severityNumberForLevel(Number(level));
      break;
  }
  pump();
});

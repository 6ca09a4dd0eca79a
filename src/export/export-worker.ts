// The export worker: the one path out of the process for all three signals.
//
// Spans arrive encoded (the main thread encodes them as they end), metric points as the SDK
// collected them, log lines as the app rendered them; here they are turned into OTLP requests
// and sent, off the app's thread, and whatever cannot be delivered goes to the spool when one is
// configured. Every item is accounted for in counters the main thread can read, and wait on, while
// its own event loop is blocked in an `exit` handler: that is how `process.exit()` loses nothing.
//
// Why not pino-opentelemetry-transport's worker or the SDK's batch processors: they drop silently
// when full and report no outcome, and thread-stream's exit path blocks for up to 10 s per buffer.
import fs from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import type { ResourceMetrics } from '@opentelemetry/sdk-metrics';
import type { SealedBatch } from './batches.ts';
import {
  type ExportSignal,
  type ExportWorkerSettings,
  type FromExportWorker,
  type Outcome,
  outcomeSlot,
  type PlainScopeMetrics,
  type ResourceAttributes,
  Slot,
  type ToExportWorker,
} from './export-worker-protocol.ts';
import { LogRecordBatches } from './log-record-batches.ts';
import { decodeLines } from './line-bytes.ts';
import type { MappedLogRecord } from './otlp-log-encoder.ts';
import { EncodedLogBatch } from './otlp-log-encoder.ts';
import { encodedResource, encodedScope } from './otlp-common-encoding.ts';
import type { SpoolWriter } from './spool.ts';

interface LineMapper {
  mapLogLine(line: string, messageKey: string, labels: Record<number, string>): MappedLogRecord | undefined;
  STANDARD_LEVEL_LABELS: Readonly<Record<number, string>>;
}

interface Exporter {
  export(body: Uint8Array, done: (result: ExportResult) => void): void;
}

const settings = workerData as ExportWorkerSettings;
const port = parentPort;
const control = new BigInt64Array(settings.control);

function post(message: FromExportWorker): void {
  port?.postMessage(message);
}

// The main thread's stderr is written by the main thread, which may be blocked in `exit`: the
// worker's few warnings go to the file descriptor directly, each once.
const warned = new Set<string>();
function warn(key: string, message: string): void {
  if (warned.has(key)) return;
  warned.add(key);
  try {
    fs.writeSync(2, `faultline: ${message}\n`);
  } catch { // eslint-disable-line faultline/no-blind-catch -- stderr closed: nothing else to tell
  }
}

/** Counts items of this process's telemetry by outcome; all but deliveries are reported as they happen. */
function count(signal: ExportSignal, outcome: Outcome, items: number, reason?: string): void {
  if (items <= 0) return;
  Atomics.add(control, outcomeSlot(signal, outcome), BigInt(items));
  if (outcome !== "delivered") post({ kind: "outcome", signal, outcome, items, reason });
}

// --- the resource, which metric and log requests carry (spans arrive with theirs encoded)

let resourceAttributes: ResourceAttributes | undefined = settings.resourcePending ? undefined : settings.resourceAttributes;

// --- the spool

let spool: SpoolWriter | undefined;
if (settings.spool !== undefined) {
  const { SpoolWriter } = await import('./spool.ts');
  spool = new SpoolWriter(settings.spool, {
    evicted: (signal, items, file) => {
      post({ kind: 'foreign-drop', signal, reason: 'spool_full', items, detail: `deleted ${file}` });
    },
    warn,
  });
}
// OTLP/JSON (the http/json protocol, the spool) is made from the protobuf with the official schema.
const needsJson = spool !== undefined || Object.values(settings.targets).some((target) => target.protocol === 'http/json');
const otlpJsonModule = needsJson ? await import('./otlp-json.ts') : undefined;
const toJson = otlpJsonModule?.otlpJson;
// After start-up settles, not during it: the first conversion then costs no schema parsing.
if (otlpJsonModule !== undefined) setTimeout(otlpJsonModule.prepareOtlpJson, 50);

/** Writes a request to the spool; true when it is kept there (and counted as spooled). */
function spoolRequest(signal: ExportSignal, request: Uint8Array, items: number): boolean {
  if (spool === undefined || toJson === undefined) return false;
  let line: string;
  try {
    line = toJson(signal, request);
  } catch (error) {
    count(signal, 'failed', items, `not encodable as OTLP/JSON: ${(error as Error).message}`);
    return true;
  }
  const refusal = spool.write(signal, line);
  if (refusal === undefined) count(signal, 'spooled', items);
  else count(signal, refusal.reason === 'spool_full' ? 'spoolFull' : 'spoolUnwritable', items, refusal.detail);
  return true;
}

// --- sending

const exporters = new Map<ExportSignal, Promise<Exporter>>();

function exporterFor(signal: ExportSignal): Promise<Exporter> {
  let exporter = exporters.get(signal);
  if (exporter === undefined) {
    const target = settings.targets[signal];
    exporter =
      target === undefined
        ? // eslint-disable-next-line faultline/only-coded-errors -- export/ sits below the error catalog; this reason only reaches the drop count's detail
          Promise.reject(new Error(`${signal} are not exported over OTLP`))
        : import('./otlp-encoded-exporter.ts').then(({ EncodedOtlpExporter }) => new EncodedOtlpExporter(signal, target, target.protocol === 'http/json' ? 'json' : 'protobuf'));
    exporters.set(signal, exporter);
  }
  return exporter;
}

interface Payload {
  signal: ExportSignal;
  request: Uint8Array;
  count: number;
  id: number | undefined;
  settled: boolean;
}

const sending = new Set<Payload>();
let logsInFlight = 0;
// Metric points are cumulative: while one export is under way (a slow or retrying collector), only
// the newest of those collected meanwhile waits; it carries everything the older ones did.
let metricsInFlight = false;
let metricsNext: { request: Uint8Array; count: number } | undefined;

function settle(payload: Payload, result: ExportResult): void {
  if (payload.settled) return;
  payload.settled = true;
  sending.delete(payload);
  if (payload.signal === 'logs') logsInFlight -= 1;
  if (payload.signal === 'metrics') metricsInFlight = false;
  let outcome: Outcome = 'delivered';
  if (result.code !== ExportResultCode.SUCCESS) {
    const reason = result.error?.message ?? 'export failed';
    if (spoolRequest(payload.signal, payload.request, payload.count)) outcome = 'spooled';
    else {
      outcome = 'failed';
      count(payload.signal, 'failed', payload.count, reason);
    }
  } else count(payload.signal, 'delivered', payload.count);
  if (payload.id !== undefined) post({ kind: 'result', id: payload.id, outcome, reason: result.error?.message });
  if (payload.signal === 'metrics' && metricsNext !== undefined) {
    const next = metricsNext;
    metricsNext = undefined;
    send('metrics', next.request, next.count, undefined);
  }
  pump();
}

function sendMetricsRequest(request: Uint8Array, items: number): void {
  if (!metricsInFlight) {
    send('metrics', request, items, undefined);
    return;
  }
  // Superseded, not lost: the newer cumulative points include what these said.
  if (metricsNext !== undefined) count('metrics', 'delivered', metricsNext.count);
  metricsNext = { request, count: items };
}

function send(signal: ExportSignal, request: Uint8Array, items: number, id: number | undefined): void {
  const payload: Payload = { signal, request, count: items, id, settled: false };
  sending.add(payload);
  if (signal === 'logs') logsInFlight += 1;
  if (signal === 'metrics') metricsInFlight = true;
  const target = settings.targets[signal];
  exporterFor(signal).then(
    (exporter) => {
      if (payload.settled) return; // spooled at the exit deadline meanwhile
      let body = request;
      try {
        if (target?.protocol === 'http/json' && toJson !== undefined) body = Buffer.from(toJson(signal, request));
        exporter.export(body, (result) => {
          settle(payload, result);
        });
      } catch (error) {
        settle(payload, { code: ExportResultCode.FAILED, error: error instanceof Error ? error : new Error(String(error)) });
      }
    },
    (error: unknown) => {
      settle(payload, { code: ExportResultCode.FAILED, error: error instanceof Error ? error : new Error(String(error)) });
    },
  );
}

// --- metrics: encoded here with the SDK's serializer, so the app's thread does not load it

interface WaitingMetrics {
  scopeMetrics: PlainScopeMetrics[];
  count: number;
  id: number | undefined;
}
const waitingMetrics: WaitingMetrics[] = [];
let encodeMetrics: ((metrics: ResourceMetrics) => Uint8Array) | undefined;
let metricsSerializerLoading = false;

function sendMetrics(): void {
  if (encodeMetrics === undefined) {
    if (!metricsSerializerLoading) {
      metricsSerializerLoading = true;
      import('@opentelemetry/otlp-transformer').then(
        ({ ProtobufMetricsSerializer }) => {
          encodeMetrics = (metrics) => ProtobufMetricsSerializer.serializeRequest(metrics) ?? new Uint8Array();
          pump();
        },
        (error: unknown) => {
          for (const waiting of waitingMetrics.splice(0)) {
            count('metrics', 'failed', waiting.count, `metric encoder unavailable: ${String(error)}`);
            if (waiting.id !== undefined) post({ kind: 'result', id: waiting.id, outcome: 'failed', reason: String(error) });
          }
        },
      );
    }
    return;
  }
  if (resourceAttributes === undefined || waitingMetrics.length === 0) return;
  const resource = resourceFromAttributes(resourceAttributes);
  for (const waiting of waitingMetrics.splice(0)) {
    let request: Uint8Array;
    try {
      request = encodeMetrics({ resource, scopeMetrics: waiting.scopeMetrics as ResourceMetrics['scopeMetrics'] });
    } catch (error) {
      count('metrics', 'failed', waiting.count, `metrics not encodable: ${(error as Error).message}`);
      if (waiting.id !== undefined) post({ kind: 'result', id: waiting.id, outcome: 'failed', reason: (error as Error).message });
      continue;
    }
    sendMetricsRequest(request, waiting.count);
  }
}

// --- logs: lines wait in the inbox, not in a dropped pile, while the export queue is full; the
// main thread bounds how many can be outstanding and counts the rest.

let mapper: LineMapper | undefined;
const labels: Record<number, string> = {};
if (settings.targets.logs !== undefined) {
  mapper = (await import(settings.logs.lineMapperUrl)) as LineMapper;
  Object.assign(labels, mapper.STANDARD_LEVEL_LABELS);
}

interface LineBatch {
  lines: string[];
  messageKey: string;
  next: number;
}
const inbox: LineBatch[] = [];
const logBatches = new LogRecordBatches(settings.logs);
let linesAccepted = 0n;
let charsAccepted = 0;
let logTimer: NodeJS.Timeout | undefined;

function mapLine(line: string, messageKey: string): MappedLogRecord | undefined {
  try {
    return mapper?.mapLogLine(line, messageKey, labels);
  } catch { // eslint-disable-line faultline/no-blind-catch -- what cannot be read is absent here
    return undefined;
  }
}

function accept(lines: number, chars: number): void {
  linesAccepted += BigInt(lines);
  charsAccepted += chars;
  Atomics.store(control, Slot.logCharsAccepted, BigInt(charsAccepted));
  Atomics.store(control, Slot.logLinesAccepted, linesAccepted);
}

/** Moves lines from the inbox into the export queue while it has room (all of them when `unbounded`). */
function drainInbox(unbounded = false): void {
  if (!logBatches.ready) return;
  let lines = 0;
  let chars = 0;
  let unreadable = 0;
  let batch = inbox[0];
  while (batch !== undefined && (unbounded || logBatches.size < settings.logs.maxQueueSize)) {
    const line = batch.lines[batch.next++];
    if (line !== undefined) {
      lines += 1;
      // The newline that ended it on the main thread counts too (line-bytes.ts).
      chars += line.length + 1;
      const record = mapLine(line, batch.messageKey);
      if (record === undefined) unreadable += 1;
      else logBatches.add(record);
    }
    if (batch.next >= batch.lines.length) {
      inbox.shift();
      batch = inbox[0];
    }
  }
  if (lines > 0) accept(lines, chars);
  if (unreadable > 0) count('logs', 'failed', unreadable, 'unreadable log line');
}

/** Lines of a full buffer's overflow: straight to the spool, never queued. */
function spoolLines(lines: string[], messageKey: string): void {
  let chars = 0;
  let unreadable = 0;
  const attributes = resourceAttributes ?? settings.resourceAttributes;
  const batch = new EncodedLogBatch(encodedResource(resourceFromAttributes(attributes)), encodedScope({ name: settings.logs.scopeName, version: settings.logs.scopeVersion }), {
    attributeCountLimit: 128,
    attributeValueLengthLimit: settings.logs.attributeValueLengthLimit,
  });
  for (const line of lines) {
    chars += line.length + 1;
    const record = mapLine(line, messageKey);
    if (record === undefined) unreadable += 1;
    else batch.add(record);
  }
  accept(lines.length, chars);
  if (unreadable > 0) count('logs', 'failed', unreadable, 'unreadable log line');
  if (batch.count > 0 && !spoolRequest('logs', batch.build(), batch.count)) count('logs', 'failed', batch.count, 'no spool');
}

function exportLogBatch(): void {
  if (logTimer !== undefined) clearTimeout(logTimer);
  logTimer = undefined;
  const batch = logBatches.take();
  if (batch !== undefined) send('logs', batch.payload, batch.count, undefined);
}

// --- flushing

let flushRequested = 0;
let flushCompleted = 0;
let exitFlush = false;

function idle(): boolean {
  return sending.size === 0 && inbox.length === 0 && logBatches.size === 0 && waitingMetrics.length === 0 && metricsNext === undefined;
}

function completeFlushIfIdle(): void {
  if (flushRequested <= flushCompleted || !idle()) return;
  if (exitFlush) spool?.seal();
  flushCompleted = flushRequested;
  Atomics.store(control, Slot.flushed, BigInt(flushCompleted));
  Atomics.notify(control, Slot.flushed);
  post({ kind: 'flushed', sequence: flushCompleted });
}

let pastSpoolAt = false;

/**
 * The exit deadline came: whatever is not delivered yet goes to the spool, then the flush
 * completes; from then on, whatever still arrives goes to the spool too.
 */
function spoolEverything(): void {
  pastSpoolAt = true;
  // Detection that has not settled by now will not: the attributes known so far are the resource.
  resourceAttributes ??= settings.resourceAttributes;
  if (!logBatches.ready) logBatches.setResource(resourceAttributes);
  drainInbox(true);
  for (let batch: SealedBatch<Uint8Array> | undefined = logBatches.take(); batch !== undefined; batch = logBatches.take()) {
    if (!spoolRequest('logs', batch.payload, batch.count)) count('logs', 'failed', batch.count, 'no spool');
  }
  for (const payload of [...sending]) {
    // An answer that arrives after this is ignored: the request is in the spool now.
    payload.settled = true;
    sending.delete(payload);
    spoolRequest(payload.signal, payload.request, payload.count);
    if (payload.id !== undefined) post({ kind: 'result', id: payload.id, outcome: 'spooled', reason: 'exit deadline' });
  }
  logsInFlight = 0;
  metricsInFlight = false;
  if (metricsNext !== undefined) spoolRequest('metrics', metricsNext.request, metricsNext.count);
  metricsNext = undefined;
  const resource = resourceFromAttributes(resourceAttributes);
  for (const waiting of waitingMetrics.splice(0)) {
    // Not yet encoded: encoded now when the encoder is there; else the main thread counts them lost.
    if (encodeMetrics === undefined) continue;
    try {
      spoolRequest('metrics', encodeMetrics({ resource, scopeMetrics: waiting.scopeMetrics as ResourceMetrics['scopeMetrics'] }), waiting.count);
    } catch { // eslint-disable-line faultline/no-blind-catch -- counted lost by the main thread
    }
  }
  completeFlushIfIdle();
}

/** One step of the pipeline: fill the log queue, export what is due, complete a flush when idle. */
function pump(): void {
  if (resourceAttributes !== undefined && !logBatches.ready) logBatches.setResource(resourceAttributes);
  drainInbox();
  sendMetrics();
  if (logsInFlight === 0 && logBatches.size > 0) {
    if (logBatches.size >= settings.logs.maxBatchSize || flushRequested > flushCompleted) exportLogBatch();
    else
      logTimer ??= setTimeout(() => {
        logTimer = undefined;
        if (logsInFlight === 0 && logBatches.size > 0) exportLogBatch();
      }, settings.logs.delayMillis);
  }
  completeFlushIfIdle();
}

// --- shipping what earlier processes spooled

async function shipSpooled(): Promise<void> {
  if (settings.spool === undefined) return;
  const { shipSpool } = await import('./spool-shipper.ts');
  const signals = new Set(Object.keys(settings.targets) as ExportSignal[]);
  const jsonExporters = new Map<ExportSignal, Exporter>();
  const { EncodedOtlpExporter } = await import('./otlp-encoded-exporter.ts');
  await shipSpool(
    { dir: settings.spool.dir, processKey: settings.spool.processKey, signals },
    {
      send: (signal, line) =>
        new Promise<boolean>((resolve) => {
          const target = settings.targets[signal];
          if (target === undefined) {
            resolve(false);
            return;
          }
          let exporter = jsonExporters.get(signal);
          if (exporter === undefined) {
            exporter = new EncodedOtlpExporter(signal, target, 'json');
            jsonExporters.set(signal, exporter);
          }
          exporter.export(Buffer.from(line), (result) => {
            resolve(result.code === ExportResultCode.SUCCESS);
          });
        }),
      shipped: () => {},
      corrupt: (signal, lines, file) => {
        warn('spool-corrupt', `a spool file held ${lines} line(s) that are not OTLP/JSON; they were moved aside to ${file} and counted as dropped`);
        post({ kind: 'foreign-drop', signal, reason: 'spool_corrupt', items: lines, detail: file });
      },
      warn,
    },
  );
}

// Ready the exporters now: the first batch (or the exit flush) should not wait for their modules.
// eslint-disable-next-line faultline/no-blind-catch -- warming up only: the first export reports a failure to load
for (const signal of Object.keys(settings.targets) as ExportSignal[]) exporterFor(signal).catch(() => undefined);
if (settings.targets.metrics !== undefined) sendMetrics();

port?.on('message', (message: ToExportWorker) => {
  switch (message.kind) {
    case 'lines': {
      if (message.count === 0) break;
      const lines = decodeLines(message.bytes);
      if (message.spool) spoolLines(lines, message.messageKey);
      else inbox.push({ lines, messageKey: message.messageKey, next: 0 });
      break;
    }
    case 'spans':
      if (!message.spool) send('traces', message.bytes, message.count, message.id);
      else if (!spoolRequest('traces', message.bytes, message.count)) count('traces', 'failed', message.count, 'no spool');
      break;
    case 'metrics':
      waitingMetrics.push({ scopeMetrics: message.scopeMetrics, count: message.count, id: message.id });
      break;
    case 'flush':
      flushRequested = Math.max(flushRequested, message.sequence);
      if (message.exitSpoolAt !== undefined) {
        exitFlush = true;
        setTimeout(spoolEverything, Math.max(0, message.exitSpoolAt - Date.now()));
      }
      break;
    case 'resource':
      resourceAttributes ??= message.attributes;
      break;
    case 'levels':
      Object.assign(labels, message.labels);
      break;
    case 'ship-spool':
      shipSpooled().catch((error: unknown) => {
        warn('spool-ship', `shipping the spool failed: ${error instanceof Error ? error.message : String(error)}`);
      });
      break;
  }
  if (pastSpoolAt) spoolEverything();
  else pump();
});

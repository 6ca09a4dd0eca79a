// The log worker: turns pino lines into OTLP log records off the main thread.
//
// Why our own worker entry instead of pino-opentelemetry-transport's: its BatchLogRecordProcessor
// drops records silently when its queue is full and reports no export outcome, and thread-stream's
// exit path blocks for up to 10 s per buffer. Here every line is accounted for in counters the
// main thread can read, and the main thread decides how long to wait. The pino-to-OTel mapping
// (body, severity, attributes) is pino-opentelemetry-transport's (pino-record.ts, tested against
// its mapper), so records look the same as with the transport.
import { parentPort, workerData } from 'node:worker_threads';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { Slot, type FromLogWorker, type LogWorkerSettings, type ToLogWorker } from './log-shipper-protocol.ts';
import { decodeLines } from './line-bytes.ts';
import { createRecordQueue, type RecordQueue } from './log-record-queue.ts';
import { pinoRecord } from './pino-record.ts';
import { STANDARD_LEVEL_LABELS } from './severity.ts';

const settings = workerData as LogWorkerSettings;
const port = parentPort;
const control = new BigInt64Array(settings.control);

const labels: Record<number, string> = { ...STANDARD_LEVEL_LABELS };

// Lines received and not yet taken into the export queue. They wait here, not in a dropped pile,
// while the queue is full: the main thread bounds how many can be outstanding and counts the rest.
interface Batch {
  lines: string[];
  messageKey: string;
  next: number;
}
const inbox: Batch[] = [];
let accepted = 0n;
let acceptedChars = 0;
let exported = 0n;
let failed = 0n;

let inFlight = false;
let timer: NodeJS.Timeout | undefined;
let flushRequested = 0;
let flushCompleted = 0;

// Records wait in the inbox until the resource is complete, so every record carries the same
// resource as the SDK's spans and metrics (host.id, for one, is detected asynchronously).
const queue: RecordQueue = await createRecordQueue(settings);
let resourceReady = !settings.resourcePending;
if (resourceReady) queue.setResource(settings.resourceAttributes);

function countFailed(lines: number, reason: string): void {
  failed += BigInt(lines);
  Atomics.store(control, Slot.failed, failed);
  const message: FromLogWorker = { kind: 'failed', lines, reason };
  port?.postMessage(message);
}

function emit(line: string, messageKey: string): boolean {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch { // eslint-disable-line faultline/no-blind-catch -- a line that is not JSON is counted as unreadable by the caller
    return false;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return false;
  queue.add(pinoRecord(parsed as Record<string, unknown>, { messageKey, labels }));
  return true;
}

/** Moves lines from the inbox into the export queue while it has room. */
function drain(): void {
  if (!resourceReady) return;
  let unreadable = 0;
  const before = accepted;
  let batch = inbox[0];
  while (batch !== undefined && queue.size < settings.maxQueueSize) {
    const line = batch.lines[batch.next++];
    if (line !== undefined) {
      accepted++;
      // The newline that ended it on the main thread counts too (line-bytes.ts).
      acceptedChars += line.length + 1;
      let ok: boolean;
      try {
        ok = emit(line, batch.messageKey);
      } catch { // eslint-disable-line faultline/no-blind-catch -- a line that cannot be mapped is counted as unreadable, and the batch goes on
        ok = false;
      }
      if (!ok) unreadable++;
    }
    if (batch.next >= batch.lines.length) {
      inbox.shift();
      batch = inbox[0];
    }
  }
  if (accepted !== before) {
    Atomics.store(control, Slot.acceptedChars, BigInt(acceptedChars));
    Atomics.store(control, Slot.accepted, accepted);
  }
  if (unreadable > 0) countFailed(unreadable, 'unreadable log line');
}

function exportBatch(): void {
  if (timer !== undefined) clearTimeout(timer);
  timer = undefined;
  const batch = queue.take();
  if (batch === undefined) return;
  inFlight = true;
  let settled = false;
  const done = (result: ExportResult): void => {
    if (settled) return;
    settled = true;
    if (result.code === ExportResultCode.SUCCESS) {
      exported += BigInt(batch.count);
      Atomics.store(control, Slot.exported, exported);
    } else {
      countFailed(batch.count, result.error?.message ?? 'export failed');
    }
    inFlight = false;
    pump();
  };
  try {
    batch.send(done);
  } catch (error) {
    done({ code: ExportResultCode.FAILED, error: error instanceof Error ? error : new Error(String(error)) });
  }
}

function completeFlushIfIdle(): void {
  if (flushRequested <= flushCompleted) return;
  if (inFlight || queue.size > 0 || inbox.length > 0) return;
  flushCompleted = flushRequested;
  Atomics.store(control, Slot.flushed, BigInt(flushCompleted));
  Atomics.notify(control, Slot.flushed);
  const message: FromLogWorker = { kind: 'flushed', sequence: flushCompleted };
  port?.postMessage(message);
}

/** One step of the pipeline: fill the queue, export when a batch is full, a flush waits or the delay ran out. */
function pump(): void {
  drain();
  if (!inFlight && queue.size > 0) {
    if (queue.size >= settings.maxBatchSize || flushRequested > flushCompleted) exportBatch();
    else
      timer ??= setTimeout(() => {
        timer = undefined;
        if (!inFlight && queue.size > 0) exportBatch();
      }, settings.delayMillis);
  }
  completeFlushIfIdle();
}

port?.on('message', (message: ToLogWorker) => {
  switch (message.kind) {
    case 'lines':
      if (message.count > 0) inbox.push({ lines: decodeLines(message.bytes), messageKey: message.messageKey, next: 0 });
      break;
    case 'flush':
      flushRequested = Math.max(flushRequested, message.sequence);
      break;
    case 'resource':
      if (!resourceReady) {
        queue.setResource(message.attributes);
        resourceReady = true;
      }
      break;
    case 'levels':
      Object.assign(labels, message.labels);
      break;
  }
  pump();
});

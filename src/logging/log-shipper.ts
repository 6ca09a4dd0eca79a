import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { AnyValue } from '@opentelemetry/api';
import type { Resource } from '@opentelemetry/resources';
import type { FaultlineConfig } from '../config.ts';
import { getRuntime } from '../runtime.ts';
import { recordDrop, type DropReason } from '../export/drops.ts';
import { buildResource } from '../sdk/resource.ts';
import { warn } from '../warn.ts';
import { LineBytes } from './line-bytes.ts';
import { Slot, SLOT_COUNT, type FromLogWorker, type LogWorkerSettings, type ResourceAttributes, type ToLogWorker } from './log-shipper-protocol.ts';

const BATCH_LINES = 512;
const BATCH_CHARS = 1 << 20;
const RESOURCE_WAIT_MS = 1000;
const SCOPE_NAME = 'faultline';
// src/logging and dist/logging are both two levels below the package root.
const SCOPE_VERSION = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;

// Run from src/ (.ts, in tests) or dist/ (.js, installed): the worker file sits beside this one.
const WORKER_URL = new URL(`./otlp-log-worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);

/**
 * Hands log lines to the OTLP log worker, and accounts for every one of them.
 *
 * - Bounded: lines the worker has not yet taken into its export queue count against
 *   `config.logBufferLines`; past it new lines are dropped and counted (reason `queue_full`), so a
 *   stalled worker or collector costs bounded memory, never an unbounded buffer.
 * - Flushed by the lifecycle: `flush()` is registered in the runtime's flush hooks and resolves when
 *   the worker reports every line before it exported or failed, or at the shutdown deadline.
 * - Flushed on `process.exit()`: only the synchronous `exit` event runs then, so `flushAtExit()`
 *   posts the last lines and blocks on a shared counter (Atomics.wait) until the worker is done or the
 *   deadline passes; the worker's own event loop keeps exporting meanwhile. Lines still unconfirmed
 *   then are counted as lost (reason `shutdown`).
 */
/** Longest a written line waits before it is handed to the worker. */
const POST_DELAY_MS = 20;
// The worker's garbage is short-lived (a parsed line lives until it is encoded). V8 would let its
// young generation grow as large as the app's, tens of MiB that show up in the app's RSS, most of
// all during a collector outage; a small one costs a few more quick scavenges and no throughput.
const WORKER_YOUNG_GENERATION_MB = 4;

export class LogShipper {
  readonly #worker: Worker;
  readonly #control: BigInt64Array;
  readonly #bufferLines: number;
  readonly #bufferChars: number;
  readonly #timeoutMs: number;
  #batch = new LineBytes();
  #batchMessageKey = 'msg';
  #postScheduled = false;
  #posted = 0;
  #postedChars = 0;
  #acceptedSeen = 0;
  #acceptedCharsSeen = 0;
  #droppedHere = 0;
  #failedReported = 0;
  #flushSequence = 0;
  readonly #flushWaiters = new Map<number, () => void>();
  #activeFlushDeadline: number | undefined;
  #lastFlushGaveUp = false;
  #stopped = false;
  #exited = false;
  readonly #knownResource: ResourceAttributes;
  #resourceSent: boolean;

  constructor(config: FaultlineConfig) {
    this.#bufferLines = config.logBufferLines;
    this.#bufferChars = config.logBufferBytes;
    this.#timeoutMs = config.shutdownTimeoutMs;
    const control = new SharedArrayBuffer(SLOT_COUNT * BigInt64Array.BYTES_PER_ELEMENT);
    this.#control = new BigInt64Array(control);
    const exportConfig = config.otlp.logs;
    const resource = buildResource(config);
    const resourcePending = resource.asyncAttributesPending === true;
    this.#knownResource = resourcePending ? knownAttributes(resource) : flatAttributes(resource.attributes);
    this.#resourceSent = !resourcePending;
    const settings: LogWorkerSettings = {
      control,
      url: exportConfig.url,
      protocol: exportConfig.protocol,
      headers: exportConfig.headers,
      timeoutMillis: exportConfig.timeoutMillis,
      resourceAttributes: this.#knownResource,
      resourcePending,
      maxQueueSize: config.logQueue.maxQueueSize,
      maxBatchSize: Math.min(config.logQueue.maxBatchSize, config.logQueue.maxQueueSize),
      delayMillis: config.logQueue.delayMillis,
      attributeValueLengthLimit: config.attributeValueLengthLimit,
      scopeName: SCOPE_NAME,
      scopeVersion: SCOPE_VERSION,
    };
    // The worker must not run the preload again: neither through execArgv nor through NODE_OPTIONS.
    const env: Record<string, string | undefined> = { ...process.env };
    delete env.NODE_OPTIONS;
    this.#worker = new Worker(WORKER_URL, {
      workerData: settings,
      execArgv: [],
      env,
      name: 'faultline-logs',
      stdout: false,
      stderr: false,
      resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB },
    });
    this.#worker.on('message', (message: FromLogWorker) => {
      if (message.kind === 'failed') this.#syncFailures(message.reason);
      else this.#resolveFlushes(message.sequence);
    });
    this.#worker.on('error', (error: unknown) => {
      warn(`log export stopped: ${error instanceof Error ? error.message : String(error)}`);
      this.#stop('log worker failed');
    });
    this.#worker.on('exit', () => {
      this.#stop('log worker exited');
    });
    // After the listeners: adding a 'message' listener refs the worker's port again.
    this.#worker.unref();
    if (resourcePending) {
      // Detection that never settles must not hold the logs back for longer than a moment.
      setTimeout(() => {
        this.#sendResource(this.#knownResource);
      }, RESOURCE_WAIT_MS).unref();
      const settle = resource.waitForAsyncAttributes?.() ?? Promise.resolve();
      settle.then(
        () => {
          this.#sendResource(flatAttributes(resource.attributes));
        },
        () => { // eslint-disable-line faultline/no-blind-catch -- the resource falls back to the attributes known so far; a detector's failure is its own
          this.#sendResource(this.#knownResource);
        },
      );
    }
  }

  /** Queues one rendered pino line (newline included) for export. Never throws, never blocks. */
  write(line: string, messageKey: string): void {
    if (this.#stopped || this.#exited) {
      this.#drop('shutdown', 1, this.#stopped ? 'log worker stopped' : 'written after exit');
      return;
    }
    if (this.#batch.count > 0 && messageKey !== this.#batchMessageKey) this.#post();
    if (this.#overBuffer(line.length)) {
      this.#acceptedCharsSeen = Number(Atomics.load(this.#control, Slot.acceptedChars));
      this.#acceptedSeen = Number(Atomics.load(this.#control, Slot.accepted));
      if (this.#overBuffer(line.length)) {
        const bound = this.#outstandingUnaccepted() >= this.#bufferLines ? `FAULTLINE_LOG_BUFFER_LINES=${this.#bufferLines}` : `FAULTLINE_LOG_BUFFER_BYTES=${this.#bufferChars}`;
        this.#drop('queue_full', 1, bound);
        return;
      }
    }
    this.#batch.add(line);
    this.#batchMessageKey = messageKey;
    if (this.#batch.count >= BATCH_LINES || this.#batch.chars >= BATCH_CHARS) this.#post();
    else if (!this.#postScheduled) {
      // A hand-off per event-loop turn cost ~100 µs per line at one or two lines a turn; waiting a
      // few milliseconds batches them. Flushes (crash, signal, exit) post at once.
      this.#postScheduled = true;
      setTimeout(() => {
        this.#postScheduled = false;
        this.#post();
      }, POST_DELAY_MS).unref();
    }
  }

  /** Tells the worker the labels of custom levels, for the records' severity text. */
  registerLevels(labels: Record<number, string>): void {
    this.#send({ kind: 'levels', labels });
  }

  /** Resolves when every line written so far has been exported or counted, or at the deadline. */
  async flush(timeoutMs: number = this.#timeoutMs): Promise<void> {
    if (this.#stopped || this.#exited) return;
    // Exporting now matters more than the last asynchronously detected resource attribute.
    this.#sendResource(this.#knownResource);
    this.#post();
    if (this.#settled()) return;
    const sequence = ++this.#flushSequence;
    const deadline = Date.now() + timeoutMs;
    this.#activeFlushDeadline = deadline;
    let timer: NodeJS.Timeout | undefined;
    try {
      const outcome = await new Promise<'done' | 'timeout'>((resolve) => {
        this.#flushWaiters.set(sequence, () => {
          resolve('done');
        });
        // A referenced timer keeps the loop alive until the worker answers or the deadline passes.
        timer = setTimeout(() => {
          resolve('timeout');
        }, timeoutMs);
        this.#send({ kind: 'flush', sequence });
        this.#resolveFlushes(Number(Atomics.load(this.#control, Slot.flushed)));
      });
      this.#lastFlushGaveUp = outcome === 'timeout';
    } finally {
      clearTimeout(timer);
      this.#flushWaiters.delete(sequence);
      if (this.#activeFlushDeadline === deadline) this.#activeFlushDeadline = undefined;
      this.#syncFailures();
    }
  }

  /**
   * The `exit` path: posts what is left and waits synchronously for the worker, within what is left
   * of a flush already under way, else within the shutdown deadline; no wait at all when the last
   * flush already ran out of time (the collector is stalled, waiting again would only delay exit).
   */
  flushAtExit(): void {
    if (this.#exited) return;
    this.#exited = true;
    if (!this.#stopped) {
      this.#sendResource(this.#knownResource);
      this.#post();
      if (!this.#settled()) {
        const sequence = ++this.#flushSequence;
        this.#send({ kind: 'flush', sequence });
        const deadline = this.#activeFlushDeadline ?? (this.#lastFlushGaveUp ? Date.now() : Date.now() + this.#timeoutMs);
        for (;;) {
          const flushed = Atomics.load(this.#control, Slot.flushed);
          const remaining = deadline - Date.now();
          if (Number(flushed) >= sequence || remaining <= 0) break;
          Atomics.wait(this.#control, Slot.flushed, flushed, remaining);
        }
      }
    }
    this.#syncFailures();
    const lost = this.#posted - this.#exported() - this.#failedReported;
    if (lost > 0) this.#drop('shutdown', lost, 'not exported by the shutdown deadline');
    const dropped = this.dropped();
    if (dropped > 0) warn(`${dropped} log line(s) were not exported (full buffer, failed export or shutdown deadline)`);
  }

  /** Lines that will never reach the collector: dropped here, failed in the worker, lost at exit. */
  dropped(): number {
    this.#syncFailures();
    return this.#droppedHere + this.#failedReported;
  }

  #outstandingUnaccepted(): number {
    return this.#posted + this.#batch.count - this.#acceptedSeen;
  }

  /**
   * Whether one more line would pass either bound on what the worker has not taken in yet. Long
   * lines (stacks, big objects) are what fill memory when the collector is down, so characters are
   * bounded as well as lines; a single line longer than the whole bound still goes when nothing waits.
   */
  #overBuffer(lineChars: number): boolean {
    if (this.#outstandingUnaccepted() >= this.#bufferLines) return true;
    const pendingChars = this.#postedChars + this.#batch.chars - this.#acceptedCharsSeen;
    return pendingChars > 0 && pendingChars + lineChars > this.#bufferChars;
  }

  #exported(): number {
    return Number(Atomics.load(this.#control, Slot.exported));
  }

  #settled(): boolean {
    this.#syncFailures();
    return this.#batch.count === 0 && this.#posted === this.#exported() + this.#failedReported;
  }

  #post(): void {
    const count = this.#batch.count;
    if (count === 0) return;
    const chars = this.#batch.chars;
    const bytes = this.#batch.take();
    if (this.#send({ kind: 'lines', bytes, count, messageKey: this.#batchMessageKey }, [bytes.buffer as ArrayBuffer])) {
      this.#posted += count;
      this.#postedChars += chars;
    } else this.#drop('shutdown', count, 'log worker stopped');
  }

  #send(message: ToLogWorker, transfer?: ArrayBuffer[]): boolean {
    if (this.#stopped) return false;
    try {
      this.#worker.postMessage(message, transfer);
      return true;
    } catch (error) {
      warn(`log export stopped: ${error instanceof Error ? error.message : String(error)}`);
      this.#stop('log worker unreachable');
      return false;
    }
  }

  #sendResource(attributes: ResourceAttributes): void {
    if (this.#resourceSent) return;
    this.#resourceSent = true;
    this.#send({ kind: 'resource', attributes });
  }

  #resolveFlushes(completed: number): void {
    for (const [sequence, resolve] of this.#flushWaiters) if (sequence <= completed) resolve();
  }

  #syncFailures(reason?: string): void {
    const failed = Number(Atomics.load(this.#control, Slot.failed));
    if (failed > this.#failedReported) {
      recordDrop('logs', 'export_failed', failed - this.#failedReported, reason);
      this.#failedReported = failed;
    }
  }

  #drop(reason: DropReason, lines: number, detail: string): void {
    this.#droppedHere += lines;
    recordDrop('logs', reason, lines, detail);
  }

  #stop(detail: string): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#syncFailures();
    const outstanding = this.#posted - this.#exported() - this.#failedReported + this.#batch.count;
    this.#batch.take();
    if (outstanding > 0) this.#drop('shutdown', outstanding, detail);
    this.#posted = this.#exported() + this.#failedReported;
    for (const resolve of this.#flushWaiters.values()) resolve();
  }
}

function isPrimitive(value: unknown): value is string | number | boolean {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

function isAttributeValue(value: unknown): value is AnyValue {
  return isPrimitive(value) || (Array.isArray(value) && value.every((item) => item === null || item === undefined || isPrimitive(item)));
}

function flatAttributes(attributes: Record<string, unknown>): ResourceAttributes {
  const out: ResourceAttributes = {};
  for (const [key, value] of Object.entries(attributes)) if (isAttributeValue(value)) out[key] = value;
  return out;
}

/** The attributes already known while detection is still under way (reading `attributes` then warns). */
function knownAttributes(resource: Resource): ResourceAttributes {
  const out: ResourceAttributes = {};
  for (const [key, value] of resource.getRawAttributes()) if (isAttributeValue(value)) out[key] = value;
  return out;
}

const SHIPPER_KEY = Symbol.for('faultline.logShipper.v1');

type ShipperHolder = typeof globalThis & { [SHIPPER_KEY]?: LogShipper | null };

/** True when the config asks for logs over OTLP (faultline enabled, OTEL_LOGS_EXPORTER includes otlp). */
export function logsGoToOtlp(config: FaultlineConfig): boolean {
  return !config.disabled && config.logsExporter.includes('otlp');
}

/**
 * The process's one log shipper (shared by every logger and every copy of faultline), started on
 * first use; undefined when logs are not exported over OTLP or the worker could not start.
 */
export function getLogShipper(): LogShipper | undefined {
  const holder = globalThis as ShipperHolder;
  const existing = holder[SHIPPER_KEY];
  if (existing !== undefined) return existing ?? undefined;
  const config = getRuntime().config;
  if (!logsGoToOtlp(config)) return undefined;
  let shipper: LogShipper | null = null;
  try {
    shipper = new LogShipper(config);
  } catch (error) {
    warn(`logs will not be exported over OTLP: ${error instanceof Error ? error.message : String(error)}`);
  }
  holder[SHIPPER_KEY] = shipper;
  if (shipper !== null) {
    const started = shipper;
    getRuntime().flushHooks.add((timeoutMs) => started.flush(timeoutMs));
    process.on('exit', () => {
      started.flushAtExit();
    });
  }
  return shipper ?? undefined;
}

/**
 * Log lines that will never reach the collector since the process started: dropped because the
 * buffer was full, failed to export, or still unexported at the shutdown deadline. Also counted in
 * the `faultline.telemetry.dropped{signal="logs"}` metric.
 */
export function droppedLogLines(): number {
  return (globalThis as ShipperHolder)[SHIPPER_KEY]?.dropped() ?? 0;
}

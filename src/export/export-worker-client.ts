import { createRequire } from 'node:module';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { AnyValue } from '@opentelemetry/api';
import type { Resource } from '@opentelemetry/resources';
import type { FaultlineConfig } from '../config.ts';
import { buildResource } from '../sdk/resource.ts';
import { warn } from '../warn.ts';
import { type DropReason, recordDrop, recordSpooled } from './drops.ts';
import {
  EXPORT_SIGNALS,
  type ExportSignal,
  type ExportTarget,
  type ExportWorkerSettings,
  type FromExportWorker,
  type Outcome,
  OUTCOMES,
  outcomeSlot,
  type PlainScopeMetrics,
  type ResourceAttributes,
  Slot,
  SLOT_COUNT,
  type ToExportWorker,
} from './export-worker-protocol.ts';
import { processKeyOf } from './spool-files.ts';

const RESOURCE_WAIT_MS = 1000;
const SCOPE_NAME = 'faultline';
// src/export and dist/export are both two levels below the package root.
const SCOPE_VERSION = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;
// Run from src/ (.ts, in tests) or dist/ (.js, installed): the worker and the line mapper sit at known places.
const EXTENSION = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
const WORKER_URL = new URL(`./export-worker${EXTENSION}`, import.meta.url);
const LINE_MAPPER_URL = new URL(`../logging/log-line-mapper${EXTENSION}`, import.meta.url).href;
// The worker's garbage is short-lived (a parsed line lives until it is encoded). V8 would let its
// young generation grow as large as the app's, tens of MiB that show up in the app's RSS, most of
// all during a collector outage; a small one costs a few more quick scavenges and no throughput.
const WORKER_YOUNG_GENERATION_MB = 4;

/** Outcomes that mean an item will never be delivered, and the drop reason each is counted under. */
const DROP_REASONS: Partial<Record<Outcome, DropReason>> = { failed: 'export_failed', spoolFull: 'spool_full', spoolUnwritable: 'spool_unwritable' };

export type PayloadOutcome = Outcome | 'not-sent';

/**
 * The main thread's side of the export worker: hands it encoded spans, collected metric points and
 * log lines, and accounts for every item, from the worker's messages while the event loop runs and
 * from the shared counters when it cannot (in an `exit` handler).
 *
 * - Every item handed over is eventually delivered, failed, spooled or refused by the spool; the
 *   worker reports each of those but deliveries. What is still unsettled when the process ends is
 *   counted as lost at shutdown.
 * - `flushAtExit()` is synchronous: it asks the worker to flush and blocks on a shared counter
 *   (Atomics.wait) until the worker is done or the deadline passes; the worker's own event loop
 *   keeps exporting meanwhile, and spools at the deadline what it could not deliver.
 */
export class ExportWorker {
  readonly #worker: Worker;
  readonly #control: BigInt64Array;
  readonly #hasSpool: boolean;
  readonly #knownResource: ResourceAttributes;
  #resourceSent: boolean;
  #nextId = 1;
  readonly #results = new Map<number, (outcome: PayloadOutcome) => void>();
  readonly #posted: Record<ExportSignal, number> = { traces: 0, metrics: 0, logs: 0 };
  /** Outcomes already counted from messages, per `outcomeSlot`. */
  readonly #counted = new Map<number, number>();
  readonly #lostAtShutdown: Record<ExportSignal, number> = { traces: 0, metrics: 0, logs: 0 };
  #flushSequence = 0;
  readonly #flushWaiters = new Map<number, () => void>();
  #stopped = false;

  constructor(config: FaultlineConfig, startedAt: number) {
    const control = new SharedArrayBuffer(SLOT_COUNT * BigInt64Array.BYTES_PER_ELEMENT);
    this.#control = new BigInt64Array(control);
    const resource = buildResource(config);
    const resourcePending = resource.asyncAttributesPending === true;
    this.#knownResource = resourcePending ? knownAttributes(resource) : flatAttributes(resource.attributes);
    this.#resourceSent = !resourcePending;
    this.#hasSpool = config.spoolDir !== undefined;
    const settings: ExportWorkerSettings = {
      control,
      targets: exportTargets(config),
      resourceAttributes: this.#knownResource,
      resourcePending,
      logs: {
        maxQueueSize: config.logQueue.maxQueueSize,
        maxBatchSize: config.logQueue.maxBatchSize,
        delayMillis: config.logQueue.delayMillis,
        attributeValueLengthLimit: config.attributeValueLengthLimit,
        scopeName: SCOPE_NAME,
        scopeVersion: SCOPE_VERSION,
        lineMapperUrl: LINE_MAPPER_URL,
      },
      spool: config.spoolDir === undefined ? undefined : { dir: path.resolve(config.spoolDir), maxBytes: config.spoolMaxBytes, processKey: processKeyOf(process.pid, startedAt) },
    };
    // The worker must not run the preload again: neither through execArgv nor through NODE_OPTIONS.
    const env: Record<string, string | undefined> = { ...process.env };
    delete env.NODE_OPTIONS;
    this.#worker = new Worker(WORKER_URL, {
      workerData: settings,
      execArgv: [],
      env,
      name: 'faultline-export',
      stdout: false,
      stderr: false,
      resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB },
    });
    this.#worker.on('message', (message: FromExportWorker) => {
      this.#receive(message);
    });
    this.#worker.on('error', (error: unknown) => {
      warn(`telemetry export stopped: ${error instanceof Error ? error.message : String(error)}`);
      this.#stop();
    });
    this.#worker.on('exit', () => {
      this.#stop();
    });
    // After the listeners: adding a 'message' listener refs the worker's port again.
    this.#worker.unref();
    if (resourcePending) {
      // Detection that never settles must not hold the logs and metrics back for longer than a moment.
      setTimeout(() => {
        this.#sendResource(this.#knownResource);
      }, RESOURCE_WAIT_MS).unref();
      (resource.waitForAsyncAttributes?.() ?? Promise.resolve()).then(
        () => {
          this.#sendResource(flatAttributes(resource.attributes));
        },
        // eslint-disable-next-line faultline/no-blind-catch -- failed detection: the attributes known so far are the resource
        () => {
          this.#sendResource(this.#knownResource);
        },
      );
    }
  }

  get stopped(): boolean {
    return this.#stopped;
  }

  /** Encoded spans; `done` hears what became of them (a full queue's overflow is `spool`ed at once). */
  postSpans(bytes: Uint8Array, count: number, done?: (outcome: PayloadOutcome) => void, spool = false): boolean {
    const id = this.#register(done);
    return this.#post('traces', count, { kind: 'spans', bytes, count, id, spool }, [bytes.buffer as ArrayBuffer], id);
  }

  /** Collected metric points (plain data), encoded by the worker with the process's resource. */
  postMetrics(scopeMetrics: PlainScopeMetrics[], count: number, done?: (outcome: PayloadOutcome) => void): boolean {
    const id = this.#register(done);
    return this.#post('metrics', count, { kind: 'metrics', scopeMetrics, count, id }, undefined, id);
  }

  /** Rendered log lines (LineBytes); `spool` sends a full buffer's overflow straight to the spool. */
  postLines(bytes: Uint8Array, count: number, messageKey: string, spool: boolean): boolean {
    return this.#post('logs', count, { kind: 'lines', bytes, count, messageKey, spool }, [bytes.buffer as ArrayBuffer], undefined);
  }

  /** Tells the worker the labels of custom log levels, for the records' severity text. */
  postLevels(labels: Record<number, string>): void {
    this.#send({ kind: 'levels', labels });
  }

  /** Ships what earlier processes left in the spool folder, in the background. */
  shipSpool(): void {
    if (this.#hasSpool) this.#send({ kind: 'ship-spool' });
  }

  get hasSpool(): boolean {
    return this.#hasSpool;
  }

  /** Log lines the worker has taken in, and their characters (the log shipper bounds what is pending). */
  logLinesAccepted(): number {
    return Number(Atomics.load(this.#control, Slot.logLinesAccepted));
  }

  logCharsAccepted(): number {
    return Number(Atomics.load(this.#control, Slot.logCharsAccepted));
  }

  /** Items of `signal` handed over and not yet delivered, failed or spooled. */
  unsettled(signal: ExportSignal): number {
    let settled = 0;
    for (const outcome of OUTCOMES) settled += Number(Atomics.load(this.#control, outcomeSlot(signal, outcome)));
    return Math.max(0, this.#posted[signal] - settled);
  }

  /** Resolves when everything handed over so far is settled, or after `timeoutMs`. */
  async flush(timeoutMs: number): Promise<void> {
    if (this.#stopped) return;
    // Exporting now matters more than the last asynchronously detected resource attribute.
    this.#sendResource(this.#knownResource);
    if (EXPORT_SIGNALS.every((signal) => this.unsettled(signal) === 0)) return;
    const sequence = ++this.#flushSequence;
    let timer: NodeJS.Timeout | undefined;
    try {
      await new Promise<void>((resolve) => {
        this.#flushWaiters.set(sequence, resolve);
        // A referenced timer keeps the loop alive until the worker answers or the deadline passes.
        timer = setTimeout(resolve, timeoutMs);
        this.#send({ kind: 'flush', sequence, exitSpoolAt: undefined });
        this.#resolveFlushes(Number(Atomics.load(this.#control, Slot.flushed)));
      });
    } finally {
      clearTimeout(timer);
      this.#flushWaiters.delete(sequence);
    }
  }

  /**
   * Tells the worker the shutdown has begun: it keeps exporting, and at `spoolAt` spools what is
   * still undelivered, on its own, while the main thread may still be busy flushing.
   */
  announceShutdown(spoolAt: number): void {
    if (this.#hasSpool) this.#send({ kind: 'flush', sequence: ++this.#flushSequence, exitSpoolAt: spoolAt });
  }

  /**
   * The `exit` path: asks the worker to flush, and waits synchronously until it is done or until
   * `deadline` (epoch ms). With a spool, the worker spools at `spoolAt` what it has not delivered.
   * Then counts what is still unsettled as lost at shutdown.
   */
  flushAtExit(deadline: number, spoolAt: number): void {
    if (!this.#stopped) {
      this.#sendResource(this.#knownResource);
      const sequence = ++this.#flushSequence;
      this.#send({ kind: 'flush', sequence, exitSpoolAt: this.#hasSpool ? spoolAt : undefined });
      for (;;) {
        const flushed = Atomics.load(this.#control, Slot.flushed);
        const remaining = deadline - Date.now();
        if (Number(flushed) >= sequence || remaining <= 0) break;
        Atomics.wait(this.#control, Slot.flushed, flushed, remaining);
      }
    }
    this.#countLost('not delivered by the shutdown deadline');
  }

  /** Counts what is handed over and still unsettled (and not counted yet) as lost at shutdown. */
  #countLost(detail: string): void {
    this.#countFromSharedCounters();
    for (const signal of EXPORT_SIGNALS) {
      const lost = this.unsettled(signal) - this.#lostAtShutdown[signal];
      if (lost > 0) {
        this.#lostAtShutdown[signal] += lost;
        recordDrop(signal, 'shutdown', lost, detail);
      }
    }
  }

  #register(done: ((outcome: PayloadOutcome) => void) | undefined): number | undefined {
    if (done === undefined) return undefined;
    const id = this.#nextId++;
    this.#results.set(id, done);
    return id;
  }

  #post(signal: ExportSignal, count: number, message: ToExportWorker, transfer: ArrayBuffer[] | undefined, id: number | undefined): boolean {
    if (this.#send(message, transfer)) {
      this.#posted[signal] += count;
      return true;
    }
    if (id !== undefined) this.#results.delete(id);
    return false;
  }

  #send(message: ToExportWorker, transfer?: ArrayBuffer[]): boolean {
    if (this.#stopped) return false;
    try {
      this.#worker.postMessage(message, transfer);
      return true;
    } catch (error) {
      warn(`telemetry export stopped: ${error instanceof Error ? error.message : String(error)}`);
      this.#stop();
      return false;
    }
  }

  #sendResource(attributes: ResourceAttributes): void {
    if (this.#resourceSent) return;
    this.#resourceSent = true;
    this.#send({ kind: 'resource', attributes });
  }

  #receive(message: FromExportWorker): void {
    switch (message.kind) {
      case 'result': {
        const done = this.#results.get(message.id);
        this.#results.delete(message.id);
        done?.(message.outcome);
        break;
      }
      case 'outcome':
        this.#count(message.signal, message.outcome, message.items, message.reason);
        break;
      case 'foreign-drop':
        recordDrop(message.signal, message.reason, message.items, message.detail);
        break;
      case 'flushed':
        this.#resolveFlushes(message.sequence);
        break;
    }
  }

  #count(signal: ExportSignal, outcome: Outcome, items: number, reason: string | undefined): void {
    const slot = outcomeSlot(signal, outcome);
    this.#counted.set(slot, (this.#counted.get(slot) ?? 0) + items);
    if (outcome === 'spooled') recordSpooled(signal, items);
    const dropReason = DROP_REASONS[outcome];
    if (dropReason !== undefined) recordDrop(signal, dropReason, items, reason);
  }

  /** Outcomes the worker counted whose messages the blocked main thread has not read. */
  #countFromSharedCounters(): void {
    for (const signal of EXPORT_SIGNALS) {
      for (const outcome of OUTCOMES) {
        if (outcome === 'delivered') continue;
        const slot = outcomeSlot(signal, outcome);
        const missing = Number(Atomics.load(this.#control, slot)) - (this.#counted.get(slot) ?? 0);
        if (missing > 0) this.#count(signal, outcome, missing, 'at exit');
      }
    }
  }

  #resolveFlushes(completed: number): void {
    for (const [sequence, resolve] of this.#flushWaiters) if (sequence <= completed) resolve();
  }

  #stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#countLost('export worker stopped');
    for (const done of this.#results.values()) done('not-sent');
    this.#results.clear();
    for (const resolve of this.#flushWaiters.values()) resolve();
  }
}

function exportTargets(config: FaultlineConfig): Partial<Record<ExportSignal, ExportTarget>> {
  const targets: Partial<Record<ExportSignal, ExportTarget>> = {};
  const enabled: Record<ExportSignal, boolean> = {
    traces: config.tracesExporter.includes('otlp'),
    metrics: config.metricsExporter.includes('otlp'),
    logs: config.logsExporter.includes('otlp'),
  };
  for (const signal of EXPORT_SIGNALS) {
    if (!enabled[signal]) continue;
    const { url, protocol, headers, timeoutMillis } = config.otlp[signal];
    targets[signal] = { url, protocol, headers, timeoutMillis };
  }
  return targets;
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

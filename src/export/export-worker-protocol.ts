// What the main thread and the export worker share. Counters live in a SharedArrayBuffer so that the
// main thread can read them, and wait on them, while its own event loop is blocked in an `exit`
// handler, when no message from the worker could be delivered.
import type { AnyValue } from '@opentelemetry/api';

export type ExportSignal = 'traces' | 'metrics' | 'logs';
export const EXPORT_SIGNALS: readonly ExportSignal[] = ['traces', 'metrics', 'logs'];

/**
 * What became of items handed to the worker; each has a slot per signal. `spoolFull` and
 * `spoolUnwritable` are items that could not be delivered and that the spool could not keep either.
 */
export type Outcome = 'delivered' | 'failed' | 'spooled' | 'spoolFull' | 'spoolUnwritable';
export const OUTCOMES: readonly Outcome[] = ['delivered', 'failed', 'spooled', 'spoolFull', 'spoolUnwritable'];

/** Slots of the shared BigInt64Array that are not per signal. */
export const Slot = {
  /** Log lines the worker has taken off its inbox into its export queue. */
  logLinesAccepted: 0,
  /** Characters of the accepted lines: the main thread bounds what is pending in characters too. */
  logCharsAccepted: 1,
  /** Sequence number of the last flush request the worker has completed. */
  flushed: 2,
} as const;

const PER_SIGNAL_BASE = 3;

/** The slot counting the items of `signal` that met `outcome` (delivered, failed, spooled, …). */
export function outcomeSlot(signal: ExportSignal, outcome: Outcome): number {
  return PER_SIGNAL_BASE + EXPORT_SIGNALS.indexOf(signal) * OUTCOMES.length + OUTCOMES.indexOf(outcome);
}

export const SLOT_COUNT = PER_SIGNAL_BASE + EXPORT_SIGNALS.length * OUTCOMES.length;

export type ResourceAttributes = Record<string, AnyValue>;

export interface ExportTarget {
  url: string;
  protocol: 'http/protobuf' | 'http/json';
  headers: Record<string, string>;
  timeoutMillis: number;
}

export interface LogSettings {
  maxQueueSize: number;
  maxBatchSize: number;
  delayMillis: number;
  attributeValueLengthLimit: number;
  scopeName: string;
  scopeVersion: string;
  /** Module whose `mapLogLine(line, messageKey, labels)` turns a log line into a record (logging/). */
  lineMapperUrl: string;
}

export interface SpoolSettings {
  dir: string;
  maxBytes: number;
  /** `<pid>-<start ms>`: names this process's files and tells whether their writer is alive. */
  processKey: string;
}

export interface ExportWorkerSettings {
  control: SharedArrayBuffer;
  /** Where each signal goes; a signal without a target is not exported over OTLP by this process. */
  targets: Partial<Record<ExportSignal, ExportTarget>>;
  resourceAttributes: ResourceAttributes;
  /** True while some resource attributes are still being detected: a `resource` message follows. */
  resourcePending: boolean;
  logs: LogSettings;
  spool: SpoolSettings | undefined;
}

/** A metric stream's points as the SDK collects them: plain data, so it crosses to the worker as is. */
export interface PlainScopeMetrics {
  scope: { name: string; version?: string; schemaUrl?: string };
  metrics: unknown[];
}

export type ToExportWorker =
  | { kind: 'lines'; bytes: Uint8Array; count: number; messageKey: string; spool: boolean }
  | { kind: 'levels'; labels: Record<number, string> }
  | { kind: 'resource'; attributes: ResourceAttributes }
  /** Encoded ExportTraceServiceRequest; `id` asks for a `result`; `spool` skips sending (a full queue's overflow). */
  | { kind: 'spans'; bytes: Uint8Array; count: number; id: number | undefined; spool: boolean }
  | { kind: 'metrics'; scopeMetrics: PlainScopeMetrics[]; count: number; id: number | undefined }
  /**
   * Export everything. `exitSpoolAt` marks the flush at exit (with a spool): from that time (epoch
   * ms) on, what is still undelivered goes to the spool, and the spool files are completed.
   */
  | { kind: 'flush'; sequence: number; exitSpoolAt: number | undefined }
  | { kind: 'ship-spool' };

export type FromExportWorker =
  | { kind: 'result'; id: number; outcome: Outcome; reason: string | undefined }
  | { kind: 'flushed'; sequence: number }
  | { kind: 'outcome'; signal: ExportSignal; outcome: Outcome; items: number; reason: string | undefined }
  /** Telemetry of other processes lost through the spool (its bound, corrupt files): counted, not part of this process's totals. */
  | { kind: 'foreign-drop'; signal: ExportSignal; reason: 'spool_full' | 'spool_corrupt'; items: number; detail: string };

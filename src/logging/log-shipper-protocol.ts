// What the main thread and the log worker share. Counters live in a SharedArrayBuffer so that the
// main thread can read them, and wait on them, while its own event loop is blocked in an `exit`
// handler, when no message from the worker could be delivered.
import type { AnyValue } from '@opentelemetry/api';

/** Slots of the shared BigInt64Array. */
export const Slot = {
  /** Lines the worker has taken off its inbox into its export queue. */
  accepted: 0,
  /** Lines whose export the collector acknowledged. */
  exported: 1,
  /** Lines that will never be exported (failed export, unreadable line). */
  failed: 2,
  /** Sequence number of the last flush request the worker has completed. */
  flushed: 3,
  /** Characters of the accepted lines: the main thread bounds what is pending in characters too. */
  acceptedChars: 4,
} as const;

export const SLOT_COUNT = 5;


export type ResourceAttributes = Record<string, AnyValue>;

export interface LogWorkerSettings {
  control: SharedArrayBuffer;
  url: string;
  protocol: 'http/protobuf' | 'http/json';
  headers: Record<string, string>;
  timeoutMillis: number;
  resourceAttributes: ResourceAttributes;
  /** True while some resource attributes are still being detected: a `resource` message follows. */
  resourcePending: boolean;
  maxQueueSize: number;
  maxBatchSize: number;
  delayMillis: number;
  attributeValueLengthLimit: number;
  scopeName: string;
  scopeVersion: string;
}

export type ToLogWorker =
  | { kind: 'lines'; bytes: Uint8Array; count: number; messageKey: string }
  | { kind: 'flush'; sequence: number }
  | { kind: 'levels'; labels: Record<number, string> }
  | { kind: 'resource'; attributes: ResourceAttributes };

export type FromLogWorker = { kind: 'failed'; lines: number; reason: string } | { kind: 'flushed'; sequence: number };

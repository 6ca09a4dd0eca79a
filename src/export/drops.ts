import type { Meter } from '@opentelemetry/api';
import { warn } from '../warn.ts';

export type DropReason = 'queue_full' | 'export_failed' | 'shutdown';
export type DroppedSignal = 'traces' | 'metrics' | 'logs';

/** Name of the self-telemetry counter; its attributes are `signal` and `reason`, both bounded. */
export const DROPPED_METRIC = 'faultline.telemetry.dropped';

const counts = new Map<string, number>();
let warned = false;

/**
 * Counts telemetry that will never reach the collector. The first drop of a process prints one
 * warning, so a dead collector is visible on stderr even when the metric itself cannot be exported.
 */
export function recordDrop(signal: DroppedSignal, reason: DropReason, items: number, detail?: string): void {
  if (items <= 0) return;
  const key = `${signal}|${reason}`;
  counts.set(key, (counts.get(key) ?? 0) + items);
  if (!warned) {
    warned = true;
    warn(`dropping telemetry: ${items} ${signal} item(s), ${reason.replace('_', ' ')}${detail === undefined ? '' : ` (${detail})`}; further drops are counted in ${DROPPED_METRIC}`);
  }
}

/** Totals per signal and reason since the process started, e.g. `{ 'traces|export_failed': 12 }`. */
export function droppedTelemetry(): Record<string, number> {
  return Object.fromEntries(counts);
}

export function observeDrops(meter: Meter): void {
  meter
    .createObservableCounter(DROPPED_METRIC, {
      unit: '{item}',
      description: 'Telemetry items faultline dropped (full queue, failed export, shutdown deadline).',
    })
    .addCallback((result) => {
      for (const [key, value] of counts) {
        const [signal, reason] = key.split('|');
        result.observe(value, { signal, reason });
      }
    });
}

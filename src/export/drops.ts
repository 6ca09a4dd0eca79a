import type { Meter } from '@opentelemetry/api';
import { warn } from '../warn.ts';

/**
 * Why telemetry will never reach the collector: a full queue, a failed export, the shutdown
 * deadline, or the spool (full, unwritable, or a spooled file that turned out corrupt).
 */
export type DropReason = 'queue_full' | 'export_failed' | 'shutdown' | 'spool_full' | 'spool_unwritable' | 'spool_corrupt';
export type DroppedSignal = 'traces' | 'metrics' | 'logs';

/** Name of the self-telemetry counter; its attributes are `signal` and `reason`, both bounded. */
export const DROPPED_METRIC = 'faultline.telemetry.dropped';
/** Items written to the spool instead of being dropped; attribute `signal`. */
export const SPOOLED_METRIC = 'faultline.telemetry.spooled';

const counts = new Map<string, number>();
const spooled = new Map<DroppedSignal, number>();
const warnedSignals = new Set<DroppedSignal>();

/**
 * Counts telemetry that will never reach the collector. The first drop of each signal prints one
 * warning, so a dead collector is visible on stderr even when the metric itself cannot be exported.
 */
export function recordDrop(signal: DroppedSignal, reason: DropReason, items: number, detail?: string): void {
  if (items <= 0) return;
  const key = `${signal}|${reason}`;
  counts.set(key, (counts.get(key) ?? 0) + items);
  if (!warnedSignals.has(signal)) {
    warnedSignals.add(signal);
    warn(`dropping telemetry: ${items} ${signal} item(s), ${reason.replaceAll('_', ' ')}${detail === undefined ? '' : ` (${detail})`}; further drops are counted in ${DROPPED_METRIC}`);
  }
}

/** Counts items kept in the spool (FAULTLINE_SPOOL_DIR) instead of being dropped. */
export function recordSpooled(signal: DroppedSignal, items: number): void {
  if (items > 0) spooled.set(signal, (spooled.get(signal) ?? 0) + items);
}

/** Totals per signal and reason since the process started, e.g. `{ 'traces|export_failed': 12 }`. */
export function droppedTelemetry(): Record<string, number> {
  return Object.fromEntries(counts);
}

/** Items of one signal dropped since the process started, whatever the reason. */
export function droppedItems(signal: DroppedSignal): number {
  let total = 0;
  for (const [key, value] of counts) if (key.startsWith(`${signal}|`)) total += value;
  return total;
}

/** Totals per signal written to the spool since the process started, e.g. `{ traces: 512 }`. */
export function spooledTelemetry(): Record<string, number> {
  return Object.fromEntries(spooled);
}

export function observeDrops(meter: Meter): void {
  meter
    .createObservableCounter(DROPPED_METRIC, {
      unit: '{item}',
      description: 'Telemetry items faultline dropped (full queue, failed export, shutdown deadline, spool).',
    })
    .addCallback((result) => {
      for (const [key, value] of counts) {
        const [signal, reason] = key.split('|');
        result.observe(value, { signal, reason });
      }
    });
  meter
    .createObservableCounter(SPOOLED_METRIC, {
      unit: '{item}',
      description: 'Telemetry items faultline wrote to the spool folder because they could not be delivered.',
    })
    .addCallback((result) => {
      for (const [signal, value] of spooled) result.observe(value, { signal });
    });
}

import { millisToHrTime } from '@opentelemetry/core';
import type { MetricData, MetricReader } from '@opentelemetry/sdk-metrics';
import { warnOnce } from '../warn.ts';
import type { PlainScopeMetrics } from './export-worker-protocol.ts';

/**
 * Collects a metric reader's points synchronously, for the `exit` event, where no promise ever
 * settles: the SDK's `collect()` is async only to run observable callbacks under a timeout, so
 * this walks the same internal state it walks (the reader's collector, each meter's storages and
 * observable callbacks) without awaiting. It leans on sdk-metrics internals: the version is pinned
 * with the SDK (ARCHITECTURE.md), every access is checked, and a shape it does not know is one
 * warning and no metrics at exit, never an exception (test/export/exit-paths.test.ts fails first).
 */

/** A producer of metrics kept outside the SDK (the HTTP duration histogram) that can also answer now. */
export interface SyncMetricProducer {
  collectNow(): PlainScopeMetrics[];
}

interface ObservableResultClass {
  new (name: string, valueType: unknown): { _buffer: unknown };
}
interface BatchObservableResultClass {
  new (): { _buffer: Map<unknown, unknown> };
}
interface MetricStorage {
  collect(collector: unknown, time: unknown): MetricData | undefined | null;
  record?(measurements: unknown, time: unknown): void;
}
interface ObservableInstrument {
  _descriptor: { name: string; valueType: unknown };
  _metricStorages: MetricStorage[];
}
interface MeterSharedState {
  metricStorageRegistry: { getStorages(collector: unknown): MetricStorage[] } | undefined;
  observableRegistry: {
    _callbacks: { callback: (result: unknown) => unknown; instrument: ObservableInstrument }[];
    _batchCallbacks: { callback: (result: unknown) => unknown; instruments: Set<ObservableInstrument> }[];
  } | undefined;
  _instrumentationScope: PlainScopeMetrics['scope'];
}

let resultClasses: { single: ObservableResultClass; batch: BatchObservableResultClass } | undefined;

/**
 * Loads the SDK's ObservableResult classes from the module the SDK itself loaded (by file URL: the
 * package's exports map does not list it); at start-up, since `import()` cannot finish at exit.
 */
export async function prepareMetricsAtExit(): Promise<void> {
  try {
    const index = import.meta.resolve('@opentelemetry/sdk-metrics');
    const module = (await import(new URL('./ObservableResult.mjs', index).href)) as { ObservableResultImpl?: ObservableResultClass; BatchObservableResultImpl?: BatchObservableResultClass };
    if (typeof module.ObservableResultImpl === 'function' && typeof module.BatchObservableResultImpl === 'function') {
      resultClasses = { single: module.ObservableResultImpl, batch: module.BatchObservableResultImpl };
    }
  } catch { // eslint-disable-line faultline/no-blind-catch -- observable instruments are then left out at exit (reported when it matters)
  }
}

function unknownShape(what: string): void {
  warnOnce('metrics-at-exit', `metrics cannot be collected at exit with this @opentelemetry/sdk-metrics (${what}); they are delivered on signals and crashes only`);
  return undefined;
}

/** Runs observable callbacks synchronously (a callback that returns a promise contributes what it observed before). */
function observeNow(state: MeterSharedState, time: unknown): void {
  const registry = state.observableRegistry;
  if (resultClasses === undefined || registry === undefined) return;
  for (const { callback, instrument } of registry._callbacks) {
    try {
      const result = new resultClasses.single(instrument._descriptor.name, instrument._descriptor.valueType);
      void callback(result);
      for (const storage of instrument._metricStorages) storage.record?.(result._buffer, time);
    } catch { // eslint-disable-line faultline/no-blind-catch -- one failing callback must not cost the others their points
    }
  }
  for (const { callback, instruments } of registry._batchCallbacks) {
    try {
      const result = new resultClasses.batch();
      void callback(result);
      for (const instrument of instruments) {
        const buffer = result._buffer.get(instrument);
        if (buffer !== undefined) for (const storage of instrument._metricStorages) storage.record?.(buffer, time);
      }
    } catch { // eslint-disable-line faultline/no-blind-catch -- as above
    }
  }
}

/** The reader's points now, as plain scope metrics; undefined when the SDK's shape is not the known one. */
export function collectMetricsNow(reader: MetricReader, producers: readonly SyncMetricProducer[]): PlainScopeMetrics[] | undefined {
  const collector = (reader as unknown as { _sdkMetricProducer?: { _sharedState?: { meterSharedStates?: Map<unknown, MeterSharedState> } } })._sdkMetricProducer;
  const states = collector?._sharedState?.meterSharedStates;
  if (!(states instanceof Map)) {
    unknownShape('no meter states on the reader');
    return undefined;
  }
  const time = millisToHrTime(Date.now());
  const scopeMetrics: PlainScopeMetrics[] = [];
  for (const state of states.values()) {
    const storages = state.metricStorageRegistry;
    if (typeof storages?.getStorages !== 'function' || !Array.isArray(state.observableRegistry?._callbacks)) {
      unknownShape('meter state');
      return undefined;
    }
    observeNow(state, time);
    const metrics: MetricData[] = [];
    for (const storage of storages.getStorages(collector)) {
      const data = storage.collect(collector, time);
      if (data !== undefined && data !== null) metrics.push(data);
    }
    if (metrics.length > 0) scopeMetrics.push({ scope: state._instrumentationScope, metrics });
  }
  for (const producer of producers) scopeMetrics.push(...producer.collectNow());
  return scopeMetrics;
}

/** Data points in scope metrics: what the drop and delivery counts of metrics are counted in. */
export function countPoints(scopeMetrics: readonly PlainScopeMetrics[]): number {
  let points = 0;
  for (const scope of scopeMetrics) for (const metric of scope.metrics as MetricData[]) points += metric.dataPoints.length;
  return points;
}

/** What the points say, without their times: equal strings mean nothing changed between two collections. */
export function pointValues(scopeMetrics: readonly PlainScopeMetrics[]): string {
  return JSON.stringify(
    scopeMetrics.map((scope) => (scope.metrics as MetricData[]).map((metric) => [metric.descriptor.name, metric.dataPoints.map((point) => [point.attributes, point.value])])),
  );
}

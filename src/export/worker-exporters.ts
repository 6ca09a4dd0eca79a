import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { AggregationTemporality, type MetricData, type PushMetricExporter, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import type { SealedBatch } from './batches.ts';
import type { BatchExporter } from './batch-queue.ts';
import type { PayloadOutcome } from './export-worker-client.ts';
import type { PlainScopeMetrics } from './export-worker-protocol.ts';
import { getExportWorker } from './export-worker-instance.ts';
import { countPoints } from './metrics-at-exit.ts';

const NOT_SENT: ExportResult = { code: ExportResultCode.FAILED, error: new Error('the export worker is not running') };

/**
 * The batch queue's result: delivered and spooled batches are done; a failed one was counted as
 * dropped by the worker client already, so the queue hears success either way and counts nothing twice.
 */
function queueResult(outcome: PayloadOutcome): ExportResult {
  return outcome === 'not-sent' ? NOT_SENT : { code: ExportResultCode.SUCCESS };
}

/** Hands encoded span batches to the export worker. */
export class WorkerSpanExporter implements BatchExporter<Uint8Array> {
  export(batch: SealedBatch<Uint8Array>, done: (result: ExportResult) => void): void {
    const worker = getExportWorker();
    if (worker?.postSpans(batch.payload, batch.count, (outcome) => {
      done(queueResult(outcome));
    }) !== true) done(NOT_SENT);
  }

  /** A full queue's oldest batch, straight to the spool (only with a spool). */
  spool(batch: SealedBatch<Uint8Array>): boolean {
    const worker = getExportWorker();
    return worker?.hasSpool === true && worker.postSpans(batch.payload, batch.count, undefined, true);
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

/** At exit: queued spans go without waiting for an answer; the exit flush accounts for them. */
export function handOffSpans(batch: SealedBatch<Uint8Array>): boolean {
  return getExportWorker()?.postSpans(batch.payload, batch.count) === true;
}

/** Scope metrics as plain data (the SDK's objects carry nothing else, but say so explicitly). */
export function plainScopeMetrics(metrics: ResourceMetrics): PlainScopeMetrics[] {
  return metrics.scopeMetrics.map((scope) => ({
    scope: { name: scope.scope.name, version: scope.scope.version, schemaUrl: scope.scope.schemaUrl },
    metrics: scope.metrics.map((metric: MetricData) => ({ ...metric, descriptor: { ...metric.descriptor } })),
  }));
}

/**
 * A PushMetricExporter that hands collected points to the export worker; always cumulative. The
 * reader hears success once the worker has them: the worker accounts for their delivery (a failure
 * is counted as a drop there), and flushes wait for the worker itself, so the reader's own export
 * timeout has nothing left to time out.
 */
export function workerMetricExporter(): PushMetricExporter {
  return {
    export(metrics, done) {
      const scopeMetrics = plainScopeMetrics(metrics);
      done(getExportWorker()?.postMetrics(scopeMetrics, countPoints(scopeMetrics)) === true ? { code: ExportResultCode.SUCCESS } : NOT_SENT);
    },
    forceFlush: () => Promise.resolve(),
    shutdown: () => Promise.resolve(),
    // Prometheus rejects delta temporality by default, and cumulative survives a lost export.
    selectAggregationTemporality: () => AggregationTemporality.CUMULATIVE,
  };
}

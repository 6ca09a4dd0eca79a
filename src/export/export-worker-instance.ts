import { getRuntime } from '../runtime.ts';
import { warn } from '../warn.ts';
import { ExportWorker } from './export-worker-client.ts';

const WORKER_KEY = Symbol.for('faultline.exportWorker.v1');

type WorkerHolder = typeof globalThis & { [WORKER_KEY]?: ExportWorker | null };

/** True when anything goes to OTLP or to the spool: only then is there an export worker. */
export function exportsOverOtlp(): boolean {
  const config = getRuntime().config;
  if (config.disabled) return false;
  return config.tracesExporter.includes('otlp') || config.metricsExporter.includes('otlp') || config.logsExporter.includes('otlp');
}

/**
 * The process's one export worker (shared by every copy of faultline), started on first use: the
 * first batch of spans, metric points or log lines, or the spool's shipping after start-up.
 * Undefined when nothing is exported over OTLP or the worker could not start.
 */
export function getExportWorker(): ExportWorker | undefined {
  const holder = globalThis as WorkerHolder;
  const existing = holder[WORKER_KEY];
  if (existing !== undefined) return existing ?? undefined;
  if (!exportsOverOtlp()) return undefined;
  let worker: ExportWorker | null = null;
  try {
    // The process's start: with the pid it names this process's spool files, across restarts too.
    worker = new ExportWorker(getRuntime().config, Math.round(performance.timeOrigin));
  } catch (error) {
    warn(`telemetry will not be exported over OTLP: ${error instanceof Error ? error.message : String(error)}`);
  }
  holder[WORKER_KEY] = worker;
  return worker ?? undefined;
}

/** The export worker if one was started; never starts one. */
export function runningExportWorker(): ExportWorker | undefined {
  return (globalThis as WorkerHolder)[WORKER_KEY] ?? undefined;
}

import { ConsoleLogRecordExporter, type LogRecordProcessor, type ReadableLogRecord, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { ConsoleMetricExporter, type IMetricReader, type MetricProducer, type MetricReader, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { ConsoleSpanExporter, SimpleSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace';
import type { FaultlineConfig, SignalExportConfig } from '../config.ts';
import { warnOnce } from '../warn.ts';
import { QueuedLogRecordProcessor } from './log-processor.ts';
import { QueuedSpanProcessor } from './span-processor.ts';
import { LazyExporter } from './lazy-exporter.ts';
import { unrefAgentFactory } from './unref-agent.ts';
import { EncodedSpanBatch } from './otlp-trace-encoder.ts';
import { WorkerSpanExporter, workerMetricExporter } from './worker-exporters.ts';

// OTLP goes through the export worker (export-worker.ts): spans are encoded here as they end and
// sent from there, in either protocol; metric points are collected here and encoded there. The
// console exporters print on the app's thread, as the SDK's do.

function otlpOptions(signal: SignalExportConfig): { url: string; headers: Record<string, string>; timeoutMillis: number } {
  return { url: signal.url, headers: signal.headers, timeoutMillis: signal.timeoutMillis };
}

export function createSpanProcessors(config: FaultlineConfig): SpanProcessor[] {
  const processors: SpanProcessor[] = [];
  for (const name of new Set(config.tracesExporter)) {
    if (name === 'otlp') {
      const exporter = new WorkerSpanExporter();
      // With a spool, a full queue's oldest batch goes there instead of new spans being dropped.
      const overflow = config.spoolDir === undefined ? undefined : exporter.spool.bind(exporter);
      processors.push(new QueuedSpanProcessor(exporter, config.spanQueue, () => new EncodedSpanBatch(), true, overflow));
    } else if (name === 'console') {
      processors.push(new SimpleSpanProcessor({ exporter: new ConsoleSpanExporter() }));
    }
  }
  return processors;
}

/** Processors for records of the OpenTelemetry logs API; `createLogger` lines go through the log shipper. */
export function createLogProcessors(config: FaultlineConfig): LogRecordProcessor[] {
  const processors: LogRecordProcessor[] = [];
  for (const name of new Set(config.logsExporter)) {
    if (name === 'otlp') {
      // On the app's thread: an export in flight must not keep a finished app alive past the deadline.
      const options = { ...otlpOptions(config.otlp.logs), httpAgentOptions: unrefAgentFactory(config.otlp.logs.tls) };
      const json = config.otlp.logs.protocol === 'http/json';
      const exporter = new LazyExporter<ReadableLogRecord[]>(async () =>
        json ? new (await import('@opentelemetry/exporter-logs-otlp-http')).OTLPLogExporter(options) : new (await import('@opentelemetry/exporter-logs-otlp-proto')).OTLPLogExporter(options),
      );
      processors.push(new QueuedLogRecordProcessor(exporter, config.logQueue));
    } else if (name === 'console') {
      processors.push(new SimpleLogRecordProcessor({ exporter: new ConsoleLogRecordExporter() }));
    }
  }
  return processors;
}

export interface MetricReaders {
  readers: IMetricReader[];
  /** The readers whose points go to the export worker: the exit path collects them synchronously. */
  workerReaders: MetricReader[];
}

/** `producers` are metrics kept outside the SDK's instruments (the HTTP duration histogram); every reader reads them. */
export async function createMetricReaders(config: FaultlineConfig, producers: MetricProducer[]): Promise<MetricReaders> {
  const readers: IMetricReader[] = [];
  const workerReaders: MetricReader[] = [];
  const periodic = (exporter: ConstructorParameters<typeof PeriodicExportingMetricReader>[0]['exporter']): PeriodicExportingMetricReader =>
    new PeriodicExportingMetricReader({
      exporter,
      exportIntervalMillis: config.metricIntervalMillis,
      exportTimeoutMillis: Math.min(config.metricTimeoutMillis, config.metricIntervalMillis),
      metricProducers: producers,
    });
  for (const name of new Set(config.metricsExporter)) {
    if (name === 'otlp') {
      const reader = periodic(workerMetricExporter());
      readers.push(reader);
      workerReaders.push(reader);
    } else if (name === 'console') {
      readers.push(periodic(new ConsoleMetricExporter()));
    } else if (name === 'prometheus') {
      const { host, port } = config.prometheus;
      const { PrometheusExporter } = await import('@opentelemetry/exporter-prometheus');
      readers.push(
        new PrometheusExporter({ host, port, metricProducers: producers }, (error) => {
          if (error !== undefined) warnOnce('prometheus-listen', `Prometheus exporter could not listen on ${host}:${port}: ${String(error)}`);
        }),
      );
    }
  }
  return { readers, workerReaders };
}

import { ExportResultCode } from '@opentelemetry/core';
import { ConsoleLogRecordExporter, type LogRecordProcessor, type ReadableLogRecord, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import {
  AggregationTemporality,
  ConsoleMetricExporter,
  type IMetricReader,
  type MetricProducer,
  PeriodicExportingMetricReader,
  type PushMetricExporter,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import { ConsoleSpanExporter, type ReadableSpan, SimpleSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace';
import type { FaultlineConfig, SignalExportConfig } from '../config.ts';
import { warnOnce } from '../warn.ts';
import { recordDrop } from './drops.ts';
import { QueuedLogRecordProcessor } from './log-processor.ts';
import { QueuedSpanProcessor } from './span-processor.ts';
import { arrayBatch } from './batches.ts';
import { LazyExporter, lazyMetricExporter } from './lazy-exporter.ts';
import { EncodedSpanBatch } from './otlp-trace-encoder.ts';

// Exporters are imported only when configured, and the OTLP ones only at their first export
// (lazy-exporter.ts): each pulls in its own module graph, which the app's start-up should not wait for.

function otlpOptions(signal: SignalExportConfig): { url: string; headers: Record<string, string>; timeoutMillis: number } {
  return { url: signal.url, headers: signal.headers, timeoutMillis: signal.timeoutMillis };
}

export function createSpanProcessors(config: FaultlineConfig): SpanProcessor[] {
  const processors: SpanProcessor[] = [];
  for (const name of new Set(config.tracesExporter)) {
    if (name === 'otlp') {
      const options = otlpOptions(config.otlp.traces);
      if (config.otlp.traces.protocol === 'http/json') {
        const exporter = new LazyExporter(async () => new (await import('@opentelemetry/exporter-trace-otlp-http')).OTLPTraceExporter(options));
        processors.push(new QueuedSpanProcessor(exporter, config.spanQueue, arrayBatch<ReadableSpan>));
      } else {
        const exporter = new LazyExporter(async () => new (await import('./otlp-encoded-exporter.ts')).EncodedOtlpExporter('traces', options));
        processors.push(new QueuedSpanProcessor(exporter, config.spanQueue, () => new EncodedSpanBatch(), true));
      }
    } else if (name === 'console') {
      processors.push(new SimpleSpanProcessor({ exporter: new ConsoleSpanExporter() }));
    }
  }
  return processors;
}

export function createLogProcessors(config: FaultlineConfig): LogRecordProcessor[] {
  const processors: LogRecordProcessor[] = [];
  for (const name of new Set(config.logsExporter)) {
    if (name === 'otlp') {
      const options = otlpOptions(config.otlp.logs);
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

function countDataPoints(metrics: ResourceMetrics): number {
  let points = 0;
  for (const scope of metrics.scopeMetrics) for (const metric of scope.metrics) points += metric.dataPoints.length;
  return points;
}

/** Counts the data points of failed metric exports as drops; cumulative series recover on the next export. */
function countingFailures(exporter: PushMetricExporter): PushMetricExporter {
  return {
    export(metrics, done) {
      exporter.export(metrics, (result) => {
        if (result.code !== ExportResultCode.SUCCESS) recordDrop('metrics', 'export_failed', countDataPoints(metrics), result.error?.message);
        done(result);
      });
    },
    forceFlush: () => exporter.forceFlush(),
    shutdown: () => exporter.shutdown(),
    selectAggregationTemporality: exporter.selectAggregationTemporality?.bind(exporter),
    selectAggregation: exporter.selectAggregation?.bind(exporter),
  };
}

/** `producers` are metrics kept outside the SDK's instruments (the HTTP duration histogram); every reader reads them. */
export async function createMetricReaders(config: FaultlineConfig, producers: MetricProducer[]): Promise<IMetricReader[]> {
  const readers: IMetricReader[] = [];
  const periodic = (exporter: PushMetricExporter): PeriodicExportingMetricReader =>
    new PeriodicExportingMetricReader({
      exporter: countingFailures(exporter),
      exportIntervalMillis: config.metricIntervalMillis,
      exportTimeoutMillis: Math.min(config.metricTimeoutMillis, config.metricIntervalMillis),
      metricProducers: producers,
    });
  for (const name of new Set(config.metricsExporter)) {
    if (name === 'otlp') {
      // Prometheus rejects delta temporality by default, and cumulative survives a lost export.
      const options = { ...otlpOptions(config.otlp.metrics), temporalityPreference: AggregationTemporality.CUMULATIVE };
      const json = config.otlp.metrics.protocol === 'http/json';
      readers.push(
        periodic(
          lazyMetricExporter(async () =>
            json ? new (await import('@opentelemetry/exporter-metrics-otlp-http')).OTLPMetricExporter(options) : new (await import('@opentelemetry/exporter-metrics-otlp-proto')).OTLPMetricExporter(options),
          ),
        ),
      );
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
  return readers;
}

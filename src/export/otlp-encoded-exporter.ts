import { OTLPExporterBase } from '@opentelemetry/otlp-exporter-base';
import { convertLegacyHttpOptions, createOtlpHttpExportDelegate } from '@opentelemetry/otlp-exporter-base/node-http';
import {
  JsonLogsSerializer,
  JsonMetricsSerializer,
  JsonTraceSerializer,
  LogsExporterMetricsHelper,
  MetricsExporterMetricsHelper,
  ProtobufLogsSerializer,
  ProtobufMetricsSerializer,
  ProtobufTraceSerializer,
  TraceExporterMetricsHelper,
} from '@opentelemetry/otlp-transformer';

const SIGNALS = {
  traces: { env: 'TRACES', path: 'v1/traces', component: 'otlp_http_span_exporter', protobuf: ProtobufTraceSerializer, json: JsonTraceSerializer, metrics: TraceExporterMetricsHelper },
  metrics: { env: 'METRICS', path: 'v1/metrics', component: 'otlp_http_metric_exporter', protobuf: ProtobufMetricsSerializer, json: JsonMetricsSerializer, metrics: MetricsExporterMetricsHelper },
  logs: { env: 'LOGS', path: 'v1/logs', component: 'otlp_http_log_exporter', protobuf: ProtobufLogsSerializer, json: JsonLogsSerializer, metrics: LogsExporterMetricsHelper },
} as const;

const CONTENT_TYPES = { protobuf: 'application/x-protobuf', json: 'application/json' } as const;

/**
 * OTLP/HTTP exporter for request bodies faultline has already encoded (protobuf from its encoders,
 * or the OTLP/JSON made of them): the SDK's transport (retries, timeouts, headers, agent) without
 * its serializer.
 */
export class EncodedOtlpExporter extends OTLPExporterBase<Uint8Array> {
  constructor(signal: keyof typeof SIGNALS, options: { url: string; headers: Record<string, string>; timeoutMillis: number }, body: 'protobuf' | 'json' = 'protobuf') {
    const { env, path, component, metrics } = SIGNALS[signal];
    const response = SIGNALS[signal][body];
    super(
      createOtlpHttpExportDelegate(
        // What the SDK's own OTLP exporters call: it applies the OTEL_EXPORTER_OTLP_* fallbacks and the agent defaults.
        // eslint-disable-next-line @typescript-eslint/no-deprecated
        convertLegacyHttpOptions(options, env, path, { 'Content-Type': CONTENT_TYPES[body] }),
        { serializeRequest: (request: Uint8Array) => request, deserializeResponse: (data: Uint8Array) => response.deserializeResponse(data) },
        component,
        // The helper counts items of a request for the SDK's self-metrics, which are off (no meter
        // provider is given); ours are bytes it cannot count, so it counts none.
        { name: metrics.name, countItems: () => 0 },
        undefined,
      ),
    );
  }
}

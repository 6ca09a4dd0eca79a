import { OTLPExporterBase } from '@opentelemetry/otlp-exporter-base';
import { convertLegacyHttpOptions, createOtlpHttpExportDelegate } from '@opentelemetry/otlp-exporter-base/node-http';
import { LogsExporterMetricsHelper, ProtobufLogsSerializer, ProtobufTraceSerializer, TraceExporterMetricsHelper } from '@opentelemetry/otlp-transformer';

const SIGNALS = {
  traces: { env: 'TRACES', path: 'v1/traces', component: 'otlp_http_span_exporter', response: ProtobufTraceSerializer, metrics: TraceExporterMetricsHelper },
  logs: { env: 'LOGS', path: 'v1/logs', component: 'otlp_http_log_exporter', response: ProtobufLogsSerializer, metrics: LogsExporterMetricsHelper },
} as const;

/**
 * OTLP/HTTP protobuf exporter for requests faultline has already encoded (EncodedSpanBatch,
 * EncodedLogBatch): the SDK's transport (retries, timeouts, headers, agent) without its serializer.
 */
export class EncodedOtlpExporter extends OTLPExporterBase<Uint8Array> {
  constructor(signal: keyof typeof SIGNALS, options: { url: string; headers: Record<string, string>; timeoutMillis: number }) {
    const { env, path, component, response, metrics } = SIGNALS[signal];
    super(
      createOtlpHttpExportDelegate(
        // What the SDK's own OTLP exporters call: it applies the OTEL_EXPORTER_OTLP_* fallbacks and the agent defaults.
        // eslint-disable-next-line @typescript-eslint/no-deprecated
        convertLegacyHttpOptions(options, env, path, { 'Content-Type': 'application/x-protobuf' }),
        { serializeRequest: (request: Uint8Array) => request, deserializeResponse: (data: Uint8Array) => response.deserializeResponse(data) },
        component,
        // The helper counts items for the SDK's self-metrics, which are off (no meter provider is given).
        metrics as never,
        undefined,
      ),
    );
  }
}

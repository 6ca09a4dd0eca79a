import { OTLPExporterBase } from '@opentelemetry/otlp-exporter-base';
import { convertLegacyHttpOptions, createOtlpHttpExportDelegate } from '@opentelemetry/otlp-exporter-base/node-http';
import { ProtobufTraceSerializer, TraceExporterMetricsHelper } from '@opentelemetry/otlp-transformer';

/**
 * OTLP/HTTP protobuf span exporter: the SDK's transport (retries, timeouts, headers, agent) for
 * requests that faultline has already encoded (EncodedSpanBatch), in place of the SDK's serializer.
 */
export class ProtobufSpanExporter extends OTLPExporterBase<Uint8Array> {
  constructor(options: { url: string; headers: Record<string, string>; timeoutMillis: number }) {
    super(
      createOtlpHttpExportDelegate(
        // What the SDK's own OTLP exporters call: it applies the OTEL_EXPORTER_OTLP_* fallbacks and the agent defaults.
        // eslint-disable-next-line @typescript-eslint/no-deprecated
        convertLegacyHttpOptions(options, 'TRACES', 'v1/traces', { 'Content-Type': 'application/x-protobuf' }),
        { serializeRequest: (request: Uint8Array) => request, deserializeResponse: (data: Uint8Array) => ProtobufTraceSerializer.deserializeResponse(data) },
        'otlp_http_span_exporter',
        // The helper counts spans for the SDK's self-metrics, which are off (no meter provider is given).
        TraceExporterMetricsHelper as never,
        undefined,
      ),
    );
  }
}

import { OTLPExporterBase } from '@opentelemetry/otlp-exporter-base';
import { convertLegacyHttpOptions, createOtlpHttpExportDelegate } from '@opentelemetry/otlp-exporter-base/node-http';
import { ProtobufTraceSerializer, TraceExporterMetricsHelper } from '@opentelemetry/otlp-transformer';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { encodeTraceExportRequest } from './otlp-trace-encoder.ts';

/**
 * OTLP/HTTP protobuf span exporter: the SDK's transport (retries, timeouts, headers, agent) with
 * faultline's encoder in place of the SDK's serializer.
 */
export class ProtobufSpanExporter extends OTLPExporterBase<ReadableSpan[]> {
  constructor(options: { url: string; headers: Record<string, string>; timeoutMillis: number }) {
    super(
      createOtlpHttpExportDelegate(
        // What the SDK's own OTLP exporters call: it applies the OTEL_EXPORTER_OTLP_* fallbacks and the agent defaults.
        // eslint-disable-next-line @typescript-eslint/no-deprecated
        convertLegacyHttpOptions(options, 'TRACES', 'v1/traces', { 'Content-Type': 'application/x-protobuf' }),
        { serializeRequest: encodeTraceExportRequest, deserializeResponse: (data: Uint8Array) => ProtobufTraceSerializer.deserializeResponse(data) },
        'otlp_http_span_exporter',
        TraceExporterMetricsHelper,
        undefined,
      ),
    );
  }
}

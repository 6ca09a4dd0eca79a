import path from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import type { Signal } from '../config.ts';

// The official OTLP .proto files sit beside this module (src/receiver/proto, copied to
// dist/receiver/proto by the build), so protobuf and JSON bodies are read with the real schema.
const PROTO_DIR = fileURLToPath(new URL('./proto/', import.meta.url));

const SERVICE_FILES: Record<Signal, string> = {
  traces: 'opentelemetry/proto/collector/trace/v1/trace_service.proto',
  metrics: 'opentelemetry/proto/collector/metrics/v1/metrics_service.proto',
  logs: 'opentelemetry/proto/collector/logs/v1/logs_service.proto',
};

const SERVICE_MESSAGES: Record<Signal, { request: string; response: string }> = {
  traces: {
    request: 'opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest',
    response: 'opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse',
  },
  metrics: {
    request: 'opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest',
    response: 'opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse',
  },
  logs: {
    request: 'opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest',
    response: 'opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse',
  },
};

export interface OtlpSchema {
  requests: Record<Signal, protobuf.Type>;
  responses: Record<Signal, protobuf.Type>;
  /** google.rpc.Status, the body OTLP/HTTP prescribes for error responses. */
  status: protobuf.Type;
}

let schema: OtlpSchema | undefined;

/** Loads the vendored .proto files once per process. Throws if they are missing (a broken install). */
export function loadSchema(): OtlpSchema {
  if (schema !== undefined) return schema;
  const root = new protobuf.Root();
  // Imports in the .proto files are relative to the proto root, not to the importing file.
  root.resolvePath = (_origin, target) => (path.isAbsolute(target) ? target : path.join(PROTO_DIR, target));
  root.loadSync(Object.values(SERVICE_FILES));
  root.resolveAll();
  const requests = {} as Record<Signal, protobuf.Type>;
  const responses = {} as Record<Signal, protobuf.Type>;
  for (const signal of Object.keys(SERVICE_MESSAGES) as Signal[]) {
    requests[signal] = root.lookupType(SERVICE_MESSAGES[signal].request);
    responses[signal] = root.lookupType(SERVICE_MESSAGES[signal].response);
  }
  schema = { requests, responses, status: rpcStatusType() };
  return schema;
}

// google/rpc/status.proto is not part of OTLP's files; its two scalar fields are all an error body
// carries here (`details` is left empty), so it is declared rather than vendored.
function rpcStatusType(): protobuf.Type {
  const status = new protobuf.Type('Status')
    .add(new protobuf.Field('code', 1, 'int32'))
    .add(new protobuf.Field('message', 2, 'string'));
  new protobuf.Root().define('google.rpc').add(status);
  return status;
}

import type { InstrumentationScope } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import { ProtobufWriter } from './protobuf-writer.ts';

// The OTLP common messages (KeyValue, AnyValue, Resource, InstrumentationScope), written field for
// field in the order the SDK's serializer uses, so that the bytes are the same as the SDK's.

const MIN_INT64 = -(2 ** 63);
const MAX_INT64 = 2 ** 63;

/**
 * One KeyValue under `field`. `limit` truncates strings (and byte arrays) at any depth, as the
 * SDK's attribute limits do; the SDK's own records arrive truncated already (limit Infinity).
 */
export function writeKeyValue(writer: ProtobufWriter, field: number, key: string, value: unknown, limit = Infinity): void {
  writer.tag(field, 2);
  const keyValue = writer.begin();
  writer.tag(1, 2);
  writer.string(key);
  writer.tag(2, 2);
  const at = writer.begin();
  writeAnyValue(writer, value, limit);
  writer.end(at);
  writer.end(keyValue);
}

/** Repeated KeyValue under `field`. */
export function writeAttributes(writer: ProtobufWriter, attributes: object, field: number, limit = Infinity): void {
  for (const key in attributes) {
    if (!Object.prototype.hasOwnProperty.call(attributes, key)) continue;
    writeKeyValue(writer, field, key, (attributes as Record<string, unknown>)[key], limit);
  }
}

/** An AnyValue (without tag and length). */
export function writeAnyValue(writer: ProtobufWriter, value: unknown, limit = Infinity): void {
  switch (typeof value) {
    case 'string':
      writer.tag(1, 2);
      writer.string(value.length > limit ? value.substring(0, limit) : value);
      return;
    case 'boolean':
      writer.tag(2, 0);
      writer.varint(value ? 1 : 0);
      return;
    case 'number':
      if (Number.isInteger(value) && value >= MIN_INT64 && value < MAX_INT64) {
        writer.tag(3, 0);
        writer.varint(value);
      } else {
        writer.tag(4, 1);
        writer.double(value);
      }
      return;
    default:
  }
  if (value instanceof Uint8Array) {
    writer.tag(7, 2);
    writer.bytes(value.length > limit ? value.slice(0, limit) : value);
  } else if (Array.isArray(value)) {
    writer.tag(5, 2);
    const array = writer.begin();
    for (const item of value) {
      writer.tag(1, 2);
      const entry = writer.begin();
      writeAnyValue(writer, item, limit);
      writer.end(entry);
    }
    writer.end(array);
  } else if (typeof value === 'object' && value !== null) {
    writer.tag(6, 2);
    const list = writer.begin();
    writeAttributes(writer, value, 1, limit);
    writer.end(list);
  }
}

// Resources and scopes are the same few objects for every span of a process: their bytes are kept.
const resourceBytes = new WeakMap<Resource, Uint8Array>();
const scopeBytes = new WeakMap<InstrumentationScope, Uint8Array>();
const scratch = new ProtobufWriter(4096);

/** The Resource message (without tag and length). */
export function encodedResource(resource: Resource): Uint8Array {
  const cached = resourceBytes.get(resource);
  if (cached !== undefined) return cached;
  scratch.reset();
  writeAttributes(scratch, resource.attributes, 1);
  scratch.tag(2, 0);
  scratch.varint(0);
  const bytes = scratch.finish();
  // A resource still waiting for asynchronous detectors may gain attributes: encode it again next time.
  if (resource.asyncAttributesPending !== true) resourceBytes.set(resource, bytes);
  return bytes;
}

/** The InstrumentationScope message (without tag and length). */
export function encodedScope(scope: InstrumentationScope & { attributes?: object; droppedAttributesCount?: number }): Uint8Array {
  const cached = scopeBytes.get(scope);
  if (cached !== undefined) return cached;
  scratch.reset();
  scratch.tag(1, 2);
  scratch.string(scope.name);
  if (scope.version) {
    scratch.tag(2, 2);
    scratch.string(scope.version);
  }
  if (scope.attributes) writeAttributes(scratch, scope.attributes, 3);
  if (scope.droppedAttributesCount) {
    scratch.tag(4, 0);
    scratch.varint(scope.droppedAttributesCount);
  }
  const bytes = scratch.finish();
  scopeBytes.set(scope, bytes);
  return bytes;
}

/** A cached message under `field`, with its length. */
function writeMessage(writer: ProtobufWriter, field: number, bytes: Uint8Array): void {
  writer.tag(field, 2);
  writer.bytes(bytes);
}

/** The records of one instrumentation scope, already encoded each under the field of its kind. */
export interface ScopeRecords {
  scope: Uint8Array;
  schemaUrl?: string;
  records: ProtobufWriter;
}

/** The scopes of one resource. */
export interface ResourceRecords {
  resource: Uint8Array;
  schemaUrl?: string;
  scopes: Iterable<ScopeRecords>;
}

const assembler = new ProtobufWriter();

/**
 * An export request (ExportTraceServiceRequest, ExportLogsServiceRequest): the two share one
 * layout, resource groups under field 1, each with its resource (1), scope groups (2) holding the
 * scope (1), the records and the scope's schema URL (3), then the resource's schema URL (3).
 * Assembled in one reused buffer; the result is a copy.
 */
export function encodeExportRequest(groups: Iterable<ResourceRecords>): Uint8Array {
  assembler.reset();
  for (const group of groups) {
    assembler.tag(1, 2);
    const resourceGroup = assembler.begin();
    writeMessage(assembler, 1, group.resource);
    for (const scope of group.scopes) {
      assembler.tag(2, 2);
      const scopeGroup = assembler.begin();
      writeMessage(assembler, 1, scope.scope);
      assembler.rawFrom(scope.records);
      if (scope.schemaUrl) {
        assembler.tag(3, 2);
        assembler.string(scope.schemaUrl);
      }
      assembler.end(scopeGroup);
    }
    if (group.schemaUrl) {
      assembler.tag(3, 2);
      assembler.string(group.schemaUrl);
    }
    assembler.end(resourceGroup);
  }
  return assembler.finish();
}

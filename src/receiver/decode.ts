import { inspect, promisify } from 'node:util';
import zlib from 'node:zlib';
import protobuf from 'protobufjs';

const REFUSALS: Readonly<Record<number, string>> = {
  400: 'OTLP_BAD_REQUEST',
  413: 'OTLP_BODY_TOO_LARGE',
  415: 'OTLP_UNSUPPORTED_ENCODING',
};

/** A request the receiver refuses, with the HTTP status that says why. */
export class RequestError extends Error {
  readonly status: number;
  readonly code: string;

  constructor(status: number, message: string) {
    super(message);
    this.name = 'RequestError';
    this.status = status;
    this.code = REFUSALS[status] ?? 'OTLP_REQUEST_REFUSED';
  }
}

export type BodyFormat = 'json' | 'protobuf';

const FORMATS: Record<string, BodyFormat> = {
  'application/json': 'json',
  'application/x-protobuf': 'protobuf',
  'application/protobuf': 'protobuf',
};

/** The media type without parameters, lowercased: `application/json; charset=utf-8` → `application/json`. */
export function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';', 1)[0]?.trim().toLowerCase() ?? '';
}

export function bodyFormat(media: string): BodyFormat | undefined {
  return Object.hasOwn(FORMATS, media) ? FORMATS[media] : undefined;
}

const gunzip = promisify(zlib.gunzip);
const inflate = promisify(zlib.inflate);

/** Undoes Content-Encoding without letting a small compressed body expand past `maxBytes`. */
export async function decompress(body: Buffer, encoding: string, maxBytes: number): Promise<Buffer> {
  if (encoding === 'identity' || encoding === '') return body;
  const inflateWith = encoding === 'gzip' || encoding === 'x-gzip' ? gunzip : encoding === 'deflate' ? inflate : undefined;
  if (inflateWith === undefined) throw new RequestError(415, `unsupported Content-Encoding "${encoding}" (accepted: gzip, deflate, identity)`);
  try {
    return await inflateWith(body, { maxOutputLength: maxBytes });
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new RequestError(413, `decompressed body exceeds ${maxBytes} bytes`);
    }
    throw new RequestError(400, `body is not valid ${encoding}: ${(error as Error).message}`);
  }
}

// What toObject yields: int64 as decimal strings (exact), enums as numbers, unset messages as null,
// and a virtual property naming the member set in each oneof, so both wire formats end up alike.
const PLAIN: protobuf.IConversionOptions = { longs: String, enums: Number, defaults: true, arrays: true, oneofs: true };

/** Decodes an OTLP Export*ServiceRequest body into the plain object protobufjs makes of it. */
export function decodeBody(type: protobuf.Type, body: Buffer, format: BodyFormat): unknown {
  return plainObject(type, decodeMessage(type, body, format));
}

/** Decodes an OTLP Export*ServiceRequest body into a protobufjs message, whichever the wire format. */
export function decodeMessage(type: protobuf.Type, body: Buffer, format: BodyFormat): protobuf.Message {
  return format === 'protobuf' ? decodeProtobuf(type, body) : decodeJson(type, body);
}

/** The plain shape normalize.ts reads (see PLAIN). */
export function plainObject(type: protobuf.Type, message: protobuf.Message): unknown {
  return type.toObject(message, PLAIN);
}

function decodeProtobuf(type: protobuf.Type, body: Buffer): protobuf.Message {
  try {
    return type.decode(body);
  } catch (error) {
    throw new RequestError(400, `undecodable protobuf ${type.name}: ${(error as Error).message}`);
  }
}

function decodeJson(type: protobuf.Type, body: Buffer): protobuf.Message {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'), keepBigIntegersExact);
  } catch (error) {
    throw new RequestError(400, `body is not valid JSON: ${(error as Error).message}`);
  }
  return messageFromJson(type, parsed);
}

/** An OTLP/JSON request already parsed (a capture line, a JSON body) as a protobufjs message. */
export function messageFromJson(type: protobuf.Type, parsed: unknown): protobuf.Message {
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new RequestError(400, `JSON body must be an object (an OTLP ${type.name})`);
  }
  try {
    return type.fromObject(prepareJson(type, parsed) as Record<string, unknown>);
  } catch (error) {
    if (error instanceof RequestError) throw error;
    throw new RequestError(400, `JSON body does not match ${type.name}: ${(error as Error).message}`);
  }
}

// OTLP/JSON allows int64 as JSON numbers; nanosecond timestamps as numbers are past 2^53, so keep the
// literal digits (JSON.parse source access) and let protobufjs read them as exact 64-bit values.
export function keepBigIntegersExact(this: unknown, _key: string, value: unknown, context?: { source?: string }): unknown {
  if (typeof value === 'number' && !Number.isSafeInteger(value) && context?.source !== undefined && /^-?\d+$/.test(context.source)) {
    return context.source;
  }
  return value;
}

// OTLP/JSON departs from the canonical proto3 JSON mapping in one place: trace and span ids are hex,
// not base64. Everything else (lowerCamelCase or original field names, enums as integers or names,
// int64 as strings or numbers, other bytes as base64) is what protobufjs's fromObject reads, once the
// ids are bytes. Unknown fields are dropped, as OTLP/JSON receivers must ignore them.
const HEX_ID_FIELDS = new Set(['traceId', 'spanId', 'parentSpanId']);

function prepareJson(type: protobuf.Type, value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const prepared: Record<string, unknown> = {};
  for (const [key, raw] of Object.entries(value)) {
    const field = fieldNamed(type, key);
    if (field !== undefined) prepared[field.name] = prepareField(field, raw);
  }
  return prepared;
}

// Proto3 JSON readers accept a field's JSON name (lowerCamelCase) and its .proto name (snake_case).
const fieldsByKey = new WeakMap<protobuf.Type, Map<string, protobuf.Field>>();

function fieldNamed(type: protobuf.Type, key: string): protobuf.Field | undefined {
  let byKey = fieldsByKey.get(type);
  if (byKey === undefined) {
    byKey = new Map();
    for (const field of type.fieldsArray) {
      for (const name of [field.name, field.jsonName, field.protoName]) byKey.set(name, field);
    }
    fieldsByKey.set(type, byKey);
  }
  return byKey.get(key);
}

function prepareField(field: protobuf.Field, raw: unknown): unknown {
  if (raw === null || raw === undefined) return raw;
  const nested = field.resolvedType;
  if (nested instanceof protobuf.Type) {
    return field.repeated && Array.isArray(raw) ? raw.map((item: unknown) => prepareJson(nested, item)) : prepareJson(nested, raw);
  }
  if (field.type === 'bytes' && HEX_ID_FIELDS.has(field.name)) return hexBytes(raw, field.name);
  return raw;
}

function hexBytes(raw: unknown, name: string): Buffer {
  if (typeof raw !== 'string' || !/^(?:[0-9a-fA-F]{2})*$/.test(raw)) {
    throw new RequestError(400, `${name} must be a hex string in OTLP/JSON, got ${inspect(raw).slice(0, 60)}`);
  }
  return Buffer.from(raw, 'hex');
}

import { closeSync, createReadStream, fstatSync, ftruncateSync, openSync, readSync, writeSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type protobuf from 'protobufjs';
import type { Signal } from '../config.ts';
import { keepBigIntegersExact, messageFromJson, plainObject } from './decode.ts';
import { logsFromRequest, metricPointsFromRequest, spansFromRequest } from './normalize.ts';
import { loadSchema } from './schema.ts';
import type { ReceivedLogRecord, ReceivedMetricPoint, ReceivedSpan } from './types.ts';

// The capture file (`faultline-receiver --save capture.jsonl`): every export request the receiver
// accepted, one OTLP/JSON Export*ServiceRequest per line with a `signal` member in front, appended as
// it arrives. docs/capture.md is the public description; `faultline incident` reads these files.
//
// Each line goes to the kernel in one write before the export is answered, so a killed receiver
// leaves whole lines behind; a write cut short (a full disk) is cut back off the file.

const SIGNALS: readonly Signal[] = ['traces', 'metrics', 'logs'];
const RESOURCE_KEYS: Record<Signal, string> = { traces: 'resourceSpans', metrics: 'resourceMetrics', logs: 'resourceLogs' };

/** A file that cannot be used as a capture: not one, or not writable (code CAPTURE_FILE_UNUSABLE). */
export class CaptureFileError extends Error {
  readonly code = 'CAPTURE_FILE_UNUSABLE';

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'CaptureFileError';
  }
}

/** One line of a capture file. */
export interface CaptureEntry {
  signal: Signal;
  /** The OTLP/JSON ExportTraceServiceRequest, ExportMetricsServiceRequest or ExportLogsServiceRequest. */
  request: Record<string, unknown>;
  /** 1-based line number in the file. */
  line: number;
}

// The OTLP/JSON encoding (OTLP specification, "JSON Protobuf Encoding"): lowerCamelCase names, enums
// as integers, 64-bit integers as decimal strings, trace and span ids as hex, other bytes as base64.
const OTLP_JSON: protobuf.IConversionOptions = { longs: String, enums: Number, bytes: String, json: true };
const HEX_ID_KEYS = new Set(['traceId', 'spanId', 'parentSpanId']);

/** A request message as one capture line (without the newline). */
export function captureLine(signal: Signal, type: protobuf.Type, message: protobuf.Message): string {
  const request = hexIds(type.toObject(message, OTLP_JSON)) as Record<string, unknown>;
  return JSON.stringify({ signal, ...request });
}

// Only ids are bytes under these keys in OTLP (attributes are key/value pairs, never object keys).
function hexIds(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(hexIds);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    out[key] = HEX_ID_KEYS.has(key) && typeof item === 'string' ? Buffer.from(item, 'base64').toString('hex') : hexIds(item);
  }
  return out;
}

/** Appends capture lines to a file; opened by the receiver for `--save`. */
export class CaptureWriter {
  readonly path: string;
  /** Bytes of a partial last line cut off when the file was opened (0 for a clean file). */
  readonly cutBytes: number;
  #fd: number | undefined;
  #size: number;
  #lines = 0;

  /** Opens (creating or appending to) `path`. Throws when it cannot be written. */
  constructor(path: string) {
    this.path = path;
    const fd = openSync(path, 'a+');
    try {
      const before = fstatSync(fd).size;
      this.#size = dropPartialLastLine(fd, before);
      this.cutBytes = before - this.#size;
    } catch (error) {
      closeSync(fd);
      throw error;
    }
    this.#fd = fd;
  }

  /** Lines written since the file was opened. */
  get lines(): number {
    return this.#lines;
  }

  /** Writes one line. Throws when the write fails, after cutting what it wrote back off. */
  append(line: string): void {
    if (this.#fd === undefined) throw new CaptureFileError(`capture file ${this.path} is closed`);
    const bytes = Buffer.from(`${line}\n`, 'utf8');
    let written = 0;
    try {
      while (written < bytes.length) written += writeSync(this.#fd, bytes, written, bytes.length - written);
    } catch (error) {
      if (written > 0) ftruncateSync(this.#fd, this.#size);
      throw error;
    }
    this.#size += bytes.length;
    this.#lines += 1;
  }

  close(): void {
    if (this.#fd === undefined) return;
    closeSync(this.#fd);
    this.#fd = undefined;
  }
}

const LINE_START = Buffer.from('{"signal":');

/**
 * A capture file whose last line has no newline was left by a writer stopped mid-line: that tail is
 * cut off so that appended lines stay whole. Returns the size after. A non-empty file that does not
 * start like a JSON line, or whose unfinished tail is not a capture line, is some other file and is
 * left alone (throws).
 */
function dropPartialLastLine(fd: number, size: number): number {
  if (size === 0) return 0;
  const head = Buffer.alloc(1);
  readSync(fd, head, 0, 1, 0);
  if (head[0] !== 0x7b) throw new CaptureFileError('it is not empty and is not a capture file (its first line is not a JSON object)');
  const chunk = Buffer.alloc(64 * 1024);
  let end = size;
  while (end > 0) {
    const start = Math.max(0, end - chunk.length);
    const read = readSync(fd, chunk, 0, end - start, start);
    const newline = chunk.subarray(0, read).lastIndexOf(0x0a);
    if (newline !== -1 || start === 0) {
      const keep = newline === -1 ? 0 : start + newline + 1;
      if (keep === size) return size;
      const tail = Buffer.alloc(Math.min(LINE_START.length, size - keep));
      readSync(fd, tail, 0, tail.length, keep);
      if (!LINE_START.subarray(0, tail.length).equals(tail)) throw new CaptureFileError('its last line ends without a newline and is not a capture line: not a capture file?');
      ftruncateSync(fd, keep);
      return keep;
    }
    end = start;
  }
  return 0;
}

/** A line that is not a capture entry; says where. */
export class CaptureFormatError extends Error {
  readonly code = 'CAPTURE_FORMAT_INVALID';

  constructor(path: string, line: number, reason: string, options?: ErrorOptions) {
    super(`${path}:${line}: ${reason}`, options);
    this.name = 'CaptureFormatError';
  }
}

/**
 * Reads a capture file line by line. Blank lines and a last line without its newline (a writer
 * killed mid-line) are skipped; any other line that is not a capture entry throws a
 * CaptureFormatError naming the line.
 *
 * A line without `signal` (a Collector `file` exporter's line) is read by its top-level key.
 */
export async function* readCapture(path: string): AsyncGenerator<CaptureEntry> {
  const input = createReadStream(path, { encoding: 'utf8' });
  const endsWithNewline = await lastByteIsNewline(path);
  const lines = createInterface({ input, crlfDelay: Infinity });
  let number = 0;
  let pending: string | undefined;
  for await (const text of lines) {
    if (pending !== undefined) yield parseCaptureLine(path, number, pending);
    number += 1;
    pending = text.trim() === '' ? undefined : text;
  }
  if (pending !== undefined && endsWithNewline) yield parseCaptureLine(path, number, pending);
}

async function lastByteIsNewline(path: string): Promise<boolean> {
  const file = await open(path, 'r');
  try {
    const { size } = await file.stat();
    if (size === 0) return true;
    const { buffer } = await file.read(Buffer.alloc(1), 0, 1, size - 1);
    return buffer[0] === 0x0a;
  } finally {
    await file.close();
  }
}

/** One capture line as an entry; throws a CaptureFormatError when it is not one. */
export function parseCaptureLine(path: string, line: number, text: string): CaptureEntry {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text, keepBigIntegersExact);
  } catch (error) {
    throw new CaptureFormatError(path, line, `not JSON (${(error as Error).message})`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new CaptureFormatError(path, line, 'not a JSON object');
  const { signal, ...request } = parsed as Record<string, unknown>;
  if (signal !== undefined) {
    if (!SIGNALS.includes(signal as Signal)) throw new CaptureFormatError(path, line, `signal must be one of ${SIGNALS.join(', ')}, got ${JSON.stringify(signal)}`);
    return { signal: signal as Signal, request, line };
  }
  const byKey = SIGNALS.filter((candidate) => Object.hasOwn(request, RESOURCE_KEYS[candidate]));
  if (byKey.length !== 1) throw new CaptureFormatError(path, line, 'no signal, and not exactly one of resourceSpans, resourceMetrics, resourceLogs');
  return { signal: byKey[0] as Signal, request, line };
}

/** What one capture entry holds, in the shapes the receiver hands out (only its own signal is non-empty). */
export interface CaptureContents {
  spans: ReceivedSpan[];
  logs: ReceivedLogRecord[];
  metrics: ReceivedMetricPoint[];
}

/**
 * One capture entry's request decoded with the official OTLP schema, as the plain object the
 * receiver stores for what it receives. Throws a CaptureFormatError naming the line when the
 * request does not match OTLP.
 */
export function plainCaptureRequest(path: string, entry: CaptureEntry): unknown {
  const type = loadSchema().requests[entry.signal];
  let message;
  try {
    message = messageFromJson(type, entry.request);
  } catch (error) {
    throw new CaptureFormatError(path, entry.line, (error as Error).message, { cause: error });
  }
  return plainObject(type, message);
}

/** The spans, log records or metric points of one capture entry (see plainCaptureRequest). */
export function decodeCaptureEntry(path: string, entry: CaptureEntry): CaptureContents {
  const plain = plainCaptureRequest(path, entry);
  return {
    spans: entry.signal === 'traces' ? spansFromRequest(plain) : [],
    logs: entry.signal === 'logs' ? logsFromRequest(plain) : [],
    metrics: entry.signal === 'metrics' ? metricPointsFromRequest(plain) : [],
  };
}

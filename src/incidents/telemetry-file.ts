import { createReadStream, readFileSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { CaptureFormatError, decodeCaptureEntry, parseCaptureLine, type CaptureEntry, type ReceivedSpan } from '../receiver/index.ts';
import { IncidentInputError } from './incidents.ts';

// The telemetry files `faultline incident new` reads, told apart by their content:
// - the receiver's capture file (`--save`, docs/capture.md), OTLP/JSON lines with a `signal` member;
// - OTLP/JSON lines without it: the spool (FAULTLINE_SPOOL_DIR) and the Collector's `file` exporter;
// - one JSON document: an OTLP/JSON request, or a trace exported from Tempo or Grafana
//   (`{"batches": [...]}` from Tempo's /api/traces and Grafana's Export, `{"trace": {...}}` from
//   /api/v2/traces), whose ids may be base64 (Tempo marshals them with the protobuf JSON defaults).
//
// Unlike the receiver's replay, which skips a last line without its newline (a live file being
// written), a cut-off line here is an error: an incident must not be written from part of a file.

export type TelemetryFormat = 'OTLP/JSON lines' | 'OTLP/JSON document' | 'Tempo trace JSON';

export interface TelemetryFileSummary {
  format: TelemetryFormat;
  /** Export requests (or documents) read. */
  requests: number;
  spans: number;
}

/** Reads every span of a telemetry file, handing them over request by request. Throws IncidentInputError on any bad input. */
export async function readTelemetryFile(path: string, onSpans: (spans: ReceivedSpan[]) => void): Promise<TelemetryFileSummary> {
  const summary: TelemetryFileSummary = { format: 'OTLP/JSON lines', requests: 0, spans: 0 };
  const take = (entry: CaptureEntry) => {
    summary.requests += 1;
    if (entry.signal !== 'traces') return;
    const spans = decodeSpans(path, entry);
    summary.spans += spans.length;
    onSpans(spans);
  };
  try {
    let first = true;
    for await (const { text, number, ended } of lines(path)) {
      if (text.trim() === '') continue;
      let entry: { entry: CaptureEntry; tempo: boolean };
      try {
        entry = lineEntry(path, number, text);
      } catch (error) {
        if (!(error instanceof CaptureFormatError)) throw error;
        // A document spread over lines (a pretty-printed Tempo trace) does not parse line by line.
        if (first && !isJson(text)) {
          summary.format = readDocument(path, take);
          return summary;
        }
        if (!ended && !isJson(text)) throw new IncidentInputError(`${path}:${number}: the last line is cut short (a truncated file?)`, { cause: error });
        throw new IncidentInputError(error.message, { cause: error });
      }
      first = false;
      if (entry.tempo) summary.format = 'Tempo trace JSON';
      take(entry.entry);
    }
  } catch (error) {
    if (error instanceof IncidentInputError) throw error;
    if (error instanceof CaptureFormatError) throw new IncidentInputError(error.message, { cause: error });
    throw new IncidentInputError(`cannot read ${path}: ${(error as Error).message}`, { cause: error });
  }
  return summary;
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch { // eslint-disable-line faultline/no-blind-catch -- the question is only whether it parses
    return false;
  }
}

interface Line {
  text: string;
  /** 1-based. */
  number: number;
  /** False for a last line without its newline. */
  ended: boolean;
}

/** The file's lines, streamed, each with whether its newline was there. */
async function* lines(path: string): AsyncGenerator<Line> {
  const decoder = new StringDecoder('utf8');
  let pending = '';
  let number = 0;
  for await (const chunk of createReadStream(path)) {
    pending += decoder.write(chunk as Buffer);
    let newline = pending.indexOf('\n');
    while (newline !== -1) {
      number += 1;
      yield { text: pending.slice(0, newline), number, ended: true };
      pending = pending.slice(newline + 1);
      newline = pending.indexOf('\n');
    }
  }
  pending += decoder.end();
  if (pending !== '') yield { text: pending, number: number + 1, ended: false };
}

/** A line as a capture entry: a capture or Collector line as it is, a Tempo document adapted. */
function lineEntry(path: string, number: number, text: string): { entry: CaptureEntry; tempo: boolean } {
  try {
    return { entry: parseCaptureLine(path, number, text), tempo: false };
  } catch (error) {
    if (!(error instanceof CaptureFormatError) || !isJson(text)) throw error;
    const adapted = tempoRequest(JSON.parse(text));
    if (adapted === undefined) throw error;
    return { entry: parseCaptureLine(path, number, JSON.stringify(adapted)), tempo: true };
  }
}

/** The spans of a traces entry; base64 ids (a Tempo export in plain OTLP shape) are taken too. */
function decodeSpans(path: string, entry: CaptureEntry): ReceivedSpan[] {
  try {
    return decodeCaptureEntry(path, entry).spans;
  } catch (error) {
    if (!(error instanceof CaptureFormatError) || !/must be a hex string/.test(error.message)) throw error;
    return decodeCaptureEntry(path, { ...entry, request: hexIds(entry.request) as Record<string, unknown> }).spans;
  }
}

/** The whole file as one JSON document (a pretty-printed trace). */
function readDocument(path: string, take: (entry: CaptureEntry) => void): TelemetryFormat {
  const text = readFileSync(path, 'utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    const message = (error as Error).message;
    // A document cut short fails at its very end (V8 names the position, or says so).
    const position = /position (\d+)/.exec(message)?.[1];
    const cut = /end of JSON input|Unterminated/i.test(message) || (position !== undefined && Number(position) >= text.trimEnd().length);
    throw new IncidentInputError(`${path}: ${cut ? 'the JSON document ends early (a truncated file?)' : `neither OTLP/JSON lines nor one JSON document (${message})`}`, { cause: error });
  }
  const tempo = tempoRequest(parsed);
  const request = tempo ?? parsed;
  let entry: CaptureEntry;
  try {
    entry = parseCaptureLine(path, 1, JSON.stringify(request));
  } catch (error) {
    throw new IncidentInputError(`${path}: a JSON document, but not OTLP/JSON telemetry or a Tempo trace (${(error as Error).message.replace(/^.*?:1: /, '')})`, { cause: error });
  }
  take(entry);
  return tempo === undefined ? 'OTLP/JSON document' : 'Tempo trace JSON';
}

/**
 * A trace as Tempo or Grafana export it, as an OTLP/JSON ExportTraceServiceRequest with hex ids;
 * undefined when the value is not one.
 */
function tempoRequest(value: unknown): Record<string, unknown> | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const record = value as Record<string, unknown>;
  let resourceSpans: unknown;
  if (Array.isArray(record.batches)) resourceSpans = record.batches;
  else if (record.trace !== null && typeof record.trace === 'object' && Array.isArray((record.trace as Record<string, unknown>).resourceSpans)) {
    resourceSpans = (record.trace as Record<string, unknown>).resourceSpans;
  } else if (Array.isArray(record.resourceSpans) && record.signal === undefined) resourceSpans = record.resourceSpans;
  else return undefined;
  return { resourceSpans: hexIds(resourceSpans) };
}

const ID_BYTES: Record<string, number> = { traceId: 16, spanId: 8, parentSpanId: 8 };

/** Trace and span ids as OTLP/JSON wants them (hex), from the base64 the protobuf JSON mapping gives. */
function hexIds(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(hexIds);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    const bytes = ID_BYTES[key];
    out[key] = bytes !== undefined && typeof item === 'string' ? hexId(item, bytes) : hexIds(item);
  }
  return out;
}

function hexId(id: string, bytes: number): string {
  if (id === '' || new RegExp(`^[0-9a-fA-F]{${bytes * 2}}$`).test(id)) return id.toLowerCase();
  const decoded = /^[A-Za-z0-9+/]+=*$/.test(id) ? Buffer.from(id, 'base64') : undefined;
  // Anything else is passed on as it is, for the schema check to name.
  return decoded?.length === bytes ? decoded.toString('hex') : id;
}

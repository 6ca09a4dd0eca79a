import { EventEmitter } from 'node:events';
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import type protobuf from 'protobufjs';
import type { Signal } from '../config.ts';
import { addNote } from '../errors/notes.ts';
import { warn, warnOnce } from '../warn.ts';
import { CaptureFileError, CaptureWriter, captureLine, plainCaptureRequest, readCapture } from './capture.ts';
import { bodyFormat, decodeMessage, decompress, mediaType, plainObject, RequestError, type BodyFormat } from './decode.ts';
import { latestSum } from './latest-sum.ts';
import { logsFromRequest, metricPointsFromRequest, spansFromRequest } from './normalize.ts';
import { loadSchema, type OtlpSchema } from './schema.ts';
import type {
  ReceivedAttributes,
  ReceivedLogRecord,
  ReceivedMetricPoint,
  ReceivedRequest,
  ReceivedSpan,
  ReceiverMode,
} from './types.ts';
import { Viewer, type ViewerOptions, type ViewerStats } from './viewer/viewer.ts';

export interface ReceiverOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /**
   * 'ok' (default) decodes and stores; 'hang' reads each request and never answers; 'error' answers
   * 503, as a collector that is down behind a proxy would. Switch later with `setMode`.
   */
  mode?: ReceiverMode;
  /** Largest body accepted, compressed or decompressed; larger ones get 413. Default 32 MiB. */
  maxBodyBytes?: number;
  /** How many spans, log records, metric points and requests are kept (oldest dropped first). Default 100000. */
  maxItemsPerSignal?: number;
  /**
   * Serves the web viewer on the same port (`/`): `true` with the default limits, or the limits.
   * The viewer keeps its own bounded stores, whatever `maxItemsPerSignal` says.
   */
  ui?: boolean | ViewerOptions;
  /**
   * Appends every accepted export request to this file, one OTLP/JSON line each (docs/capture.md).
   * The start fails when the file cannot be opened for appending.
   */
  save?: string;
}

export interface WaitForOptions {
  /** Default 10000. */
  timeoutMs?: number;
  /** Said in the timeout error, to tell which wait failed. */
  description?: string;
}

interface ReceiverEvents {
  spans: [ReceivedSpan[]];
  logs: [ReceivedLogRecord[]];
  metrics: [ReceivedMetricPoint[]];
  request: [ReceivedRequest];
}

interface Waiter {
  check: () => void;
  abort: (reason: Error) => void;
}

const MODES: readonly ReceiverMode[] = ['ok', 'hang', 'error'];
const SIGNAL_PATHS: Record<string, Signal> = { '/v1/traces': 'traces', '/v1/metrics': 'metrics', '/v1/logs': 'logs' };
const POLL_INTERVAL_MS = 20;

// google.rpc.Code values for the Status body of error responses.
const RPC_CODES: Record<number, number> = { 400: 3, 413: 3, 415: 3, 500: 13, 503: 14 };

/** A local OTLP/HTTP endpoint (JSON and protobuf, gzip or not) that keeps what it receives. */
export class OtlpReceiver extends EventEmitter<ReceiverEvents> {
  readonly #server: http.Server;
  readonly #schema: OtlpSchema;
  readonly #maxBodyBytes: number;
  readonly #maxItems: number;
  readonly #spans: ReceivedSpan[] = [];
  readonly #logs: ReceivedLogRecord[] = [];
  readonly #metrics: ReceivedMetricPoint[] = [];
  readonly #requests: ReceivedRequest[] = [];
  readonly #waiters = new Set<Waiter>();
  readonly #viewer: Viewer | undefined;
  readonly #capture: CaptureWriter | undefined;
  #mode: ReceiverMode;
  #url = '';
  #port = 0;
  #closing: Promise<void> | undefined;

  constructor(options: ReceiverOptions = {}) {
    super();
    this.#schema = loadSchema();
    this.#mode = checkedMode(options.mode ?? 'ok');
    this.#maxBodyBytes = positiveInteger(options.maxBodyBytes ?? 32 * 1024 * 1024, 'maxBodyBytes');
    this.#maxItems = positiveInteger(options.maxItemsPerSignal ?? 100_000, 'maxItemsPerSignal', true);
    this.#viewer = options.ui === undefined || options.ui === false ? undefined : new Viewer(options.ui === true ? {} : options.ui);
    this.#server = process.getBuiltinModule('node:http').createServer((request, response) => {
      this.#handle(request, response);
    });
    // Opened last: nothing after it can throw and leave the file open.
    this.#capture = options.save === undefined ? undefined : openCapture(options.save);
  }

  /** Base URL for OTEL_EXPORTER_OTLP_ENDPOINT, e.g. `http://127.0.0.1:4318`. */
  get url(): string {
    return this.#url;
  }

  get port(): number {
    return this.#port;
  }

  get mode(): ReceiverMode {
    return this.#mode;
  }

  /** The web viewer's page, when started with `ui`; e.g. `http://127.0.0.1:4318/`. */
  get viewerUrl(): string | undefined {
    return this.#viewer === undefined ? undefined : `${this.#url}/`;
  }

  /** What the viewer keeps and has let go, when started with `ui`. */
  get viewerStats(): ViewerStats | undefined {
    return this.#viewer?.stats();
  }

  /** The capture file being written, when started with `save`. */
  get savePath(): string | undefined {
    return this.#capture?.path;
  }

  get spans(): readonly ReceivedSpan[] {
    return this.#spans;
  }

  get logs(): readonly ReceivedLogRecord[] {
    return this.#logs;
  }

  get metrics(): readonly ReceivedMetricPoint[] {
    return this.#metrics;
  }

  get requests(): readonly ReceivedRequest[] {
    return this.#requests;
  }

  /** Switches behaviour for requests that arrive from now on (a collector going down or coming back). */
  setMode(mode: ReceiverMode): void {
    this.#mode = checkedMode(mode);
  }

  /** Listens; called once by `startReceiver`. */
  async listen(port: number, host: string): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const onError = (error: Error) => {
        // The system error keeps its code (EADDRINUSE, EACCES) and says the address itself.
        addNote(error, `the OTLP receiver could not listen on ${host}:${port}`);
        reject(error);
      };
      this.#server.once('error', onError);
      this.#server.listen(port, host, () => {
        this.#server.off('error', onError);
        resolve();
      });
    });
    const address = this.#server.address() as AddressInfo;
    this.#port = address.port;
    this.#url = `http://${urlHost(address.address)}:${address.port}`;
    this.#viewer?.listeningOn(address.address);
  }

  /**
   * Takes in every request of a capture file (docs/capture.md) as if it had arrived now: the viewer
   * shows them and listeners hear of them. Resolves with the number of requests read; rejects on a
   * line that is not a capture entry, naming it.
   */
  async replay(path: string): Promise<number> {
    let requests = 0;
    for await (const entry of readCapture(path)) {
      this.#store(entry.signal, plainCaptureRequest(path, entry));
      requests += 1;
    }
    return requests;
  }

  /** Sum over series of each series' latest value of a counter (see latest-sum.ts); 0 when none match. */
  latestSum(name: string, attributesSubset?: ReceivedAttributes): number {
    return latestSum(this.#metrics, name, attributesSubset);
  }

  /** Resolves once `predicate` is true, checked whenever something arrives and every few milliseconds. */
  waitFor(predicate: () => boolean, options: WaitForOptions = {}): Promise<void> {
    const timeoutMs = options.timeoutMs ?? 10_000;
    return new Promise<void>((resolve, reject) => {
      let lastError: unknown;
      const waiter: Waiter = {
        check: () => {
          try {
            if (!predicate()) return;
          } catch (error) {
            lastError = error;
            return;
          }
          finish();
          resolve();
        },
        abort: (reason) => {
          finish();
          reject(reason);
        },
      };
      const finish = () => {
        clearInterval(poll);
        clearTimeout(timer);
        this.#waiters.delete(waiter);
      };
      // Polling too: a predicate may depend on more than what arrives here.
      const poll = setInterval(waiter.check, POLL_INTERVAL_MS);
      const timer = setTimeout(() => {
        waiter.abort(new Error(this.#timeoutMessage(predicate, timeoutMs, options.description, lastError)));
      }, timeoutMs);
      this.#waiters.add(waiter);
      waiter.check();
    });
  }

  /** Forgets everything received so far (the arrays are emptied in place). */
  clear(): void {
    this.#spans.length = 0;
    this.#logs.length = 0;
    this.#metrics.length = 0;
    this.#requests.length = 0;
  }

  /** Stops listening and drops open connections, including requests held in 'hang' mode. */
  close(): Promise<void> {
    this.#closing ??= new Promise<void>((resolve) => {
      for (const waiter of [...this.#waiters]) waiter.abort(new Error('OTLP receiver closed before the awaited condition held'));
      this.#viewer?.close();
      this.#server.close(() => {
        this.#capture?.close();
        resolve();
      });
      this.#server.closeAllConnections();
    });
    return this.#closing;
  }

  #handle(request: http.IncomingMessage, response: http.ServerResponse): void {
    const signal = signalOf(request.url);
    if (signal === undefined && this.#viewer !== undefined) {
      this.#viewer.handle(request, response);
      return;
    }
    if (signal === undefined) {
      reply(response, 404, 'text/plain', `not found: OTLP/HTTP paths are ${Object.keys(SIGNAL_PATHS).join(', ')}\n`);
      return;
    }
    if (request.method !== 'POST') {
      response.setHeader('allow', 'POST');
      reply(response, 405, 'text/plain', 'method not allowed: OTLP/HTTP exports are POST requests\n');
      return;
    }
    const media = mediaType(request.headers['content-type']);
    const record: ReceivedRequest = {
      signal,
      contentType: media,
      encoding: (request.headers['content-encoding'] ?? 'identity').trim().toLowerCase() || 'identity',
      headers: headersOf(request),
      bytes: 0,
      at: Date.now(),
    };
    // The mode a request meets is the one in force when it arrived.
    const mode = this.#mode;
    const answer = (status: number, contentType: string, body: string | Uint8Array) => {
      if (mode === 'hang' || record.status !== undefined) return;
      record.status = status;
      reply(response, status, contentType, body);
      this.#emitSafely('request', record);
    };
    const format = bodyFormat(media);
    const declaredLength = Number(request.headers['content-length'] ?? 0);
    if (declaredLength > this.#maxBodyBytes) {
      record.bytes = declaredLength;
      this.#keepRequest(record, mode);
      this.#answerError(answer, format, media, 413, `body of ${declaredLength} bytes exceeds the ${this.#maxBodyBytes}-byte limit`);
      return;
    }
    const chunks: Buffer[] = [];
    let tooLarge = false;
    request.on('data', (chunk: Buffer) => {
      if (tooLarge) return;
      record.bytes += chunk.length;
      if (record.bytes > this.#maxBodyBytes) {
        // Node discards the rest of the body once the response has ended.
        tooLarge = true;
        chunks.length = 0;
        this.#keepRequest(record, mode);
        this.#answerError(answer, format, media, 413, `body exceeds the ${this.#maxBodyBytes}-byte limit`);
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => {
      if (tooLarge) return;
      record.at = Date.now();
      this.#keepRequest(record, mode);
      this.#process(mode, signal, format, media, record.encoding, Buffer.concat(chunks), answer).catch((error: unknown) => {
        warn(`OTLP receiver failed on a ${signal} request: ${String(error)}`);
        if (!response.headersSent) this.#answerError(answer, format, media, 500, 'internal error');
      });
    });
    request.on('error', () => {
      // The client went away mid-body: nothing to answer.
    });
  }

  async #process(
    mode: ReceiverMode,
    signal: Signal,
    format: BodyFormat | undefined,
    media: string,
    encoding: string,
    body: Buffer,
    answer: (status: number, contentType: string, body: string | Uint8Array) => void,
  ): Promise<void> {
    if (mode === 'hang') return;
    if (mode === 'error') {
      this.#answerError(answer, format, media, 503, 'receiver is in error mode');
      return;
    }
    if (format === undefined) {
      this.#answerError(answer, format, media, 415, `unsupported Content-Type "${media}" (accepted: application/json, application/x-protobuf)`);
      return;
    }
    const type = this.#schema.requests[signal];
    let message;
    try {
      message = decodeMessage(type, await decompress(body, encoding, this.#maxBodyBytes), format);
    } catch (error) {
      if (!(error instanceof RequestError)) throw error;
      this.#answerError(answer, format, media, error.status, error.message);
      return;
    }
    // On disk (in the kernel's hands) before the export is answered: a killed receiver loses nothing it acknowledged.
    if (this.#capture !== undefined) this.#save(this.#capture, signal, type, message);
    this.#store(signal, plainObject(type, message));
    const responseType = this.#schema.responses[signal];
    answer(200, media, format === 'json' ? '{}' : responseType.encode(responseType.create({})).finish());
  }

  #store(signal: Signal, decoded: unknown): void {
    if (signal === 'traces') {
      const spans = spansFromRequest(decoded);
      this.#keep(this.#spans, spans);
      this.#viewer?.takeSpans(spans);
      this.#emitSafely('spans', spans);
    } else if (signal === 'logs') {
      const logs = logsFromRequest(decoded);
      this.#keep(this.#logs, logs);
      this.#viewer?.takeLogs(logs);
      this.#emitSafely('logs', logs);
    } else {
      const points = metricPointsFromRequest(decoded);
      this.#keep(this.#metrics, points);
      this.#viewer?.takeMetrics(points);
      this.#emitSafely('metrics', points);
    }
  }

  // A capture that cannot be written (a full disk) is said once; receiving goes on.
  #save(capture: CaptureWriter, signal: Signal, type: protobuf.Type, message: protobuf.Message): void {
    try {
      capture.append(captureLine(signal, type, message));
    } catch (error) {
      warnOnce(`capture:${capture.path}`, `OTLP receiver could not append to the capture file ${capture.path} (${(error as Error).message}); requests from now on may be missing from it`);
    }
  }

  // Kept as soon as the body is in (so held 'hang' requests show); announced once answered.
  #keepRequest(record: ReceivedRequest, mode: ReceiverMode): void {
    this.#keep(this.#requests, [record]);
    if (mode === 'hang') this.#emitSafely('request', record);
  }

  #keep<T>(store: T[], items: readonly T[]): void {
    if (this.#maxItems === 0) return;
    for (const item of items) store.push(item);
    if (store.length > this.#maxItems) store.splice(0, store.length - this.#maxItems);
  }

  // A throwing listener (the demo's, a test's) must not take the receiver down or fail the export.
  #emitSafely<K extends keyof ReceiverEvents>(event: K, ...args: ReceiverEvents[K]): void {
    try {
      (this.emit as (event: K, ...args: ReceiverEvents[K]) => boolean)(event, ...args);
    } catch (error) {
      warn(`OTLP receiver: a '${event}' listener threw: ${String(error)}`);
    }
    for (const waiter of [...this.#waiters]) waiter.check();
  }

  #answerError(
    answer: (status: number, contentType: string, body: string | Uint8Array) => void,
    format: BodyFormat | undefined,
    media: string,
    status: number,
    message: string,
  ): void {
    // OTLP/HTTP error bodies are a google.rpc.Status in the request's own encoding when it has one.
    const code = RPC_CODES[status] ?? 2;
    if (format === 'json') answer(status, media, JSON.stringify({ code, message }));
    else if (format === 'protobuf') answer(status, media, this.#schema.status.encode(this.#schema.status.create({ code, message })).finish());
    else answer(status, 'text/plain', `${message}\n`);
  }

  #timeoutMessage(predicate: () => boolean, timeoutMs: number, description: string | undefined, lastError: unknown): string {
    const names = [...new Set(this.#metrics.map((point) => point.name))].slice(0, 20);
    const parts = [
      `waitFor timed out after ${timeoutMs} ms${description === undefined ? '' : ` waiting for ${description}`}`,
      `predicate: ${predicate.toString().replace(/\s+/g, ' ').slice(0, 200)}`,
      `received so far: ${this.#spans.length} spans, ${this.#logs.length} log records, ${this.#metrics.length} metric points` +
        `${names.length === 0 ? '' : ` (${names.join(', ')})`}, ${this.#requests.length} requests; mode '${this.#mode}'`,
    ];
    if (lastError !== undefined) parts.push(`the predicate last threw: ${inspect(lastError, { depth: 1 })}`);
    return parts.join('; ');
  }
}

/** Starts a receiver and resolves once it listens. Rejects on bad options, a port in use or a capture file that cannot be written. */
export async function startReceiver(options: ReceiverOptions = {}): Promise<OtlpReceiver> {
  const port = options.port ?? 0;
  // eslint-disable-next-line faultline/only-coded-errors -- TRY004: a wrong option is the caller's bug, a TypeError, not a failure the app handles by code
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new TypeError(`port must be an integer from 0 to 65535, got ${String(port)}`);
  const receiver = new OtlpReceiver(options);
  try {
    await receiver.listen(port, options.host ?? '127.0.0.1');
  } catch (error) {
    await receiver.close();
    throw error;
  }
  return receiver;
}

function openCapture(path: string): CaptureWriter {
  let capture;
  try {
    capture = new CaptureWriter(path);
  } catch (error) {
    throw new CaptureFileError(`cannot write the capture file ${path}: ${(error as Error).message}`, { cause: error });
  }
  if (capture.cutBytes > 0) warn(`the capture file ${path} ended in a partial line (${capture.cutBytes} bytes, left by a writer that was stopped mid-line); it was cut off`);
  return capture;
}

function signalOf(url: string | undefined): Signal | undefined {
  const path = (url ?? '').split('?', 1)[0] ?? '';
  return Object.hasOwn(SIGNAL_PATHS, path) ? SIGNAL_PATHS[path] : undefined;
}

function headersOf(request: http.IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

function reply(response: http.ServerResponse, status: number, contentType: string, body: string | Uint8Array): void {
  if (response.headersSent) return;
  response.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
  response.end(body);
}

function checkedMode(mode: ReceiverMode): ReceiverMode {
  // eslint-disable-next-line faultline/only-coded-errors -- TRY004: a wrong option is the caller's bug, a TypeError, not a failure the app handles by code
  if (!MODES.includes(mode)) throw new TypeError(`mode must be one of ${MODES.join(', ')}, got ${JSON.stringify(mode)}`);
  return mode;
}

function positiveInteger(value: number, name: string, zeroAllowed = false): number {
  if (!Number.isInteger(value) || value < (zeroAllowed ? 0 : 1)) {
    // eslint-disable-next-line faultline/only-coded-errors -- TRY004: a wrong option is the caller's bug, a TypeError, not a failure the app handles by code
    throw new TypeError(`${name} must be a ${zeroAllowed ? 'non-negative' : 'positive'} integer, got ${String(value)}`);
  }
  return value;
}

// An unspecified listen address is reachable on loopback; IPv6 literals need brackets in a URL.
function urlHost(address: string): string {
  if (address === '0.0.0.0') return '127.0.0.1';
  if (address === '::') return '[::1]';
  return address.includes(':') ? `[${address}]` : address;
}

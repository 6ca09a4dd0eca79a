import type { ClientRequest, IncomingMessage, RequestOptions } from 'node:http';
import type { Socket } from 'node:net';
import type { FaultlineConfig, OtlpProtocol, Signal, SignalExportConfig } from '../config.ts';
import type { Check } from './doctor.ts';

type Env = Record<string, string | undefined>;

/** How one empty export request went. */
export interface ProbeOutcome {
  signal: Signal;
  url: string;
  protocol: OtlpProtocol;
  kind: 'answered' | 'refused' | 'no-answer' | 'no-connection' | 'dns' | 'http2' | 'tls-port' | 'plain-port' | 'certificate' | 'not-http' | 'closed' | 'error';
  elapsedMs: number;
  status?: number;
  contentType?: string;
  body?: string;
  message?: string;
  /** The same request in the other encoding, made when the endpoint refused this one's content type. */
  otherProtocol?: ProbeOutcome;
}

export interface ProbeOptions {
  timeoutMs: number;
  /** In the app: sockets and timers must not keep the process alive. */
  unref: boolean;
}

export const SIGNALS: readonly Signal[] = ['traces', 'metrics', 'logs'];

/** The signals the configuration exports over OTLP (metrics may go to Prometheus instead). */
export function otlpSignals(config: FaultlineConfig): Signal[] {
  if (config.disabled) return [];
  const exporters: Record<Signal, readonly string[]> = { traces: config.tracesExporter, metrics: config.metricsExporter, logs: config.logsExporter };
  return SIGNALS.filter((signal) => exporters[signal].includes('otlp'));
}

const BODY_LIMIT = 4096;

// Built-ins come from process.getBuiltinModule, without the ESM facade an `import` builds (ARCHITECTURE.md).

function readTlsFile(path: string | undefined): Buffer | undefined {
  return path === undefined ? undefined : process.getBuiltinModule('node:fs').readFileSync(path);
}

function isHttp2Frame(raw: Buffer): boolean {
  // A frame header is 9 bytes: length (3), type (1), flags, stream id. A server's first frames are
  // SETTINGS (4) and, on a bad preface, GOAWAY (7).
  return raw.length >= 9 && (raw[3] === 0x04 || raw[3] === 0x07) && raw[0] === 0;
}

function isTlsRecord(raw: Buffer): boolean {
  return raw.length >= 3 && (raw[0] === 0x15 || raw[0] === 0x16) && raw[1] === 0x03;
}

type ProbeError = NodeJS.ErrnoException & { rawPacket?: unknown; reason?: string };

function classifyError(error: ProbeError): Pick<ProbeOutcome, 'kind' | 'message'> {
  const code = error.code ?? '';
  const message = error.message;
  if (code === 'ECONNREFUSED') return { kind: 'refused', message };
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_FAIL' || code === 'EAI_NONAME') return { kind: 'dns', message };
  if (code.startsWith('HPE_')) {
    const raw = Buffer.isBuffer(error.rawPacket) ? error.rawPacket : Buffer.alloc(0);
    if (isHttp2Frame(raw)) return { kind: 'http2', message };
    if (isTlsRecord(raw)) return { kind: 'tls-port', message };
    return { kind: 'not-http', message: `${message}; first bytes ${raw.subarray(0, 16).toString('hex') || 'none'}` };
  }
  if (code === 'EPROTO' || code === 'ERR_SSL_WRONG_VERSION_NUMBER' || /wrong version number|packet length too long/i.test(message)) return { kind: 'plain-port', message };
  if (/CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|ALTNAME/.test(code)) return { kind: 'certificate', message };
  if (code === 'ECONNRESET' || message === 'socket hang up') return { kind: 'closed', message };
  return { kind: 'error', message: code === '' ? message : `${code}: ${message}` };
}

/**
 * Sends one empty OTLP export request (an empty protobuf message, or `{}` in JSON) with the
 * exporter's URL, headers, compression and TLS files, and reports what came back and how long it
 * took. Resolves by `timeoutMs` at the latest; never rejects.
 */
export function probe(signal: Signal, target: SignalExportConfig, options: ProbeOptions, protocol: OtlpProtocol = target.protocol): Promise<ProbeOutcome> {
  const started = performance.now();
  const base = { signal, url: target.url, protocol };
  return new Promise((resolve) => {
    let request: ClientRequest | undefined;
    let connected = false;
    let settled = false;
    const finish = (outcome: Omit<ProbeOutcome, 'signal' | 'url' | 'protocol' | 'elapsedMs'>): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      request?.destroy();
      resolve({ ...base, ...outcome, elapsedMs: Math.round(performance.now() - started) });
    };
    const timer = setTimeout(() => {
      finish({ kind: connected ? 'no-answer' : 'no-connection' });
    }, options.timeoutMs);
    if (options.unref) timer.unref();
    try {
      const url = new URL(target.url);
      const secure = url.protocol === 'https:';
      let body: Buffer = protocol === 'http/json' ? Buffer.from('{}') : Buffer.alloc(0);
      const headers: Record<string, string> = { ...target.headers, 'content-type': protocol === 'http/json' ? 'application/json' : 'application/x-protobuf', 'user-agent': 'faultline-doctor' };
      if (target.compression === 'gzip') {
        body = process.getBuiltinModule('node:zlib').gzipSync(body);
        headers['content-encoding'] = 'gzip';
      }
      headers['content-length'] = String(body.length);
      const requestOptions: RequestOptions & { ca?: Buffer; key?: Buffer; cert?: Buffer } = { method: 'POST', headers, agent: false };
      if (secure) {
        requestOptions.ca = readTlsFile(target.tls.certificate);
        requestOptions.key = readTlsFile(target.tls.clientKey);
        requestOptions.cert = readTlsFile(target.tls.clientCertificate);
      }
      const transport = secure ? process.getBuiltinModule('node:https') : process.getBuiltinModule('node:http');
      request = transport.request(url, requestOptions, (response: IncomingMessage) => {
        const chunks: Buffer[] = [];
        let length = 0;
        const done = (): void => {
          finish({ kind: 'answered', status: response.statusCode, contentType: response.headers['content-type'], body: Buffer.concat(chunks).toString('utf8', 0, Math.min(length, BODY_LIMIT)) });
        };
        response.on('data', (chunk: Buffer) => {
          if (length < BODY_LIMIT) chunks.push(chunk);
          length += chunk.length;
          if (length >= BODY_LIMIT) done();
        });
        response.on('end', done);
        response.on('error', done);
      });
      request.on('socket', (socket: Socket) => {
        if (options.unref) socket.unref();
        socket.once('connect', () => {
          connected = true;
        });
      });
      request.on('error', (error: ProbeError) => {
        finish(classifyError(error));
      });
      request.end(body);
    } catch (error) {
      finish({ kind: 'error', message: error instanceof Error ? error.message : String(error) });
    }
  });
}

function refusedContentType(outcome: ProbeOutcome): boolean {
  if (outcome.kind !== 'answered') return false;
  return outcome.status === 415 || (outcome.status === 400 && /content.?type|unsupported|proto|json/i.test(outcome.body ?? ''));
}

/** The probe, and when the endpoint refuses the encoding, the same request in the other one. */
export async function probeSignal(signal: Signal, target: SignalExportConfig, options: ProbeOptions): Promise<ProbeOutcome> {
  const first = await probe(signal, target, options);
  if (!refusedContentType(first)) return first;
  const other: OtlpProtocol = first.protocol === 'http/json' ? 'http/protobuf' : 'http/json';
  return { ...first, otherProtocol: await probe(signal, target, options, other) };
}

function signalVariable(env: Env, signal: Signal, suffix: string): string {
  const specific = `OTEL_EXPORTER_OTLP_${signal.toUpperCase()}_${suffix}`;
  return env[specific] !== undefined && env[specific].trim() !== '' ? specific : `OTEL_EXPORTER_OTLP_${suffix}`;
}

function hostPort(url: URL): string {
  return `${url.hostname}:${url.port || (url.protocol === 'https:' ? '443' : '80')}`;
}

function expectedType(protocol: OtlpProtocol): RegExp {
  return protocol === 'http/json' ? /json/i : /protobuf|octet-stream/i;
}

/** What an outcome means for the user, with the fix naming the variable that is in effect. */
export function endpointCheck(outcome: ProbeOutcome, env: Env): Check {
  const id = `endpoint-${outcome.signal}`;
  const url = new URL(outcome.url);
  const where = hostPort(url);
  const endpointVar = signalVariable(env, outcome.signal, 'ENDPOINT');
  const protocolVar = signalVariable(env, outcome.signal, 'PROTOCOL');
  const head = `${outcome.signal} → ${outcome.url} (${outcome.protocol})`;
  const data: Record<string, unknown> = { ...outcome };
  const fail = (summary: string, fix: string): Check => ({ id, status: 'fail', summary: `${head}: ${summary}`, fix, data });
  switch (outcome.kind) {
    case 'refused':
      return fail(`connection refused: nothing listens on ${where}`, `start the Collector there, or point ${endpointVar} at where it listens (OTLP/HTTP is port 4318)`);
    case 'no-answer':
      return fail(`${where} accepted the connection but sent no answer within ${outcome.elapsedMs} ms`, `check what listens on ${where} (a stuck process, a proxy, a port speaking another protocol); a Collector answers OTLP/HTTP on 4318`);
    case 'no-connection':
      return fail(`no connection to ${where} within ${outcome.elapsedMs} ms`, `check the host name, the network and any firewall between the app and ${where}`);
    case 'dns':
      return fail(`host ${url.hostname} not found`, `check the host name in ${endpointVar}`);
    case 'http2':
      return fail(`${where} speaks HTTP/2 (OTLP/gRPC, usually port 4317); faultline sends OTLP/HTTP`, `point ${endpointVar} at the OTLP/HTTP port instead, e.g. ${url.protocol}//${url.hostname}:4318`);
    case 'tls-port':
      return fail(`${where} answered with TLS: it expects https`, `use https:// in ${endpointVar}`);
    case 'plain-port':
      return fail(`${where} does not speak TLS (${outcome.message ?? 'handshake failed'})`, `use http:// in ${endpointVar}`);
    case 'certificate':
      return fail(`the TLS certificate of ${where} is not trusted (${outcome.message ?? ''})`, 'set OTEL_EXPORTER_OTLP_CERTIFICATE to the file of the CA that signed it');
    case 'not-http':
      return fail(`${where} answered with something that is not HTTP (${outcome.message ?? ''})`, `check what listens on ${where}; a Collector answers OTLP/HTTP on 4318`);
    case 'closed':
      return fail(`${where} closed the connection without an answer`, `check what listens on ${where}; if it expects TLS, use https:// in ${endpointVar}`);
    case 'error':
      return fail(`request failed: ${outcome.message ?? 'unknown error'}`, `check ${endpointVar} and the files named by the OTEL_EXPORTER_OTLP_*CERTIFICATE/KEY variables`);
    case 'answered':
      break;
  }
  const status = outcome.status ?? 0;
  const answered = `HTTP ${status} in ${outcome.elapsedMs} ms`;
  if (status >= 200 && status < 300) {
    const type = outcome.contentType ?? '';
    if ((outcome.body ?? '') !== '' && type !== '' && !expectedType(outcome.protocol).test(type)) {
      return fail(`${answered}, but with ${type}: not an OTLP receiver`, `point ${endpointVar} at the Collector's OTLP/HTTP port (4318)`);
    }
    return { id, status: 'pass', summary: `${head}: ${answered}`, data };
  }
  const other = outcome.otherProtocol;
  if (other?.kind === 'answered' && other.status !== undefined && other.status >= 200 && other.status < 300) {
    return fail(`${answered}: the endpoint accepts only ${other.protocol}`, `set ${protocolVar}=${other.protocol}`);
  }
  const path = url.pathname.replace(/\/+$/, '');
  const signalPath = `/v1/${outcome.signal}`;
  if (status === 404) {
    if (path.endsWith(`${signalPath}${signalPath}`)) return fail(`${answered}: the path repeats ${signalPath}`, `${endpointVar} is the base URL (faultline appends ${signalPath}): drop the path from it`);
    if (!path.endsWith(signalPath)) return fail(`${answered}: nothing serves OTLP at ${url.pathname}`, `${endpointVar} is the full URL for this signal: end it with ${signalPath}`);
    return fail(`${answered}: nothing serves OTLP ${outcome.signal} at ${url.pathname}`, `check ${endpointVar} (a Collector serves ${signalPath} on port 4318)`);
  }
  if (status === 401 || status === 403) return fail(`${answered}: the endpoint refused the credentials`, 'set the header it expects in OTEL_EXPORTER_OTLP_HEADERS (e.g. authorization=Bearer%20<token>)');
  if (status === 415) return fail(`${answered}: the endpoint refuses ${outcome.protocol}`, `try ${protocolVar}=${outcome.protocol === 'http/json' ? 'http/protobuf' : 'http/json'}`);
  if (status === 429 || status === 502 || status === 503 || status === 504) return fail(`${answered}: the endpoint is up but refusing data for now`, 'exports retry on their own; check the Collector (or the proxy in front of it) and its logs');
  return fail(`${answered}${outcome.body === undefined || outcome.body === '' ? '' : `: ${outcome.body.slice(0, 120)}`}`, `check ${endpointVar} and the endpoint's logs`);
}

/** Checks every OTLP endpoint the configuration exports to, in parallel; resolves within the timeout. */
export async function endpointChecks(config: FaultlineConfig, env: Env, options: ProbeOptions): Promise<Check[]> {
  const signals = otlpSignals(config);
  if (signals.length === 0) return [noOtlpCheck(config)];
  const outcomes = await Promise.all(signals.map((signal) => probeSignal(signal, config.otlp[signal], options)));
  return outcomes.map((outcome) => endpointCheck(outcome, env));
}

export function noOtlpCheck(config: FaultlineConfig): Check {
  return { id: 'endpoint', status: 'skip', summary: config.disabled ? 'faultline is turned off: no endpoint to check' : 'no signal is exported over OTLP: no endpoint to check' };
}

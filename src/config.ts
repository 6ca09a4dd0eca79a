import { warnOnce } from './warn.ts';

// Every variable read here is listed in the README's configuration table; keep them in step.

export type OtlpProtocol = 'http/protobuf' | 'http/json';
export type TracesExporterName = 'otlp' | 'console' | 'none';
export type MetricsExporterName = 'otlp' | 'console' | 'prometheus' | 'none';
export type LogsExporterName = 'otlp' | 'console' | 'none';
export type Signal = 'traces' | 'metrics' | 'logs';

export interface SignalExportConfig {
  url: string;
  protocol: OtlpProtocol;
  headers: Record<string, string>;
  timeoutMillis: number;
  /**
   * Compression and TLS files are applied by the SDK's OTLP transport, which reads the same
   * variables itself; they are read here too so that the doctor's endpoint check sends what the
   * exporters send.
   */
  compression: 'gzip' | 'none';
  tls: { certificate?: string; clientKey?: string; clientCertificate?: string };
}

export interface FaultlineConfig {
  disabled: boolean;
  serviceName: string;
  resourceAttributes: Record<string, string>;
  resourceDetectors: string[];
  tracesExporter: TracesExporterName[];
  metricsExporter: MetricsExporterName[];
  logsExporter: LogsExporterName[];
  otlp: Record<Signal, SignalExportConfig>;
  sampler: { name: string; ratio: number };
  propagators: string[];
  spanQueue: { maxQueueSize: number; maxBatchSize: number; delayMillis: number };
  logQueue: { maxQueueSize: number; maxBatchSize: number; delayMillis: number };
  metricIntervalMillis: number;
  metricTimeoutMillis: number;
  prometheus: { host: string; port: number };
  enabledInstrumentations: string[];
  disabledInstrumentations: string[];
  attributeValueLengthLimit: number;
  shutdownTimeoutMs: number;
  maxStackFrames: number;
  maxErrorTypes: number;
  maxCauseDepth: number;
  maxExceptionEvents: number;
  redactPatterns: RegExp[];
  redactDefaults: boolean;
  logLevel: string;
  logPretty: boolean;
  logBufferLines: number;
  logBufferBytes: number;
  handleProcessEvents: boolean;
  /** FAULTLINE_SPOOL_DIR: where undeliverable telemetry is kept for the next process; undefined: no spool. */
  spoolDir: string | undefined;
  spoolMaxBytes: number;
  /** FAULTLINE_SPOOL_SHIP: whether this process ships what earlier ones spooled (false: a Collector reads the folder). */
  spoolShip: boolean;
  /** Plain pino() error lines (level error and above) inside a span record their error. */
  pinoRecordErrors: boolean;
  /** Level of the SDK's own diagnostics printed on stderr (OTEL_LOG_LEVEL). */
  diagLogLevel: string;
  /** Print the doctor's report from inside the app shortly after start-up (FAULTLINE_DOCTOR). */
  doctor: boolean;
}

/** Options accepted by `start()`: any field overrides what the environment says. */
export type StartOptions = Partial<FaultlineConfig>;

type Env = Record<string, string | undefined>;

const DEFAULT_ENDPOINT = 'http://localhost:4318';
const SIGNAL_PATHS: Record<Signal, string> = { traces: 'v1/traces', metrics: 'v1/metrics', logs: 'v1/logs' };

/**
 * HTTP server/client and fetch spans and Fastify's handler errors come from diagnostics_channel; pg
 * and Express's error path are hooked only when the app can resolve them.
 */
export const DEFAULT_INSTRUMENTATIONS = ['http', 'undici', 'pg', 'express', 'fastify'] as const;

function text(env: Env, name: string): string | undefined {
  const value = env[name];
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
}

/** A value that did not parse: reported on stderr, or handed to the doctor while it collects them. */
export interface ConfigProblem {
  name: string;
  value: string;
  expected: string;
  fallback: string;
  message: string;
}

let collecting: ConfigProblem[] | undefined;

function bad(name: string, value: string, expected: string, fallback: unknown): void {
  const shown = JSON.stringify(value.slice(0, 80));
  const problem = { name, value: shown, expected, fallback: String(fallback), message: `ignoring ${name}=${shown}: expected ${expected}; using ${String(fallback)}` };
  if (collecting !== undefined) collecting.push(problem);
  else warnOnce(`config:${name}`, problem.message);
}

/** Runs `read` with the problems it finds collected instead of printed (for the doctor). */
export function collectConfigProblems<T>(read: () => T): { value: T; problems: ConfigProblem[] } {
  const outer = collecting;
  const problems: ConfigProblem[] = [];
  collecting = problems;
  try {
    return { value: read(), problems };
  } finally {
    collecting = outer;
  }
}

function integer(env: Env, name: string, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const value = text(env, name);
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < min || parsed > max) {
    bad(name, value, `an integer from ${min} to ${max}`, fallback);
    return fallback;
  }
  return parsed;
}

function ratio(env: Env, name: string, fallback: number): number {
  const value = text(env, name);
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < 0 || parsed > 1) {
    bad(name, value, 'a number from 0 to 1', fallback);
    return fallback;
  }
  return parsed;
}

function bool(env: Env, name: string, fallback: boolean): boolean {
  const value = text(env, name)?.toLowerCase();
  if (value === undefined) return fallback;
  if (['true', '1', 'yes', 'on'].includes(value)) return true;
  if (['false', '0', 'no', 'off'].includes(value)) return false;
  bad(name, value, 'true or false', fallback);
  return fallback;
}

function list(env: Env, name: string): string[] | undefined {
  const value = text(env, name);
  if (value === undefined) return undefined;
  return value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

function choices<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T[]): T[] {
  const items = list(env, name);
  if (items === undefined) return fallback;
  const chosen: T[] = [];
  for (const item of items) {
    if ((allowed as readonly string[]).includes(item)) chosen.push(item as T);
    else bad(name, item, `one of ${allowed.join(', ')}`, `the other values (${fallback.join(',')} if none)`);
  }
  return chosen.length > 0 || items.length === 0 ? chosen : fallback;
}

/** W3C Baggage-style `key=value,key2=value2`, percent-decoded; malformed pairs are skipped with a warning. */
export function parseKeyValueList(env: Env, name: string): Record<string, string> {
  const result: Record<string, string> = {};
  const value = text(env, name);
  if (value === undefined) return result;
  for (const pair of value.split(',')) {
    if (pair.trim() === '') continue;
    const eq = pair.indexOf('=');
    const key = eq > 0 ? pair.slice(0, eq).trim() : '';
    if (key === '') {
      bad(name, pair, 'key=value pairs separated by commas', 'the other pairs');
      continue;
    }
    let decoded = pair.slice(eq + 1).trim();
    try {
      decoded = decodeURIComponent(decoded);
    } catch { // eslint-disable-line faultline/no-blind-catch -- decodeURIComponent throws only URIError; the setting is reported and kept raw
      bad(name, pair, 'percent-encoded values', 'the raw value');
    }
    result[key] = decoded;
  }
  return result;
}

function protocol(env: Env, name: string, fallback: OtlpProtocol): OtlpProtocol {
  const value = text(env, name);
  if (value === undefined) return fallback;
  if (value === 'http/protobuf' || value === 'http/json') return value;
  bad(name, value, value === 'grpc' ? 'http/protobuf or http/json (faultline exports over HTTP only)' : 'http/protobuf or http/json', fallback);
  return fallback;
}

function validUrl(name: string, value: string): string | undefined {
  try {
    const url = new URL(value);
    if (url.protocol === 'http:' || url.protocol === 'https:') return url.href;
  } catch { // eslint-disable-line faultline/no-blind-catch -- new URL throws only for a malformed URL, reported below
  }
  bad(name, value, 'an http(s) URL', 'the default endpoint');
  return undefined;
}

function compression(env: Env, name: string): 'gzip' | 'none' | undefined {
  const value = text(env, name);
  if (value === undefined) return undefined;
  if (value === 'gzip' || value === 'none') return value;
  bad(name, value, 'gzip or none', 'no compression');
  return undefined;
}

function signalExport(env: Env, signal: Signal): SignalExportConfig {
  const upper = signal.toUpperCase();
  const tls = {
    certificate: text(env, `OTEL_EXPORTER_OTLP_${upper}_CERTIFICATE`) ?? text(env, 'OTEL_EXPORTER_OTLP_CERTIFICATE'),
    clientKey: text(env, `OTEL_EXPORTER_OTLP_${upper}_CLIENT_KEY`) ?? text(env, 'OTEL_EXPORTER_OTLP_CLIENT_KEY'),
    clientCertificate: text(env, `OTEL_EXPORTER_OTLP_${upper}_CLIENT_CERTIFICATE`) ?? text(env, 'OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE'),
  };
  const baseProtocol = protocol(env, 'OTEL_EXPORTER_OTLP_PROTOCOL', 'http/protobuf');
  const signalUrlVar = `OTEL_EXPORTER_OTLP_${upper}_ENDPOINT`;
  const signalUrl = text(env, signalUrlVar);
  let url: string | undefined = signalUrl === undefined ? undefined : validUrl(signalUrlVar, signalUrl);
  if (url === undefined) {
    const base = text(env, 'OTEL_EXPORTER_OTLP_ENDPOINT');
    const baseUrl = (base === undefined ? undefined : validUrl('OTEL_EXPORTER_OTLP_ENDPOINT', base)) ?? DEFAULT_ENDPOINT;
    url = `${baseUrl.replace(/\/+$/, '')}/${SIGNAL_PATHS[signal]}`;
  }
  return {
    url,
    protocol: protocol(env, `OTEL_EXPORTER_OTLP_${upper}_PROTOCOL`, baseProtocol),
    headers: { ...parseKeyValueList(env, 'OTEL_EXPORTER_OTLP_HEADERS'), ...parseKeyValueList(env, `OTEL_EXPORTER_OTLP_${upper}_HEADERS`) },
    timeoutMillis: integer(env, `OTEL_EXPORTER_OTLP_${upper}_TIMEOUT`, integer(env, 'OTEL_EXPORTER_OTLP_TIMEOUT', 10000, 1), 1),
    compression: compression(env, `OTEL_EXPORTER_OTLP_${upper}_COMPRESSION`) ?? compression(env, 'OTEL_EXPORTER_OTLP_COMPRESSION') ?? 'none',
    tls,
  };
}

/** Instrumentation names as the OTel distros spell them (`http`, `pg`, `ioredis`, …), without the package prefix. */
function instrumentationNames(env: Env, name: string): string[] | undefined {
  const items = list(env, name);
  if (items === undefined) return undefined;
  return items
    .map((item) => item.replace(/^@opentelemetry\/instrumentation-/, ''))
    .filter((item) => {
      if (/^[a-z0-9][a-z0-9._-]*$/.test(item)) return true;
      bad(name, item, 'instrumentation names such as http, undici, pg, ioredis', 'the other names');
      return false;
    });
}

function redactPatterns(env: Env): RegExp[] {
  const value = text(env, 'FAULTLINE_REDACT_PATTERNS');
  if (value === undefined) return [];
  let sources: unknown;
  try {
    sources = JSON.parse(value);
  } catch { // eslint-disable-line faultline/no-blind-catch -- JSON.parse throws only SyntaxError; a non-array is reported below
    sources = undefined;
  }
  if (!Array.isArray(sources)) {
    bad('FAULTLINE_REDACT_PATTERNS', value, 'a JSON array of regular-expression sources', 'the built-in patterns only');
    return [];
  }
  const patterns: RegExp[] = [];
  for (const source of sources) {
    const pattern = typeof source === 'string' ? compiledPattern(source) : undefined;
    if (pattern === undefined) bad('FAULTLINE_REDACT_PATTERNS', String(source), 'a valid regular expression', 'the other patterns');
    else patterns.push(pattern);
  }
  return patterns;
}

function compiledPattern(source: string): RegExp | undefined {
  try {
    return new RegExp(source, 'g');
  } catch { // eslint-disable-line faultline/no-blind-catch -- `new RegExp` throws only a SyntaxError for a bad source; the caller reports it
    return undefined;
  }
}

function serviceName(env: Env, resourceAttributes: Record<string, string>): string {
  const explicit = text(env, 'OTEL_SERVICE_NAME') ?? resourceAttributes['service.name'];
  if (explicit !== undefined) return explicit;
  const script = process.argv[1];
  const base = script?.split(/[\\/]/).pop()?.replace(/\.[cm]?[jt]s$/, '');
  return base !== undefined && base !== '' ? `unknown_service:${base}` : 'unknown_service:node';
}

export function loadConfig(env: Env = process.env, overrides: StartOptions = {}): FaultlineConfig {
  const resourceAttributes = parseKeyValueList(env, 'OTEL_RESOURCE_ATTRIBUTES');
  const config: FaultlineConfig = {
    disabled: bool(env, 'OTEL_SDK_DISABLED', false) || bool(env, 'FAULTLINE_DISABLED', false),
    serviceName: serviceName(env, resourceAttributes),
    resourceAttributes,
    resourceDetectors: choices(env, 'OTEL_NODE_RESOURCE_DETECTORS', ['env', 'host', 'process', 'os', 'all', 'none'] as const, ['env', 'host', 'process']),
    tracesExporter: choices(env, 'OTEL_TRACES_EXPORTER', ['otlp', 'console', 'none'] as const, ['otlp']),
    metricsExporter: choices(env, 'OTEL_METRICS_EXPORTER', ['otlp', 'console', 'prometheus', 'none'] as const, ['otlp']),
    logsExporter: choices(env, 'OTEL_LOGS_EXPORTER', ['otlp', 'console', 'none'] as const, ['otlp']),
    otlp: { traces: signalExport(env, 'traces'), metrics: signalExport(env, 'metrics'), logs: signalExport(env, 'logs') },
    sampler: {
      name: choices(env, 'OTEL_TRACES_SAMPLER', ['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'] as const, ['parentbased_always_on'])[0] ?? 'parentbased_always_on',
      ratio: ratio(env, 'OTEL_TRACES_SAMPLER_ARG', 1),
    },
    propagators: choices(env, 'OTEL_PROPAGATORS', ['tracecontext', 'baggage', 'none'] as const, ['tracecontext', 'baggage']),
    spanQueue: {
      maxQueueSize: integer(env, 'OTEL_BSP_MAX_QUEUE_SIZE', 2048, 1),
      maxBatchSize: integer(env, 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE', 512, 1),
      delayMillis: integer(env, 'OTEL_BSP_SCHEDULE_DELAY', 1000, 0),
    },
    logQueue: {
      maxQueueSize: integer(env, 'OTEL_BLRP_MAX_QUEUE_SIZE', 2048, 1),
      maxBatchSize: integer(env, 'OTEL_BLRP_MAX_EXPORT_BATCH_SIZE', 512, 1),
      delayMillis: integer(env, 'OTEL_BLRP_SCHEDULE_DELAY', 1000, 0),
    },
    metricIntervalMillis: integer(env, 'OTEL_METRIC_EXPORT_INTERVAL', 60000, 1),
    metricTimeoutMillis: integer(env, 'OTEL_METRIC_EXPORT_TIMEOUT', 30000, 1),
    prometheus: {
      host: text(env, 'OTEL_EXPORTER_PROMETHEUS_HOST') ?? '0.0.0.0',
      port: integer(env, 'OTEL_EXPORTER_PROMETHEUS_PORT', 9464, 0, 65535),
    },
    enabledInstrumentations: instrumentationNames(env, 'OTEL_NODE_ENABLED_INSTRUMENTATIONS') ?? [...DEFAULT_INSTRUMENTATIONS],
    disabledInstrumentations: instrumentationNames(env, 'OTEL_NODE_DISABLED_INSTRUMENTATIONS') ?? [],
    attributeValueLengthLimit: integer(env, 'OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT', 8192, 32),
    shutdownTimeoutMs: integer(env, 'FAULTLINE_SHUTDOWN_TIMEOUT_MS', 2000, 1, 600000),
    maxStackFrames: integer(env, 'FAULTLINE_MAX_STACK_FRAMES', 30, 1, 1000),
    maxErrorTypes: integer(env, 'FAULTLINE_MAX_ERROR_TYPES', 100, 1, 10000),
    maxCauseDepth: integer(env, 'FAULTLINE_MAX_CAUSE_DEPTH', 8, 1, 100),
    maxExceptionEvents: integer(env, 'FAULTLINE_MAX_EXCEPTION_EVENTS', 32, 1, 1000),
    redactPatterns: redactPatterns(env),
    redactDefaults: bool(env, 'FAULTLINE_REDACT_DEFAULTS', true),
    logLevel: text(env, 'FAULTLINE_LOG_LEVEL') ?? 'info',
    logPretty: bool(env, 'FAULTLINE_LOG_PRETTY', false),
    // About 8 MiB of pending lines at 1 KiB each: a burst beyond it is dropped and counted, not held.
    logBufferLines: integer(env, 'FAULTLINE_LOG_BUFFER_LINES', 8192, 100),
    // Lines with stacks run to several KiB: bounding characters too keeps an outage's cost flat.
    logBufferBytes: integer(env, 'FAULTLINE_LOG_BUFFER_BYTES', 4 * 1024 * 1024, 64 * 1024),
    handleProcessEvents: bool(env, 'FAULTLINE_HANDLE_PROCESS_EVENTS', true),
    spoolDir: text(env, 'FAULTLINE_SPOOL_DIR'),
    spoolMaxBytes: integer(env, 'FAULTLINE_SPOOL_MAX_BYTES', 64 * 1024 * 1024, 64 * 1024),
    spoolShip: bool(env, 'FAULTLINE_SPOOL_SHIP', true),
    pinoRecordErrors: bool(env, 'FAULTLINE_PINO_RECORD_ERRORS', true),
    diagLogLevel: text(env, 'OTEL_LOG_LEVEL') ?? 'error',
    doctor: bool(env, 'FAULTLINE_DOCTOR', false),
  };
  return { ...config, ...overrides };
}

/**
 * Every variable `loadConfig` reads, found by letting it read a recording environment: the doctor's
 * list of known names cannot drift from the code that honours them.
 */
export function knownVariableNames(): string[] {
  const names = new Set<string>();
  const recorder = new Proxy<Env>({}, {
    get(_target, name) {
      if (typeof name === 'string') names.add(name);
      return undefined;
    },
  });
  collectConfigProblems(() => loadConfig(recorder));
  return [...names].sort();
}

// Every row of README.md's configuration table, exercised through the environment of a real child
// process: for each variable, the effect of a value other than the default, and the documented
// default (what happens when it is unset). The table is read from the README at test time, so a
// row added there without an entry here fails. Runs are shared between rows (runs.ts): one process
// shows the effect of many variables.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test, type TestContext } from 'node:test';
import type { ReceivedRequest, ReceivedSpanEvent } from '../../src/receiver/index.ts';
import { closedPort } from '../helpers/closed-port.ts';
import { repoRoot } from '../helpers/run-app.ts';
import { arrives, makeTlsFiles, mutualTlsProxy, Runs, type RunResult, type RunSpec, type TlsFiles } from './runs.ts';

/** Each variable of the README's configuration table, with the text of its row. */
function readmeRows(): Map<string, string> {
  const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('\n## Configuration'), readme.indexOf('\n## ', readme.indexOf('\n## Configuration') + 1));
  const rows = new Map<string, string>();
  for (const line of section.split('\n')) {
    if (!line.startsWith('| `')) continue;
    for (const match of (line.split('|')[1] ?? '').matchAll(/`((?:OTEL|FAULTLINE)_[A-Z_]+)`/g)) rows.set(match[1]!, line);
  }
  return rows;
}

// ---------------------------------------------------------------------------------------------
// The runs.

const SIGNALS = ['traces', 'metrics', 'logs'] as const;
type SignalName = (typeof SIGNALS)[number];
const UPPER: Record<SignalName, string> = { traces: 'TRACES', metrics: 'METRICS', logs: 'LOGS' };
const FAST = { ROWS_MARK_AFTER_MS: '0' };
// Where everything must arrive: a deadline no loaded machine reaches, so what is checked is the
// variable's effect and not how quickly a busy machine flushes. FAULTLINE_SHUTDOWN_TIMEOUT_MS's own
// default is checked by the runs made for it.
const FAR = { FAULTLINE_SHUTDOWN_TIMEOUT_MS: '30000' };

/** Is a TCP port free on every address (as a listener on 0.0.0.0 needs it)? */
function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '0.0.0.0', () => server.close(() => resolve(true)));
  });
}

/** An address of this machine other than loopback, to tell a 0.0.0.0 listener from a 127.0.0.1 one. */
function outsideAddress(): string | undefined {
  for (const addresses of Object.values(networkInterfaces())) {
    for (const address of addresses ?? []) if (address.family === 'IPv4' && !address.internal) return address.address;
  }
  return undefined;
}

interface Scrape {
  loopback: string | undefined;
  outside: string | 'refused' | undefined;
}

/** The Prometheus exporter's page, fetched on loopback (retried while it starts) and on the outside address. */
async function scrape(host: string, port: number): Promise<Scrape> {
  let loopback: string | undefined;
  for (let attempt = 0; attempt < 200 && loopback === undefined; attempt += 1) {
    try {
      loopback = await (await fetch(`http://${host}:${port}/metrics`)).text();
    } catch { // eslint-disable-line faultline/no-blind-catch -- refused while the exporter starts listening; tried again
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  const address = outsideAddress();
  let outside: Scrape['outside'];
  if (address !== undefined) {
    try {
      outside = await (await fetch(`http://${address}:${port}/metrics`)).text();
    } catch { // eslint-disable-line faultline/no-blind-catch -- a refused connection is the observation
      outside = 'refused';
    }
  }
  return { loopback, outside };
}

const prometheusPort = await closedPort();
const defaultPrometheusPortFree = await portIsFree(9464);
let tls: TlsFiles | undefined;
const tlsFiles = (): TlsFiles => (tls ??= makeTlsFiles());
const spoolDir = mkdtempSync(path.join(tmpdir(), 'faultline-rows-spool-'));
const spooled = (): string[] => (existsSync(spoolDir) ? readdirSync(spoolDir) : []);
/** The spool folder after the process with FAULTLINE_SPOOL_SHIP=false, before the next one ships it. */
let spoolKeptFiles: string[] = [];

const runs = new Runs(
  {
    // Nothing set but FAR and the endpoint (whose default has a run of its own). 2700 items at once:
    // one batch of 512 in flight, 2188 for a queue of 2048.
    defaults: (): RunSpec => ({
      env: FAR,
      app: { ROWS_SPANS: '2700', ROWS_RECORDS: '2700' },
      // Sent on the 1 s schedule while the app runs, with no exit to flush them.
      whileUp: async (receiver) => ({
        span: await arrives(receiver, () => receiver.spans.some((span) => span.name === 'rows.scheduled')),
        log: await arrives(receiver, () => receiver.logs.some((record) => record.body === 'rows.scheduled')),
      }),
    }),
    // The receiver on 4318 when it is free. Any process on this machine started without an endpoint
    // may send there meanwhile, so the rows look only at telemetry carrying this app's pid.
    defaultEndpoint: (): RunSpec => ({ env: FAR, endpoint: 'unset', app: FAST }),
    changed: (): RunSpec => ({
      env: {
        ...FAR,
        OTEL_SERVICE_NAME: 'rows-changed',
        OTEL_RESOURCE_ATTRIBUTES: 'rows.run=changed',
        OTEL_NODE_RESOURCE_DETECTORS: 'os',
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/protobuf',
        OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip',
        OTEL_EXPORTER_OTLP_METRICS_COMPRESSION: 'none',
        OTEL_EXPORTER_OTLP_HEADERS: 'x-common=c1,x-encoded=a%20b',
        OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'x-signal=t',
        OTEL_EXPORTER_OTLP_METRICS_HEADERS: 'x-signal=m',
        OTEL_EXPORTER_OTLP_LOGS_HEADERS: 'x-signal=l',
        OTEL_TRACES_SAMPLER: 'always_on',
        OTEL_PROPAGATORS: 'tracecontext',
        OTEL_BSP_MAX_QUEUE_SIZE: '100',
        OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '50',
        OTEL_BLRP_MAX_QUEUE_SIZE: '100',
        OTEL_BLRP_MAX_EXPORT_BATCH_SIZE: '50',
        OTEL_METRIC_EXPORT_INTERVAL: '500',
        OTEL_METRIC_EXPORT_TIMEOUT: '100',
        OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT: '2000',
        OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'http',
        OTEL_LOG_LEVEL: 'info',
        FAULTLINE_MAX_STACK_FRAMES: '5',
        FAULTLINE_MAX_CAUSE_DEPTH: '3',
        FAULTLINE_MAX_EXCEPTION_EVENTS: '6',
        FAULTLINE_MAX_ERROR_TYPES: '10',
        FAULTLINE_REDACT_DEFAULTS: 'false',
        FAULTLINE_REDACT_PATTERNS: '["order-[0-9]+"]',
        FAULTLINE_LOG_LEVEL: 'debug',
      },
      app: { ROWS_SPANS: '600', ROWS_RECORDS: '600' },
      args: ['--slow-gauge'],
      // Metrics exported on the 500 ms interval while the app runs.
      whileUp: (receiver) => arrives(receiver, () => receiver.requests.some((request) => request.signal === 'metrics')),
    }),
    // Per-signal endpoints only (the base one refuses connections), and more values the first run cannot hold.
    changed2: (): RunSpec => ({
      env: {
        ...FAR,
        OTEL_SERVICE_NAME: 'rows-changed2',
        OTEL_RESOURCE_ATTRIBUTES: 'rows.run=changed2',
        OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'http/json',
        OTEL_EXPORTER_OTLP_LOGS_PROTOCOL: 'http/json',
        OTEL_EXPORTER_OTLP_TRACES_COMPRESSION: 'gzip',
        OTEL_EXPORTER_OTLP_LOGS_COMPRESSION: 'gzip',
        OTEL_EXPORTER_OTLP_HEADERS: 'x-common=c2',
        OTEL_TRACES_SAMPLER: 'traceidratio',
        OTEL_TRACES_SAMPLER_ARG: '0.5',
        OTEL_PROPAGATORS: 'none',
        OTEL_BSP_SCHEDULE_DELAY: '30000',
        OTEL_BLRP_SCHEDULE_DELAY: '30000',
        OTEL_METRIC_EXPORT_INTERVAL: '3000',
        // Not in \`changed\`: a scrape runs the gauge's callback with no time limit, and the SDK
        // shares those observations with the OTLP reader.
        OTEL_METRICS_EXPORTER: 'otlp,prometheus',
        OTEL_EXPORTER_PROMETHEUS_HOST: '127.0.0.1',
        OTEL_EXPORTER_PROMETHEUS_PORT: String(prometheusPort),
      },
      endpoint: async (receiver) => ({
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${await closedPort()}`,
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${receiver.url}/v1/traces`,
        OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: `${receiver.url}/v1/metrics`,
        OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: `${receiver.url}/v1/logs`,
      }),
      app: { ROWS_SPANS: '600' },
      args: ['--slow-gauge'],
      during: () => scrape('127.0.0.1', prometheusPort),
      // A periodic export whose collection waited for the slow gauge.
      whileUp: (receiver) => arrives(receiver, () => receiver.metrics.some((point) => point.name === 'rows.slow_gauge')),
    }),
    changed3: (): RunSpec => ({
      env: {
        ...FAR,
        OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
        OTEL_PROPAGATORS: 'baggage',
        OTEL_NODE_RESOURCE_DETECTORS: 'all',
        OTEL_RESOURCE_ATTRIBUTES: 'rows.run=changed3',
        OTEL_METRICS_EXPORTER: 'prometheus',
        OTEL_LOGS_EXPORTER: 'none',
        OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'undici',
      },
      app: { ROWS_SPANS: '300' },
      during: () => (defaultPrometheusPortFree ? scrape('127.0.0.1', 9464) : Promise.resolve(undefined)),
    }),
    console: (): RunSpec => ({ env: { OTEL_TRACES_EXPORTER: 'none', OTEL_METRICS_EXPORTER: 'console', OTEL_LOGS_EXPORTER: 'console' }, app: FAST }),
    sdkDisabled: (): RunSpec => ({ env: { OTEL_SDK_DISABLED: 'true' }, app: FAST }),
    faultlineDisabled: (): RunSpec => ({ env: { FAULTLINE_DISABLED: 'true' }, app: FAST }),
    // Long schedules: nothing goes out while the app runs, so what arrives is what the exit flush sent.
    noProcessEvents: (): RunSpec => ({ env: { ...FAR, FAULTLINE_HANDLE_PROCESS_EVENTS: 'false', OTEL_BSP_SCHEDULE_DELAY: '60000', OTEL_BLRP_SCHEDULE_DELAY: '60000' }, app: FAST }),
    processEvents: (): RunSpec => ({ env: { ...FAR, OTEL_BSP_SCHEDULE_DELAY: '60000', OTEL_BLRP_SCHEDULE_DELAY: '60000' }, app: FAST }),
    // A collector that never answers: which ends first, the export timeout or the shutdown deadline?
    // The margins are wide: an export timer starts only once the request is sent, late on a busy machine.
    timeoutBase: (): RunSpec => ({
      mode: 'hang',
      env: { OTEL_EXPORTER_OTLP_TIMEOUT: '300', OTEL_EXPORTER_OTLP_METRICS_TIMEOUT: '60000', OTEL_EXPORTER_OTLP_LOGS_TIMEOUT: '60000', FAULTLINE_SHUTDOWN_TIMEOUT_MS: '5000' },
      // Up for 2.5 s: the logs are in flight when the app's work ends, and must not hold it for 60 s.
    }),
    timeoutSignal: (): RunSpec => ({
      mode: 'hang',
      env: { OTEL_EXPORTER_OTLP_TIMEOUT: '300', OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: '60000', FAULTLINE_SHUTDOWN_TIMEOUT_MS: '5000' },
      app: FAST,
    }),
    timeoutDefaultBelow: (): RunSpec => ({ mode: 'hang', env: { FAULTLINE_SHUTDOWN_TIMEOUT_MS: '5000' } }),
    timeoutDefaultAbove: (): RunSpec => ({ mode: 'hang', env: { FAULTLINE_SHUTDOWN_TIMEOUT_MS: '20000' }, app: FAST }),
    // The default deadline: an app up for 2.5 s has its export worker ready, so the 100 ms timer starts at once.
    deadlineDefaultAbove: (): RunSpec => ({ mode: 'hang', env: { OTEL_EXPORTER_OTLP_TIMEOUT: '100' } }),
    deadlineDefaultBelow: (): RunSpec => ({ mode: 'hang', env: { OTEL_EXPORTER_OTLP_TIMEOUT: '4000' }, app: FAST }),
    // Mutual TLS: the base files, the per-signal files, and none.
    tlsBase: (): RunSpec => {
      const files = tlsFiles();
      return {
        env: { ...FAR, OTEL_EXPORTER_OTLP_CERTIFICATE: files.ca, OTEL_EXPORTER_OTLP_CLIENT_KEY: files.clientKey, OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE: files.clientCert },
        endpoint: async (receiver) => ({ OTEL_EXPORTER_OTLP_ENDPOINT: await mutualTlsProxy(receiver, files) }),
        app: FAST,
      };
    },
    tlsSignal: (): RunSpec => {
      const files = tlsFiles();
      const env: Record<string, string> = { ...FAR };
      for (const signal of SIGNALS) {
        env[`OTEL_EXPORTER_OTLP_${UPPER[signal]}_CERTIFICATE`] = files.ca;
        env[`OTEL_EXPORTER_OTLP_${UPPER[signal]}_CLIENT_KEY`] = files.clientKey;
        env[`OTEL_EXPORTER_OTLP_${UPPER[signal]}_CLIENT_CERTIFICATE`] = files.clientCert;
      }
      return { env, endpoint: async (receiver) => ({ OTEL_EXPORTER_OTLP_ENDPOINT: await mutualTlsProxy(receiver, files) }), app: FAST };
    },
    tlsNone: (): RunSpec => ({ env: {}, endpoint: async (receiver) => ({ OTEL_EXPORTER_OTLP_ENDPOINT: await mutualTlsProxy(receiver, tlsFiles()) }), app: FAST }),
    // The spool: one process spools (its collector refuses), the next leaves the files, the last ships them.
    // Up for 2.5 s, so that its export worker is running when it ends (a loaded machine starts it late).
    spoolPrep: (): RunSpec => ({
      env: { ...FAR, OTEL_SERVICE_NAME: 'rows-spooled', FAULTLINE_SPOOL_DIR: spoolDir, OTEL_EXPORTER_OTLP_TIMEOUT: '1000' },
      endpoint: async () => ({ OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${await closedPort()}` }),
    }),
    spoolKept: async (): Promise<RunSpec> => {
      const prep = await runs.get('spoolPrep');
      assert.ok(spooled().length > 0, `the first process spooled; its stderr: ${prep.exit.stderr}`);
      return { env: { ...FAR, FAULTLINE_SPOOL_DIR: spoolDir, FAULTLINE_SPOOL_SHIP: 'false' } };
    },
    spoolShipped: async (): Promise<RunSpec> => {
      await runs.get('spoolKept');
      spoolKeptFiles = spooled();
      return {
        env: { ...FAR, FAULTLINE_SPOOL_DIR: spoolDir },
        whileUp: (receiver) => arrives(receiver, () => receiver.spans.some((span) => span.resource['service.name'] === 'rows-spooled')),
      };
    },
  },
  // Two at a time: most runs wait on a collector or a timer, and the suite runs other files beside this one.
  2,
);

before(() => {
  runs.startAll(['timeoutDefaultAbove', 'timeoutBase', 'spoolPrep', 'timeoutSignal', 'timeoutDefaultBelow']);
});

after(() => {
  rmSync(spoolDir, { recursive: true, force: true });
  if (tls !== undefined) rmSync(tls.dir, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------
// What a run shows.

function requests(run: RunResult, signal: SignalName): readonly ReceivedRequest[] {
  return run.receiver.requests.filter((request) => request.signal === signal);
}

/** The one value every request of the signal has for `read`, failing when they differ or there are none. */
function each(run: RunResult, signal: SignalName, read: (request: ReceivedRequest) => string | undefined): string | undefined {
  const values = new Set(requests(run, signal).map(read));
  assert.equal(values.size, 1, `${signal} requests: ${JSON.stringify([...values])} (${requests(run, signal).length} requests)`);
  return [...values][0];
}

function resource(run: RunResult): Record<string, unknown> {
  const span = run.receiver.spans[0];
  assert.ok(span !== undefined, `no span received; stderr: ${run.exit.stderr}`);
  return span.resource;
}

function spanNamed(run: RunResult, name: string) {
  const span = run.receiver.spans.find((candidate) => candidate.name === name);
  assert.ok(span !== undefined, `no span ${name}; got ${[...new Set(run.receiver.spans.map((s) => s.name))].join(', ')}`);
  return span;
}

/** The exception events of the recorded error whose outermost message is `message`. */
function recorded(run: RunResult, message: string): ReceivedSpanEvent[] {
  const events = spanNamed(run, 'rows.errors').events.filter((event) => event.name === 'exception');
  const start = events.findIndex((event) => String(event.attributes['exception.message']).startsWith(message));
  assert.ok(start >= 0, `no exception event for ${message}`);
  const end = events.findIndex((event, index) => index > start && event.attributes['exception.index'] === 0);
  return events.slice(start, end === -1 ? undefined : end);
}

function frames(event: ReceivedSpanEvent | undefined): number {
  return String(event?.attributes['exception.stacktrace']).split('\n').filter((line) => line.startsWith('    at ')).length;
}

/** Why the first drop of a signal happened, as the one warning says it. */
function dropReason(run: RunResult, signal: SignalName): 'timeout' | 'deadline' | string {
  const match = new RegExp(`dropping telemetry: \\d+ ${signal} item\\(s\\), ([^;]*);`).exec(run.exit.stderr);
  assert.ok(match !== null, `no drop warning for ${signal}; stderr: ${run.exit.stderr}`);
  if (match[1] === 'export failed (Request timed out)') return 'timeout';
  if (match[1]?.startsWith('shutdown (not delivered by the shutdown deadline)') === true) return 'deadline';
  return match[1]!;
}

function errorTypes(run: RunResult): Set<unknown> {
  return new Set(run.receiver.metrics.filter((point) => point.name === 'app.errors').map((point) => point.attributes['error.type']));
}

const ok = (run: RunResult) => {
  assert.equal(run.exit.code, 0, run.exit.stderr);
  assert.match(run.exit.stdout, /^END$/m);
};

/** The JSON the fixture printed after `OUTGOING`: the propagation headers its own server saw. */
function outgoing(run: RunResult): { traceparent: string | null; baggage: string | null } {
  const line = /^OUTGOING (.*)$/m.exec(run.exit.stdout);
  assert.ok(line !== null, run.exit.stdout);
  return JSON.parse(line[1]!) as { traceparent: string | null; baggage: string | null };
}

/** The signal got through; for logs, both paths: the export worker's lines and the logs API's records (the app's thread). */
function assertThroughTls(run: RunResult, signal: SignalName, message: string): void {
  assert.ok(requests(run, signal).length > 0, `${signal}: ${message}`);
  if (signal === 'logs') {
    assert.ok(run.receiver.logs.some((record) => record.body === 'rows-log-info'), `a createLogger line: ${message}`);
    assert.ok(run.receiver.logs.some((record) => record.body === 'rows.scheduled'), `a logs-API record: ${message}`);
  }
}

const TRANSPORT_HEADERS = new Set(['content-type', 'content-length', 'content-encoding', 'user-agent', 'host', 'connection', 'transfer-encoding', 'accept', 'accept-encoding']);

// ---------------------------------------------------------------------------------------------
// One entry per variable: `changed` shows a value other than the default at work, `unset` the
// documented default. `elsewhere` names the tests that already do so for a row this file does not
// repeat; the names are checked to exist.

interface Here {
  changed: () => Promise<void>;
  unset: (t: TestContext) => Promise<void>;
}

interface Elsewhere {
  elsewhere: { file: string; tests: string[] };
}

const g = (name: Parameters<typeof runs.get>[0]) => runs.get(name);

/** One entry per signal, for the variables named `variable(TRACES|METRICS|LOGS)`. */
function perSignal(variable: (upper: string) => string, build: (signal: SignalName) => Here): Record<string, Here> {
  return Object.fromEntries(SIGNALS.map((signal) => [variable(UPPER[signal]), build(signal)]));
}

const entries: Record<string, Here | Elsewhere> = {
  OTEL_SDK_DISABLED: {
    changed: async () => {
      const run = await g('sdkDisabled');
      ok(run);
      assert.equal(run.receiver.requests.length, 0);
    },
    unset: async () => {
      const run = await g('defaults');
      for (const signal of SIGNALS) assert.ok(requests(run, signal).length > 0, signal);
    },
  },
  OTEL_SERVICE_NAME: {
    changed: async () => assert.equal(resource(await g('changed'))['service.name'], 'rows-changed'),
    unset: async () => assert.equal(resource(await g('defaults'))['service.name'], 'unknown_service:rows-app'),
  },
  OTEL_RESOURCE_ATTRIBUTES: {
    changed: async () => assert.equal(resource(await g('changed2'))['rows.run'], 'changed2'),
    unset: async () => assert.deepEqual(Object.keys(resource(await g('defaults'))).filter((key) => key.startsWith('rows.')), []),
  },
  OTEL_NODE_RESOURCE_DETECTORS: {
    changed: async () => {
      const onlyOs = resource(await g('changed'));
      assert.equal(typeof onlyOs['os.type'], 'string');
      for (const key of ['host.name', 'process.pid', 'rows.run']) assert.equal(onlyOs[key], undefined, `${key} without its detector`);
      const all = resource(await g('changed3'));
      for (const key of ['os.type', 'host.name', 'process.pid']) assert.notEqual(all[key], undefined, key);
      assert.equal(all['rows.run'], 'changed3');
    },
    unset: async () => {
      const defaults = resource(await g('defaults'));
      assert.equal(typeof defaults['host.name'], 'string');
      assert.equal(typeof defaults['process.pid'], 'number');
      assert.equal(defaults['os.type'], undefined);
      assert.equal(resource(await g('changed2'))['rows.run'], 'changed2', 'env is among the defaults');
    },
  },
  OTEL_TRACES_EXPORTER: {
    changed: async () => {
      const run = await g('console');
      ok(run);
      assert.equal(requests(run, 'traces').length, 0);
    },
    unset: async () => assert.ok(requests(await g('defaults'), 'traces').length > 0),
  },
  OTEL_METRICS_EXPORTER: {
    changed: async () => {
      const run = await g('console');
      assert.equal(requests(run, 'metrics').length, 0);
      assert.match(run.exit.stdout, /name: 'app\.errors'/);
      const both = await g('changed2');
      assert.match(String((both.during as { loopback?: string } | undefined)?.loopback), /^app_errors_total\{/m);
      assert.ok(requests(both, 'metrics').length > 0);
    },
    unset: async () => assert.ok(requests(await g('defaults'), 'metrics').length > 0),
  },
  OTEL_LOGS_EXPORTER: {
    changed: async () => {
      const run = await g('console');
      assert.equal(requests(run, 'logs').length, 0);
      assert.match(run.exit.stdout, /body: 'rows\.scheduled'/);
      assert.equal(requests(await g('changed3'), 'logs').length, 0, 'none');
    },
    unset: async () => assert.ok((await g('defaults')).receiver.logs.some((record) => record.body === 'rows.scheduled')),
  },
  OTEL_EXPORTER_OTLP_ENDPOINT: {
    changed: async () => assert.ok(requests(await g('changed'), 'traces').length > 0),
    unset: async (t: TestContext) => {
      const run = await g('defaultEndpoint');
      if (!run.defaultEndpointUsed) {
        t.skip('port 4318 was taken on this machine: the default endpoint could not be listened on');
        return;
      }
      const ours = (item: { resource: Record<string, unknown> }) => item.resource['process.pid'] === run.pid;
      assert.ok(run.receiver.spans.some(ours), 'traces at http://localhost:4318');
      assert.ok(run.receiver.metrics.some(ours), 'metrics at http://localhost:4318');
      assert.ok(run.receiver.logs.some(ours), 'logs at http://localhost:4318');
    },
  },
  ...perSignal(
    (upper) => `OTEL_EXPORTER_OTLP_${upper}_ENDPOINT`,
    (signal) => ({
      changed: async () => {
        // The base endpoint refuses connections: everything arrived by the per-signal URL.
        const run = await g('changed2');
        assert.ok(requests(run, signal).length > 0, `${signal}; stderr: ${run.exit.stderr}`);
        assert.doesNotMatch(run.exit.stderr, new RegExp(`dropping telemetry: \\d+ ${signal}`));
      },
      unset: async () => assert.ok(requests(await g('changed'), signal).length > 0, 'the base URL with /v1/<signal> appended'),
    }),
  ),
  OTEL_EXPORTER_OTLP_PROTOCOL: {
    changed: async () => {
      const run = await g('changed');
      assert.equal(each(run, 'metrics', (request) => request.contentType), 'application/json');
      assert.equal(each(run, 'logs', (request) => request.contentType), 'application/json');
    },
    unset: async () => {
      for (const signal of SIGNALS) assert.equal(each(await g('defaults'), signal, (request) => request.contentType), 'application/x-protobuf');
    },
  },
  ...Object.fromEntries(
    SIGNALS.map((signal) => [
      `OTEL_EXPORTER_OTLP_${UPPER[signal]}_PROTOCOL`,
      {
        changed: async () => {
          if (signal === 'traces') assert.equal(each(await g('changed'), 'traces', (request) => request.contentType), 'application/x-protobuf', 'protobuf over a json base');
          else assert.equal(each(await g('changed2'), signal, (request) => request.contentType), 'application/json');
        },
        unset: async () => {
          // The base protocol: json in `changed`, protobuf (its default) in `changed2`.
          if (signal === 'traces') assert.equal(each(await g('changed2'), 'traces', (request) => request.contentType), 'application/x-protobuf');
          else assert.equal(each(await g('changed'), signal, (request) => request.contentType), 'application/json');
        },
      } satisfies Here,
    ]),
  ),
  OTEL_EXPORTER_OTLP_HEADERS: {
    changed: async () => {
      for (const signal of SIGNALS) {
        assert.equal(each(await g('changed'), signal, (request) => request.headers['x-common']), 'c1', signal);
        assert.equal(each(await g('changed'), signal, (request) => request.headers['x-encoded']), 'a b', `${signal}: percent-decoded`);
      }
    },
    unset: async () => {
      const run = await g('defaults');
      for (const request of run.receiver.requests) {
        const extra = Object.keys(request.headers).filter((name) => !TRANSPORT_HEADERS.has(name));
        assert.deepEqual(extra, [], `${request.signal}: no header beyond the transport's own`);
      }
    },
  },
  ...Object.fromEntries(
    SIGNALS.map((signal) => [
      `OTEL_EXPORTER_OTLP_${UPPER[signal]}_HEADERS`,
      {
        changed: async () => {
          const run = await g('changed');
          assert.equal(each(run, signal, (request) => request.headers['x-signal']), signal[0]);
          assert.equal(each(run, signal, (request) => request.headers['x-common']), 'c1', 'added to the common ones');
        },
        unset: async () => {
          const run = await g('changed2');
          assert.equal(each(run, signal, (request) => request.headers['x-signal']), undefined);
          assert.equal(each(run, signal, (request) => request.headers['x-common']), 'c2', 'the common ones only');
        },
      } satisfies Here,
    ]),
  ),
  OTEL_EXPORTER_OTLP_TIMEOUT: {
    changed: async () => {
      // 300 ms: exports to a collector that never answers fail before the 5 s shutdown deadline.
      assert.equal(dropReason(await g('timeoutBase'), 'traces'), 'timeout');
      for (const signal of ['metrics', 'logs'] as const) assert.equal(dropReason(await g('timeoutSignal'), signal), 'timeout', signal);
    },
    unset: async () => {
      // 10000 ms: still waiting at a 5 s deadline, given up before a 20 s one.
      for (const signal of SIGNALS) {
        assert.equal(dropReason(await g('timeoutDefaultBelow'), signal), 'deadline', `${signal}, 5 s deadline`);
        assert.equal(dropReason(await g('timeoutDefaultAbove'), signal), 'timeout', `${signal}, 20 s deadline`);
      }
    },
  },
  ...Object.fromEntries(
    SIGNALS.map((signal) => [
      `OTEL_EXPORTER_OTLP_${UPPER[signal]}_TIMEOUT`,
      {
        // 60 s for one signal over a 300 ms base: that signal alone is still waiting at the deadline.
        changed: async () => assert.equal(dropReason(await g(signal === 'traces' ? 'timeoutSignal' : 'timeoutBase'), signal), 'deadline'),
        unset: async () => assert.equal(dropReason(await g(signal === 'traces' ? 'timeoutBase' : 'timeoutSignal'), signal), 'timeout', 'the 300 ms base'),
      } satisfies Here,
    ]),
  ),
  OTEL_EXPORTER_OTLP_COMPRESSION: {
    changed: async () => {
      for (const signal of ['traces', 'logs'] as const) assert.equal(each(await g('changed'), signal, (request) => request.encoding), 'gzip', signal);
    },
    unset: async () => {
      for (const signal of SIGNALS) assert.equal(each(await g('defaults'), signal, (request) => request.encoding), 'identity', signal);
    },
  },
  ...Object.fromEntries(
    SIGNALS.map((signal) => [
      `OTEL_EXPORTER_OTLP_${UPPER[signal]}_COMPRESSION`,
      {
        changed: async () => {
          if (signal === 'metrics') assert.equal(each(await g('changed'), 'metrics', (request) => request.encoding), 'identity', 'none over a gzip base');
          else assert.equal(each(await g('changed2'), signal, (request) => request.encoding), 'gzip');
        },
        unset: async () => {
          if (signal === 'metrics') assert.equal(each(await g('changed2'), 'metrics', (request) => request.encoding), 'identity');
          else assert.equal(each(await g('changed'), signal, (request) => request.encoding), 'gzip', 'the base value');
        },
      } satisfies Here,
    ]),
  ),
  ...Object.fromEntries(
    ['CERTIFICATE', 'CLIENT_KEY', 'CLIENT_CERTIFICATE'].map((file) => [
      `OTEL_EXPORTER_OTLP_${file}`,
      {
        // A server that demands a client certificate from a private CA: with the three files, everything arrives.
        changed: async () => {
          const run = await g('tlsBase');
          ok(run);
          for (const signal of SIGNALS) assertThroughTls(run, signal, `stderr: ${run.exit.stderr}`);
        },
        unset: async () => {
          // The system's CAs only, no client certificate: nothing gets through, and the loss is said.
          const run = await g('tlsNone');
          ok(run);
          assert.equal(run.receiver.requests.length, 0);
          for (const signal of SIGNALS) assert.match(run.exit.stderr, new RegExp(`dropping telemetry: \\d+ ${signal} item\\(s\\)`), signal);
        },
      } satisfies Here,
    ]),
  ),
  ...Object.fromEntries(
    SIGNALS.flatMap((signal) =>
      ['CERTIFICATE', 'CLIENT_KEY', 'CLIENT_CERTIFICATE'].map((file) => [
        `OTEL_EXPORTER_OTLP_${UPPER[signal]}_${file}`,
        {
          changed: async () => assertThroughTls(await g('tlsSignal'), signal, 'with only the per-signal files'),
          unset: async () => assertThroughTls(await g('tlsBase'), signal, 'with only the base files'),
        } satisfies Here,
      ]),
    ),
  ),
  OTEL_EXPORTER_PROMETHEUS_HOST: {
    changed: async () => {
      const run = await g('changed2');
      const page = run.during as Scrape;
      assert.match(String(page.loopback), /^app_errors_total\{/m);
      if (page.outside !== undefined) assert.equal(page.outside, 'refused', 'listening on 127.0.0.1 only');
    },
    unset: async (t: TestContext) => {
      const page = (await g('changed3')).during as Scrape | undefined;
      if (page === undefined) return t.skip('port 9464 was taken on this machine');
      if (page.outside === undefined) return t.skip('this machine has no address but loopback');
      assert.match(page.outside, /^app_errors_total\{/m, 'reachable on every address');
    },
  },
  OTEL_EXPORTER_PROMETHEUS_PORT: {
    changed: async () => assert.match(String(((await g('changed2')).during as Scrape).loopback), /^app_errors_total\{/m, `port ${prometheusPort}`),
    unset: async (t: TestContext) => {
      const page = (await g('changed3')).during as Scrape | undefined;
      if (page === undefined) return t.skip('port 9464 was taken on this machine');
      assert.match(String(page.loopback), /^app_errors_total\{/m);
    },
  },
  OTEL_TRACES_SAMPLER: {
    changed: async () => {
      assert.ok(spanNamed(await g('changed'), 'rows.child-of-unsampled'), 'always_on ignores the parent');
      const ratio = (await g('changed2')).receiver.spans.filter((span) => span.name === 'rows.batch').length;
      assert.ok(ratio > 0 && ratio < 600, `traceidratio 0.5 kept ${ratio} of 600`);
    },
    unset: async () => {
      const run = await g('defaults');
      assert.ok(spanNamed(run, 'rows.root'), 'roots are sampled');
      assert.equal(run.receiver.spans.filter((span) => span.name === 'rows.child-of-unsampled').length, 0, 'an unsampled parent is followed');
    },
  },
  OTEL_TRACES_SAMPLER_ARG: {
    changed: async () => {
      const kept = (await g('changed2')).receiver.spans.filter((span) => span.name === 'rows.batch').length;
      assert.ok(kept > 0 && kept < 600, `0.5 kept ${kept} of 600`);
    },
    unset: async () => {
      const run = await g('changed3');
      assert.equal(run.receiver.spans.filter((span) => span.name === 'rows.batch').length, 300, 'parentbased_traceidratio with ratio 1 keeps every root');
      assert.equal(run.receiver.spans.filter((span) => span.name === 'rows.child-of-unsampled').length, 0);
    },
  },
  OTEL_PROPAGATORS: {
    changed: async () => {
      const tracecontext = outgoing(await g('changed'));
      assert.match(String(tracecontext.traceparent), /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
      assert.equal(tracecontext.baggage, null);
      assert.deepEqual(outgoing(await g('changed2')), { traceparent: null, baggage: null }, 'none');
      const baggage = outgoing(await g('changed3'));
      assert.equal(baggage.traceparent, null);
      assert.equal(baggage.baggage, 'rows.key=rows-value');
    },
    unset: async () => {
      const both = outgoing(await g('defaults'));
      assert.match(String(both.traceparent), /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
      assert.equal(both.baggage, 'rows.key=rows-value');
    },
  },
  OTEL_BSP_SCHEDULE_DELAY: {
    changed: async () => {
      const run = await g('changed2');
      assert.deepEqual(run.atMark.spans, [], '30 s: nothing sent in the 2.5 s before MARK');
      assert.ok(run.receiver.spans.length > 0, 'sent at exit');
    },
    unset: async () => assert.equal(((await g('defaults')).up as { span: boolean }).span, true, '1 s: sent while the app runs'),
  },
  OTEL_BSP_MAX_QUEUE_SIZE: {
    changed: async () => assert.match((await g('changed')).exit.stderr, /dropping telemetry: \d+ traces item\(s\), queue full \(queue of 100\)/),
    unset: async () => {
      const run = await g('defaults');
      assert.match(run.exit.stderr, /dropping telemetry: \d+ traces item\(s\), queue full \(queue of 2048\)/, '2700 spans at once');
    },
  },
  OTEL_BSP_MAX_EXPORT_BATCH_SIZE: {
    changed: async () => assert.equal(Math.max(...(await g('changed')).spanBatches), 50),
    unset: async () => assert.equal(Math.max(...(await g('defaults')).spanBatches), 512),
  },
  OTEL_BLRP_SCHEDULE_DELAY: {
    changed: async () => {
      const run = await g('changed2');
      assert.ok(!run.atMark.logs.includes('rows.scheduled'), '30 s: not sent in the 2.5 s before MARK');
      assert.ok(run.receiver.logs.some((record) => record.body === 'rows.scheduled'), 'sent at exit');
    },
    unset: async () => assert.equal(((await g('defaults')).up as { log: boolean }).log, true, '1 s: sent while the app runs'),
  },
  OTEL_BLRP_MAX_QUEUE_SIZE: {
    changed: async () => assert.match((await g('changed')).exit.stderr, /dropping telemetry: \d+ logs item\(s\), queue full \(queue of 100\)/),
    unset: async () => assert.match((await g('defaults')).exit.stderr, /dropping telemetry: \d+ logs item\(s\), queue full \(queue of 2048\)/, '2700 records at once'),
  },
  OTEL_BLRP_MAX_EXPORT_BATCH_SIZE: {
    changed: async () => assert.equal(Math.max(...(await g('changed')).logBatches), 50),
    unset: async () => assert.equal(Math.max(...(await g('defaults')).logBatches), 512),
  },
  OTEL_METRIC_EXPORT_INTERVAL: {
    changed: async () => assert.equal((await g('changed')).up, true, '500 ms: sent while the app runs'),
    unset: async () => {
      const run = await g('defaults');
      assert.equal(run.atMark.metricRequests, 0, '60 s: nothing before MARK');
      assert.ok(requests(run, 'metrics').length > 0, 'sent at exit');
    },
  },
  OTEL_METRIC_EXPORT_TIMEOUT: {
    changed: async () => {
      // 100 ms: a gauge whose callback takes 300 ms is cut short, and the SDK says so.
      const run = await g('changed');
      assert.equal(run.receiver.metrics.filter((point) => point.name === 'rows.slow_gauge').length, 0);
      assert.match(run.exit.stderr, /metrics collection errors Operation timed out/);
    },
    unset: async () => {
      // 30 s, capped at the 3 s interval: the 300 ms callback is waited for.
      const run = await g('changed2');
      assert.equal(run.up, true, 'the gauge arrived while the app ran');
      assert.ok(run.receiver.metrics.some((point) => point.name === 'rows.slow_gauge' && point.value === 1));
      assert.doesNotMatch(run.exit.stderr, /metrics collection errors/);
    },
  },
  OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT: {
    changed: async () => {
      const run = await g('changed');
      assert.equal(String(spanNamed(run, 'rows.long-attribute').attributes['rows.long']).length, 2000);
      assert.equal(String(run.receiver.logs.find((record) => record.body === 'rows.long-attribute')?.attributes['rows.long']).length, 2000);
    },
    unset: async () => {
      const run = await g('defaults');
      assert.equal(String(spanNamed(run, 'rows.long-attribute').attributes['rows.long']).length, 8192);
      assert.equal(String(run.receiver.logs.find((record) => record.body === 'rows.long-attribute')?.attributes['rows.long']).length, 8192);
    },
  },
  OTEL_NODE_ENABLED_INSTRUMENTATIONS: {
    changed: async () => {
      const kinds = (await g('changed3')).receiver.spans.filter((span) => span.name === 'GET').map((span) => span.kind);
      assert.deepEqual(kinds, [3], 'undici only: the fetch client span, no server span');
    },
    unset: async () => {
      const kinds = (await g('defaults')).receiver.spans.filter((span) => span.name === 'GET').map((span) => span.kind).sort();
      assert.deepEqual(kinds, [2, 3], 'http and undici: server and client spans');
    },
  },
  OTEL_NODE_DISABLED_INSTRUMENTATIONS: {
    changed: async () => {
      const kinds = (await g('changed')).receiver.spans.filter((span) => span.name === 'GET').map((span) => span.kind);
      assert.deepEqual(kinds, [3], 'http left out: no server span, the fetch client span still there');
    },
    unset: async () => {
      const kinds = (await g('defaults')).receiver.spans.filter((span) => span.name === 'GET').map((span) => span.kind).sort();
      assert.deepEqual(kinds, [2, 3]);
    },
  },
  OTEL_LOG_LEVEL: {
    changed: async () => {
      const { stderr } = (await g('changed')).exit;
      assert.match(stderr, /^faultline: OpenTelemetry SDK: rows-diag-warn$/m);
      assert.match(stderr, /^faultline: OpenTelemetry SDK: rows-diag-info$/m);
      assert.doesNotMatch(stderr, /rows-diag-debug/);
    },
    unset: async () => {
      const { stderr } = (await g('defaults')).exit;
      assert.match(stderr, /^faultline: OpenTelemetry SDK: rows-diag-error$/m);
      assert.doesNotMatch(stderr, /rows-diag-warn/);
    },
  },
  FAULTLINE_DISABLED: {
    changed: async () => {
      const run = await g('faultlineDisabled');
      ok(run);
      assert.equal(run.receiver.requests.length, 0);
    },
    unset: async () => assert.ok((await g('defaults')).receiver.requests.length > 0),
  },
  FAULTLINE_SHUTDOWN_TIMEOUT_MS: {
    changed: async () => {
      // 20 s outlasts the 10 s export timeout; 5 s does not.
      assert.equal(dropReason(await g('timeoutDefaultAbove'), 'traces'), 'timeout');
      assert.equal(dropReason(await g('timeoutDefaultBelow'), 'traces'), 'deadline');
    },
    unset: async () => {
      // 2000 ms: after a 100 ms export timeout (the one margin here a very loaded machine can eat), before a 4 s one.
      for (const signal of SIGNALS) {
        assert.equal(dropReason(await g('deadlineDefaultAbove'), signal), 'timeout', `${signal}, 100 ms timeout`);
        assert.equal(dropReason(await g('deadlineDefaultBelow'), signal), 'deadline', `${signal}, 4 s timeout`);
      }
    },
  },
  FAULTLINE_HANDLE_PROCESS_EVENTS: {
    changed: async () => {
      const run = await g('noProcessEvents');
      ok(run);
      assert.deepEqual(run.receiver.spans, [], 'no exit flush');
      assert.equal(requests(run, 'metrics').length, 0);
    },
    unset: async () => {
      const run = await g('processEvents');
      assert.ok(run.receiver.spans.some((span) => span.name === 'rows.scheduled'), 'the exit flush sent the spans');
      assert.ok(requests(run, 'metrics').length > 0);
    },
  },
  FAULTLINE_MAX_STACK_FRAMES: {
    changed: async () => assert.equal(frames(recorded(await g('changed'), 'rows.deep-stack')[0]), 5),
    unset: async () => assert.equal(frames(recorded(await g('defaults'), 'rows.deep-stack')[0]), 30),
  },
  FAULTLINE_MAX_CAUSE_DEPTH: {
    changed: async () => assert.equal(recorded(await g('changed'), 'rows.cause-chain').length, 1 + 3),
    unset: async () => assert.equal(recorded(await g('defaults'), 'rows.cause-chain').length, 1 + 8),
  },
  FAULTLINE_MAX_EXCEPTION_EVENTS: {
    changed: async () => assert.equal(recorded(await g('changed'), 'rows.aggregate').length, 6),
    unset: async () => assert.equal(recorded(await g('defaults'), 'rows.aggregate').length, 32),
  },
  FAULTLINE_MAX_ERROR_TYPES: {
    changed: async () => {
      const types = errorTypes(await g('changed'));
      assert.ok(types.has('_OTHER'));
      assert.equal(types.size, 10 + 1);
    },
    unset: async () => {
      const types = errorTypes(await g('defaults'));
      assert.ok(types.has('_OTHER'), '122 types recorded');
      assert.equal(types.size, 100 + 1);
    },
  },
  FAULTLINE_REDACT_DEFAULTS: {
    changed: async () => assert.match(String(recorded(await g('changed'), 'rows.secret')[0]?.attributes['exception.message']), /mail ann@example\.com$/),
    unset: async () => assert.doesNotMatch(String(recorded(await g('defaults'), 'rows.secret')[0]?.attributes['exception.message']), /ann@example\.com/),
  },
  FAULTLINE_REDACT_PATTERNS: {
    changed: async () => {
      const event = recorded(await g('changed'), 'rows.secret')[0];
      for (const key of ['exception.message', 'exception.stacktrace']) assert.doesNotMatch(String(event?.attributes[key]), /order-12345/, key);
      assert.match(String(event?.attributes['exception.message']), /charge failed for \[REDACTED/);
    },
    unset: async () => assert.match(String(recorded(await g('defaults'), 'rows.secret')[0]?.attributes['exception.message']), /charge failed for order-12345,/),
  },
  FAULTLINE_PINO_RECORD_ERRORS: {
    elsewhere: {
      file: 'test/logging/plain-pino.test.ts',
      tests: ['an error line inside a span records its error once, as handled, with the toolkit’s classification', 'FAULTLINE_PINO_RECORD_ERRORS=false: the lines keep their trace fields and record nothing'],
    },
  },
  FAULTLINE_LOG_LEVEL: {
    changed: async () => assert.ok((await g('changed')).receiver.logs.some((record) => record.body === 'rows-log-debug')),
    unset: async () => {
      const run = await g('defaults');
      assert.ok(run.receiver.logs.some((record) => record.body === 'rows-log-info'));
      assert.ok(!run.receiver.logs.some((record) => record.body === 'rows-log-debug'));
    },
  },
  FAULTLINE_LOG_PRETTY: {
    elsewhere: {
      file: 'test/logging/pretty.test.ts',
      tests: ['FAULTLINE_LOG_PRETTY in a terminal: readable lines on stdout, structured records over OTLP', 'FAULTLINE_LOG_PRETTY without a terminal (a container): JSON lines as usual'],
    },
  },
  FAULTLINE_LOG_BUFFER_LINES: {
    elsewhere: {
      file: 'test/logging/delivery.test.ts',
      tests: ['collector stalls: the buffer stays bounded, lines beyond it are dropped at once and counted', "FAULTLINE_LOG_BUFFER_LINES is 8192: one burst fits the buffer, the other does not."],
    },
  },
  FAULTLINE_LOG_BUFFER_BYTES: {
    elsewhere: { file: 'test/logging/delivery.test.ts', tests: ['collector stalls with long lines: the buffer is bounded in characters too'] },
  },
  FAULTLINE_SPOOL_DIR: {
    // Its collector refused: what it could not deliver is in the folder, one file per signal.
    changed: async () => {
      await g('spoolShipped'); // which takes stock of the folder before it starts
      for (const signal of SIGNALS) assert.ok(spoolKeptFiles.some((name) => name.startsWith(`${signal}-`)), `${signal}: ${spoolKeptFiles.join(', ')}`);
    },
    // No spool: what a collector that never answers did not take by the deadline is dropped and counted.
    unset: async () => {
      const run = await g('timeoutDefaultBelow');
      for (const signal of SIGNALS) assert.equal(dropReason(run, signal), 'deadline', signal);
      assert.doesNotMatch(run.exit.stderr, /spooled/);
    },
  },
  FAULTLINE_SPOOL_SHIP: {
    changed: async () => {
      const run = await g('spoolKept');
      ok(run);
      assert.ok(!run.receiver.spans.some((span) => span.resource['service.name'] === 'rows-spooled'), 'not shipped');
      assert.ok(run.receiver.spans.some((span) => span.resource['service.name'] === 'unknown_service:rows-app'), 'its own spans went out');
      await g('spoolShipped'); // which takes stock of the folder before it starts
      assert.ok(spoolKeptFiles.length > 0, 'the files were left in the folder');
    },
    unset: async () => {
      const run = await g('spoolShipped');
      assert.ok(run.receiver.spans.some((span) => span.resource['service.name'] === 'rows-spooled'), 'shipped by the next process');
      assert.deepEqual(spooled(), [], 'and deleted');
    },
  },
  FAULTLINE_SPOOL_MAX_BYTES: {
    elsewhere: { file: 'test/export/spool.test.ts', tests: ['FAULTLINE_SPOOL_MAX_BYTES: the oldest files go first, and what they held is counted'] },
  },
  FAULTLINE_DOCTOR: {
    elsewhere: { file: 'test/doctor/in-app.test.ts', tests: ['FAULTLINE_DOCTOR=1: the report from inside the app', 'without FAULTLINE_DOCTOR there is no report'] },
  },
};

const rows = readmeRows();

test('every variable of the README configuration table has an entry here, and every entry a row', () => {
  assert.ok(rows.size > 60, `found only ${rows.size} variables: the README parse is broken`);
  assert.deepEqual([...rows.keys()].filter((name) => !(name in entries)).sort(), [], 'rows without an entry');
  assert.deepEqual(Object.keys(entries).filter((name) => !rows.has(name)).sort(), [], 'entries without a row');
});

for (const [name, entry] of Object.entries(entries)) {
  if ('elsewhere' in entry) {
    test(`${name}: exercised in ${entry.elsewhere.file}`, () => {
      const source = readFileSync(path.join(repoRoot, entry.elsewhere.file), 'utf8');
      assert.match(source, new RegExp(name), `${entry.elsewhere.file} sets ${name}`);
      for (const title of entry.elsewhere.tests) assert.ok(source.includes(title), `${entry.elsewhere.file} has "${title}"`);
    });
    continue;
  }
  test(`${name}: a value other than the default`, () => entry.changed());
  test(`${name}: the default when unset`, (t) => entry.unset(t));
}

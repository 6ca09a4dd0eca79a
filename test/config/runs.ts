// The child processes behind test/config/rows.test.ts: each run starts test/fixtures/config/rows-app.mjs
// under `--import faultline/register` with one environment, against a real OTLP receiver, and keeps
// what the receiver got, what the app printed, and what had arrived when the app printed MARK.
// A run starts at most once, however many rows look at it.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startReceiver, type OtlpReceiver, type ReceiverMode } from '../../src/receiver/index.ts';
import { runApp } from '../helpers/run-app.ts';

export const ROWS_APP = 'test/fixtures/config/rows-app.mjs';

export interface RunSpec {
  /** Variables for the app; the receiver's URL is added as OTEL_EXPORTER_OTLP_ENDPOINT unless `endpoint` says otherwise. */
  env: Record<string, string>;
  /** ROWS_* settings of the fixture (how many spans, when to print MARK). */
  app?: Record<string, string>;
  args?: string[];
  mode?: ReceiverMode;
  /** 'set' (default): the receiver's URL; 'unset': nothing, the default endpoint (the receiver listens on 4318 when it can). */
  endpoint?: 'set' | 'unset' | ((receiver: OtlpReceiver) => Promise<Record<string, string>>);
  /** Runs while the app is up (after its first output line, before MARK). */
  during?: () => Promise<unknown>;
  /**
   * Runs after MARK while the app stays up (ROWS_HOLD); the app then gets SIGTERM (and exits 143
   * after its flush). For what must arrive while the app runs, without an exit to send it.
   */
  whileUp?: (receiver: OtlpReceiver) => Promise<unknown>;
}

export interface ExitInfo {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunResult {
  receiver: OtlpReceiver;
  exit: ExitInfo;
  /** Names of the spans and bodies of the log records received before the app printed MARK, and the metric requests. */
  atMark: { spans: string[]; logs: string[]; metricRequests: number };
  /** Items per export request, in arrival order. */
  spanBatches: number[];
  logBatches: number[];
  /** What `during` and `whileUp` resolved with. */
  during: unknown;
  up: unknown;
  /** False when port 4318 was taken and the default endpoint could not be exercised. */
  defaultEndpointUsed: boolean;
  /** The app's process id (its telemetry carries it as the resource's process.pid). */
  pid: number | undefined;
}

async function receiverFor(spec: RunSpec): Promise<{ receiver: OtlpReceiver; defaultEndpointUsed: boolean }> {
  const mode = spec.mode ?? 'ok';
  if (spec.endpoint === 'unset') {
    try {
      return { receiver: await startReceiver({ mode, port: 4318 }), defaultEndpointUsed: true };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    }
  }
  return { receiver: await startReceiver({ mode }), defaultEndpointUsed: false };
}

export async function execute(spec: RunSpec): Promise<RunResult> {
  const { receiver, defaultEndpointUsed } = await receiverFor(spec);
  const spanBatches: number[] = [];
  const logBatches: number[] = [];
  receiver.on('spans', (spans) => spanBatches.push(spans.length));
  receiver.on('logs', (records) => logBatches.push(records.length));
  let endpoint: Record<string, string> = {};
  if (typeof spec.endpoint === 'function') endpoint = await spec.endpoint(receiver);
  else if (spec.endpoint !== 'unset' || !defaultEndpointUsed) endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url };
  const hold = spec.whileUp === undefined ? {} : { ROWS_HOLD: '1' };
  const app = runApp(ROWS_APP, { env: { ...endpoint, ...spec.env, ...spec.app, ...hold }, args: spec.args ?? [] });
  try {
    let during: unknown;
    if (spec.during !== undefined) {
      await app.waitForLine(/^OUTGOING /m, 30_000);
      during = await spec.during();
    }
    await app.waitForLine(/^MARK$/m, 30_000);
    const atMark = {
      spans: receiver.spans.map((span) => span.name),
      logs: receiver.logs.map((record) => String(record.body)),
      metricRequests: receiver.requests.filter((request) => request.signal === 'metrics').length,
    };
    let up: unknown;
    if (spec.whileUp !== undefined) {
      up = await spec.whileUp(receiver);
      app.child.kill('SIGTERM');
    }
    const exit = await app.exited;
    return { receiver, exit, atMark, spanBatches, logBatches, during, up, defaultEndpointUsed, pid: app.child.pid };
  } finally {
    if (app.child.exitCode === null) app.child.kill('SIGKILL');
    await receiver.close();
  }
}

/** Resolves true once `predicate` holds, false after `timeoutMs` (a slow, loaded machine gets a generous wait). */
export function arrives(receiver: OtlpReceiver, predicate: () => boolean, timeoutMs = 20_000): Promise<boolean> {
  return receiver.waitFor(predicate, { timeoutMs }).then(
    () => true,
    () => false,
  );
}

/** Runs started on first use and shared; at most `limit` processes at a time, so the machine is not swamped. */
export class Runs<Name extends string> {
  readonly #specs: Record<Name, () => RunSpec | Promise<RunSpec>>;
  readonly #started = new Map<Name, Promise<RunResult>>();
  readonly #queue: (() => void)[] = [];
  #active = 0;
  readonly #limit: number;

  constructor(specs: Record<Name, () => RunSpec | Promise<RunSpec>>, limit: number) {
    this.#specs = specs;
    this.#limit = limit;
  }

  get(name: Name): Promise<RunResult> {
    let run = this.#started.get(name);
    if (run === undefined) {
      // The spec first (it may wait for another run), then a slot: a waiting run holds no slot.
      run = Promise.resolve(this.#specs[name]()).then(async (spec) => {
        const release = await this.#slot();
        try {
          return await execute(spec);
        } finally {
          release();
        }
      });
      // A failed run is reported by every row that looks at it; none is left unhandled meanwhile.
      run.catch(() => undefined);
      this.#started.set(name, run);
    }
    return run;
  }

  /**
   * Starts every run now (they queue for a slot), so that the rows mostly find them done; `first`
   * go first (the longest, mostly idle waits on a collector that never answers).
   */
  startAll(first: Name[] = []): void {
    for (const name of new Set([...first, ...(Object.keys(this.#specs) as Name[])])) void this.get(name);
  }

  async #slot(): Promise<() => void> {
    if (this.#active >= this.#limit) await new Promise<void>((resolve) => this.#queue.push(resolve));
    this.#active += 1;
    return () => {
      this.#active -= 1;
      this.#queue.shift()?.();
    };
  }
}

export interface TlsFiles {
  dir: string;
  ca: string;
  serverKey: string;
  serverCert: string;
  clientKey: string;
  clientCert: string;
}

/** A throwaway CA, a server certificate for 127.0.0.1 and a client certificate, made with openssl. */
export function makeTlsFiles(): TlsFiles {
  const dir = mkdtempSync(path.join(tmpdir(), 'faultline-rows-tls-'));
  const file = (name: string) => path.join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const key = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl('req', '-x509', ...key, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=faultline rows test CA');
  writeFileSync(file('server.ext'), 'subjectAltName=IP:127.0.0.1\n');
  for (const name of ['server', 'client']) {
    openssl('req', ...key, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=faultline rows ${name}`);
    const ext = name === 'server' ? ['-extfile', 'server.ext'] : [];
    openssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.pem`, '-days', '2', ...ext);
  }
  return { dir, ca: file('ca.pem'), serverKey: file('server.key'), serverCert: file('server.pem'), clientKey: file('client.key'), clientCert: file('client.pem') };
}

/**
 * An https endpoint that demands a client certificate from the test CA (mutual TLS) and passes each
 * request on to the receiver; closes when the receiver does.
 */
export async function mutualTlsProxy(receiver: OtlpReceiver, tls: TlsFiles): Promise<string> {
  const server = https.createServer(
    { key: readFileSync(tls.serverKey), cert: readFileSync(tls.serverCert), ca: readFileSync(tls.ca), requestCert: true, rejectUnauthorized: true },
    (request, response) => {
      const upstream = http.request(`${receiver.url}${request.url ?? '/'}`, { method: request.method, headers: request.headers }, (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      });
      upstream.on('error', () => response.destroy());
      request.pipe(upstream);
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const closeReceiver = receiver.close.bind(receiver);
  receiver.close = async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await closeReceiver();
  };
  return `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

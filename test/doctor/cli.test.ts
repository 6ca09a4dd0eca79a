import assert from 'node:assert/strict';
import { cpSync, readFileSync } from 'node:fs';
import http from 'node:http';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startReceiver, type OtlpReceiver } from '../../src/receiver/index.ts';
import { closedPort } from '../helpers/closed-port.ts';
import { repoRoot } from '../helpers/run-app.ts';
import { appFolder, cleanEnv, CLI, lineOf, parseReport, runCli } from './doctor-helpers.ts';

const API = path.join(repoRoot, 'node_modules', '@opentelemetry', 'api');
const OLD_API = path.join(repoRoot, 'node_modules', 'opentelemetry-api-1.9');

/** An app folder set up as faultline asks: the preload in the start script, faultline and the API installed once. */
function healthyFolder(extra: { packageJson?: Record<string, unknown>; files?: Record<string, string> } = {}): ReturnType<typeof appFolder> {
  return appFolder({
    packageJson: { name: 'doctor-app', type: 'module', scripts: { start: 'node --import faultline/register app.mjs' }, ...extra.packageJson },
    files: { 'app.mjs': "console.log('app');\n", ...extra.files },
    links: { faultline: repoRoot, '@opentelemetry/api': API },
  });
}

async function doctor(env: Record<string, string | undefined>, args: string[] = [], cwd?: string) {
  const folder = cwd === undefined ? healthyFolder() : undefined;
  try {
    const run = await runCli(['doctor', ...args], { cwd: cwd ?? folder?.dir, env: cleanEnv(env) });
    return { ...run, lines: parseReport(run.stdout) };
  } finally {
    folder?.remove();
  }
}

function listen(server: http.Server | http2.Http2Server): Promise<string> {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    });
  });
}

describe('faultline doctor from the command line', () => {
  let receiver: OtlpReceiver;
  before(async () => {
    receiver = await startReceiver();
  });
  after(async () => {
    await receiver.close();
  });

  test('a healthy app folder: every check it can make passes, endpoints answer 200, exit code 0', async () => {
    const run = await doctor({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_SERVICE_NAME: 'doctor-cli' });
    assert.equal(run.code, 0, run.stdout + run.stderr);
    const notPassed = run.lines.filter((line) => line.mark !== '✓' && line.mark !== '–' && line.mark !== '·');
    assert.deepEqual(notPassed, []);
    for (const signal of ['traces', 'metrics', 'logs']) assert.match(lineOf(run.lines, `endpoint-${signal}`).summary, new RegExp(`${signal} → ${receiver.url}/v1/${signal} \\(http/protobuf\\): HTTP 200 in \\d+ ms`));
    assert.match(lineOf(run.lines, 'preload').summary, /the start script preloads faultline with --import faultline\/register/);
    assert.match(lineOf(run.lines, 'entry').summary, /app\.mjs is an ES module/);
    assert.match(lineOf(run.lines, 'api-copies').summary, /one copy of @opentelemetry\/api installed: 1\.10\./);
    assert.match(lineOf(run.lines, 'faultline-copies').summary, /one copy of faultline installed/);
    // What only the app can see is said to be so, not guessed.
    for (const id of ['load-order', 'providers', 'log-senders']) assert.match(lineOf(run.lines, id).summary, /only the running app can tell: start it with FAULTLINE_DOCTOR=1/);
    // The probe is a real export request: the receiver saw an empty one per signal.
    assert.ok(receiver.requests.filter((request) => request.status === 200).length >= 3);
  });

  test('--json gives the same checks for machines, and exit code 1 when one fails', async () => {
    const port = await closedPort();
    const run = await doctor({ OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`, OTEL_SERVICE_NAME: 'doctor-cli' }, ['--json']);
    assert.equal(run.code, 1);
    const report = JSON.parse(run.stdout) as { mode: string; ok: boolean; failed: number; checks: { id: string; status: string; summary: string; fix?: string; data?: { kind?: string } }[] };
    assert.equal(report.mode, 'cli');
    assert.equal(report.ok, false);
    assert.equal(report.failed, 3);
    const traces = report.checks.find((check) => check.id === 'endpoint-traces');
    assert.equal(traces?.status, 'fail');
    assert.equal(traces.data?.kind, 'refused');
    assert.match(traces.summary, new RegExp(`connection refused: nothing listens on 127\\.0\\.0\\.1:${port}`));
    assert.match(traces.fix ?? '', /OTEL_EXPORTER_OTLP_ENDPOINT/);
  });

  test('a port that accepts and never answers fails within the timeout given', async () => {
    const hanging = await startReceiver({ mode: 'hang' });
    try {
      const run = await doctor({ OTEL_EXPORTER_OTLP_ENDPOINT: hanging.url, OTEL_SERVICE_NAME: 'doctor-cli' }, ['--timeout', '1500']);
      assert.equal(run.code, 1);
      const traces = lineOf(run.lines, 'endpoint-traces');
      assert.equal(traces.mark, '✗');
      assert.match(traces.summary, /accepted the connection but sent no answer within 1[5-9]\d\d ms/);
      // The three probes run side by side; the whole run is bounded, not 3 x the timeout plus a hang.
      assert.ok(run.elapsedMs < 10_000, `took ${run.elapsedMs} ms`);
    } finally {
      await hanging.close();
    }
  });

  test('OTLP/HTTP sent to a port speaking HTTP/2 (as gRPC does on 4317) is named as such, with the port to use', async () => {
    const server = http2.createServer();
    const url = await listen(server);
    try {
      const run = await doctor({ OTEL_EXPORTER_OTLP_ENDPOINT: url, OTEL_SERVICE_NAME: 'doctor-cli' });
      const traces = lineOf(run.lines, 'endpoint-traces');
      assert.equal(traces.mark, '✗');
      assert.match(traces.summary, /speaks HTTP\/2 \(OTLP\/gRPC, usually port 4317\); faultline sends OTLP\/HTTP/);
      assert.match(traces.fix ?? '', /point OTEL_EXPORTER_OTLP_ENDPOINT at the OTLP\/HTTP port instead, e\.g\. http:\/\/127\.0\.0\.1:4318/);
    } finally {
      server.close();
    }
  });

  test('protobuf against an endpoint that accepts only JSON: the fix names the protocol variable, and following it passes', async () => {
    const server = http.createServer((request, response) => {
      request.resume();
      request.on('end', () => {
        if (request.headers['content-type'] === 'application/json') {
          response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
        } else {
          response.writeHead(415, { 'content-type': 'text/plain' }).end('only application/json is accepted');
        }
      });
    });
    const url = await listen(server);
    try {
      const run = await doctor({ OTEL_EXPORTER_OTLP_ENDPOINT: url, OTEL_SERVICE_NAME: 'doctor-cli' });
      const logs = lineOf(run.lines, 'endpoint-logs');
      assert.equal(logs.mark, '✗');
      assert.match(logs.summary, /HTTP 415 in \d+ ms: the endpoint accepts only http\/json/);
      assert.equal(logs.fix, 'set OTEL_EXPORTER_OTLP_PROTOCOL=http/json');
      const fixed = await doctor({ OTEL_EXPORTER_OTLP_ENDPOINT: url, OTEL_SERVICE_NAME: 'doctor-cli', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' });
      assert.equal(fixed.code, 0, fixed.stdout);
      assert.match(lineOf(fixed.lines, 'endpoint-logs').summary, /\(http\/json\): HTTP 200/);
    } finally {
      server.close();
    }
  });

  test('a per-signal endpoint given as a base URL: 404, and the fix says to end it with the signal path', async () => {
    const run = await doctor({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: receiver.url, OTEL_SERVICE_NAME: 'doctor-cli' });
    const traces = lineOf(run.lines, 'endpoint-traces');
    assert.equal(traces.mark, '✗');
    assert.match(traces.summary, /HTTP 404/);
    assert.equal(traces.fix, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is the full URL for this signal: end it with /v1/traces');
    assert.equal(lineOf(run.lines, 'endpoint-metrics').mark, '✓');
  });

  test('a sampler that drops everything fails: always_off, and a ratio of 0', async () => {
    const off = await doctor({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_SERVICE_NAME: 'doctor-cli', OTEL_TRACES_SAMPLER: 'always_off' });
    assert.equal(off.code, 1);
    assert.deepEqual(lineOf(off.lines, 'sampler'), {
      mark: '✗',
      id: 'sampler',
      summary: 'OTEL_TRACES_SAMPLER=always_off drops every trace, error spans included',
      fix: 'unset OTEL_TRACES_SAMPLER (parentbased_always_on), or sample a share with parentbased_traceidratio',
    });
    const zero = await doctor({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_SERVICE_NAME: 'doctor-cli', OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0' });
    assert.equal(lineOf(zero.lines, 'sampler').mark, '✗');
    assert.match(lineOf(zero.lines, 'sampler').summary, /keeps no new trace/);
    const share = await doctor({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_SERVICE_NAME: 'doctor-cli', OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.25' });
    assert.equal(lineOf(share.lines, 'sampler').summary, 'traceidratio keeps 25% of new traces');
  });

  test('every exporter none fails; turning faultline off on purpose is only a warning', async () => {
    const none = await doctor({ OTEL_SERVICE_NAME: 'doctor-cli', OTEL_TRACES_EXPORTER: 'none', OTEL_METRICS_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none' });
    assert.equal(none.code, 1);
    assert.equal(lineOf(none.lines, 'exporters').mark, '✗');
    assert.match(lineOf(none.lines, 'exporters').summary, /every exporter is none .*: nothing leaves the process/);
    assert.equal(lineOf(none.lines, 'endpoint').mark, '–');
    const off = await doctor({ OTEL_SERVICE_NAME: 'doctor-cli', OTEL_SDK_DISABLED: 'true' });
    assert.equal(off.code, 0, off.stdout);
    assert.equal(lineOf(off.lines, 'exporters').mark, '!');
    assert.match(lineOf(off.lines, 'exporters').summary, /faultline is turned off \(OTEL_SDK_DISABLED\)/);
  });

  test('misspelled and unknown variables: did you mean, case, our namespace, and names another tool may read', async () => {
    const run = await doctor({
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_SERVICE_NAME: 'doctor-cli',
      OTEL_EXPORTER_OTLP_ENDPIONT: 'http://collector:4318',
      FAULTLINE_SHUTDOWN_TIMEOUT: '5000',
      otel_traces_sampler: 'always_on',
      FAULTLINE_COLOUR: 'blue',
      OTEL_SEMCONV_STABILITY_OPT_IN: 'database',
    });
    assert.equal(run.code, 1);
    assert.deepEqual(lineOf(run.lines, 'variable:OTEL_EXPORTER_OTLP_ENDPIONT'), {
      mark: '✗',
      id: 'variable:OTEL_EXPORTER_OTLP_ENDPIONT',
      summary: 'OTEL_EXPORTER_OTLP_ENDPIONT is not a variable faultline reads; did you mean OTEL_EXPORTER_OTLP_ENDPOINT?',
      fix: 'rename it to OTEL_EXPORTER_OTLP_ENDPOINT',
    });
    assert.match(lineOf(run.lines, 'variable:FAULTLINE_SHUTDOWN_TIMEOUT').summary, /did you mean FAULTLINE_SHUTDOWN_TIMEOUT_MS\?/);
    assert.equal(lineOf(run.lines, 'variable:otel_traces_sampler').fix, 'rename it to OTEL_TRACES_SAMPLER');
    assert.equal(lineOf(run.lines, 'variable:FAULTLINE_COLOUR').mark, '✗');
    assert.equal(lineOf(run.lines, 'variable:OTEL_SEMCONV_STABILITY_OPT_IN').mark, '!');
  });

  test('a value that does not parse is named with what was expected (gRPC is not spoken)', async () => {
    const run = await doctor({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_SERVICE_NAME: 'doctor-cli', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' });
    const problem = lineOf(run.lines, 'config:OTEL_EXPORTER_OTLP_PROTOCOL');
    assert.equal(problem.mark, '✗');
    assert.match(problem.summary, /ignoring OTEL_EXPORTER_OTLP_PROTOCOL="grpc": expected http\/protobuf or http\/json \(faultline exports over HTTP only\)/);
    // The command prints its report, not the preload's warnings.
    assert.doesNotMatch(run.stderr, /ignoring/);
  });

  test('the start script: --require cannot load faultline/register; no preload at all is a warning', async () => {
    const required = healthyFolder({ packageJson: { scripts: { start: 'NODE_ENV=production node --require faultline/register app.mjs' } } });
    const bare = healthyFolder({ packageJson: { scripts: {} } });
    try {
      const run = await doctor({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_SERVICE_NAME: 'doctor-cli' }, [], required.dir);
      assert.equal(lineOf(run.lines, 'preload').mark, '✗');
      assert.equal(lineOf(run.lines, 'preload').fix, 'use --import faultline/register instead');
      const none = await doctor({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_SERVICE_NAME: 'doctor-cli' }, ['--entry', 'app.mjs'], bare.dir);
      assert.equal(lineOf(none.lines, 'preload').mark, '!');
      assert.equal(lineOf(none.lines, 'preload').fix, 'start the app with node --import faultline/register app.mjs (or put --import faultline/register in NODE_OPTIONS)');
      const viaOptions = await doctor({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_SERVICE_NAME: 'doctor-cli', NODE_OPTIONS: '--import=faultline/register' }, ['--entry', 'app.mjs'], bare.dir);
      assert.equal(lineOf(viaOptions.lines, 'preload').mark, '✓');
    } finally {
      required.remove();
      bare.remove();
    }
  });

  test('the entry: CommonJS from its extension; a missing entry fails', async () => {
    const folder = healthyFolder({ packageJson: { main: 'server.cjs', scripts: {} }, files: { 'server.cjs': "console.log('cjs');\n" } });
    try {
      const run = await doctor({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_SERVICE_NAME: 'doctor-cli' }, [], folder.dir);
      assert.match(lineOf(run.lines, 'entry').summary, /server\.cjs is CommonJS \(\.cjs\)/);
      const missing = await doctor({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_SERVICE_NAME: 'doctor-cli' }, ['--entry', 'nowhere.js'], folder.dir);
      assert.equal(lineOf(missing.lines, 'entry').mark, '✗');
    } finally {
      folder.remove();
    }
  });

  test('a second, older copy of @opentelemetry/api installed under a dependency: both named, a warning (an older copy reads the newer registration)', async () => {
    const folder = healthyFolder();
    try {
      // A dependency that brought its own, older API: a real nested install of 1.9.0.
      cpSync(OLD_API, path.join(folder.dir, 'node_modules', 'some-sdk', 'node_modules', '@opentelemetry', 'api'), { recursive: true });
      const run = await doctor({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_SERVICE_NAME: 'doctor-cli' }, [], folder.dir);
      assert.equal(run.code, 0, run.stdout);
      const copies = lineOf(run.lines, 'api-copies');
      assert.equal(copies.mark, '!');
      assert.match(copies.summary, /^2 copies of @opentelemetry\/api installed \(1\.10\.\d+ at .*; 1\.9\.0 at node_modules\/some-sdk\/node_modules\/@opentelemetry\/api\): each can read the providers registered through 1\.10\.\d+/);
      assert.match(copies.fix ?? '', /npm ls @opentelemetry\/api/);
    } finally {
      folder.remove();
    }
  });

  test('faultline installed beside an @opentelemetry/api older than its peer range fails', async () => {
    const folder = appFolder({
      packageJson: { name: 'doctor-app', type: 'module', scripts: { start: 'node --import faultline/register app.mjs' } },
      files: { 'app.mjs': '', 'node_modules/faultline/package.json': readFileSync(path.join(repoRoot, 'package.json'), 'utf8') },
      links: { '@opentelemetry/api': OLD_API },
    });
    try {
      const run = await doctor({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_SERVICE_NAME: 'doctor-cli' }, [], folder.dir);
      const version = lineOf(run.lines, 'api-version');
      assert.equal(version.mark, '✗');
      assert.match(version.summary, /^faultline needs @opentelemetry\/api \^1\.10\.0 \(its peer dependency\), but the copy it loads is 1\.9\.0/);
      assert.equal(version.fix, 'npm install @opentelemetry/api@^1.10.0');
    } finally {
      folder.remove();
    }
  });

  test('an instrumentation named in OTEL_NODE_ENABLED_INSTRUMENTATIONS but not installed fails', async () => {
    const run = await doctor({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_SERVICE_NAME: 'doctor-cli', OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'http,undici,ioredis' });
    assert.equal(lineOf(run.lines, 'instrumentation:ioredis').mark, '✗');
    assert.equal(lineOf(run.lines, 'instrumentation:ioredis').fix, 'npm install @opentelemetry/instrumentation-ioredis, or remove ioredis from OTEL_NODE_ENABLED_INSTRUMENTATIONS');
  });
});

describe('the faultline command', () => {
  test('no command, an unknown command and a bad flag: one line on stderr, exit code 2', async () => {
    for (const args of [[], ['doktor'], ['doctor', '--bogus'], ['doctor', '--timeout', 'soon'], ['doctor', 'extra']]) {
      const run = await runCli(args);
      assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
      assert.equal(run.stdout, '');
      assert.equal(run.stderr.trimEnd().split('\n').length, 1, run.stderr);
      assert.match(run.stderr, /^faultline( doctor)?: /);
    }
  });

  test("it is the package's bin, a node script", () => {
    const manifest = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { bin: Record<string, string> };
    assert.equal(path.resolve(repoRoot, manifest.bin.faultline ?? ''), CLI);
    assert.match(readFileSync(CLI, 'utf8'), /^#!\/usr\/bin\/env node\n/);
  });

  test('--help lists the commands; doctor --help its options; exit code 0', async () => {
    const help = await runCli(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^ {2}doctor {5}tell why telemetry is not arriving/m);
    const doctorHelp = await runCli(['doctor', '--help']);
    assert.equal(doctorHelp.code, 0);
    assert.match(doctorHelp.stdout, /--json/);
    assert.match(doctorHelp.stdout, /FAULTLINE_DOCTOR=1/);
  });
});

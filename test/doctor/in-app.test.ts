import assert from 'node:assert/strict';
import { cpSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startReceiver, type OtlpReceiver } from '../../src/receiver/index.ts';
import { otlpEnv, repoRoot, runApp, type AppRun } from '../helpers/run-app.ts';
import { appFolder, lineOf, parseReport, waitForReport } from './doctor-helpers.ts';

const FIXTURES = 'test/fixtures/doctor';
const OLD_API = path.join(repoRoot, 'node_modules', 'opentelemetry-api-1.9');

/** An app folder outside the repository with @opentelemetry/api 1.9.0 installed, faultline linked, and `fixture` as app.mjs. */
function olderApiFolder(fixture: string): ReturnType<typeof appFolder> {
  const folder = appFolder({ links: { faultline: repoRoot } });
  cpSync(OLD_API, path.join(folder.dir, 'node_modules', '@opentelemetry', 'api'), { recursive: true });
  cpSync(path.join(repoRoot, FIXTURES, fixture), path.join(folder.dir, 'app.mjs'));
  return folder;
}

/** Runs an app with FAULTLINE_DOCTOR=1, waits for the report, stops the app, and parses the report. */
async function reportOf(fixture: string, options: Parameters<typeof runApp>[1] = {}): Promise<{ text: string; lines: ReturnType<typeof parseReport>; run: AppRun }> {
  const run = runApp(fixture, { ...options, env: { FAULTLINE_DOCTOR: '1', ...options.env } });
  try {
    const text = await waitForReport(run);
    return { text, lines: parseReport(text.slice(text.indexOf('faultline doctor: report'))), run };
  } finally {
    run.child.kill('SIGTERM');
    await run.exited;
  }
}

describe('FAULTLINE_DOCTOR=1: the report from inside the app', () => {
  let receiver: OtlpReceiver;
  before(async () => {
    receiver = await startReceiver();
  });
  after(async () => {
    await receiver.close();
  });

  test('a healthy app reports every check ✓, once, and keeps running', async () => {
    const { text, lines, run } = await reportOf(`${FIXTURES}/healthy-app.mjs`, { env: otlpEnv(receiver.url) });
    assert.deepEqual(
      lines.filter((line) => line.mark !== '✓'),
      [],
    );
    for (const id of ['node', 'entry', 'preload', 'load-order:pg', 'api-copies', 'faultline-copies', 'providers', 'log-senders', 'exporters', 'sampler', 'variables', 'service', 'endpoint-traces', 'endpoint-metrics', 'endpoint-logs']) {
      assert.ok(lines.some((line) => line.id === id), `no ${id} check in: ${text}`);
    }
    assert.match(lineOf(lines, 'preload').summary, /faultline\/register ran from --import faultline\/register, before the app's modules/);
    assert.match(lineOf(lines, 'load-order:pg').summary, /pg loaded after the hook was in place: instrumented/);
    assert.match(lineOf(lines, 'log-senders').summary, /one log sender: createLogger/);
    assert.match(lineOf(lines, 'service').summary, /^service\.name=faultline-test-app, .*detected \(/);
    assert.equal(text.match(/^faultline doctor: report/gm)?.length, 1, text);
    // The app answered its own start-up line before the report, and was still running after it.
    assert.match((await run.waitForLine(/"msg":"listening"/))[0], /listening/);
    // Still running when the test stopped it: faultline's SIGTERM handling exits with 143.
    assert.equal((await run.exited).code, 143);
  });

  test('without FAULTLINE_DOCTOR there is no report', async () => {
    const run = runApp('test/fixtures/preload/short-lived.mjs', { env: otlpEnv(receiver.url) });
    const exit = await run.exited;
    assert.equal(exit.code, 0);
    assert.doesNotMatch(exit.stderr, /faultline doctor/);
  });

  test('pg imported before start() is called: the load order fails, and indeed the query makes no span', async () => {
    receiver.clear();
    const run = runApp(`${FIXTURES}/pg-before-start.mjs`, { preload: false, env: otlpEnv(receiver.url, { FAULTLINE_DOCTOR: '1' }) });
    const text = await waitForReport(run);
    const exit = await run.exited;
    assert.equal(exit.code, 0, exit.stderr);
    const lines = parseReport(text);
    const pg = lineOf(lines, 'load-order:pg');
    assert.equal(pg.mark, '✗');
    assert.match(pg.summary, /^pg was loaded before faultline started \(from node_modules\/pg\/.*\), so the loader hook missed it: pg calls make no spans$/);
    assert.equal(pg.fix, `start the app with node --import faultline/register ${FIXTURES}/pg-before-start.mjs (an ES module's imports all load before its code runs)`);
    assert.equal(lineOf(lines, 'preload').mark, '!');
    assert.match(lineOf(lines, 'preload').summary, /started by start\(\) from the app's code/);
    // The app ended before the report was due: it was printed at exit, synchronously.
    assert.match(text, /after faultline started, at exit\)/);
    // The app flushed before it exited: what it exported is all in, and the query is not among it.
    assert.ok(receiver.requests.length > 0, 'the app exported nothing at all');
    assert.equal(receiver.spans.filter((span) => /doctor_pg_before_start/.test(String(span.attributes['db.query.text'] ?? span.attributes['db.statement'] ?? ''))).length, 0);
  });

  test('an app on an older copy of @opentelemetry/api, preloaded: two copies, a warning only, and its spans do record', async () => {
    const folder = olderApiFolder('old-api-app.mjs');
    try {
      const { lines, run } = await reportOf(path.join(folder.dir, 'app.mjs'), { env: otlpEnv(receiver.url) });
      const copies = lineOf(lines, 'api-copies');
      assert.equal(copies.mark, '!');
      assert.match(copies.summary, /^2 copies of @opentelemetry\/api loaded \(1\.10\.\d+ at node_modules\/@opentelemetry\/api, imported by faultline; 1\.9\.0 at \S+\/node_modules\/@opentelemetry\/api, imported by \S+\/app\.mjs\): each can read the providers registered through 1\.10\.\d+/);
      assert.equal(lineOf(lines, 'providers:other-api-copies').mark, '✓');
      assert.equal((await run.waitForLine(/span recording \w+/))[0], 'span recording true');
    } finally {
      folder.remove();
    }
  });

  test('two copies of @opentelemetry/api through a fixture node_modules, the older registering first: both fail, and indeed nothing records', async () => {
    const folder = olderApiFolder('old-api-first.mjs');
    try {
      const { lines, run } = await reportOf(path.join(folder.dir, 'app.mjs'), { preload: false, env: otlpEnv(receiver.url) });
      const copies = lineOf(lines, 'api-copies');
      assert.equal(copies.mark, '✗');
      assert.match(copies.summary, /^2 copies of @opentelemetry\/api loaded \(.*\): 1\.10\.\d+ cannot read the providers registered through 1\.9\.0/);
      const providers = lineOf(lines, 'providers');
      assert.equal(providers.mark, '✗');
      assert.match(providers.summary, /the API's global registry belongs to @opentelemetry\/api 1\.9\.0, registered before faultline started: faultline's 1\.10\.\d+ can neither register its providers there nor read them/);
      // The effect the checks explain: the app's span, made after start(), is not recording.
      assert.equal((await run.waitForLine(/span recording \w+/))[0], 'span recording false');
    } finally {
      folder.remove();
    }
  });

  test('a second SDK registered by the app after the preload: the API refused it, and the report says so', async () => {
    const { lines, run } = await reportOf(`${FIXTURES}/second-sdk.mjs`, { env: otlpEnv(receiver.url) });
    assert.equal((await run.waitForLine(/registered \w+/))[0], 'registered false');
    const providers = lineOf(lines, 'providers');
    assert.equal(providers.mark, '✗');
    assert.match(providers.summary, /a second OpenTelemetry SDK tried to register \(trace\) and the API refused it/);
    assert.match(providers.fix ?? '', /faultline is the SDK/);
  });

  test("a second SDK registered before start(): the global tracer provider is not faultline's", async () => {
    const { lines } = await reportOf(`${FIXTURES}/second-sdk-first.mjs`, { preload: false, env: otlpEnv(receiver.url) });
    const providers = lineOf(lines, 'providers');
    assert.equal(providers.mark, '✗');
    assert.match(providers.summary, /^the global tracer \(TracerProvider\) provider is not faultline's/);
  });

  test('a pino transport to pino-opentelemetry-transport beside createLogger: two log senders', async () => {
    const { lines } = await reportOf(`${FIXTURES}/pino-transport.mjs`, { env: otlpEnv(receiver.url) });
    const senders = lineOf(lines, 'log-senders');
    assert.equal(senders.mark, '✗');
    assert.match(senders.summary, /two log senders: createLogger ships every line over OTLP, and a pino transport targets pino-opentelemetry-transport too/);
  });

  test("instrumentation-pino's log sending beside createLogger: the report says twice, and the collector does get each line twice", async () => {
    receiver.clear();
    const env = otlpEnv(receiver.url, { OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'http,undici,pg,pino', FAULTLINE_DOCTOR: '1' });
    const run = runApp(`${FIXTURES}/healthy-app.mjs`, { env });
    try {
      const senders = lineOf(parseReport(await waitForReport(run)), 'log-senders');
      assert.equal(senders.mark, '✗');
      assert.match(senders.summary, /createLogger lines are shipped twice/);
      await receiver.waitFor(() => receiver.logs.filter((log) => log.body === 'listening').length >= 2, { timeoutMs: 15_000, description: 'the listening line twice' });
    } finally {
      run.child.kill('SIGTERM');
      await run.exited;
    }
  });

  test('an app that ends while the endpoint check still waits for an answer: the report comes at exit, and the check did not hold the app', async () => {
    const hanging = await startReceiver({ mode: 'hang' });
    try {
      // Only the doctor talks to the endpoint: no exporter of the app's own is waiting on it.
      const env = otlpEnv(hanging.url, { FAULTLINE_DOCTOR: '1', OTEL_TRACES_EXPORTER: 'none', OTEL_METRICS_EXPORTER: 'none' });
      const exit = await runApp(`${FIXTURES}/ends-soon.mjs`, { env }).exited;
      assert.equal(exit.code, 0, exit.stderr);
      assert.match(exit.stdout, /done/);
      assert.match(exit.stderr, /after faultline started, at exit\)/);
      const logs = lineOf(parseReport(exit.stderr), 'endpoint-logs');
      assert.equal(logs.mark, '–');
      // The app ended while the check (which waits up to 5 s) was still waiting: it did not keep the app alive.
      const waited = /the app exited (\d+) ms into the check, with no answer yet/.exec(logs.summary);
      assert.ok(waited !== null, logs.summary);
      assert.ok(Number(waited[1]) < 5000);
    } finally {
      await hanging.close();
    }
  });

  test('a CommonJS app, a misspelled variable and always_off: the same checks, from inside', async () => {
    const env = otlpEnv(receiver.url, { OTEL_TRACES_SAMPLER: 'always_off', OTEL_EXPORTER_OTLP_ENDPIONT: 'http://collector:4318' });
    const { lines } = await reportOf(`${FIXTURES}/keep-running.cjs`, { env });
    assert.match(lineOf(lines, 'entry').summary, /keep-running\.cjs is CommonJS \(loaded by the CommonJS loader\)/);
    assert.equal(lineOf(lines, 'sampler').mark, '✗');
    assert.match(lineOf(lines, 'variable:OTEL_EXPORTER_OTLP_ENDPIONT').summary, /did you mean OTEL_EXPORTER_OTLP_ENDPOINT\?/);
    assert.equal(lineOf(lines, 'endpoint-traces').mark, '✓');
  });

  test('with faultline turned off the report still comes, and says so', async () => {
    const { lines } = await reportOf(`${FIXTURES}/keep-running.cjs`, { env: otlpEnv(receiver.url, { OTEL_SDK_DISABLED: 'true' }) });
    assert.equal(lineOf(lines, 'exporters').mark, '!');
    assert.equal(lineOf(lines, 'providers').mark, '–');
    assert.equal(lineOf(lines, 'endpoint').mark, '–');
  });
});

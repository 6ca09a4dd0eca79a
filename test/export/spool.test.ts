import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startReceiver, type OtlpReceiver } from '../../src/receiver/index.ts';
import { closedPort } from '../helpers/closed-port.ts';
import { otlpEnv, runApp, type AppRun } from '../helpers/run-app.ts';

// FAULTLINE_SPOOL_DIR: what cannot be delivered by the deadline is written as OTLP/JSON lines,
// one file per signal per process, and the next process ships it, exactly once.

const REQUESTS = 20;
const SERVER = 2;
const APP = 'test/fixtures/export/exit-app.mjs';

function spoolDir(): string {
  return mkdtempSync(path.join(tmpdir(), 'faultline-spool-'));
}

interface SpooledItems {
  serverSpans: number;
  logRecords: number;
  errorCount: number;
}

/** What the complete spool files of a folder hold, read as the Collector's otlpjsonfile receiver would. */
function readSpool(dir: string): SpooledItems {
  const items: SpooledItems = { serverSpans: 0, logRecords: 0, errorCount: 0 };
  for (const name of readdirSync(dir).filter((file) => file.endsWith('.jsonl'))) {
    for (const line of readFileSync(path.join(dir, name), 'utf8').split('\n').filter(Boolean)) {
      const request = JSON.parse(line) as Record<string, { scopeSpans?: { spans: { kind: number }[] }[]; scopeLogs?: { logRecords: unknown[] }[]; scopeMetrics?: { metrics: { name: string; sum?: { dataPoints: { asInt?: string; asDouble?: number; attributes: { key: string; value: { stringValue?: string } }[] }[] } }[] }[] }[]>;
      for (const resource of request.resourceSpans ?? []) for (const scope of resource.scopeSpans ?? []) items.serverSpans += (scope.spans ?? []).filter((span) => span.kind === SERVER).length;
      for (const resource of request.resourceLogs ?? []) for (const scope of resource.scopeLogs ?? []) items.logRecords += (scope.logRecords ?? []).length;
      for (const resource of request.resourceMetrics ?? []) {
        for (const scope of resource.scopeMetrics ?? []) {
          for (const metric of (scope.metrics ?? []).filter((candidate) => candidate.name === 'app.errors')) {
            for (const point of metric.sum?.dataPoints ?? []) {
              if (point.attributes.some((attribute) => attribute.key === 'error.type' && attribute.value.stringValue === 'EXIT_PATH_FAILURE')) {
                items.errorCount = Math.max(items.errorCount, Number(point.asInt ?? point.asDouble));
              }
            }
          }
        }
      }
    }
  }
  return items;
}

/** One run of the exit app whose collector refuses connections, ended by SIGTERM. */
async function spoolOneRun(dir: string, extra: Record<string, string> = {}): Promise<{ code: number | null; stderr: string; pid: number }> {
  const port = await closedPort();
  // A deadline with room for a loaded test machine: what is under test is where things go, not when.
  const app = runApp(APP, { env: otlpEnv(`http://127.0.0.1:${port}`, { EXIT_PATH: 'sigterm', FAULTLINE_SPOOL_DIR: dir, FAULTLINE_SHUTDOWN_TIMEOUT_MS: '4000', ...extra }) });
  await app.waitForLine(/served/);
  app.child.kill('SIGTERM');
  const exit = await app.exited;
  return { code: exit.code, stderr: exit.stderr, pid: app.child.pid! };
}

const shippers: AppRun[] = [];

/** A process that produces nothing of its own (REQUESTS=0) and only ships the folder. */
function shipper(receiver: OtlpReceiver, dir: string): AppRun {
  const app = runApp(APP, { env: otlpEnv(receiver.url, { EXIT_PATH: 'sigterm', REQUESTS: '0', FAULTLINE_SPOOL_DIR: dir }) });
  shippers.push(app);
  return app;
}

function serverSpansOf(receiver: OtlpReceiver, pid: number): number {
  return receiver.spans.filter((span) => span.kind === SERVER && span.resource['process.pid'] === pid).length;
}

describe('the spool', () => {
  let receiver: OtlpReceiver;
  const dirs: string[] = [];
  const newDir = (): string => {
    const dir = spoolDir();
    dirs.push(dir);
    return dir;
  };
  before(async () => {
    receiver = await startReceiver();
  });
  after(async () => {
    // A failed assertion leaves its shippers running: they must not outlive the suite.
    for (const app of shippers) if (app.child.exitCode === null) app.child.kill('SIGKILL');
    await receiver.close();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  test('collector down at SIGTERM: everything is spooled, counted as spooled, and nothing is reported lost', async () => {
    const dir = newDir();
    const run = await spoolOneRun(dir);
    assert.equal(run.code, 143, run.stderr);
    const files = readdirSync(dir);
    assert.deepEqual([...new Set(files.map((name) => name.replace(/-\d+-\d+(-r\d+)?\.jsonl$/, '')))].sort(), ['logs', 'metrics', 'traces'], `complete files of each signal: ${files.join(', ')}`);
    assert.deepEqual(readSpool(dir), { serverSpans: REQUESTS, logRecords: REQUESTS, errorCount: REQUESTS });
    assert.doesNotMatch(run.stderr, /were not exported/, 'spooled is not lost');
  });

  test('the next process ships the files once the collector is up, exactly once, and deletes them', async () => {
    const dir = newDir();
    const first = await spoolOneRun(dir);
    receiver.clear();
    const next = shipper(receiver, dir);
    await next.waitForLine(/served/);
    await receiver.waitFor(() => serverSpansOf(receiver, first.pid) >= REQUESTS && receiver.latestSum('app.errors', { 'error.type': 'EXIT_PATH_FAILURE' }) >= REQUESTS, {
      description: 'the spooled telemetry',
    });
    await receiver.waitFor(() => readdirSync(dir).length === 0, { description: 'the shipped files deleted' });
    next.child.kill('SIGTERM');
    await next.exited;
    assert.equal(serverSpansOf(receiver, first.pid), REQUESTS);
    assert.equal(receiver.logs.filter((log) => log.resource['process.pid'] === first.pid).length, REQUESTS);
    assert.equal(receiver.latestSum('app.errors', { 'error.type': 'EXIT_PATH_FAILURE' }), REQUESTS);
  });

  test('two processes sharing the folder never ship one file twice', async () => {
    const dir = newDir();
    const runs = [await spoolOneRun(dir), await spoolOneRun(dir)];
    receiver.clear();
    const shippers = [shipper(receiver, dir), shipper(receiver, dir)];
    await Promise.all(shippers.map((app) => app.waitForLine(/served/)));
    await receiver.waitFor(() => readdirSync(dir).length === 0 && runs.every((run) => serverSpansOf(receiver, run.pid) >= REQUESTS), { description: 'both runs shipped' });
    // Give a duplicate the time to arrive before counting.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    for (const app of shippers) app.child.kill('SIGTERM');
    await Promise.all(shippers.map((app) => app.exited));
    for (const run of runs) assert.equal(serverSpansOf(receiver, run.pid), REQUESTS);
  });

  test('a corrupt file: one warning, moved aside, counted; the other files still ship', async () => {
    const dir = newDir();
    const first = await spoolOneRun(dir);
    writeFileSync(path.join(dir, 'traces-1-1.jsonl'), '{"resourceSpans":[]}\nnot json at all\n{"truncated":\n');
    receiver.clear();
    const next = shipper(receiver, dir);
    await next.waitForLine(/served/);
    await receiver.waitFor(() => serverSpansOf(receiver, first.pid) >= REQUESTS, { description: 'the good files' });
    await receiver.waitFor(() => readdirSync(dir).includes('traces-1-1.jsonl.corrupt'), { description: 'the corrupt file moved aside' });
    next.child.kill('SIGTERM');
    const exit = await next.exited;
    assert.equal(exit.code, 143);
    assert.equal(exit.stderr.match(/not OTLP\/JSON/g)?.length, 1, exit.stderr);
    assert.equal(readFileSync(path.join(dir, 'traces-1-1.jsonl.corrupt'), 'utf8'), 'not json at all\n{"truncated":\n');
    assert.match(exit.stderr, /2 traces item\(s\), spool corrupt/);
  });

  test('an unwritable folder: one warning, the app ends as it would, the loss is counted', async () => {
    const parent = newDir();
    const notADirectory = path.join(parent, 'file');
    writeFileSync(notADirectory, 'a file where the spool folder should be');
    const run = await spoolOneRun(path.join(notADirectory, 'spool'));
    assert.equal(run.code, 143);
    assert.equal(run.stderr.match(/spool folder cannot be written/g)?.length, 1, run.stderr);
    assert.match(run.stderr, /\d+ span\(s\) were not exported/);
  });

  test('FAULTLINE_SPOOL_MAX_BYTES: the oldest files go first, and what they held is counted', async () => {
    const dir = newDir();
    // Three earlier runs' worth of logs, each older than the last; the bound holds about one run.
    for (let index = 0; index < 3; index += 1) {
      const record = { timeUnixNano: '1', body: { stringValue: 'x'.repeat(20_000) } };
      writeFileSync(path.join(dir, `logs-${index + 1}-${index + 1}.jsonl`), `${JSON.stringify({ resourceLogs: [{ scopeLogs: [{ logRecords: [record] }] }] })}\n`);
    }
    const run = await spoolOneRun(dir, { FAULTLINE_SPOOL_MAX_BYTES: String(64 * 1024), OTEL_TRACES_EXPORTER: 'none', OTEL_METRICS_EXPORTER: 'none' });
    assert.equal(run.code, 143, run.stderr);
    assert.match(run.stderr, /oldest files are deleted/);
    const left = readdirSync(dir);
    assert.ok(!left.includes('logs-1-1.jsonl'), `the oldest went first: ${left.join(', ')}`);
    assert.equal(readSpool(dir).logRecords >= REQUESTS, true, 'this run kept');
  });

  test('while running, a full queue spools its oldest spans instead of dropping new ones', async () => {
    const dir = newDir();
    const run = await spoolOneRun(dir, { OTEL_BSP_MAX_QUEUE_SIZE: '4', OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '4', OTEL_BSP_SCHEDULE_DELAY: '600000' });
    assert.equal(run.code, 143, run.stderr);
    assert.doesNotMatch(run.stderr, /queue full/);
    assert.equal(readSpool(dir).serverSpans, REQUESTS);
  });
});

// 5. Viewer: what `faultline-receiver --ui` costs the receiver. The same OTLP/JSON traffic (traces of
// 8 spans, one in ten failing with a two-event cause chain, 3 log records per trace, the error counter
// every 50 traces) goes to the receiver with the viewer off, on, and on with --save; the suite reads
// the receiver's CPU time per trace, its memory after a full collection half-way and at the end (the
// viewer's stores are bounded, so memory should stop growing), and the weight of the page.
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { gzipSync } from 'node:zlib';
import { fileURLToPath, URL } from 'node:url';
import { cpuMillis } from '../lib/processes.js';
import { fmt, median, mib, ratio, table } from '../lib/stats.js';

const RECEIVER = fileURLToPath(new URL('../lib/viewer-receiver.js', import.meta.url));
const MODES = ['off', 'ui', 'ui+save'];
const CONCURRENCY = 8;

export async function runViewer({ rounds, traces, log }) {
  const requests = buildTraffic(traces);
  const runs = [];
  let pageWeight;
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'faultline-bench-viewer-'));
  try {
    for (let round = 1; round <= rounds; round += 1) {
      for (const mode of MODES) {
        const run = await runMode(mode, requests, path.join(scratch, `capture-${round}.jsonl`));
        runs.push(run);
        log(`  viewer round ${round}: ${mode.padEnd(8)} ${fmt(run.tracesPerSecond)} traces/s, ${fmt(run.cpuUsPerTrace)} µs CPU per trace, ${mib(run.end.heapUsed)} MiB heap at the end (${mib(run.half.heapUsed)} half-way)`);
        if (mode === 'ui' && pageWeight === undefined) pageWeight = run.pageWeight;
      }
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return { traces, rounds, modes: summarise(runs), pageWeight };
}

async function runMode(mode, requests, capture) {
  const child = fork(RECEIVER, [mode, capture], { execArgv: ['--expose-gc'], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const ask = (type) =>
    new Promise((resolve) => {
      child.once('message', resolve);
      child.send({ type });
    });
  const { url, pid } = await new Promise((resolve) => child.once('message', resolve));
  try {
    // Warm-up: the first tenth, not measured.
    const warm = Math.floor(requests.length / 10);
    await send(url, requests.slice(0, warm));
    const half = Math.floor((requests.length - warm) / 2) + warm;
    const cpuBefore = cpuMillis(pid);
    const started = performance.now();
    await send(url, requests.slice(warm, half));
    const elapsedHalf = performance.now() - started;
    const cpuHalf = cpuMillis(pid);
    const memoryHalf = await ask('memory');
    const cpuAfterGc = cpuMillis(pid);
    const resumed = performance.now();
    await send(url, requests.slice(half));
    const elapsedMs = elapsedHalf + (performance.now() - resumed);
    const cpuMs = cpuHalf - cpuBefore + (cpuMillis(pid) - cpuAfterGc);
    const end = await ask('memory');
    const measured = requests.slice(warm).filter((request) => request.path === '/v1/traces').length;
    const pageWeight = mode === 'off' ? undefined : await weighPage(url);
    return { mode, tracesPerSecond: (measured / elapsedMs) * 1000, cpuUsPerTrace: (cpuMs * 1000) / measured, half: memoryHalf, end, pageWeight };
  } finally {
    child.send({ type: 'stop' });
    await new Promise((resolve) => child.once('exit', resolve));
  }
}

async function send(url, requests) {
  let next = 0;
  const worker = async () => {
    while (next < requests.length) {
      const request = requests[next++];
      const response = await fetch(`${url}${request.path}`, { method: 'POST', body: request.body, headers: { 'content-type': 'application/json' } });
      await response.arrayBuffer();
      if (response.status !== 200) throw new Error(`receiver answered ${response.status} on ${request.path}`);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
}

/** What the page loads: index.html, then each stylesheet, script and module it imports, raw and gzipped. */
async function weighPage(url) {
  const files = new Map();
  const queue = ['/'];
  while (queue.length > 0) {
    const file = queue.shift();
    if (files.has(file)) continue;
    const body = Buffer.from(await (await fetch(`${url}${file}`)).arrayBuffer());
    files.set(file, body);
    const text = body.toString('utf8');
    const base = file === '/' ? '/' : file.slice(0, file.lastIndexOf('/') + 1);
    const references = file.endsWith('.js')
      ? [...text.matchAll(/^import [^'"]*['"](\.\/[^'"]+)['"]/gm)].map((match) => match[1])
      : [...text.matchAll(/(?:src|href)="([^"#][^"]*)"/g)].map((match) => match[1]).filter((reference) => !reference.endsWith('.txt'));
    for (const reference of references) queue.push(new URL(reference, `http://page${base}`).pathname);
  }
  const rows = [...files].map(([file, body]) => ({ file, bytes: body.length, gzipped: gzipSync(body, { level: 9 }).length }));
  return { files: rows, bytes: rows.reduce((sum, row) => sum + row.bytes, 0), gzipped: rows.reduce((sum, row) => sum + row.gzipped, 0) };
}

function id(bytes) {
  return randomBytes(bytes).toString('hex');
}

function attributes(object) {
  return Object.entries(object).map(([key, value]) => ({ key, value: typeof value === 'number' ? { intValue: String(value) } : { stringValue: value } }));
}

/** The same requests for every mode, built once. */
function buildTraffic(traces) {
  const requests = [];
  const resource = { attributes: attributes({ 'service.name': 'bench-checkout', 'service.instance.id': 'bench-1', 'host.name': 'bench' }) };
  const start = BigInt(Date.now()) * 1_000_000n;
  let errors = 0;
  for (let index = 0; index < traces; index += 1) {
    const traceId = id(16);
    const root = id(8);
    const at = (offsetMs) => String(start + BigInt(index) * 10_000_000n + BigInt(offsetMs) * 1_000_000n);
    const failing = index % 10 === 0;
    const spans = Array.from({ length: 8 }, (_, position) => ({
      traceId,
      spanId: position === 0 ? root : id(8),
      ...(position === 0 ? {} : { parentSpanId: root }),
      name: position === 0 ? 'POST /orders/:id/charges' : `pg.query:SELECT ${position}`,
      kind: position === 0 ? 2 : 3,
      startTimeUnixNano: at(position),
      endTimeUnixNano: at(position + 2),
      attributes: attributes({ 'http.request.method': 'POST', 'http.route': '/orders/:id/charges', 'url.path': `/orders/${id(8)}/charges`, 'server.port': 8080, 'db.system.name': 'postgresql', 'db.namespace': 'orders', 'network.peer.address': '127.0.0.1', position }),
      events: failing && position === 0
        ? [
            { name: 'exception', timeUnixNano: at(9), attributes: attributes({ 'exception.type': 'GATEWAY_TIMEOUT', 'exception.message': 'The payment gateway did not answer within 1000 ms', 'exception.stacktrace': 'GatewayTimeout: …\n    at charge (gateway-client.ts:42:15)\n'.repeat(8), 'error.category': 'timeout', 'exception.index': 0, 'exception.fingerprint': `fp-${index % 200}`, 'exception.notes': 'order 1, attempt 1' }) },
            { name: 'exception', timeUnixNano: at(9), attributes: attributes({ 'exception.type': 'TimeoutError', 'exception.message': 'The operation was aborted due to timeout', 'error.category': 'timeout', 'exception.index': 1, 'exception.parent': 0, 'exception.relation': 'cause' }) },
          ]
        : [],
      status: { code: failing && position === 0 ? 2 : 0 },
    }));
    requests.push({ path: '/v1/traces', body: JSON.stringify({ resourceSpans: [{ resource, scopeSpans: [{ scope: { name: 'faultline' }, spans }] }] }) });
    const logRecords = ['charge attempt', 'gateway answered', failing ? 'charge failed: GATEWAY_TIMEOUT' : 'charge succeeded'].map((body, position) => ({
      timeUnixNano: at(position * 3),
      severityNumber: failing && position === 2 ? 17 : 9,
      severityText: failing && position === 2 ? 'error' : 'info',
      body: { stringValue: body },
      attributes: attributes({ orderId: id(8), attempt: 1 }),
      traceId,
      spanId: root,
    }));
    requests.push({ path: '/v1/logs', body: JSON.stringify({ resourceLogs: [{ resource, scopeLogs: [{ scope: { name: 'pino' }, logRecords }] }] }) });
    if (failing) errors += 1;
    if (index % 50 === 49) {
      const point = { attributes: attributes({ 'error.type': 'GATEWAY_TIMEOUT', 'error.category': 'timeout' }), startTimeUnixNano: String(start), timeUnixNano: at(0), asInt: String(errors) };
      requests.push({ path: '/v1/metrics', body: JSON.stringify({ resourceMetrics: [{ resource, scopeMetrics: [{ scope: { name: 'faultline' }, metrics: [{ name: 'app.errors', unit: '{error}', sum: { aggregationTemporality: 2, isMonotonic: true, dataPoints: [point] } }] }] }] }) });
    }
  }
  return requests;
}

function summarise(runs) {
  return MODES.map((mode) => {
    const of = runs.filter((run) => run.mode === mode);
    const pick = (read) => median(of.map(read));
    return {
      mode,
      tracesPerSecond: pick((run) => run.tracesPerSecond),
      cpuUsPerTrace: pick((run) => run.cpuUsPerTrace),
      halfHeap: pick((run) => run.half.heapUsed),
      endHeap: pick((run) => run.end.heapUsed),
      halfRss: pick((run) => run.half.rss),
      endRss: pick((run) => run.end.rss),
      stats: of.at(-1)?.end.stats ?? null,
    };
  });
}

export function viewerMarkdown(result) {
  const off = result.modes.find((mode) => mode.mode === 'off');
  const rows = result.modes.map((mode) => [
    mode.mode,
    fmt(mode.tracesPerSecond),
    ratio(mode.tracesPerSecond, off?.tracesPerSecond),
    fmt(mode.cpuUsPerTrace),
    ratio(mode.cpuUsPerTrace, off?.cpuUsPerTrace),
    `${mib(mode.halfHeap)} → ${mib(mode.endHeap)}`,
    `${mib(mode.halfRss)} → ${mib(mode.endRss)}`,
  ]);
  const stats = result.modes.find((mode) => mode.mode === 'ui')?.stats;
  const kept = stats === null || stats === undefined ? '' : ` With the viewer on, it kept ${fmt(stats.kept.traces)} traces, ${fmt(stats.kept.spans)} spans and ${fmt(stats.kept.logRecords)} log records at the end and had let ${fmt(stats.letGo.traces)} traces and ${fmt(stats.letGo.logRecords)} log records go (default limits).`;
  const page = result.pageWeight;
  return [
    `${fmt(result.traces)} traces of 8 spans (one in ten failing, with a cause), 3 log records each, the error counter every 50 traces, as OTLP/JSON from ${CONCURRENCY} concurrent senders; the first tenth warms up. Median of ${result.rounds} round(s). Memory after two full collections, half-way → end.${kept}`,
    '',
    table(['receiver', 'traces/s', 'vs off', 'CPU µs per trace', 'vs off', 'heap MiB', 'RSS MiB'], rows),
    '',
    page === undefined
      ? ''
      : `The page loads ${page.files.length} files, ${fmt(page.bytes / 1024, 1)} KiB (${fmt(page.gzipped / 1024, 1)} KiB if gzipped; it is served uncompressed, over loopback), of which uPlot is ${fmt((page.files.find((file) => file.file.includes('uPlot.iife'))?.bytes ?? 0) / 1024, 1)} KiB.`,
  ].join('\n');
}

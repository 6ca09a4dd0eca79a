// A stand-in for the Collector, run in its own process so that its work does not share CPU accounting
// with the app. Every OpenTelemetry-based mode exports OTLP/HTTP to it, Sentry sends envelopes to it.
//
// During a load run it only stores request bodies and answers 200 (what a healthy Collector answers),
// because decoding on the fly costs as much CPU as the load generator has and would starve it in the
// instrumented modes only. The stored bodies are handed to faultline's OTLP receiver (which decodes
// JSON and protobuf) when the harness asks for counts, after the load.
//
//   node lib/collector.js --otlp-port 0 --sentry-port 0 [--mode ok|hang|error]
// Sends { type: 'ready', otlpUrl, sentryPort } when listening; answers { type: 'counts' } with totals.
import http from 'node:http';
import { parseArgs } from 'node:util';
import { startReceiver } from 'faultline/receiver';
import { Buffer } from 'node:buffer';
import process from 'node:process';

const { values } = parseArgs({
  options: {
    'otlp-port': { type: 'string', default: '0' },
    'sentry-port': { type: 'string', default: '0' },
    mode: { type: 'string', default: 'ok' },
  },
});

const counts = {
  spans: 0,
  errorSpans: 0,
  exceptionEvents: 0,
  logs: 0,
  metricPoints: 0,
  otlpRequests: 0,
  refusedRequests: 0,
  undecodable: 0,
  sentryEnvelopes: 0,
  sentryItems: {},
  spanNames: {},
};
const SPAN_KINDS = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'];
// The last value seen of each self-telemetry counter series, keyed by its attributes.
const dropped = new Map();

// The decoder, on an ephemeral port of its own; it keeps nothing, the events below count.
const receiver = await startReceiver({ port: 0, host: '127.0.0.1', maxItemsPerSignal: 0 });
let mode = values.mode;
let pending = [];

const OTLP_PATHS = new Set(['/v1/traces', '/v1/metrics', '/v1/logs']);
const front = http.createServer((request, response) => {
  const chunks = [];
  request.on('data', (chunk) => chunks.push(chunk));
  request.on('end', () => {
    if (mode === 'hang') return; // Read, never answered: a Collector stuck behind a proxy.
    if (mode === 'error' || !OTLP_PATHS.has(request.url)) {
      counts.refusedRequests += 1;
      response.writeHead(mode === 'error' ? 503 : 404).end();
      return;
    }
    const contentType = request.headers['content-type'] ?? '';
    pending.push({ path: request.url, contentType, encoding: request.headers['content-encoding'], body: Buffer.concat(chunks) });
    // An empty Export*ServiceResponse: full success.
    if (contentType.includes('json')) response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    else response.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
  });
});
await new Promise((resolve) => front.listen(Number(values['otlp-port']), '127.0.0.1', resolve));

/** Hands the stored requests to the decoding receiver, one at a time. */
async function drain() {
  const batch = pending;
  pending = [];
  for (const item of batch) {
    const headers = { 'content-type': item.contentType };
    if (item.encoding !== undefined) headers['content-encoding'] = item.encoding;
    await globalThis.fetch(`${receiver.url}${item.path}`, { method: 'POST', headers, body: item.body }).then((response) => response.arrayBuffer());
  }
}
receiver.on('spans', (spans) => {
  counts.spans += spans.length;
  for (const span of spans) {
    // Names of server spans carry the route, bounded; the count per kind and name shows what a mode emits.
    const key = `${SPAN_KINDS[span.kind] ?? span.kind} ${span.name}`.slice(0, 80);
    if (key in counts.spanNames || Object.keys(counts.spanNames).length < 50) counts.spanNames[key] = (counts.spanNames[key] ?? 0) + 1;
    if (span.status?.code === 2 || span.status?.code === 'STATUS_CODE_ERROR') counts.errorSpans += 1;
    for (const event of span.events ?? []) if (event.name === 'exception') counts.exceptionEvents += 1;
  }
});
receiver.on('logs', (logs) => {
  counts.logs += logs.length;
});
receiver.on('metrics', (points) => {
  counts.metricPoints += points.length;
  for (const point of points) {
    if (point.name !== 'faultline.telemetry.dropped') continue;
    const key = `${String(point.attributes?.signal)}|${String(point.attributes?.reason)}`;
    dropped.set(key, Number(point.value ?? 0));
  }
});
receiver.on('request', (request) => {
  counts.otlpRequests += 1;
  // The stand-in said yes to a body the real receiver could not decode: count it, it means a bug.
  if (request.status !== undefined && request.status >= 400) counts.undecodable += 1;
});

// Sentry's transport POSTs envelopes (newline-delimited JSON: header, then item header + payload
// pairs) to /api/<project>/envelope/. Counting item types is enough to see that events arrive.
const sentry = http.createServer((request, response) => {
  const chunks = [];
  request.on('data', (chunk) => chunks.push(chunk));
  request.on('end', () => {
    pendingEnvelopes.push(Buffer.concat(chunks));
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end('{}');
  });
});
let pendingEnvelopes = [];

function countEnvelopes() {
  for (const body of pendingEnvelopes) {
    counts.sentryEnvelopes += 1;
    const lines = body.toString('utf8').split('\n');
    for (let i = 1; i < lines.length; i += 2) {
      try {
        const type = JSON.parse(lines[i]).type;
        if (typeof type === 'string') counts.sentryItems[type] = (counts.sentryItems[type] ?? 0) + 1;
      } catch {
        // Compressed or binary items are counted as envelopes only.
      }
    }
  }
  pendingEnvelopes = [];
}
await new Promise((resolve) => sentry.listen(Number(values['sentry-port']), '127.0.0.1', resolve));

process.on('message', async (message) => {
  if (message?.type === 'counts') {
    await drain();
    countEnvelopes();
    process.send({ type: 'counts', id: message.id, counts: { ...counts, dropped: Object.fromEntries(dropped) } });
  } else if (message?.type === 'reset') {
    pending = [];
    pendingEnvelopes = [];
    for (const key of Object.keys(counts)) counts[key] = typeof counts[key] === 'number' ? 0 : {};
    dropped.clear();
    process.send({ type: 'reset', id: message.id });
  } else if (message?.type === 'mode') {
    mode = message.mode;
    process.send({ type: 'mode', id: message.id });
  }
});
process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));
const { port: otlpPort } = front.address();
process.send({ type: 'ready', otlpUrl: `http://127.0.0.1:${otlpPort}`, otlpPort, sentryPort: sentry.address().port });

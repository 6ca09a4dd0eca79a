// One variant of the logging benchmark, in a fresh process: lines per second and CPU per line.
//   pino:      plain pino, synchronous writes to /dev/null, no SDK;
//   pino-otel: the design's alternative to createLogger (REFERENCE.md, "pino and
//              pino-opentelemetry-transport"): pino with a mixin that adds trace_id, span_id and
//              trace_flags from the active OpenTelemetry context (the transport's worker has none of
//              its own), and one transport worker with two targets: a local copy to /dev/null and
//              pino-opentelemetry-transport shipping OTLP to the bench's collector;
//   faultline: faultline started in-process, createLogger with its local copy to /dev/null and the
//              OTLP copy shipped from its worker thread to the bench's collector.
// Lines are written inside an active span when there is a context to carry one, so both OTLP
// variants add the trace fields.
//
//   node suites/logging-worker.js <pino|pino-otel|faultline> <info|error> <lines> <repeats>
import { createRequire } from 'node:module';
import { faultlineApi, faultlineOtelApi } from '../lib/faultline-api.js';
import { threadCpuMillis } from '../lib/processes.js';
import process from 'node:process';
import { clearInterval, setInterval, setTimeout } from 'node:timers';

const require = createRequire(import.meta.url);
const pino = require('pino');
const [variant = 'pino', kind = 'info', linesText = '50000', repeatsText = '5'] = process.argv.slice(2);
const lines = Number(linesText);
const repeats = Number(repeatsText);

const devNull = () => pino.destination({ dest: '/dev/null', sync: true });
let logger;
let inSpan = (fn) => fn();
let OrderRejected = class OrderRejectedError extends Error {
  constructor(message, options = {}) {
    super(message);
    this.name = 'OrderRejectedError';
    this.code = 'ORDER_REJECTED';
    this.details = options.details;
  }
};
let faultline;
let transport;
if (variant === 'pino') {
  logger = pino({ level: 'info' }, devNull());
} else if (variant === 'pino-otel') {
  const api = require('@opentelemetry/api');
  const { AsyncLocalStorageContextManager } = require('@opentelemetry/context-async-hooks');
  const { randomBytes } = await import('node:crypto');
  api.context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  transport = pino.transport({
    targets: [
      { target: 'pino/file', options: { destination: '/dev/null' } },
      { target: 'pino-opentelemetry-transport', options: { loggerName: 'bench-logging' } },
    ],
  });
  // The transport sets a record's trace context only from these three snake_case fields.
  const traceFields = () => {
    const context = api.trace.getSpanContext(api.context.active());
    return context === undefined ? {} : { trace_id: context.traceId, span_id: context.spanId, trace_flags: `0${context.traceFlags.toString(16)}` };
  };
  logger = pino({ level: 'info', mixin: traceFields }, transport);
  // A span context per 100 lines, as faultline's variant has a span per 100 lines. The spans are not
  // exported here: one per 100 lines is noise against the lines, and the logger is what is measured.
  inSpan = (fn) =>
    api.context.with(api.trace.setSpanContext(api.context.active(), { traceId: randomBytes(16).toString('hex'), spanId: randomBytes(8).toString('hex'), traceFlags: 1 }), fn);
} else if (variant === 'faultline') {
  faultline = await faultlineApi();
  await faultline.start();
  const api = await faultlineOtelApi();
  const tracer = api.trace.getTracer('bench');
  inSpan = (fn) => tracer.startActiveSpan('request', (span) => {
    try {
      return fn();
    } finally {
      span.end();
    }
  });
  logger = faultline.createLogger({ level: 'info', destination: devNull() });
  OrderRejected = faultline.defineError({ code: 'ORDER_REJECTED', category: 'conflict', httpStatus: 409 });
} else {
  throw new Error(`unknown variant ${variant}`);
}

const write =
  kind === 'info'
    ? (i) => logger.info({ orderId: `o-${i}`, userId: 'u-1234', amount: 42.5, items: 3, path: '/orders/:id' }, 'order accepted')
    : (i) => logger.error({ err: new OrderRejected(`order o-${i} was rejected`, { details: { orderId: `o-${i}` } }), orderId: `o-${i}` }, 'order failed');

function batch(count) {
  // One span per 100 lines: a request that logs a little, many requests.
  for (let i = 0; i < count; i += 100) {
    inSpan(() => {
      for (let j = i; j < Math.min(count, i + 100); j += 1) write(j);
    });
  }
}

batch(Math.min(lines, 5000));
// The warm-up lines are shipped before the log worker's thread CPU is first read.
await new Promise((resolve) => logger.flush(() => resolve()));

const samples = [];
const processCpuStart = process.cpuUsage();
// The log worker's own thread (Linux /proc; 0 elsewhere), to set against the lines it exported. pino's
// transport drops silently when its queue is full, so how many lines its worker exported is not known
// in here: its worker's share is in the process CPU only.
const LOG_THREAD = 'faultline-logs';
const logWorkerMsStart = threadCpuMillis(process.pid)[LOG_THREAD] ?? 0;
for (let r = 0; r < repeats; r += 1) {
  const thread = process.threadCpuUsage();
  const started = process.hrtime.bigint();
  batch(lines);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = process.threadCpuUsage(thread);
  samples.push({ linesPerSec: lines / seconds, threadCpuUsPerLine: (cpu.user + cpu.system) / lines });
  await new Promise((resolve) => setTimeout(resolve, 20));
}
// Everything handed over is flushed before the whole-process CPU (worker threads included) is read.
await new Promise((resolve) => logger.flush(() => resolve()));
let logWorkerMs = (threadCpuMillis(process.pid)[LOG_THREAD] ?? logWorkerMsStart) - logWorkerMsStart;
if (transport !== undefined) {
  // The transport exports from its worker on a timer; ending it shuts its logger provider down,
  // which exports what is still queued. A finished thread's CPU stays in process.cpuUsage().
  // Its worker is unref'd: a timer keeps the loop alive until it has gone.
  const keepAlive = setInterval(() => {}, 1000);
  const closed = new Promise((resolve) => transport.once('close', resolve));
  transport.end();
  await closed;
  clearInterval(keepAlive);
  logWorkerMs = undefined;
}
const processCpu = process.cpuUsage(processCpuStart);
let dropped = 0;
if (faultline !== undefined) {
  const logging = await import('../node_modules/faultline/dist/logging/log-shipper.js').catch(() => ({}));
  dropped = typeof faultline.droppedLogLines === 'function' ? faultline.droppedLogLines() : (logging.droppedLogLines?.() ?? 0);
  await faultline.shutdown();
}
const pick = (key) => samples.map((sample) => sample[key]).sort((a, b) => a - b)[Math.floor(samples.length / 2)];
process.stdout.write(
  `${JSON.stringify({
    variant,
    kind,
    linesPerSec: pick('linesPerSec'),
    threadCpuUsPerLine: pick('threadCpuUsPerLine'),
    processCpuUsPerLine: (processCpu.user + processCpu.system) / (lines * repeats),
    written: lines * repeats + Math.min(lines, 5000),
    dropped,
    // Lines written in the measured samples and not dropped (the warm-up's were shipped before).
    logWorkerUsPerExportedLine: variant === 'faultline' && logWorkerMs !== undefined && lines * repeats > dropped ? (logWorkerMs * 1000) / (lines * repeats - dropped) : undefined,
  })}\n`,
);

// One variant of the error-path benchmark, in a fresh process: faultline's SDK started in-process
// (exporters pointed at the bench's collector), then a timed loop in which each operation opens an
// active span, throws and catches a typed error 20 frames deep, records it (or not) and ends the span.
//
//   node suites/error-path-worker.js <nothing|bare|recordError> <ops> <repeats>
import { faultlineApi, faultlineOtelApi } from '../lib/faultline-api.js';
import process from 'node:process';
import { setTimeout } from 'node:timers';

const [variant = 'recordError', opsText = '20000', repeatsText = '5'] = process.argv.slice(2);
const ops = Number(opsText);
const repeats = Number(repeatsText);

const faultline = await faultlineApi();
await faultline.start();
const api = await faultlineOtelApi();
const tracer = api.trace.getTracer('bench');
const counter = api.metrics.getMeter('bench').createCounter('bench.errors', { unit: '{error}' });
const OrderRejected = faultline.defineError({ code: 'ORDER_REJECTED', category: 'conflict', httpStatus: 409 });

function throwAt(depth, id) {
  if (depth > 0) return throwAt(depth - 1, id);
  throw new OrderRejected(`order ${id} was rejected by the pricing rules`, { details: { orderId: id } });
}

const record = {
  nothing() {},
  bare(error) {
    const span = api.trace.getActiveSpan();
    span.recordException(error);
    span.setStatus({ code: api.SpanStatusCode.ERROR, message: error.message });
    counter.add(1, { 'error.type': error.code });
  },
  recordError(error) {
    faultline.recordError(error);
  },
}[variant];
if (record === undefined) throw new Error(`unknown variant ${variant}`);

function operation(id) {
  tracer.startActiveSpan('operation', (span) => {
    try {
      throwAt(20, id);
    } catch (error) {
      record(error);
    }
    span.end();
  });
}

for (let i = 0; i < Math.min(ops, 5000); i += 1) operation(i);

const samples = [];
for (let r = 0; r < repeats; r += 1) {
  const started = process.hrtime.bigint();
  for (let i = 0; i < ops; i += 1) operation(i);
  const elapsedNs = Number(process.hrtime.bigint() - started);
  samples.push(elapsedNs / ops / 1000);
  // Let the batch processor export between samples, as it would between bursts in a service.
  await new Promise((resolve) => setTimeout(resolve, 50));
}
samples.sort((a, b) => a - b);
process.stdout.write(`${JSON.stringify({ variant, usPerOp: samples[Math.floor(samples.length / 2)], samples })}\n`);
await faultline.shutdown();

// 10. Resilience policies: µs per successful call through each faultline policy and through the
// composed pipeline, against a bare call, against cockatiel alone (the same policy without
// faultline's telemetry) and against opossum (a breaker with its timeout), in one run. With a
// breaker exported by faultline, its closed-state cost, and the Redis-shared breaker's against the
// local one (REDIS_URL, default redis://127.0.0.1:6379).
//
// Modes: faultline started in-process (metrics exported to the bench's collector), and faultline
// loaded but not started (the API's no-op meter: the policies' own cost). A fresh process per
// sample and mode; the variants run interleaved in each process.
//
// This file is the suite and its worker: `node suites/resilience.js <started|idle> <repeats>`.
import { fileURLToPath } from 'node:url';
import process from 'node:process';
import { setTimeout } from 'node:timers';
import { fmt, median, table } from '../lib/stats.js';
import { sampleModes } from '../lib/workers.js';
import { startSharedBreaker } from './breaker.js';

const SELF = fileURLToPath(import.meta.url);
const MODES = ['idle', 'started'];
const CALLS = 20_000;

// The rows of the report: [key, peer group, label]. A key missing from a worker's result (no
// breaker exported yet, no Redis) is left out of the table.
const ROWS = [
  ['bare', 'bare', 'bare `await op()`'],
  ['retry', 'retry', 'faultline `retryPolicy`'],
  ['cockatielRetry', 'retry', 'cockatiel `retry(handleAll, …)`'],
  ['timeout', 'timeout', 'faultline `timeoutPolicy`'],
  ['cockatielTimeout', 'timeout', 'cockatiel `timeout(…, Aggressive)`'],
  ['bulkhead', 'bulkhead', 'faultline `bulkheadPolicy`'],
  ['cockatielBulkhead', 'bulkhead', 'cockatiel `bulkhead(…)`'],
  ['fallback', 'fallback', 'faultline `fallbackPolicy`'],
  ['cockatielFallback', 'fallback', 'cockatiel `fallback(handleAll, …)`'],
  ['breaker', 'breaker', 'faultline `circuitBreaker` (local)'],
  ['breakerRedis', 'breaker', 'faultline `circuitBreaker` shared through Redis'],
  ['cockatielBreaker', 'breaker', 'cockatiel `circuitBreaker(…, ConsecutiveBreaker)`'],
  ['opossumNoTimeout', 'breaker', 'opossum `fire()`, no timeout'],
  ['breakerTimeout', 'breaker + timeout', 'faultline `composePolicies(breaker, timeout)`'],
  ['opossum', 'breaker + timeout', 'opossum `fire()` with its timeout'],
  ['composed', 'pipeline', 'faultline `composePolicies(fallback, retry, breaker, timeout)`'],
  ['composedNoBreaker', 'pipeline', 'faultline `composePolicies(fallback, retry, timeout)` (no breaker in this build)'],
  ['cockatielComposed', 'pipeline', 'cockatiel `wrap(fallback, retry, breaker, timeout)`'],
];

export async function runResilience({ rounds, cpus, log }) {
  const env = {
    OTEL_SERVICE_NAME: 'bench-resilience',
    OTEL_NODE_RESOURCE_DETECTORS: 'env,host,os,process',
    REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  };
  const samples = await sampleModes({
    script: SELF,
    modes: MODES,
    rounds,
    cpus,
    env,
    log,
    describe: (round, mode, result) => {
      const pipeline = result.composed ?? result.composedNoBreaker;
      const composed = pipeline === undefined ? '' : `, composed ${pipeline.toFixed(2)} µs vs cockatiel ${result.cockatielComposed.toFixed(2)} µs`;
      return `  resilience round ${round}: ${mode.padEnd(7)} bare ${result.bare.toFixed(2)} µs, retry ${result.retry.toFixed(2)} µs, timeout ${result.timeout.toFixed(2)} µs${composed}`;
    },
  });
  const us = {};
  for (const mode of MODES) {
    us[mode] = {};
    for (const [key] of ROWS) {
      const values = samples[mode].map((sample) => sample[key]).filter((value) => typeof value === 'number');
      if (values.length > 0) us[mode][key] = median(values);
    }
  }
  const notes = [...new Set(MODES.flatMap((mode) => samples[mode].flatMap((sample) => sample.notes ?? [])))];
  return { us, rounds, calls: CALLS, notes };
}

export function resilienceMarkdown(result) {
  const rows = [];
  for (const mode of MODES) {
    const us = result.us[mode];
    const label = mode === 'started' ? 'faultline started' : 'faultline not started';
    const firstOfGroup = new Map();
    for (const [key, group, name] of ROWS) {
      const value = us[key];
      if (value === undefined) continue;
      if (!firstOfGroup.has(group)) firstOfGroup.set(group, value);
      rows.push([label, name, value.toFixed(2), (value - us.bare).toFixed(2), `${(value / us.bare).toFixed(2)}×`, `${(value / firstOfGroup.get(group)).toFixed(2)}×`]);
    }
  }
  const notes = result.notes.length > 0 ? ['', ...result.notes.map((note) => `- ${note}`)] : [];
  return [
    `Each worker runs ${fmt(result.calls)} sequential successful calls of \`async () => 1\` through every variant, interleaved,`,
    `5 samples per process, ${result.rounds} fresh processes per mode; medians. "added" is µs over the bare call in the same`,
    'process; "vs first of group" compares each variant with the first row of its group (faultline\'s, or the bare call).',
    'Success is the path every call pays; a failure costs a classification, an exception event and a count on top.',
    ...notes,
    '',
    table(['mode', 'variant', 'µs per call', 'added µs', 'vs bare', 'vs first of group'], rows),
  ].join('\n');
}

// ---- worker ----

async function worker(mode, repeats) {
  const { faultlineApi } = await import('../lib/faultline-api.js');
  const faultline = await faultlineApi();
  if (mode === 'started') await faultline.start();
  const api = await import('faultline');
  const cockatiel = await import('cockatiel');
  const { default: CircuitBreaker } = await import('opossum');
  const notes = [];

  const op = async () => 1;
  const variants = {};
  const cleanups = [];
  variants.bare = () => op();

  const retry = api.retryPolicy({ name: 'bench-retry', maxAttempts: 2 });
  const timeout = api.timeoutPolicy({ name: 'bench-timeout', timeoutMs: 1000 });
  const bulkhead = api.bulkheadPolicy({ name: 'bench-bulkhead', limit: 100, queue: 100 });
  const fallback = api.fallbackPolicy({ name: 'bench-fallback', fallback: () => 0 });
  variants.retry = () => retry.execute(op);
  variants.timeout = () => timeout.execute(op);
  variants.bulkhead = () => bulkhead.execute(op);
  variants.fallback = () => fallback.execute(op);

  const cRetry = cockatiel.retry(cockatiel.handleAll, { maxAttempts: 1, backoff: new cockatiel.ExponentialBackoff() });
  const cTimeout = cockatiel.timeout(1000, cockatiel.TimeoutStrategy.Aggressive);
  const cBulkhead = cockatiel.bulkhead(100, 100);
  const cFallback = cockatiel.fallback(cockatiel.handleAll, 0);
  const cBreaker = cockatiel.circuitBreaker(cockatiel.handleAll, { halfOpenAfter: 10_000, breaker: new cockatiel.ConsecutiveBreaker(5) });
  const cComposed = cockatiel.wrap(cFallback, cRetry, cBreaker, cTimeout);
  variants.cockatielRetry = () => cRetry.execute(op);
  variants.cockatielTimeout = () => cTimeout.execute(op);
  variants.cockatielBulkhead = () => cBulkhead.execute(op);
  variants.cockatielFallback = () => cFallback.execute(op);
  variants.cockatielBreaker = () => cBreaker.execute(op);
  variants.cockatielComposed = () => cComposed.execute(op);

  const opossum = new CircuitBreaker(op, { timeout: 1000, errorThresholdPercentage: 50, resetTimeout: 10_000 });
  const opossumNoTimeout = new CircuitBreaker(op, { timeout: false, errorThresholdPercentage: 50, resetTimeout: 10_000 });
  variants.opossum = () => opossum.fire();
  variants.opossumNoTimeout = () => opossumNoTimeout.fire();
  cleanups.push(() => opossum.shutdown(), () => opossumNoTimeout.shutdown());

  if (typeof api.circuitBreaker === 'function') {
    const breaker = api.circuitBreaker({ name: 'bench-breaker' });
    variants.breaker = () => breaker.execute(op);
    const breakerTimeout = api.composePolicies(api.circuitBreaker({ name: 'bench-breaker-timeout' }), api.timeoutPolicy({ name: 'bench-breaker-timeout-t', timeoutMs: 1000 }));
    variants.breakerTimeout = () => breakerTimeout.execute(op);
    const composed = api.composePolicies(fallback, retry, api.circuitBreaker({ name: 'bench-composed-breaker' }), timeout);
    variants.composed = () => composed.execute(op);
    // Shared only once its store has answered (it starts on local state): suites/breaker.js.
    const shared = await startSharedBreaker(api, { url: process.env.REDIS_URL, notes });
    if (shared !== undefined) {
      variants.breakerRedis = () => shared.breaker.execute(op);
      cleanups.push(shared.close);
    }
  } else {
    notes.push('faultline exports no `circuitBreaker` in this build: the breaker rows and the pipeline are left out.');
    const composed = api.composePolicies(fallback, retry, timeout);
    variants.composedNoBreaker = () => composed.execute(op);
  }

  const time = async (run, calls) => {
    const started = process.hrtime.bigint();
    for (let i = 0; i < calls; i += 1) await run();
    return Number(process.hrtime.bigint() - started) / calls / 1000;
  };
  for (const run of Object.values(variants)) await time(run, 2000);

  const samples = Object.fromEntries(Object.keys(variants).map((name) => [name, []]));
  for (let r = 0; r < repeats; r += 1) {
    for (const [name, run] of Object.entries(variants)) samples[name].push(await time(run, CALLS));
    // Let the metric reader export between samples, as it would between bursts.
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const result = Object.fromEntries(Object.entries(samples).map(([name, values]) => [name, median(values)]));
  process.stdout.write(`${JSON.stringify({ mode, ...result, notes })}\n`);
  for (const cleanup of cleanups) await cleanup();
  if (mode === 'started') await faultline.shutdown();
}

if (process.argv[1] === SELF) {
  const [mode = 'started', repeats = '5'] = process.argv.slice(2);
  if (!MODES.includes(mode)) throw new Error(`unknown mode ${mode}`);
  await worker(mode, Number(repeats));
  // opossum's and the store's timers must not hold the process.
  process.exit(0);
}

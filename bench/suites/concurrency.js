// 5. Concurrency and resources: taskGroup against Promise.all and Promise.allSettled for 1,000
// trivial tasks, and an `await using` acquireResource against a bare try/finally, in one process per
// sample and mode. Modes: faultline started in-process (spans and metrics exported to the bench's
// collector), and faultline loaded but not started (the API's no-op tracer: the library's own cost).
//
// This file is the suite and its worker: `node suites/concurrency.js <started|idle> <repeats>`.
import { fileURLToPath } from 'node:url';
import process from 'node:process';
import { setTimeout } from 'node:timers';
import { fmt, median, table } from '../lib/stats.js';
import { sampleModes } from '../lib/workers.js';

const SELF = fileURLToPath(import.meta.url);
const MODES = ['idle', 'started'];
const TASKS = 1000;
const GROUP_BATCHES = 200;
const RESOURCE_OPS = 20_000;

export async function runConcurrency({ rounds, cpus, log }) {
  const env = { OTEL_SERVICE_NAME: 'bench-concurrency', OTEL_NODE_RESOURCE_DETECTORS: 'env,host,os,process' };
  const samples = await sampleModes({
    script: SELF,
    modes: MODES,
    rounds,
    cpus,
    env,
    log,
    describe: (round, mode, result) =>
      `  concurrency round ${round}: ${mode.padEnd(7)} taskGroup ${result.taskGroup.toFixed(0)} µs vs Promise.all ${result.promiseAll.toFixed(0)} µs per ${TASKS} tasks; using ${result.using.toFixed(2)} µs vs try/finally ${result.tryFinally.toFixed(2)} µs`,
  });
  const us = Object.fromEntries(MODES.map((mode) => [mode, Object.fromEntries(['promiseAll', 'allSettled', 'taskGroup', 'tryFinally', 'using'].map((key) => [key, median(samples[mode].map((sample) => sample[key]))]))]));
  return { us, rounds, tasks: TASKS, batches: GROUP_BATCHES, resourceOps: RESOURCE_OPS };
}

export function concurrencyMarkdown(result) {
  const rows = [];
  for (const mode of MODES) {
    const us = result.us[mode];
    const label = mode === 'started' ? 'faultline started' : 'faultline not started';
    rows.push(
      [label, `Promise.all, ${fmt(result.tasks)} tasks`, us.promiseAll.toFixed(0), '1.00×'],
      [label, 'Promise.allSettled', us.allSettled.toFixed(0), `${(us.allSettled / us.promiseAll).toFixed(2)}×`],
      [label, '`taskGroup` (a span per group and per task when started)', us.taskGroup.toFixed(0), `${(us.taskGroup / us.promiseAll).toFixed(2)}×`],
      [label, 'bare `try/finally` acquire and release', us.tryFinally.toFixed(2), '1.00×'],
      [label, '`await using` `acquireResource` (span, two histograms, leak watch)', us.using.toFixed(2), `${(us.using / us.tryFinally).toFixed(2)}×`],
    );
  }
  return [
    `Each worker runs, interleaved, ${fmt(result.batches)} batches of ${fmt(result.tasks)} trivial async tasks (\`async () => i\`) through`,
    '`Promise.all`, `Promise.allSettled` and `taskGroup` (spawn all, await all), and',
    `${fmt(result.resourceOps)} async acquire/use/release operations as a bare \`try/finally\` and as \`await using acquireResource\`;`,
    `5 samples per process, ${result.rounds} fresh processes per mode; medians. Times are per batch of tasks and per resource`,
    'operation; the ratio is to the plain-JavaScript line above it in the same process.',
    '',
    table(['mode', 'variant', 'µs', 'time vs plain'], rows),
  ].join('\n');
}

// ---- worker ----

async function worker(mode, repeats) {
  const { faultlineApi } = await import('../lib/faultline-api.js');
  const faultline = await faultlineApi();
  if (mode === 'started') await faultline.start();
  const { taskGroup, acquireResource } = await import('faultline');
  const tasks = Array.from({ length: TASKS }, (_, i) => async () => i);

  const groups = {
    promiseAll: () => Promise.all(tasks.map((task) => task())),
    allSettled: () => Promise.allSettled(tasks.map((task) => task())),
    taskGroup: () => taskGroup((group) => Promise.all(tasks.map((task) => group.spawn(task)))),
  };
  const acquire = async () => ({ open: true });
  const release = async (handle) => {
    handle.open = false;
  };
  const resources = {
    async tryFinally() {
      const handle = await acquire();
      try {
        return handle.open;
      } finally {
        await release(handle);
      }
    },
    async using() {
      await using held = await acquireResource({ name: 'bench', acquire, release });
      return held.value.open;
    },
  };

  const timeGroups = async (run, batches) => {
    const started = process.hrtime.bigint();
    for (let i = 0; i < batches; i += 1) await run();
    return Number(process.hrtime.bigint() - started) / batches / 1000;
  };
  const timeResources = async (run, ops) => {
    const started = process.hrtime.bigint();
    for (let i = 0; i < ops; i += 1) await run();
    return Number(process.hrtime.bigint() - started) / ops / 1000;
  };
  for (const run of Object.values(groups)) await timeGroups(run, 20);
  for (const run of Object.values(resources)) await timeResources(run, 2000);

  const samples = { promiseAll: [], allSettled: [], taskGroup: [], tryFinally: [], using: [] };
  for (let r = 0; r < repeats; r += 1) {
    for (const [name, run] of Object.entries(groups)) samples[name].push(await timeGroups(run, GROUP_BATCHES));
    for (const [name, run] of Object.entries(resources)) samples[name].push(await timeResources(run, RESOURCE_OPS));
    // Let the batch processor export between samples, as it would between bursts.
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const result = Object.fromEntries(Object.entries(samples).map(([name, values]) => [name, median(values)]));
  process.stdout.write(`${JSON.stringify({ mode, ...result })}\n`);
  if (mode === 'started') await faultline.shutdown();
}

if (process.argv[1] === SELF) {
  const [mode = 'started', repeats = '5'] = process.argv.slice(2);
  if (!MODES.includes(mode)) throw new Error(`unknown mode ${mode}`);
  await worker(mode, Number(repeats));
}

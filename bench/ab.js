// A/B toggles on the http app: how much of faultline's cost each part is, in one run.
//
//   node ab.js [--rounds 2] [--duration 5] [--warmup 2] [--rate R] [--json FILE] label:mode[:ENV=value,ENV=value] ...
//
// Each argument is one configuration: a label, a mode of lib/modes.js (none, faultline, otel-auto,
// edot, sentry) and environment overrides. NOPRELOAD=1 runs the mode's kit without its preload;
// NODE_ARGS='--flag --other' adds node command-line flags (V8 flags included, which NODE_OPTIONS refuses);
// BENCH_MODE=none under mode faultline runs the preload with the plain kit. With --rate the load
// is fixed at R req/s, so CPU per request is compared at equal load instead of at saturation. A longer
// --warmup measures after V8 has stopped optimizing (the first ~10 s of load still compile on its threads).
// The first configuration is the baseline of the ratios. --json FILE keeps every run, for a table of
// README.md (`node history.js` renders it; results/ holds the files it cites). Examples:
//
//   node ab.js none:none fl:faultline 'spans-off:faultline:OTEL_TRACES_SAMPLER=always_off'
//   node ab.js --rate 8000 none:none 'preload-only:faultline:BENCH_MODE=none'
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { startApp, startCollector, runLoad, freePort } from './lib/processes.js';
import { modeLaunch, parseEnvOverrides, withoutNodeArgs } from './lib/modes.js';
import { median } from './lib/stats.js';
import { machineInfo } from './lib/machine.js';
import process from 'node:process';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { rounds: { type: 'string', default: '2' }, duration: { type: 'string', default: '5' }, warmup: { type: 'string', default: '2' }, rate: { type: 'string' }, json: { type: 'string' } },
});
if (positionals.length === 0) {
  console.error('usage: node ab.js [--rounds N] [--duration S] [--warmup S] [--rate R] [--json FILE] label:mode[:ENV=value,...] ...');
  process.exit(2);
}
const configurations = positionals.map((spec) => {
  const [label, mode, overrides = ''] = spec.split(':');
  return { label, mode, env: parseEnvOverrides(overrides) };
});

const collector = await startCollector({ cpu: 1 });
const results = new Map(configurations.map(({ label }) => [label, []]));
try {
  for (let round = 0; round < Number(values.rounds); round += 1) {
    for (const { label, mode, env: overrides } of configurations) {
      const launch = modeLaunch(mode, collector);
      const { nodeArgs, env } = withoutNodeArgs({ ...launch.env, ...overrides });
      const app = await startApp({ args: [...nodeArgs, ...(env.NOPRELOAD === '1' ? [] : launch.args)], env, port: await freePort(), cpu: 0 });
      const url = `${app.url}/orders/1`;
      const rate = values.rate === undefined ? undefined : Number(values.rate);
      await runLoad({ url, durationSec: Number(values.warmup), cpu: 1, rate });
      const cpuBefore = app.cpuMs();
      const threadsBefore = app.threadCpuMs();
      const load = await runLoad({ url, durationSec: Number(values.duration), cpu: 1, rate });
      const usPerRequest = ((app.cpuMs() - cpuBefore) * 1000) / load.total;
      const threads = Object.entries(app.threadCpuMs())
        .map(([name, ms]) => [name, ((ms - (threadsBefore[name] ?? 0)) * 1000) / load.total])
        .filter(([, us]) => us >= 0.05)
        .map(([name, us]) => `${name}=${us.toFixed(1)}`)
        .join(' ');
      await app.stop();
      results.get(label).push({ label, round: round + 1, rps: load.rps, us: usPerRequest, p99: load.p99, startup: app.startupMs });
      console.log(`round ${round + 1} ${label}: ${Math.round(load.rps)} req/s, ${usPerRequest.toFixed(1)} µs CPU/req (${threads}), p99 ${load.p99} ms`);
    }
  }
} finally {
  await collector.stop();
}

const baseline = results.get(configurations[0].label);
const baseRps = median(baseline.map((run) => run.rps));
const baseUs = median(baseline.map((run) => run.us));
console.log('\nmedians        req/s   vs first   µs CPU/req   vs first (CPU)   p99 ms   start-up ms');
for (const [label, runs] of results) {
  const rps = median(runs.map((run) => run.rps));
  const us = median(runs.map((run) => run.us));
  console.log(
    `${label.padEnd(12)} ${String(Math.round(rps)).padStart(7)}   ${(rps / baseRps).toFixed(2).padStart(8)}   ${us.toFixed(1).padStart(10)}   ${(baseUs / us).toFixed(2).padStart(14)}   ${String(median(runs.map((run) => run.p99))).padStart(6)}   ${String(Math.round(median(runs.map((run) => run.startup)))).padStart(11)}`,
  );
}

if (values.json !== undefined) {
  const saved = {
    started: new Date().toISOString(),
    args: process.argv.slice(2).filter((arg, index, all) => arg !== '--json' && all[index - 1] !== '--json'),
    machine: machineInfo(),
    rounds: Number(values.rounds),
    configurations,
    runs: [...results.values()].flat(),
  };
  writeFileSync(values.json, `${JSON.stringify(saved, null, 2)}\n`);
  console.log(`\nwrote ${values.json}`);
}

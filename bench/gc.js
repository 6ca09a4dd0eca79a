// What survives V8's young-generation collections in the http app, per mode: the number behind RSS.
//
//   node gc.js [--duration 8] mode[:ENV=value,...] ...
//
// NODE_ARGS='--flag --other' among the overrides adds node command-line flags, as in ab.js.
//
// V8 grows the young generation by the bytes that survive scavenges over time, so a telemetry
// library that keeps request objects alive a little longer grows every app's heap. Each mode runs
// under load with `--trace-gc-nvp`; the report averages the main thread's scavenges after warm-up
// (worker threads have their own heaps and lines in the trace, told apart by isolate address).
import { parseArgs } from 'node:util';
import { freePort, runLoad, startApp, startCollector } from './lib/processes.js';
import { modeLaunch, parseEnvOverrides, withoutNodeArgs } from './lib/modes.js';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { duration: { type: 'string', default: '8' } } });
if (positionals.length === 0) {
  console.error('usage: node gc.js [--duration S] mode[:ENV=value,...] ...');
  process.exit(2);
}

// `[pid:0xisolate…` at the start of every trace line.
const ISOLATE = /^\[\d+:(0x[0-9a-f]+)/m;

/** The isolate of the first GC line: the main thread's, which collects during start-up, before any worker exists. */
function mainIsolate(trace) {
  return ISOLATE.exec(trace)?.[1];
}

/**
 * The main thread's scavenge records in `--trace-gc-nvp` output: time, survived, promoted, young
 * capacity. Worker isolates (the log worker, with its small young generation) scavenge more often
 * than the main thread, so the isolate is picked by address, not by how many lines it has.
 */
function scavenges(trace, isolate) {
  const records = [];
  for (const line of trace.split('\n')) {
    if (!line.includes(' gc=s ') || ISOLATE.exec(line)?.[1] !== isolate) continue;
    const field = (name) => Number(new RegExp(`\\b${name}=([0-9.]+)`).exec(line)?.[1] ?? NaN);
    const at = Number(/\s(\d+) ms:/.exec(line)?.[1] ?? NaN);
    records.push({ at, survived: field('new_space_survived'), promoted: field('promoted'), capacity: field('new_space_capacity') });
  }
  return records;
}

const average = (records, key) => records.reduce((sum, record) => sum + record[key], 0) / Math.max(1, records.length);

const collector = await startCollector({ cpu: 1 });
try {
  console.log('mode                       scavenges   survived KB/scavenge   promoted KB/scavenge   young capacity MiB (start → end)');
  for (const spec of positionals) {
    const [mode, overrides = ''] = spec.split(':');
    const launch = modeLaunch(mode, collector);
    const { nodeArgs, env } = withoutNodeArgs({ ...launch.env, ...parseEnvOverrides(overrides) });
    const app = await startApp({ args: ['--trace-gc-nvp', ...nodeArgs, ...launch.args], env, port: await freePort(), cpu: 0, captureStdout: true });
    const url = `${app.url}/orders/1`;
    await runLoad({ url, durationSec: 2, cpu: 1 });
    const warmedUp = app.stdout.length;
    await runLoad({ url, durationSec: Number(values.duration), cpu: 1 });
    await app.stop();
    const measured = scavenges(app.stdout.slice(warmedUp), mainIsolate(app.stdout));
    const mib = (bytes) => (bytes / 2 ** 20).toFixed(0);
    console.log(
      `${spec.padEnd(26)} ${String(measured.length).padStart(9)}   ${(average(measured, 'survived') / 1024).toFixed(1).padStart(20)}   ${(average(measured, 'promoted') / 1024).toFixed(1).padStart(20)}   ${mib(measured[0]?.capacity ?? 0)} → ${mib(measured.at(-1)?.capacity ?? 0)}`,
    );
  }
} finally {
  await collector.stop();
}

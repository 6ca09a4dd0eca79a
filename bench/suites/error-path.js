// 2. Error path: one recordError against bare span.recordException + counter.add, and against nothing.
import { fileURLToPath, URL } from 'node:url';
import { startCollector } from '../lib/processes.js';
import { fmt, median, table, verdict } from '../lib/stats.js';
import { profileMarkdown, runWorker } from '../lib/workers.js';

const WORKER = fileURLToPath(new URL('./error-path-worker.js', import.meta.url));
const VARIANTS = ['nothing', 'bare', 'recordError'];
const TARGET_US = 30;

export async function runErrorPath({ rounds, ops, cpus, log, profile: wantProfile = true }) {
  const collector = await startCollector({ cpu: cpus.load });
  const samples = Object.fromEntries(VARIANTS.map((variant) => [variant, []]));
  const env = {
    OTEL_SERVICE_NAME: 'bench-error-path',
    OTEL_EXPORTER_OTLP_ENDPOINT: collector.otlpUrl,
    OTEL_NODE_RESOURCE_DETECTORS: 'env,host,os,process',
  };
  let profile;
  try {
    for (let round = 1; round <= rounds; round += 1) {
      for (const variant of VARIANTS) {
        const { result } = await runWorker({ script: WORKER, args: [variant, String(ops), '5'], env, cpu: cpus.app });
        samples[variant].push(result.usPerOp);
        log(`  error path round ${round}: ${variant.padEnd(11)} ${result.usPerOp.toFixed(2)} µs/op`);
      }
    }
    const summary = summarise(samples);
    if (wantProfile && !summary.target.pass) {
      ({ profile } = await runWorker({ script: WORKER, args: ['recordError', String(ops), '5'], env, cpu: cpus.app, profile: true }));
    }
    return { ...summary, profile, ops, rounds };
  } finally {
    await collector.stop();
  }
}

function summarise(samples) {
  const us = Object.fromEntries(Object.entries(samples).map(([variant, values]) => [variant, median(values)]));
  const recordErrorOnly = us.recordError - us.nothing;
  return {
    us,
    recordErrorOnly,
    bareOnly: us.bare - us.nothing,
    target: { name: `recordError ≤ ${TARGET_US} µs including the stack`, value: `${recordErrorOnly.toFixed(1)} µs`, pass: recordErrorOnly <= TARGET_US },
  };
}

export function errorPathMarkdown(result) {
  const { us } = result;
  const rows = [
    ['nothing (throw + catch, no recording)', us.nothing.toFixed(2), fmt(1e6 / us.nothing), '–'],
    ['`span.recordException` + `setStatus` + `counter.add`', us.bare.toFixed(2), fmt(1e6 / us.bare), `+${result.bareOnly.toFixed(2)}`],
    ['faultline `recordError`', us.recordError.toFixed(2), fmt(1e6 / us.recordError), `+${result.recordErrorOnly.toFixed(2)}`],
  ];
  const lines = [
    `Each operation opens an active span, throws a \`defineError\` error 20 frames deep, catches it, records it (or not) and ends the span;`,
    `the SDK is faultline's, started in-process with \`start()\` and exporting to the local collector. ${fmt(result.ops)} operations per sample,`,
    `5 samples per process, ${result.rounds} fresh processes per variant; medians. The added cost includes formatting the stack, which the`,
    'recording triggers (V8 formats `error.stack` lazily).',
    '',
    table(['variant', 'µs/op', 'ops/s', 'added over nothing (µs)'], rows),
    '',
    `Target: ${result.target.name}: ${result.target.value} — ${verdict(result.target.pass)}`,
  ];
  if (result.profile !== undefined) {
    lines.push('', 'Where the time goes (CPU profile of the `recordError` variant, top self time):', '', profileMarkdown(result.profile));
  }
  return lines.join('\n');
}

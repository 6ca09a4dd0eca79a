// 3. Logging: createLogger against plain pino to /dev/null — lines per second and CPU per line.
import { fileURLToPath, URL } from 'node:url';
import { startCollector } from '../lib/processes.js';
import { fmt, median, table, verdict } from '../lib/stats.js';
import { profileMarkdown, runWorker } from '../lib/workers.js';

const WORKER = fileURLToPath(new URL('./logging-worker.js', import.meta.url));
const TARGET_RATIO = 0.8;

export async function runLogging({ rounds, lines, cpus, log, profile: wantProfile = true }) {
  const collector = await startCollector({ cpu: cpus.load });
  const env = {
    OTEL_SERVICE_NAME: 'bench-logging',
    OTEL_EXPORTER_OTLP_ENDPOINT: collector.otlpUrl,
    OTEL_NODE_RESOURCE_DETECTORS: 'env,host,os,process',
  };
  const runs = [];
  let profile;
  try {
    for (let round = 1; round <= rounds; round += 1) {
      for (const kind of ['info', 'error']) {
        for (const variant of ['pino', 'faultline']) {
          await collector.reset();
          const { result } = await runWorker({ script: WORKER, args: [variant, kind, String(lines), '5'], env, cpu: cpus.app });
          const counts = await collector.counts();
          runs.push({ ...result, received: counts.logs });
          log(`  logging round ${round}: ${variant.padEnd(9)} ${kind.padEnd(5)} ${fmt(result.linesPerSec)} lines/s, ${result.threadCpuUsPerLine.toFixed(2)} µs main-thread CPU/line`);
        }
      }
    }
    const summary = summarise(runs);
    if (wantProfile && !summary.target.pass) {
      ({ profile } = await runWorker({ script: WORKER, args: ['faultline', 'info', String(lines), '5'], env, cpu: cpus.app, profile: true }));
    }
    return { ...summary, profile, lines, rounds };
  } finally {
    await collector.stop();
  }
}

function summarise(runs) {
  const cells = {};
  for (const kind of ['info', 'error']) {
    for (const variant of ['pino', 'faultline']) {
      const own = runs.filter((run) => run.kind === kind && run.variant === variant);
      cells[`${variant}/${kind}`] = {
        linesPerSec: median(own.map((run) => run.linesPerSec)),
        threadCpuUsPerLine: median(own.map((run) => run.threadCpuUsPerLine)),
        processCpuUsPerLine: median(own.map((run) => run.processCpuUsPerLine)),
        written: median(own.map((run) => run.written)),
        received: median(own.map((run) => run.received)),
        dropped: median(own.map((run) => run.dropped)),
        logWorkerUsPerExportedLine: variant === 'faultline' ? median(own.map((run) => run.logWorkerUsPerExportedLine ?? 0)) : undefined,
      };
    }
  }
  const ratio = cells['faultline/info'].linesPerSec / cells['pino/info'].linesPerSec;
  return {
    cells,
    target: { name: `logging ≥ ${TARGET_RATIO}× plain pino lines/s (info lines)`, value: `${ratio.toFixed(2)}×`, pass: ratio >= TARGET_RATIO },
  };
}

export function loggingMarkdown(result) {
  const rows = [];
  for (const kind of ['info', 'error']) {
    const base = result.cells[`pino/${kind}`];
    for (const variant of ['pino', 'faultline']) {
      const cell = result.cells[`${variant}/${kind}`];
      rows.push([
        variant === 'pino' ? 'plain pino → /dev/null' : '`createLogger` → /dev/null + OTLP',
        kind === 'info' ? 'info, 5 fields' : 'error with `err`',
        fmt(cell.linesPerSec),
        `${(cell.linesPerSec / base.linesPerSec).toFixed(2)}×`,
        cell.threadCpuUsPerLine.toFixed(2),
        cell.processCpuUsPerLine.toFixed(2),
        cell.logWorkerUsPerExportedLine === undefined ? '–' : cell.logWorkerUsPerExportedLine.toFixed(2),
        variant === 'pino' ? '–' : `${fmt(cell.received)} of ${fmt(cell.written)} (${fmt(cell.dropped)} dropped)`,
      ]);
    }
  }
  const lines = [
    `${fmt(result.lines)} lines per sample, 5 samples per process, ${result.rounds} fresh processes per cell; medians. Main-thread CPU from`,
    '`process.threadCpuUsage()`; process CPU (`process.cpuUsage()`, after the final flush) includes the OTLP worker thread, whose own',
    'CPU (from /proc) is also given per line it exported (dropped lines cost it nothing). faultline writes inside active spans (one per',
    '100 lines) so its lines carry trace fields; error lines also record the error (once per object).',
    '',
    table(['logger', 'line', 'lines/s', 'vs pino', 'main-thread CPU µs/line', 'process CPU µs/line', 'log worker CPU µs/exported line', 'log records at the collector'], rows),
    '',
    `Target: ${result.target.name}: ${result.target.value} — ${verdict(result.target.pass)}`,
  ];
  if (result.profile !== undefined) {
    lines.push('', 'Where the time goes (CPU profile of `createLogger` info lines, top self time):', '', profileMarkdown(result.profile));
  }
  return lines.join('\n');
}

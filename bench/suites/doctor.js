// 5. Doctor: FAULTLINE_DOCTOR=1 is not on the hot path; what it could cost is start-up. The same apps
// under the preload, with and without it, in alternation: time to the Express app's first answer,
// and to a bare script's first stdout line, as ratios; plus when the report arrives.
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { modeLaunch } from '../lib/modes.js';
import { BENCH_DIR, cleanEnv, freePort, pinned, startApp, startCollector } from '../lib/processes.js';
import { fmt, median, shuffle, table, verdict } from '../lib/stats.js';

const VARIANTS = ['preload', 'preload + FAULTLINE_DOCTOR=1'];
const TARGET_RATIO = 1.05;
const REPORT_END = /^faultline doctor: (no check failed|\d+ of \d+ checks failed)/m;

function launch(variant, collector) {
  const { args, env } = modeLaunch('faultline', collector);
  return { args, env: variant === VARIANTS[1] ? { ...env, FAULTLINE_DOCTOR: '1' } : env };
}

/** Spawn → the first stdout line of app/first-line.js, and → the end of the doctor's report on stderr. */
function firstLine({ args, env, cpu, waitForReport }) {
  const [command, argv] = pinned(cpu, process.execPath, [...args, 'app/first-line.js']);
  const started = performance.now();
  const child = spawn(command, argv, { cwd: BENCH_DIR, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  return new Promise((resolve, reject) => {
    const result = {};
    const finish = () => {
      child.kill('SIGKILL');
      resolve(result);
    };
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`first-line app: no ${result.firstLineMs === undefined ? 'line' : 'report'} within 20 s; stderr: ${stderr.slice(-2000)}`));
    }, 20_000);
    child.stdout.once('data', (chunk) => {
      result.firstLineMs = performance.now() - started;
      result.firstLineCpuMs = JSON.parse(String(chunk)).cpuMs;
      if (!waitForReport) {
        clearTimeout(timer);
        finish();
      }
    });
    child.stderr.setEncoding('utf8').on('data', (chunk) => {
      stderr += chunk;
      if (waitForReport && result.reportMs === undefined && REPORT_END.test(stderr)) {
        result.reportMs = performance.now() - started;
        clearTimeout(timer);
        finish();
      }
    });
    child.on('exit', (code) => {
      if (result.firstLineMs === undefined) {
        clearTimeout(timer);
        reject(new Error(`first-line app exited (${code}) before its first line; stderr: ${stderr.slice(-2000)}`));
      }
    });
  });
}

export async function runDoctor({ rounds, samples = 4, cpus, log }) {
  const collector = await startCollector({ cpu: cpus.load });
  const runs = [];
  try {
    for (let round = 1; round <= rounds; round += 1) {
      for (let sample = 0; sample < samples; sample += 1) {
        for (const variant of shuffle(VARIANTS)) {
          const { args, env } = launch(variant, collector);
          const app = await startApp({ args, env, port: await freePort(), cpu: cpus.app });
          await app.stop(5000);
          const line = await firstLine({ args, env, cpu: cpus.app, waitForReport: variant === VARIANTS[1] });
          runs.push({ variant, startupMs: app.startupMs, ...line });
        }
      }
      const last = runs.slice(-samples * VARIANTS.length);
      log(`  doctor round ${round}: ${VARIANTS.map((variant) => `${variant} start-up ${fmt(median(last.filter((run) => run.variant === variant).map((run) => run.startupMs)))} ms`).join(', ')}`);
    }
  } finally {
    await collector.stop();
  }
  return summarise(runs);
}

function summarise(runs) {
  const of = (variant, field) => median(runs.filter((run) => run.variant === variant).map((run) => run[field]));
  const [plain, doctor] = VARIANTS;
  const startupRatio = of(doctor, 'startupMs') / of(plain, 'startupMs');
  const firstLineRatio = of(doctor, 'firstLineMs') / of(plain, 'firstLineMs');
  const firstLineCpuRatio = of(doctor, 'firstLineCpuMs') / of(plain, 'firstLineCpuMs');
  return {
    runs,
    medians: Object.fromEntries(
      VARIANTS.map((variant) => [variant, { startupMs: of(variant, 'startupMs'), firstLineMs: of(variant, 'firstLineMs'), firstLineCpuMs: of(variant, 'firstLineCpuMs'), reportMs: of(variant, 'reportMs') }]),
    ),
    startupRatio,
    firstLineRatio,
    firstLineCpuRatio,
    target: {
      name: `FAULTLINE_DOCTOR=1 start-up and first line ≤ ${TARGET_RATIO}× without`,
      value: `${startupRatio.toFixed(2)}× start-up, ${firstLineRatio.toFixed(2)}× first line (${firstLineCpuRatio.toFixed(2)}× its CPU time)`,
      pass: startupRatio <= TARGET_RATIO && firstLineRatio <= TARGET_RATIO,
    },
  };
}

export function doctorMarkdown(result) {
  const rows = VARIANTS.map((variant) => {
    const m = result.medians[variant];
    return [variant, `${fmt(m.startupMs)} ms`, `${fmt(m.firstLineMs)} ms`, `${fmt(m.firstLineCpuMs)} ms`, m.reportMs === undefined ? '–' : `${fmt(m.reportMs)} ms`];
  });
  return [
    `Medians of ${result.runs.length / VARIANTS.length} launches each, alternating: the Express app of suite 1 (spawn to the first`,
    'successful `GET /health`) and `app/first-line.js` (spawn to its first stdout line, and the CPU time the process had',
    'used by then, all threads; the report is awaited in the same process).',
    '',
    table(['', 'start-up', 'first line', 'CPU to first line', 'report on stderr'], rows),
    '',
    `Ratio with the doctor to without: **${result.startupRatio.toFixed(2)}×** start-up, **${result.firstLineRatio.toFixed(2)}×** first line,`,
    `${result.firstLineCpuRatio.toFixed(2)}× CPU to the first line (${verdict(result.target.pass)}: target ≤ ${TARGET_RATIO}× for the first two).`,
  ].join('\n');
}

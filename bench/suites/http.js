// 1. http: the same Express 5 service under each mode, alternated over rounds, against one collector.
import { setTimeout as sleep } from 'node:timers/promises';
import { HTTP_MODES, MODE_LABELS, modeLaunch } from '../lib/modes.js';
import { freePort, runLoad, startApp, startCollector } from '../lib/processes.js';
import { fmt, median, mib, ratio, reportLine, shuffle, table } from '../lib/stats.js';
import { loadAverage } from '../lib/machine.js';

const EXIT_WAIT_MS = 5_000;

/**
 * @param {{ rounds: number, durationSec: number, warmupSec: number, modes?: string[], cpus: { app?: number, load?: number }, log: (line: string) => void }} options
 */
export async function runHttp({ rounds, durationSec, warmupSec, modes = HTTP_MODES, cpus, log }) {
  const collector = await startCollector({ cpu: cpus.load });
  const runs = [];
  try {
    for (let round = 1; round <= rounds; round += 1) {
      const order = shuffle(modes);
      log(`http round ${round}/${rounds}: ${order.join(', ')}`);
      for (const mode of order) {
        const run = await runOnce({ mode, collector, durationSec, warmupSec, cpus });
        run.round = round;
        runs.push(run);
        log(
          `  ${mode.padEnd(10)} ${fmt(run.rps).padStart(7)} req/s  p50 ${run.p50} ms  p99 ${run.p99} ms  start-up ${fmt(run.startupMs)} ms  ` +
            `exit ${run.exitMs === undefined ? `>${EXIT_WAIT_MS} ms` : `${fmt(run.exitMs)} ms`}  RSS ${mib(run.rss)} MiB  ` +
            `spans ${run.received.spans} logs ${run.received.logs} sentry ${run.received.sentryEnvelopes}`,
        );
      }
    }
  } finally {
    await collector.stop();
  }
  return summarise(runs, modes);
}

async function runOnce({ mode, collector, durationSec, warmupSec, cpus }) {
  await collector.reset();
  const port = await freePort();
  const loadBefore = loadAverage();
  const app = await startApp({ ...modeLaunch(mode, collector), port, cpu: cpus.app });
  const url = `${app.url}/orders/42`;
  try {
    const warmup = warmupSec > 0 ? await runLoad({ url, durationSec: warmupSec, cpu: cpus.load }) : { total: 0 };
    const cpuBefore = app.cpuMs();
    const threadsBefore = app.threadCpuMs();
    const load = await runLoad({ url, durationSec, cpu: cpus.load });
    const cpuMs = app.cpuMs() - cpuBefore;
    const threadUsPerRequest = {};
    for (const [name, ms] of Object.entries(app.threadCpuMs())) {
      const us = ((ms - (threadsBefore[name] ?? 0)) * 1000) / Math.max(1, load.total);
      if (us > 0) threadUsPerRequest[name] = us;
    }
    const rss = app.rss();
    const exitMs = await app.stop(EXIT_WAIT_MS);
    // Whatever the SDK flushed on the way out is in the counts too.
    await sleep(300);
    const received = await collector.counts();
    return {
      mode,
      ...load,
      cpuUsPerRequest: (cpuMs * 1000) / Math.max(1, load.total),
      threadUsPerRequest,
      rss,
      startupMs: app.startupMs,
      exitMs,
      received,
      served: warmup.total + load.total,
      load: Math.max(loadBefore, loadAverage()),
      stderr: app.stderr,
    };
  } finally {
    if (app.exitCode === undefined) await app.stop(1000);
  }
}

function summarise(runs, modes) {
  const byMode = {};
  for (const mode of modes) {
    const own = runs.filter((run) => run.mode === mode);
    const exited = own.filter((run) => run.exitMs !== undefined);
    byMode[mode] = {
      runs: own.length,
      rps: median(own.map((run) => run.rps)),
      p50: median(own.map((run) => run.p50)),
      p99: median(own.map((run) => run.p99)),
      rss: median(own.map((run) => run.rss)),
      cpuUsPerRequest: median(own.map((run) => run.cpuUsPerRequest)),
      threadUsPerRequest: Object.fromEntries(
        [...new Set(own.flatMap((run) => Object.keys(run.threadUsPerRequest)))].map((name) => [name, median(own.map((run) => run.threadUsPerRequest[name] ?? 0))]),
      ),
      startupMs: median(own.map((run) => run.startupMs)),
      exitMs: median(exited.map((run) => run.exitMs)),
      notExited: own.length - exited.length,
      errorsAnswered: median(own.map((run) => run.non2xx / Math.max(1, run.total))),
      spans: median(own.map((run) => run.received.spans / Math.max(1, run.served))),
      spansPerRequestByName: spansByName(own),
      logs: median(own.map((run) => run.received.logs)),
      sentryEnvelopes: median(own.map((run) => run.received.sentryEnvelopes)),
      maxLoad: Math.max(...own.map((run) => run.load)),
      warnings: [...new Set(own.flatMap((run) => run.stderr.split('\n')).filter((line) => line.trim() !== '' && !line.startsWith('BENCH_')))]
        .slice(0, 5)
        .map((line) => reportLine(line)),
    };
  }
  const none = byMode.none;
  const faultline = byMode.faultline;
  const targets = [];
  if (none !== undefined && faultline !== undefined) {
    targets.push(
      { name: 'faultline throughput ≥ 0.85× none', value: ratio(faultline.rps, none.rps), pass: faultline.rps / none.rps >= 0.85 },
      { name: 'faultline p99 ≤ 1.3× none', value: ratio(faultline.p99, none.p99), pass: faultline.p99 <= 1.3 * none.p99 },
      {
        name: 'faultline start-up ≤ none + 150 ms',
        value: `+${fmt(faultline.startupMs - none.startupMs)} ms`,
        pass: faultline.startupMs - none.startupMs <= 150,
      },
    );
  }
  return { byMode, runs: runs.map((run) => ({ ...run, stderr: undefined })), targets };
}

/** Spans per request by kind and name, median over the runs: what "spans/req" is made of. */
function spansByName(runs) {
  const names = new Set(runs.flatMap((run) => Object.keys(run.received.spanNames ?? {})));
  return Object.fromEntries([...names].map((name) => [name, median(runs.map((run) => (run.received.spanNames?.[name] ?? 0) / Math.max(1, run.served)))]));
}

export function httpMarkdown(result, { rounds, durationSec, connections = 32 }) {
  const { byMode } = result;
  const none = byMode.none;
  const rows = Object.entries(byMode).map(([mode, s]) => [
    MODE_LABELS[mode] ?? mode,
    fmt(s.rps),
    ratio(s.rps, none?.rps),
    `${fmt(s.p50)} ms`,
    `${fmt(s.p99)} ms`,
    ratio(s.p99, none?.p99),
    fmt(s.cpuUsPerRequest),
    mib(s.rss),
    `${fmt(s.startupMs)} ms`,
    none === undefined ? '–' : `${s.startupMs - none.startupMs >= 0 ? '+' : ''}${fmt(s.startupMs - none.startupMs)} ms`,
    s.notExited === s.runs ? `never (killed after ${EXIT_WAIT_MS / 1000} s)` : `${fmt(s.exitMs)} ms${s.notExited > 0 ? ` (${s.notExited}/${s.runs} never)` : ''}`,
    mode === 'none' || mode === 'sentry' ? '–' : s.spans.toFixed(2),
    telemetryCell(mode, s),
  ]);
  return [
    `Express 5, \`GET /orders/:id\`, every 10th request throws a typed error that the error middleware records and logs;`,
    `${connections} connections, ${durationSec} s per run after a warm-up, ${rounds} rounds with the modes shuffled in each; medians.`,
    '',
    table(
      ['mode', 'req/s', 'vs none', 'p50', 'p99', 'p99 vs none', 'app CPU µs/req', 'RSS MiB', 'start-up', 'over none', 'exit after SIGTERM', 'spans/req', 'telemetry received'],
      rows,
    ),
    ...cpuNote(byMode),
    ...parityNote(byMode),
  ].join('\n');
}

/**
 * Throughput swings with whatever else the machine runs; CPU time per request much less so. With the
 * app CPU-bound on its core, none's CPU per request over a mode's is the throughput ratio it implies.
 */
function cpuNote(byMode) {
  const none = byMode.none;
  const faultline = byMode.faultline;
  if (none === undefined || faultline === undefined) return [];
  return [
    '',
    `CPU per request, which moves much less with other load than req/s does: faultline ${fmt(faultline.cpuUsPerRequest)} µs against none's ${fmt(none.cpuUsPerRequest)} µs,` +
      ` so a CPU-bound app keeps about ${(none.cpuUsPerRequest / faultline.cpuUsPerRequest).toFixed(2)}× of its throughput under faultline.`,
  ];
}

/** CPU per request by thread, so that work moved off the main thread is still counted. */
export function threadsMarkdown(result) {
  const names = new Set();
  for (const s of Object.values(result.byMode)) for (const [name, us] of Object.entries(s.threadUsPerRequest)) if (us >= 0.5) names.add(name);
  const order = ['MainThread', 'V8Worker', ...[...names].filter((name) => name !== 'MainThread' && name !== 'V8Worker').sort()].filter((name) => names.has(name));
  const rows = Object.entries(result.byMode).map(([mode, s]) => [
    MODE_LABELS[mode] ?? mode,
    ...order.map((name) => (s.threadUsPerRequest[name] === undefined ? '–' : s.threadUsPerRequest[name].toFixed(1))),
    fmt(s.cpuUsPerRequest),
  ]);
  const header = ['mode', ...order.map((name) => (name === 'V8Worker' ? 'V8Worker (GC, JIT helpers)' : name)), 'whole process'];
  return table(header, rows);
}

function telemetryCell(mode, s) {
  if (mode === 'none') return '–';
  if (mode === 'sentry') return `${fmt(s.sentryEnvelopes)} envelopes`;
  return `${fmt(s.logs)} log records`;
}

/**
 * The like-for-like rows are only like for like if they export what faultline exports: the spans
 * each OpenTelemetry mode exported per request, by kind and name, and a flag on a limited row whose
 * count is off faultline's.
 */
function parityNote(byMode) {
  const otelModes = Object.keys(byMode).filter((mode) => mode !== 'none' && mode !== 'sentry' && byMode[mode].spansPerRequestByName !== undefined);
  if (otelModes.length === 0) return [];
  const lines = ['', 'Spans exported per request, by kind and name (the `spans/req` column: spans at the collector over the order requests sent, warm-up included):', ''];
  for (const mode of otelModes) {
    const parts = Object.entries(byMode[mode].spansPerRequestByName)
      .filter(([, perRequest]) => perRequest >= 0.005)
      .sort((a, b) => b[1] - a[1])
      .map(([name, perRequest]) => `${perRequest.toFixed(2)} \`${name}\``);
    lines.push(`- ${mode}: ${parts.length === 0 ? 'none' : parts.join(', ')}`);
  }
  const faultline = byMode.faultline;
  const off = otelModes.filter((mode) => mode.endsWith('-limited') && faultline !== undefined && Math.abs(byMode[mode].spans - faultline.spans) > 0.05);
  if (off.length > 0) lines.push('', `**Not like for like:** ${off.join(', ')} exported a different number of spans per request than faultline (${faultline.spans.toFixed(2)}).`);
  const limited = ['faultline', ...otelModes.filter((mode) => mode.endsWith('-limited'))].filter((mode) => byMode[mode] !== undefined);
  if (limited.length > 1 && byMode.none !== undefined) {
    const cells = limited.map((mode) => `${mode} ${ratio(byMode[mode].rps, byMode.none.rps)} of none's throughput (${fmt(byMode[mode].cpuUsPerRequest)} µs CPU per request)`);
    lines.push('', `Like for like, the same instrumentations and logs shipped: ${cells.join(', ')}; none ${fmt(byMode.none.cpuUsPerRequest)} µs.`);
  }
  return lines;
}

/**
 * A CPU profile of the app in one mode under the same load: main-thread self time per request,
 * broken down by component, and the top functions.
 */
export async function profileHttp({ mode, durationSec, cpus }) {
  const { mkdtempSync, rmSync, existsSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { selfTimeByComponent, selfTimeByFunction, topSelfTime } = await import('../lib/cpu-profile.js');
  const dir = mkdtempSync(join(tmpdir(), 'faultline-bench-http-prof-'));
  const file = join(dir, `${mode}.cpuprofile`);
  const collector = await startCollector({ cpu: cpus.load });
  try {
    const launch = modeLaunch(mode, collector);
    const app = await startApp({ ...launch, env: { ...launch.env, BENCH_PROFILE: file }, port: await freePort(), cpu: cpus.app });
    const url = `${app.url}/orders/42`;
    await runLoad({ url, durationSec: 2, cpu: cpus.load });
    // Start-up and warm-up stay out of the profile: it covers the measured load only.
    app.child.kill('SIGUSR2');
    await sleep(200);
    const load = await runLoad({ url, durationSec, cpu: cpus.load });
    app.child.kill('SIGINT');
    await Promise.race([app.exited, sleep(15_000)]);
    await app.stop(1000);
    if (!existsSync(file)) return undefined;
    return {
      mode,
      requests: load.total,
      rps: load.rps,
      ...topSelfTime(file, 15),
      components: selfTimeByComponent(file),
      functions: selfTimeByFunction(file).all.slice(0, 300),
    };
  } finally {
    await collector.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Markdown: µs of main-thread self time per request by component, mode against none. */
export function profileComparisonMarkdown(base, profiled) {
  const names = [...new Set([...Object.keys(profiled.components), ...Object.keys(base.components)])];
  const perRequest = (profile, name) => ((profile.components[name] ?? 0) * 1000) / profile.requests;
  const rows = names
    .map((name) => [name, perRequest(base, name), perRequest(profiled, name)])
    .sort((a, b) => b[2] - b[1] - (a[2] - a[1]))
    .filter((row) => row[1] >= 0.5 || row[2] >= 0.5)
    .map(([name, a, b]) => [name, a.toFixed(1), b.toFixed(1), `${b - a >= 0 ? '+' : ''}${(b - a).toFixed(1)}`]);
  const total = (profile) => (profile.totalMs * 1000) / profile.requests;
  rows.push(['**total**', total(base).toFixed(1), total(profiled).toFixed(1), `+${(total(profiled) - total(base)).toFixed(1)}`]);
  return table(['component (main thread)', `${base.mode} µs/req`, `${profiled.mode} µs/req`, 'added'], rows);
}

/** Markdown list: the functions whose self time per request grew the most from `base` to `profiled`. */
export function addedFunctionsMarkdown(base, profiled, limit = 15) {
  const key = (entry) => `${entry.name}@${entry.where}`;
  const baseUs = new Map(base.functions.map((entry) => [key(entry), (entry.selfMs * 1000) / base.requests]));
  return profiled.functions
    .map((entry) => {
      const us = (entry.selfMs * 1000) / profiled.requests;
      return { ...entry, us, added: us - (baseUs.get(key(entry)) ?? 0) };
    })
    .sort((a, b) => b.added - a.added)
    .slice(0, limit)
    .map((entry) => `- +${entry.added.toFixed(1)} µs/req \`${entry.name.length > 90 ? `${entry.name.slice(0, 87)}…` : entry.name}\` (${entry.where})`)
    .join('\n');
}

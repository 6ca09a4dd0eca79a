// 4. Outage: faultline's http service with the collector down for a while and then back, plus the
// time to exit after SIGTERM while the collector refuses connections or never answers.
import { setTimeout as sleep } from 'node:timers/promises';
import { modeLaunch } from '../lib/modes.js';
import { freePort, runLoad, startApp, startCollector } from '../lib/processes.js';
import { fmt, median, mib, reportLine, table, verdict } from '../lib/stats.js';
import { setInterval, clearInterval } from 'node:timers';

const RSS_TARGET_MIB = 20;
const EXIT_TARGET_MS = 2000;

const ORDER_SPAN = 'server GET /orders/:id';

function sumCounts(a, b) {
  return {
    spans: a.spans + b.spans,
    orderSpans: (a.spanNames[ORDER_SPAN] ?? 0) + (b.spanNames[ORDER_SPAN] ?? 0),
    logs: a.logs + b.logs,
    metricPoints: a.metricPoints + b.metricPoints,
  };
}

async function loadChunks({ url, seconds, chunkSec, cpu, onChunk }) {
  const chunks = [];
  for (let done = 0; done < seconds; done += chunkSec) {
    const load = await runLoad({ url, durationSec: Math.min(chunkSec, seconds - done), cpu });
    chunks.push(load);
    onChunk?.(load, chunks.length);
  }
  const total = chunks.reduce((sum, chunk) => sum + chunk.total, 0);
  const duration = chunks.reduce((sum, chunk) => sum + chunk.durationSec, 0);
  return { chunks, total, rps: total / duration };
}

/**
 * Where the growth is, from the app's own view of its main thread at the start and the end of the
 * outage: V8 resizes its young generation by the bytes that survive collections over time, a step
 * that doubles it whether or not the collector is up, and shows up in RSS as it is touched.
 */
function memoryRows(outage) {
  const start = outage.memoryAtOutage;
  const end = outage.memoryAtRecovery;
  if (start === undefined || end === undefined) return [];
  const change = (field) => `${mib(start[field])} → ${mib(end[field])} MiB`;
  const heap = (memory) => memory.young + memory.old;
  const rest = (memory) => memory.rss - heap(memory) - memory.arrayBuffers;
  return [
    ['… main thread, V8 young generation (reserved size)', change('young')],
    ['… main thread, V8 old generation (size; used)', `${change('old')}; ${mib(start.oldUsed)} → ${mib(end.oldUsed)} MiB`],
    ['… ArrayBuffers (encoded batches, sockets)', change('arrayBuffers')],
    ['… everything else (code, worker threads, native)', `${mib(rest(start))} → ${mib(rest(end))} MiB`],
  ];
}

/** Waits until the collector's counts stop changing (or the deadline passes); returns the counts. */
async function settled(collector, { quietMs = 3000, timeoutMs = 30_000 } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last = await collector.counts();
  let stableSince = Date.now();
  while (Date.now() < deadline) {
    await sleep(500);
    const now = await collector.counts();
    if (now.spans !== last.spans || now.logs !== last.logs || now.metricPoints !== last.metricPoints) {
      last = now;
      stableSince = Date.now();
    } else if (Date.now() - stableSince >= quietMs) {
      break;
    }
  }
  return last;
}

/**
 * The outage, `runs` times with a fresh app and collector each: the RSS growth swings between runs
 * (whether V8 doubles the young generation inside the window), so one run says little.
 */
export async function runOutages({ runs, ...options }) {
  const results = [];
  for (let run = 1; run <= runs; run += 1) {
    options.log(`  outage run ${run}/${runs}`);
    results.push(await runOutage(options));
  }
  return { runs: results };
}

/** The runs of a result, and the run whose RSS growth is the median (results saved before runs held one run). */
export function outageRuns(outage) {
  const runs = outage.runs ?? [outage];
  const growth = median(runs.map((run) => run.rssGrowth));
  const sorted = [...runs].sort((a, b) => a.rssGrowth - b.rssGrowth);
  return { runs, growth, medianRun: sorted[Math.floor((sorted.length - 1) / 2)] };
}

export async function runOutage({ outageSec, baselineSec, warmupSec, cpus, log }) {
  const chunkSec = 10;
  const otlpPort = await freePort();
  let collector = await startCollector({ otlpPort, cpu: cpus.load });
  const appPort = await freePort();
  const app = await startApp({ ...modeLaunch('faultline', collector), port: appPort, cpu: cpus.app });
  const url = `${app.url}/orders/42`;
  const rssSamples = [];
  let sampler;
  try {
    if (warmupSec > 0) await runLoad({ url, durationSec: warmupSec, cpu: cpus.load });
    // The same length of time with the collector up first: the control for RSS growth under load.
    const rssBeforeBaseline = app.rss();
    const baselineRss = [];
    const before = await loadChunks({
      url,
      seconds: baselineSec,
      chunkSec,
      cpu: cpus.load,
      onChunk: (chunk, n) => {
        baselineRss.push(app.rss());
        log(`  outage: collector up, chunk ${n}: ${fmt(chunk.rps)} req/s, RSS ${mib(baselineRss.at(-1))} MiB`);
      },
    });
    const rssAfterBaseline = app.rss();
    await sleep(1000);
    const firstCollector = await collector.counts();
    await collector.stop();

    const rssAtOutage = app.rss();
    const memoryAtOutage = await app.memory();
    sampler = setInterval(() => rssSamples.push(app.rss()), 1000);
    const chunkRss = [];
    const during = await loadChunks({
      url,
      seconds: outageSec,
      chunkSec,
      cpu: cpus.load,
      onChunk: (chunk, n) => {
        chunkRss.push(app.rss());
        log(`  outage: collector down, chunk ${n}: ${fmt(chunk.rps)} req/s, RSS ${mib(chunkRss.at(-1))} MiB`);
      },
    });
    const rssAtRecovery = app.rss();
    const memoryAtRecovery = await app.memory();
    clearInterval(sampler);
    sampler = undefined;

    collector = await startCollector({ otlpPort, cpu: cpus.load });
    const recoveredAt = Date.now();
    const delivered = await settled(collector);
    const deliveredWithinMs = Date.now() - recoveredAt;
    log(`  outage: collector back; delivered ${delivered.spans} spans, ${delivered.logs} log records, ${delivered.metricPoints} metric points`);

    const after = await loadChunks({ url, seconds: chunkSec, chunkSec, cpu: cpus.load });
    // Every request the app was sent has a server span, the harness's own (/health, /memory, /stats) too.
    // The load generator's last requests may still be queued in the app's sockets when it exits.
    await sleep(500);
    const { served: requests, handled: allRequests } = await app.requestCounts();
    const exitMs = await app.stop(15_000);
    const finalCounts = await settled(collector, { quietMs: 1000, timeoutMs: 10_000 });
    const received = sumCounts(firstCollector, finalCounts);
    const appDrops = app.dropReport() ?? {};
    const droppedTraces = Object.entries(appDrops)
      .filter(([key]) => key.startsWith('traces|'))
      .reduce((sum, [, value]) => sum + value, 0);
    const warnings = app.stderr
      .split('\n')
      .filter((line) => line.startsWith('faultline:'))
      .slice(0, 5)
      .map((line) => reportLine(line));
    return {
      outageSec,
      rpsBefore: before.rps,
      rpsDuring: during.rps,
      rpsAfter: after.rps,
      duringChunks: during.chunks.map((chunk) => chunk.rps),
      chunkRss,
      baselineSec,
      baselineRss,
      rssBaselineGrowth: Math.max(rssAfterBaseline, ...baselineRss) - rssBeforeBaseline,
      rssAtOutage,
      rssAtRecovery,
      memoryAtOutage,
      memoryAtRecovery,
      rssMax: Math.max(rssAtOutage, ...rssSamples),
      rssGrowth: Math.max(rssAtOutage, ...rssSamples) - rssAtOutage,
      delivered,
      deliveredWithinMs,
      exitMsCollectorUp: exitMs,
      requests,
      received,
      appDrops,
      collectorDrops: finalCounts.dropped,
      orderSpans: received.orderSpans,
      // Every tenth order request logs one error line.
      logLines: Math.floor(requests / 10),
      droppedLogs: Object.entries(appDrops)
        .filter(([key]) => key.startsWith('logs|'))
        .reduce((sum, [, value]) => sum + value, 0),
      droppedTraces,
      // The drop counters do not say which route a span was for, so the account is over all spans.
      unaccountedSpans: allRequests - received.spans - droppedTraces,
      warnings,
    };
  } finally {
    if (sampler !== undefined) clearInterval(sampler);
    if (app.exitCode === undefined) await app.stop(1000);
    await collector.stop();
  }
}

/** Exit after SIGTERM while the collector refuses connections, and while it accepts but never answers. */
export async function runExitWithCollectorDown({ loadSec, cpus, log }) {
  const results = {};
  for (const scenario of ['refused', 'hang']) {
    let collector;
    let otlpUrl;
    if (scenario === 'refused') {
      otlpUrl = `http://127.0.0.1:${await freePort()}`;
    } else {
      collector = await startCollector({ mode: 'hang', cpu: cpus.load });
      otlpUrl = collector.otlpUrl;
    }
    const app = await startApp({ ...modeLaunch('faultline', { otlpUrl, sentryPort: 0 }), port: await freePort(), cpu: cpus.app });
    try {
      await runLoad({ url: `${app.url}/orders/42`, durationSec: loadSec, cpu: cpus.load });
      const exitMs = await app.stop(15_000);
      results[scenario] = { exitMs, drops: app.dropReport() };
      log(`  exit with the collector ${scenario === 'refused' ? 'refusing connections' : 'never answering'}: ${exitMs === undefined ? 'did not exit in 15 s' : `${fmt(exitMs)} ms`}`);
    } finally {
      if (app.exitCode === undefined) await app.stop(1000);
      await collector?.stop();
    }
  }
  return results;
}

export function outageTargets(outage, exits) {
  const targets = [];
  if (outage !== undefined) {
    const { runs, growth } = outageRuns(outage);
    targets.push({
      name: `RSS growth ≤ ${RSS_TARGET_MIB} MiB over the ${runs[0].outageSec} s outage${runs.length > 1 ? ', median of the runs' : ''}`,
      value: runs.length > 1 ? `${mib(growth)} MiB (runs: ${runs.map((run) => mib(run.rssGrowth)).join(', ')})` : `${mib(growth)} MiB`,
      pass: growth <= RSS_TARGET_MIB * 2 ** 20,
    });
  }
  if (exits !== undefined) {
    const worst = Math.max(...Object.values(exits).map((exit) => exit.exitMs ?? Infinity));
    targets.push({ name: 'exit after SIGTERM ≤ 2 s with the collector down', value: Number.isFinite(worst) ? `${fmt(worst)} ms (worst case)` : 'did not exit', pass: worst <= EXIT_TARGET_MS });
  }
  return targets;
}

/**
 * The control: RSS growth with the collector up, from the end of the first 10 s of load (the heap is
 * still growing from start-up before that) to the end of the control period, against the outage's.
 */
function controlGrowthRow(outage) {
  const samples = outage.baselineRss ?? [];
  if (samples.length < 2) return ['RSS growth with the collector up (the control)', `${mib(outage.rssBaselineGrowth)} MiB over the whole ${outage.baselineSec} s incl. warm-up`];
  const growth = Math.max(...samples) - samples[0];
  return [`RSS growth with the collector up over the ${(samples.length - 1) * 10} s before the outage (the control)`, `${mib(growth)} MiB`];
}

/** One row per run: what moves between runs, and what should not. */
function runsTable(runs) {
  const young = (run) => (run.memoryAtOutage === undefined ? '–' : `${mib(run.memoryAtOutage.young)} → ${mib(run.memoryAtRecovery.young)}`);
  const control = (run) => (run.baselineRss?.length >= 2 ? mib(Math.max(...run.baselineRss) - run.baselineRss[0]) : mib(run.rssBaselineGrowth));
  return table(
    ['run', 'RSS growth in the outage, MiB', 'young generation, MiB', 'control growth (collector up), MiB', 'req/s before / during / after', 'delivered after recovery', 'spans unaccounted'],
    runs.map((run, index) => [
      String(index + 1),
      mib(run.rssGrowth),
      young(run),
      control(run),
      `${fmt(run.rpsBefore)} / ${fmt(run.rpsDuring)} / ${fmt(run.rpsAfter)}`,
      `${fmt(run.delivered.spans)} spans, ${fmt(run.delivered.logs)} log records`,
      fmt(run.unaccountedSpans),
    ]),
  );
}

export function outageMarkdown(outageResult, exits) {
  const lines = [];
  if (outageResult !== undefined) {
    const { runs, growth, medianRun: outage } = outageRuns(outageResult);
    if (runs.length > 1) {
      lines.push(
        `${runs.length} runs, each with a fresh app and collector; the target is on the median RSS growth, ${mib(growth)} MiB. V8 doubling the`,
        'main thread\'s young generation inside the window or not is what swings it between runs.',
        '',
        runsTable(runs),
        '',
        `The median run in detail (run ${runs.indexOf(outage) + 1}):`,
        '',
      );
    }
    const dropCells = Object.entries(outage.appDrops).map(([key, value]) => `${key.replace('|', ' ')}: ${fmt(value)}`);
    lines.push(
      `faultline's http service under load; the collector process is stopped for ${outage.outageSec} s and restarted on the same port.`,
      '',
      table(
        ['measure', 'value'],
        [
          [`throughput, collector up (${outage.baselineSec} s before)`, `${fmt(outage.rpsBefore)} req/s`],
          ['throughput, collector down', `${fmt(outage.rpsDuring)} req/s (${(outage.rpsDuring / outage.rpsBefore).toFixed(2)}× before; per 10 s: ${outage.duringChunks.map((rps) => fmt(rps)).join(', ')})`],
          ['throughput, collector back (10 s after)', `${fmt(outage.rpsAfter)} req/s (${(outage.rpsAfter / outage.rpsBefore).toFixed(2)}× before)`],
          ['RSS at the start of the outage → at its end (max)', `${mib(outage.rssAtOutage)} → ${mib(outage.rssAtRecovery)} MiB (max ${mib(outage.rssMax)})`],
          ['RSS every 10 s of the outage', `${outage.chunkRss.map((rss) => mib(rss)).join(', ')} MiB`],
          ['RSS growth during the outage (max − start)', `${mib(outage.rssGrowth)} MiB`],
          ...memoryRows(outage),
          [`RSS every 10 s before it (collector up)`, `${outage.baselineRss.map((rss) => mib(rss)).join(', ')} MiB`],
          controlGrowthRow(outage),
          ['delivered after recovery, before new load', `${fmt(outage.delivered.spans)} spans, ${fmt(outage.delivered.logs)} log records, ${fmt(outage.delivered.metricPoints)} metric points (within ${fmt(outage.deliveredWithinMs / 1000, 1)} s)`],
          ['drops counted by the app (`droppedTelemetry()` at exit)', dropCells.length === 0 ? 'none reported' : dropCells.join('; ')],
          ['`faultline.telemetry.dropped` seen at the collector', Object.keys(outage.collectorDrops ?? {}).length === 0 ? 'not received' : Object.entries(outage.collectorDrops).map(([key, value]) => `${key.replace('|', ' ')}: ${fmt(value)}`).join('; ')],
          ['`/orders/:id` requests answered / their spans received / spans counted as dropped', `${fmt(outage.requests)} / ${fmt(outage.orderSpans)} / ${fmt(outage.droppedTraces)}`],
          [
            'error log lines written / records received / counted as dropped',
            `${fmt(outage.logLines)} / ${fmt(outage.received.logs)} / ${fmt(outage.droppedLogs)} (${fmt(outage.logLines - outage.received.logs - outage.droppedLogs)} unaccounted)`,
          ],
          ['spans of any route neither received nor counted as dropped', `${fmt(outage.unaccountedSpans)}${outage.unaccountedSpans === 0 ? ' (every span accounted for)' : ''}`],
          ['exit after SIGTERM (collector back)', outage.exitMsCollectorUp === undefined ? 'did not exit within 15 s' : `${fmt(outage.exitMsCollectorUp)} ms`],
        ],
      ),
    );
    if (outage.warnings.length > 0) lines.push('', 'What the app said on stderr:', '', ...outage.warnings.map((line) => `    ${reportLine(line)}`));
  }
  if (exits !== undefined) {
    lines.push(
      '',
      table(
        ['collector', 'exit after SIGTERM'],
        Object.entries(exits).map(([scenario, exit]) => [
          scenario === 'refused' ? 'down (connection refused)' : 'hung (accepts, never answers)',
          exit.exitMs === undefined ? 'did not exit within 15 s' : `${fmt(exit.exitMs)} ms`,
        ]),
      ),
    );
  }
  return lines.join('\n');
}

export { verdict };

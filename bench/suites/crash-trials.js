// 5. Crash trials (issue 14): does every way a process can end deliver what it produced? A real
// faultline app (app/crash-app.js) serves N requests, each with a recorded error and an error log line,
// and ends by one of seven paths; faultline's OTLP receiver, in this process, counts what arrived:
// server spans, log lines and the `app.errors` count, against what the app produced, and the exit code
// against the one the app asked for.
//
// Then the time the exit takes, from the moment it is asked for to the end of the process, with the
// collector up or down and the spool (FAULTLINE_SPOOL_DIR) unset or set, against the same app without
// faultline. What a spool holds after a trial is replayed into a second receiver and counted the same
// way, so a trial with the collector down loses nothing only if the spool has all of it.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import process from 'node:process';
import { setTimeout as sleep } from 'node:timers/promises';
import { BENCH_DIR, cleanEnv, freePort, pinned } from '../lib/processes.js';
import { fmt, median, reportLine, table } from '../lib/stats.js';

export const EXIT_PATHS = ['exit-0-top-level', 'exit-3-in-handler', 'exit-code-drained', 'throw', 'rejection', 'SIGTERM', 'SIGINT'];

/** The exit each path asks for: a code, or for a signal the shell's 128 + n (faultline exits with it) or death by the signal (Node). */
const EXPECTED_EXIT = {
  'exit-0-top-level': { code: 0 },
  'exit-3-in-handler': { code: 3 },
  'exit-code-drained': { code: 4 },
  throw: { code: 1 },
  rejection: { code: 1 },
  SIGTERM: { code: 143, signal: 'SIGTERM' },
  SIGINT: { code: 130, signal: 'SIGINT' },
};

const PATH_LABELS = {
  'exit-0-top-level': '`process.exit(0)` at top level',
  'exit-3-in-handler': '`process.exit(3)` in the last request handler',
  'exit-code-drained': '`process.exitCode = 4`, loop drained',
  throw: 'uncaught throw',
  rejection: 'unhandled rejection',
  SIGTERM: 'SIGTERM',
  SIGINT: 'SIGINT',
};

// The paths timed with the spool on and off, one per way faultline gets to run at the end: process.exit()
// (only synchronous code runs after it), a drained loop ('beforeExit', where a pending export retry
// can keep the loop alive) and a signal (its handler has time to flush).
const TIMED_PATHS = ['exit-0-top-level', 'exit-code-drained', 'SIGTERM'];
const SPOOL_SIGNALS = { resourceSpans: '/v1/traces', resourceLogs: '/v1/logs', resourceMetrics: '/v1/metrics' };
const APP = 'app/crash-app.js';
const LOG_MESSAGE = 'work item failed';

/**
 * @param {{ trials: number, requests: number, timingTrials: number, cpus: { app?: number }, log: (line: string) => void }} options
 */
export async function runCrashTrials({ trials, requests, timingTrials, cpus, log }) {
  // Imported here, not at the top: rendering a report (`--from-json`) needs no package of the bench.
  const { startReceiver } = await import('faultline/receiver');
  const receiver = await startReceiver({ port: 0 });
  const spoolReader = await startReceiver({ port: 0 });
  let trialId = 0;
  const run = (options) => runTrial({ ...options, id: `${process.pid}-${(trialId += 1)}`, requests, receiver, spoolReader, cpu: cpus.app });
  try {
    const results = [];
    for (let index = 0; index < trials; index += 1) {
      const path = EXIT_PATHS[index % EXIT_PATHS.length];
      const trial = await run({ path, collector: 'up', spool: false });
      results.push(trial);
      if ((index + 1) % EXIT_PATHS.length === 0 || index + 1 === trials) {
        const lost = results.filter((one) => one.lost).length;
        log(`  crash trials: ${index + 1}/${trials} done, ${lost} lost something, ${results.filter((one) => !one.exitCodeRight).length} wrong exit codes`);
      }
    }
    const timing = [];
    for (let round = 0; round < timingTrials; round += 1) {
      for (const path of TIMED_PATHS) {
        timing.push(await run({ path, collector: 'up', spool: false, plain: true }));
        for (const collector of ['up', 'down']) {
          for (const spool of [false, true]) timing.push(await run({ path, collector, spool }));
        }
      }
    }
    for (const path of TIMED_PATHS) {
      const cells = timingCells(timing.filter((trial) => trial.path === path));
      log(`  exit time, ${path}: ${cells.map((cell) => `${cell.label} ${fmt(cell.exitMs)} ms`).join(', ')}`);
    }
    return { requests, trials: results, timing, byPath: summariseTrials(results) };
  } finally {
    await receiver.close();
    await spoolReader.close();
  }
}

async function runTrial({ id, path, collector, spool, plain = false, requests, receiver, spoolReader, cpu }) {
  const spoolDir = spool ? mkdtempSync(join(tmpdir(), 'faultline-bench-spool-')) : undefined;
  const endpoint = collector === 'up' ? receiver.url : `http://127.0.0.1:${await freePort()}`;
  const env = {
    CRASH_PATH: path,
    CRASH_REQUESTS: String(requests),
    OTEL_SERVICE_NAME: 'bench-crash',
    OTEL_RESOURCE_ATTRIBUTES: `bench.trial=${id}`,
    OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
    OTEL_NODE_RESOURCE_DETECTORS: 'env,host,os,process',
    OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'http,undici',
    ...(plain ? { BENCH_PLAIN: '1' } : {}),
    ...(spoolDir === undefined ? {} : { FAULTLINE_SPOOL_DIR: spoolDir }),
  };
  const [command, argv] = pinned(cpu, process.execPath, [...(plain ? [] : ['--import', 'faultline/register']), APP]);
  const child = spawn(command, argv, { cwd: BENCH_DIR, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk) => (stderr += chunk));
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, at: performance.timeOrigin + performance.now() })));
  try {
    const port = await listeningPort(() => stdout, exited);
    let answered = 0;
    let lastAnsweredAt;
    for (let item = 0; item < requests; item += 1) {
      if ((await get(port, '/work')) === 200) answered += 1;
      lastAnsweredAt = performance.timeOrigin + performance.now();
    }
    let requestedAt;
    if (path === 'SIGTERM' || path === 'SIGINT') {
      requestedAt = performance.timeOrigin + performance.now();
      child.kill(path);
    }
    const exit = await Promise.race([exited, sleep(30_000, 'timeout')]);
    if (exit === 'timeout') throw new Error(`${path} trial did not end within 30 s; stderr:\n${stderr.slice(-2000)}`);
    requestedAt ??= Number(/BENCH_EXIT_AT (\d+(?:\.\d+)?)/.exec(stderr)?.[1] ?? lastAnsweredAt);
    const arrived = await settledCounts(receiver, id);
    const spooled = spoolDir === undefined ? undefined : await spoolCounts(spoolDir, spoolReader, id);
    const expected = EXPECTED_EXIT[path];
    const exitCodeRight = exit.code === expected.code || (expected.signal !== undefined && exit.signal === expected.signal);
    const total = {
      spans: arrived.spans + (spooled?.spans ?? 0),
      logs: arrived.logs + (spooled?.logs ?? 0),
      errors: arrived.errors + (spooled?.errors ?? 0),
    };
    const produced = plain ? undefined : requests;
    return {
      path,
      collector,
      spool,
      plain,
      answered,
      exitCode: exit.code,
      exitSignal: exit.signal,
      exitCodeRight,
      exitMs: exit.at - requestedAt,
      arrived,
      spooled,
      // Without faultline nothing is exported: only the exit code and time count.
      lost: produced !== undefined && (total.spans < produced || total.logs < produced || total.errors < produced),
      duplicated: produced !== undefined && (total.spans > produced || total.logs > produced || total.errors > produced),
      warnings: stderr
        .split('\n')
        .filter((line) => line.startsWith('faultline:'))
        .map((line) => reportLine(line)),
    };
  } finally {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
    receiver.clear();
    spoolReader.clear();
    if (spoolDir !== undefined) rmSync(spoolDir, { recursive: true, force: true });
  }
}

async function listeningPort(stdout, exited) {
  const deadline = performance.now() + 30_000;
  let ended = false;
  void exited.then(() => (ended = true));
  while (performance.now() < deadline && !ended) {
    const match = /listening (\d+)/.exec(stdout());
    if (match !== null) return Number(match[1]);
    await sleep(5);
  }
  throw new Error(`the crash app did not start (${ended ? 'it exited' : 'no "listening" line in 30 s'})`);
}

/** One request on its own connection (`Connection: close`), so that a drained loop has no socket left. */
function get(port, path) {
  return new Promise((resolve) => {
    const request = http.get({ host: '127.0.0.1', port, path, agent: false }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode));
      response.on('error', () => resolve(0));
    });
    request.on('error', () => resolve(0));
  });
}

/** What the receiver holds for one trial, once nothing new has come for a while. */
async function settledCounts(receiver, id) {
  let last = countFor(receiver, id);
  let stableSince = performance.now();
  const deadline = performance.now() + 3000;
  while (performance.now() < deadline && performance.now() - stableSince < 300) {
    await sleep(50);
    const now = countFor(receiver, id);
    if (now.spans !== last.spans || now.logs !== last.logs || now.errors !== last.errors) {
      last = now;
      stableSince = performance.now();
    }
  }
  return last;
}

/** The work requests' server spans, their log lines and the `app.errors` count of their error, for one trial. */
function countFor(receiver, id) {
  const ours = (item) => item.resource['bench.trial'] === id;
  const spans = receiver.spans.filter((span) => ours(span) && span.kind === 2 && span.attributes['url.path'] === '/work').length;
  const logs = receiver.logs.filter((record) => ours(record) && record.body === LOG_MESSAGE).length;
  // Cumulative points repeat the running total: per series, the latest; deltas add up.
  const latest = new Map();
  let deltas = 0;
  for (const point of receiver.metrics) {
    if (!ours(point) || point.name !== 'app.errors' || point.attributes['error.type'] !== 'WORK_FAILED') continue;
    if (point.temporality === 'delta') {
      deltas += point.value ?? 0;
      continue;
    }
    const series = JSON.stringify(point.attributes);
    const previous = latest.get(series);
    if (previous === undefined || BigInt(point.timeUnixNano) >= BigInt(previous.timeUnixNano)) latest.set(series, point);
  }
  const errors = [...latest.values()].reduce((sum, point) => sum + (point.value ?? 0), deltas);
  return { spans, logs, errors };
}

/**
 * Replays every line of every file in a spool folder into a receiver of its own (OTLP/JSON, one export
 * request per line, as the Collector's otlpjsonfile receiver reads them) and counts them as arrivals.
 */
async function spoolCounts(dir, spoolReader, id) {
  let files = 0;
  let bytes = 0;
  let unreadable = 0;
  for (const name of readdirSync(dir, { recursive: true })) {
    const file = join(dir, String(name));
    if (!statSync(file).isFile()) continue;
    files += 1;
    bytes += statSync(file).size;
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      if (line.trim() === '') continue;
      let signalPath;
      try {
        signalPath = Object.entries(SPOOL_SIGNALS).find(([key]) => key in JSON.parse(line))?.[1];
      } catch {
        signalPath = undefined;
      }
      if (signalPath === undefined) {
        unreadable += 1;
        continue;
      }
      const response = await globalThis.fetch(`${spoolReader.url}${signalPath}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: line });
      await response.arrayBuffer();
      if (!response.ok) unreadable += 1;
    }
  }
  return { ...countFor(spoolReader, id), files, bytes, unreadable };
}

function summariseTrials(trials) {
  return Object.fromEntries(
    EXIT_PATHS.map((path) => {
      const own = trials.filter((trial) => trial.path === path);
      const sum = (pick) => own.reduce((total, trial) => total + pick(trial), 0);
      return [
        path,
        {
          trials: own.length,
          lost: own.filter((trial) => trial.lost).length,
          duplicated: own.filter((trial) => trial.duplicated).length,
          exitCodesRight: own.filter((trial) => trial.exitCodeRight).length,
          exitCodes: [...new Set(own.map((trial) => (trial.exitSignal === null ? String(trial.exitCode) : trial.exitSignal)))],
          spans: sum((trial) => trial.arrived.spans),
          logs: sum((trial) => trial.arrived.logs),
          errors: sum((trial) => trial.arrived.errors),
          exitMs: median(own.map((trial) => trial.exitMs)),
          warnings: [...new Set(own.flatMap((trial) => trial.warnings))].slice(0, 3),
        },
      ];
    }),
  );
}

/** The timing cells of one path: Node alone, then faultline with the collector up / down and the spool unset / set. */
function timingCells(trials) {
  const cells = [{ label: 'without faultline', match: (trial) => trial.plain }];
  for (const collector of ['up', 'down']) {
    for (const spool of [false, true]) {
      cells.push({ label: `collector ${collector}, spool ${spool ? 'set' : 'unset'}`, collector, spool, match: (trial) => !trial.plain && trial.collector === collector && trial.spool === spool });
    }
  }
  return cells.map((cell) => {
    const own = trials.filter(cell.match);
    return { ...cell, trials: own, exitMs: median(own.map((trial) => trial.exitMs)) };
  });
}

export function crashTargets(result) {
  const byPath = Object.values(result.byPath);
  const trials = byPath.reduce((sum, path) => sum + path.trials, 0);
  const lost = byPath.reduce((sum, path) => sum + path.lost, 0);
  const right = byPath.reduce((sum, path) => sum + path.exitCodesRight, 0);
  return [
    { name: 'crash trials that lost telemetry = 0 (collector up)', value: `${lost} of ${trials}`, pass: lost === 0 },
    { name: 'crash trials with the exit code the app asked for = all', value: `${right} of ${trials}`, pass: right === trials },
  ];
}

export function crashMarkdown(result) {
  const n = result.requests;
  const rows = EXIT_PATHS.map((path) => {
    const s = result.byPath[path];
    const produced = s.trials * n;
    const expected = EXPECTED_EXIT[path];
    return [
      PATH_LABELS[path],
      String(s.trials),
      `${s.lost}${s.duplicated > 0 ? ` (${s.duplicated} duplicated)` : ''}`,
      `${fmt(s.spans)} / ${fmt(produced)}`,
      `${fmt(s.logs)} / ${fmt(produced)}`,
      `${fmt(s.errors)} / ${fmt(produced)}`,
      `${s.exitCodesRight} of ${s.trials} (expected ${expected.code}${expected.signal === undefined ? '' : ` or ${expected.signal}`}; got ${s.exitCodes.join(', ')})`,
      `${fmt(s.exitMs)} ms`,
    ];
  });
  const lines = [
    `${result.trials.length} trials spread over the exit paths, each a fresh \`node --import faultline/register\` app that serves ${n} requests,`,
    'each with a recorded error (`recordError`) and an error log line (`createLogger`), and then ends by the path. The collector is',
    'up: faultline\'s OTLP receiver, counting what reached it before the process had ended (and in flight then). A trial loses',
    'something when fewer server spans, log records or `app.errors` than it produced arrived.',
    '',
    table(['exit path', 'trials', 'trials that lost anything', 'server spans arrived', 'log records arrived', '`app.errors` arrived', 'exit code right', 'exit time (median)'], rows),
  ];
  const warnings = EXIT_PATHS.flatMap((path) => result.byPath[path].warnings.map((line) => `    ${path}: ${line}`));
  if (warnings.length > 0) lines.push('', 'What faultline said on stderr:', '', ...warnings);
  lines.push(
    '',
    '### Exit time with the spool on and off',
    '',
    'From the moment the exit is asked for (the app\'s own timestamp just before `process.exit`, or the harness sending the signal) to',
    'the end of the process, median of the trials per cell; "extra" is over the same app without faultline. Collector down: the',
    'endpoint refuses connections. Spool set: `FAULTLINE_SPOOL_DIR` points at an empty folder, whose files are replayed into a',
    'receiver afterwards and counted as arrived.',
    '',
  );
  const timingRows = [];
  for (const path of TIMED_PATHS) {
    const cells = timingCells(result.timing.filter((trial) => trial.path === path));
    const base = cells[0].exitMs;
    for (const cell of cells) {
      const produced = cell.trials.length * n;
      const sum = (signal, source) => cell.trials.reduce((total, trial) => total + (trial[source]?.[signal] ?? 0), 0);
      const spoolFiles = cell.trials.reduce((total, trial) => total + (trial.spooled?.files ?? 0), 0);
      timingRows.push([
        PATH_LABELS[path],
        cell.label,
        String(cell.trials.length),
        `${fmt(cell.exitMs)} ms`,
        cell === cells[0] ? '–' : `${cell.exitMs - base >= 0 ? '+' : ''}${fmt(cell.exitMs - base)} ms`,
        cell === cells[0] ? '–' : `${fmt(sum('spans', 'arrived'))} / ${fmt(sum('logs', 'arrived'))} / ${fmt(sum('errors', 'arrived'))} of ${fmt(produced)} each`,
        cell.spool ? `${fmt(sum('spans', 'spooled'))} / ${fmt(sum('logs', 'spooled'))} / ${fmt(sum('errors', 'spooled'))} (${fmt(spoolFiles)} files)` : '–',
        cell === cells[0] ? '–' : String(cell.trials.filter((trial) => trial.lost).length),
      ]);
    }
  }
  lines.push(
    table(['exit path', 'configuration', 'trials', 'exit time', 'extra', 'arrived: spans / logs / app.errors', 'in the spool', 'trials that lost anything'], timingRows),
  );
  // Whether what was lost was at least said: faultline's stderr in the cells with the collector down.
  const downWarnings = [...new Set(result.timing.filter((trial) => trial.collector === 'down').flatMap((trial) => trial.warnings.map((line) => `    ${trial.path}: ${line}`)))];
  if (downWarnings.length > 0) lines.push('', 'What faultline said on stderr with the collector down:', '', ...downWarnings.slice(0, 8));
  return lines.join('\n');
}

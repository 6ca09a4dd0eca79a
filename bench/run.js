#!/usr/bin/env node
// `npm run bench` (from the repository root): builds faultline, installs the peers here, and runs the
// four benchmarks of issue 7 — http overhead against none and peers, the error path, logging, and a
// collector outage — and issue 14's crash trials, then writes RESULTS.md and results.json. See
// README.md for the options and how to read it.
//
//   node run.js [--quick] [--only http,errors,logging,outage,crash,doctor,concurrency,lint,viewer,resilience] [--modes none,faultline,…]
//               [--rounds 3] [--duration 10] [--outage 60] [--outage-runs 3] [--crash-trials 100]
//               [--no-pin] [--no-profile] [--output RESULTS.md] [--json results.json]
//   node run.js --from-json results.json [--output RESULTS.md]     (render again, measure nothing)
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { fileURLToPath, URL } from 'node:url';
import { linkFaultline } from './lib/link-faultline.js';
import { loadAverage, machineInfo } from './lib/machine.js';
import { canPin } from './lib/processes.js';
import { table, verdict } from './lib/stats.js';
import { addedFunctionsMarkdown, httpMarkdown, profileComparisonMarkdown, profileHttp, runHttp, threadsMarkdown } from './suites/http.js';
import { errorPathMarkdown, runErrorPath } from './suites/error-path.js';
import { loggingMarkdown, runLogging } from './suites/logging.js';
import { outageMarkdown, runExitWithCollectorDown, runOutages } from './suites/outage.js';
import { crashMarkdown, runCrashTrials } from './suites/crash-trials.js';
import { targetsOf } from './lib/targets.js';
import { doctorMarkdown, runDoctor } from './suites/doctor.js';
import { concurrencyMarkdown, runConcurrency } from './suites/concurrency.js';
import { lintMarkdown, runLint } from './suites/lint.js';
import { runViewer, viewerMarkdown } from './suites/viewer.js';
import { resilienceMarkdown, runResilience } from './suites/resilience.js';
import process from 'node:process';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    modes: { type: 'string' },
    rounds: { type: 'string' },
    duration: { type: 'string' },
    outage: { type: 'string' },
    'outage-runs': { type: 'string' },
    'crash-trials': { type: 'string' },
    'no-pin': { type: 'boolean', default: false },
    'no-profile': { type: 'boolean', default: false },
    'from-json': { type: 'string' },
    output: { type: 'string', default: fileURLToPath(new URL('./RESULTS.md', import.meta.url)) },
    json: { type: 'string', default: fileURLToPath(new URL('./results.json', import.meta.url)) },
  },
});

const quick = values.quick;
const settings = {
  rounds: Number(values.rounds ?? (quick ? 1 : 3)),
  durationSec: Number(values.duration ?? (quick ? 3 : 10)),
  warmupSec: quick ? 1 : 2,
  outageSec: Number(values.outage ?? (quick ? 10 : 60)),
  outageRuns: Number(values['outage-runs'] ?? (quick ? 1 : 3)),
  // The control period before the outage, with the collector up.
  baselineSec: quick ? 10 : 30,
  errorOps: quick ? 5000 : 20_000,
  logLines: quick ? 10_000 : 50_000,
  crashTrials: Number(values['crash-trials'] ?? (quick ? 21 : 100)),
  crashRequests: 20,
  // Trials per cell of the exit-time table (spool on and off, collector up and down).
  crashTimingTrials: quick ? 1 : 3,
  viewerTraces: quick ? 2000 : 6000,
};
const suites = new Set((values.only ?? 'http,errors,logging,outage,crash,doctor,concurrency,lint,viewer,resilience').split(',').map((name) => name.trim()));
const machine = machineInfo();
const pin = !values['no-pin'] && canPin() && machine.cores >= 2;
// The app gets CPU 0 to itself; the load generator and the collector share CPU 1.
const cpus = pin ? { app: 0, load: 1 } : {};

const log = (line) => process.stdout.write(`${line}\n`);
const state = values['from-json'] === undefined ? await measure() : JSON.parse(readFileSync(values['from-json'], 'utf8'));
const targets = targetsOf(state.results);
writeFileSync(values.output, render(state, targets));
if (values['from-json'] === undefined) writeFileSync(values.json, `${JSON.stringify(state, null, 2)}\n`);
log(`\n${table(['target', 'measured', ''], targets.map((target) => [target.name, target.value, verdict(target.pass)]))}`);
log(`\nwrote ${values.output}`);

async function measure() {
  const started = new Date();
  const loads = [loadAverage()];
  linkFaultline();
  log(`faultline bench: ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}; ${pin ? 'app pinned to CPU 0, load generator and collector to CPU 1' : 'no CPU pinning'}`);
  const results = {};
  // Minutes per suite, to keep the whole run within its budget (about 20 minutes on a quiet host).
  const suiteMinutes = {};
  let suiteStarted = Date.now();
  const suiteDone = (name) => {
    loads.push(loadAverage());
    suiteMinutes[name] = (Date.now() - suiteStarted) / 60_000;
    suiteStarted = Date.now();
  };
  if (suites.has('http')) {
    log('\n1. http');
    const modes = values.modes?.split(',').map((mode) => mode.trim());
    results.http = await runHttp({ rounds: settings.rounds, durationSec: settings.durationSec, warmupSec: settings.warmupSec, modes, cpus, log });
    if (!values['no-profile'] && results.http.targets.some((target) => !target.pass)) {
      log('  profiling faultline under load (a target was missed)');
      results.httpProfileNone = await profileHttp({ mode: 'none', durationSec: settings.durationSec, cpus });
      results.httpProfile = await profileHttp({ mode: 'faultline', durationSec: settings.durationSec, cpus });
    }
    suiteDone('http');
  }
  if (suites.has('errors')) {
    log('\n2. error path');
    results.errors = await runErrorPath({ rounds: settings.rounds, ops: settings.errorOps, cpus, log, profile: !values['no-profile'] });
    suiteDone('errors');
  }
  if (suites.has('logging')) {
    log('\n3. logging');
    results.logging = await runLogging({ rounds: settings.rounds, lines: settings.logLines, cpus, log, profile: !values['no-profile'] });
    suiteDone('logging');
  }
  if (suites.has('outage')) {
    log('\n4. outage');
    results.outage = await runOutages({ runs: settings.outageRuns, outageSec: settings.outageSec, baselineSec: settings.baselineSec, warmupSec: settings.warmupSec, cpus, log });
    results.exits = await runExitWithCollectorDown({ loadSec: Math.min(5, settings.durationSec), cpus, log });
    suiteDone('outage');
  }
  if (suites.has('crash')) {
    log('\n5. crash trials');
    results.crash = await runCrashTrials({ trials: settings.crashTrials, requests: settings.crashRequests, timingTrials: settings.crashTimingTrials, cpus, log });
    suiteDone('crash');
  }
  if (suites.has('doctor')) {
    log('\n6. doctor');
    results.doctor = await runDoctor({ rounds: settings.rounds, cpus, log });
    suiteDone('doctor');
  }
  if (suites.has('concurrency')) {
    log('\n7. concurrency');
    results.concurrency = await runConcurrency({ rounds: settings.rounds, cpus, log });
    suiteDone('concurrency');
  }
  if (suites.has('lint')) {
    log('\n8. lint');
    results.lint = await runLint({ rounds: settings.rounds, cpus, log });
    suiteDone('lint');
  }
  if (suites.has('viewer')) {
    log('\n9. viewer');
    results.viewer = await runViewer({ rounds: settings.rounds, traces: settings.viewerTraces, log });
    suiteDone('viewer');
  }
  if (suites.has('resilience')) {
    log('\n10. resilience');
    results.resilience = await runResilience({ rounds: settings.rounds, cpus, log });
    suiteDone('resilience');
  }
  return {
    started: started.toISOString(),
    minutes: (Date.now() - started.getTime()) / 60_000,
    suiteMinutes,
    args: process.argv.slice(2),
    commit: gitCommit(),
    machine,
    settings,
    pin,
    loads,
    results,
  };
}

function gitCommit() {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: fileURLToPath(new URL('..', import.meta.url)), encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

function render({ started, minutes, suiteMinutes = {}, args, commit, machine, settings, pin, loads, results }, targets) {
  const perSuite = Object.entries(suiteMinutes).map(([name, value]) => `${name} ${value.toFixed(1)}`);
  const maxLoad = Math.max(...loads);
  const sections = [
    '# faultline benchmarks',
    '',
    `Generated by \`npm run bench\` (bench/run.js${args.length > 0 ? ` ${args.join(' ')}` : ''}) on ${started.slice(0, 10)}, in ${minutes.toFixed(1)} min${perSuite.length > 0 ? ` (${perSuite.join(', ')})` : ''}. How to run and read it: [README.md](README.md).`,
    '',
    table(
      ['machine', ''],
      [
        ['CPU', `${machine.cpu}, ${machine.cores} cores`],
        ['memory', `${machine.memoryGiB} GiB`],
        ['Node.js', machine.node],
        ['faultline', `dist/ built from the work tree at commit ${commit}`],
        ['OS', machine.platform],
        ['placement', pin ? 'app on CPU 0; load generator (autocannon) and collector stand-in on CPU 1' : 'not pinned'],
        ['1-min load average seen', `${loads.map((value) => value.toFixed(2)).join(' → ')}`],
      ],
    ),
    '',
    loadNote(maxLoad, machine, results),
    '',
    '## Targets',
    '',
    table(['target', 'measured', 'result'], targets.map((target) => [target.name, target.value, verdict(target.pass)])),
  ];
  if (results.http !== undefined) {
    sections.push('', '## 1. http: overhead against none and the peers', '', httpMarkdown(results.http, settings));
    sections.push(
      '',
      'CPU per request by thread of the app process, µs (from /proc; every thread shares the app\'s one CPU, so work moved to a',
      'worker thread still costs throughput):',
      '',
      threadsMarkdown(results.http),
    );
    if (results.httpProfile !== undefined && results.httpProfileNone !== undefined) {
      sections.push(
        '',
        '### Where faultline\'s time goes under load',
        '',
        `CPU profiles (V8's sampling profiler, started in the app after start-up and a 2 s warm-up) of the app's main thread under`,
        `the same load for ${settings.durationSec} s, none and faultline; self time per request, grouped by where the code lives:`,
        '',
        profileComparisonMarkdown(results.httpProfileNone, results.httpProfile),
        '',
        'The functions whose main-thread self time per request grew most from none to faultline (the other threads\' share is in',
        'the per-thread table above):',
        '',
        addedFunctionsMarkdown(results.httpProfileNone, results.httpProfile, 20),
      );
    }
  }
  if (results.errors !== undefined) sections.push('', '## 2. Error path: one recordError', '', errorPathMarkdown(results.errors));
  if (results.logging !== undefined) sections.push('', '## 3. Logging', '', loggingMarkdown(results.logging));
  if (results.outage !== undefined || results.exits !== undefined) sections.push('', '## 4. Collector outage', '', outageMarkdown(results.outage, results.exits));
  if (results.crash !== undefined) sections.push('', '## 5. Crash trials: what each exit path delivers', '', crashMarkdown(results.crash));
  if (results.doctor !== undefined) sections.push('', '## 6. Doctor: start-up with FAULTLINE_DOCTOR=1', '', doctorMarkdown(results.doctor));
  if (results.concurrency !== undefined) sections.push('', '## 7. Concurrency and resources', '', concurrencyMarkdown(results.concurrency));
  if (results.lint !== undefined) sections.push('', '## 8. Lint: eslint-plugin-faultline', '', lintMarkdown(results.lint));
  if (results.viewer !== undefined) sections.push('', '## 9. The receiver\'s web viewer', '', viewerMarkdown(results.viewer));
  if (results.resilience !== undefined) sections.push('', '## 10. Resilience policies: µs per call', '', resilienceMarkdown(results.resilience));
  return `${sections.join('\n')}\n`;
}

/**
 * Whether something else ran beside the bench. The load average alone cannot tell (the bench keeps
 * about two cores busy during the http runs); how much `none` moved between rounds can.
 */
function loadNote(maxLoad, machine, results) {
  const noneRuns = (results.http?.runs ?? []).filter((run) => run.mode === 'none').map((run) => run.rps);
  const spread = noneRuns.length > 1 ? Math.max(...noneRuns) / Math.min(...noneRuns) : 1;
  const range = noneRuns.length > 1 ? ` \`none\` ranged from ${Math.round(Math.min(...noneRuns)).toLocaleString('en-US')} to ${Math.round(Math.max(...noneRuns)).toLocaleString('en-US')} req/s between rounds.` : '';
  if (spread > 1.2 || maxLoad > machine.cores + 0.5) {
    return `**Other load was present** (other engineers' test suites run on this machine): the load average reached ${maxLoad.toFixed(2)} on ${machine.cores} cores.${range} Medians over the rounds and CPU time per request are the steadier numbers; absolute req/s are pessimistic.`;
  }
  return `No sign of other load: the load average peaked at ${maxLoad.toFixed(2)} (the bench itself keeps about two cores busy).${range}`;
}

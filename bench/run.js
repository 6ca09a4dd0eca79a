#!/usr/bin/env node
// `npm run bench` (from the repository root): builds faultline, installs the peers here, and runs the
// four benchmarks of issue 7 — http overhead against none and peers, the error path, logging, and a
// collector outage — then writes RESULTS.md. See README.md for the options and how to read it.
//
//   node run.js [--quick] [--only http,errors,logging,outage] [--rounds 3] [--duration 10]
//               [--outage 60] [--no-pin] [--no-profile]
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { fileURLToPath, URL } from 'node:url';
import { linkFaultline } from './lib/link-faultline.js';
import { loadAverage, machineInfo } from './lib/machine.js';
import { canPin } from './lib/processes.js';
import { table, verdict } from './lib/stats.js';
import { addedFunctionsMarkdown, httpMarkdown, profileComparisonMarkdown, profileHttp, runHttp, threadsMarkdown } from './suites/http.js';
import { errorPathMarkdown, runErrorPath } from './suites/error-path.js';
import { loggingMarkdown, runLogging } from './suites/logging.js';
import { outageMarkdown, outageTargets, runExitWithCollectorDown, runOutage } from './suites/outage.js';
import process from 'node:process';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    rounds: { type: 'string' },
    duration: { type: 'string' },
    outage: { type: 'string' },
    'no-pin': { type: 'boolean', default: false },
    'no-profile': { type: 'boolean', default: false },
    output: { type: 'string', default: fileURLToPath(new URL('./RESULTS.md', import.meta.url)) },
  },
});

const quick = values.quick;
const settings = {
  rounds: Number(values.rounds ?? (quick ? 1 : 3)),
  durationSec: Number(values.duration ?? (quick ? 3 : 10)),
  warmupSec: quick ? 1 : 2,
  outageSec: Number(values.outage ?? (quick ? 10 : 60)),
  // The control period before the outage, with the collector up.
  baselineSec: quick ? 10 : 30,
  errorOps: quick ? 5000 : 20_000,
  logLines: quick ? 10_000 : 50_000,
};
const suites = new Set((values.only ?? 'http,errors,logging,outage').split(',').map((name) => name.trim()));
const machine = machineInfo();
const pin = !values['no-pin'] && canPin() && machine.cores >= 2;
// The app gets CPU 0 to itself; the load generator and the collector share CPU 1.
const cpus = pin ? { app: 0, load: 1 } : {};

const started = new Date();
const commit = (() => {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: fileURLToPath(new URL('..', import.meta.url)), encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
})();
const loads = [loadAverage()];
const log = (line) => process.stdout.write(`${line}\n`);
linkFaultline();
log(`faultline bench: ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}; ${pin ? 'app pinned to CPU 0, load generator and collector to CPU 1' : 'no CPU pinning'}`);

const results = {};
const targets = [];

if (suites.has('http')) {
  log('\n1. http');
  results.http = await runHttp({ rounds: settings.rounds, durationSec: settings.durationSec, warmupSec: settings.warmupSec, cpus, log });
  targets.push(...results.http.targets);
  loads.push(loadAverage());
  if (!values['no-profile'] && results.http.targets.some((target) => !target.pass)) {
    log('  profiling faultline under load (a target was missed)');
    results.httpProfileNone = await profileHttp({ mode: 'none', durationSec: settings.durationSec, cpus });
    results.httpProfile = await profileHttp({ mode: 'faultline', durationSec: settings.durationSec, cpus });
  }
}
if (suites.has('errors')) {
  log('\n2. error path');
  results.errors = await runErrorPath({ rounds: settings.rounds, ops: settings.errorOps, cpus, log, profile: !values['no-profile'] });
  targets.push(results.errors.target);
  loads.push(loadAverage());
}
if (suites.has('logging')) {
  log('\n3. logging');
  results.logging = await runLogging({ rounds: settings.rounds, lines: settings.logLines, cpus, log, profile: !values['no-profile'] });
  targets.push(results.logging.target);
  loads.push(loadAverage());
}
if (suites.has('outage')) {
  log('\n4. outage');
  results.outage = await runOutage({ outageSec: settings.outageSec, baselineSec: settings.baselineSec, warmupSec: settings.warmupSec, cpus, log });
  results.exits = await runExitWithCollectorDown({ loadSec: Math.min(5, settings.durationSec), cpus, log });
  targets.push(...outageTargets(results.outage, results.exits));
  loads.push(loadAverage());
}

const report = render();
writeFileSync(values.output, report);
writeFileSync(new URL('./results.json', import.meta.url), `${JSON.stringify({ started, machine, settings, pin, loads, results }, null, 2)}\n`);
log(`\n${table(['target', 'measured', ''], targets.map((target) => [target.name, target.value, verdict(target.pass)]))}`);
log(`\nwrote ${values.output}`);

function render() {
  const minutes = ((Date.now() - started.getTime()) / 60_000).toFixed(1);
  const maxLoad = Math.max(...loads);
  const sections = [
    '# faultline benchmarks',
    '',
    `Generated by \`npm run bench\` (bench/run.js${process.argv.length > 2 ? ` ${process.argv.slice(2).join(' ')}` : ''}) on ${started.toISOString().slice(0, 10)}, in ${minutes} min. How to run and read it: [README.md](README.md).`,
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
    maxLoad > machine.cores * 0.9
      ? `**Other load was present**: the load average reached ${maxLoad.toFixed(2)} on ${machine.cores} cores (the bench itself keeps about two busy during the http runs; other engineers' test suites were running). Ratios within a round are comparable; absolute numbers are pessimistic.`
      : 'The load average stayed within what the bench itself produces.',
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
  return `${sections.join('\n')}\n`;
}

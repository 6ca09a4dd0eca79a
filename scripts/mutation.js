// `npm run test:mutation`: mutation testing with StrykerJS, one run per module group
// (scripts/mutation-groups.js). Prints each module's score, fails (exit 1) when a group scores below
// its `break` threshold. Writes reports under reports/mutation/ (not committed); docs/testing.md is
// rewritten only with --write-docs. Not part of `npm test`: it takes tens of minutes.
//
//   node scripts/mutation.js [--group a,b] [--concurrency 1|2] [--incremental] [--write-docs]
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { GROUPS } from './mutation-groups.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const reportDir = path.join(root, 'reports', 'mutation');
const docsFile = path.join(root, 'docs', 'testing.md');
const TABLE_START = '<!-- mutation-scores:start -->';
const TABLE_END = '<!-- mutation-scores:end -->';

function usage(message) {
  process.stderr.write(`mutation: ${message} (usage: node scripts/mutation.js [--group ${GROUPS.map((g) => g.name).join(',')}] [--concurrency N] [--incremental] [--write-docs])\n`);
  process.exit(2);
}

let args;
try {
  args = parseArgs({
    options: {
      group: { type: 'string' },
      concurrency: { type: 'string', default: '2' },
      incremental: { type: 'boolean', default: false },
      'write-docs': { type: 'boolean', default: false },
      verbose: { type: 'boolean', default: false },
    },
  }).values;
} catch (error) {
  usage(error.message);
}
const concurrency = Number(args.concurrency);
if (!Number.isInteger(concurrency) || concurrency < 1) usage(`--concurrency must be a positive integer, got "${args.concurrency}"`);
const wanted = args.group === undefined ? GROUPS.map((g) => g.name) : args.group.split(',').map((name) => name.trim());
const unknown = wanted.filter((name) => !GROUPS.some((g) => g.name === name));
if (unknown.length > 0) usage(`unknown group ${unknown.join(', ')}`);
const selected = GROUPS.filter((g) => wanted.includes(g.name));

// Stryker is a devDependency: import it only when a run is asked for, after the arguments are checked.
const { Stryker } = await import('@stryker-mutator/core');

/** The commit measured, taken before the run (Stryker copies the working tree when it starts). */
function sourceCommit() {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src', 'test', 'scripts'], { cwd: root, encoding: 'utf8' }).trim() !== '';
    return dirty ? `${commit} + uncommitted changes` : commit;
  } catch { // eslint-disable-line faultline/no-blind-catch -- outside a git checkout the commit is simply unknown
    return 'unknown';
  }
}
const commit = sourceCommit();

const DETECTED = new Set(['Killed', 'Timeout']);
const UNDETECTED = new Set(['Survived', 'NoCoverage']);

/** Stryker's mutation score: detected / (detected + undetected); mutants that do not compile or crash the run count for neither. */
function tally(results) {
  const counts = { mutants: results.length, killed: 0, timeout: 0, survived: 0, noCoverage: 0, errors: 0 };
  for (const result of results) {
    if (result.status === 'Killed') counts.killed++;
    else if (result.status === 'Timeout') counts.timeout++;
    else if (result.status === 'Survived') counts.survived++;
    else if (result.status === 'NoCoverage') counts.noCoverage++;
    else counts.errors++;
  }
  const detected = results.filter((r) => DETECTED.has(r.status)).length;
  const valid = detected + results.filter((r) => UNDETECTED.has(r.status)).length;
  counts.score = valid === 0 ? 100 : (detected / valid) * 100;
  return counts;
}

async function runGroup(group) {
  mkdirSync(reportDir, { recursive: true });
  const started = Date.now();
  const stryker = new Stryker({
    mutate: group.mutate,
    testRunner: 'command',
    commandRunner: { command: group.command },
    coverageAnalysis: 'off',
    concurrency,
    // Node strips the types of the instrumented .ts files itself: no checker, no build step.
    checkers: [],
    ignorePatterns: ['/bench', '/deploy', '/grafana', '/reports', '/scratch', '/coverage', '/test-artifacts'],
    reporters: ['json', 'html', 'clear-text', 'progress-append-only'],
    jsonReporter: { fileName: path.join(reportDir, `${group.name}.json`) },
    htmlReporter: { fileName: path.join(reportDir, `${group.name}.html`) },
    clearTextReporter: { allowColor: false, allowEmojis: false, logTests: false, reportScoreTable: false },
    thresholds: { high: 90, low: group.break, break: group.break },
    incremental: args.incremental,
    incrementalFile: path.join(reportDir, `${group.name}.incremental.json`),
    logLevel: args.verbose ? 'info' : 'warn',
    tempDirName: '.stryker-tmp',
    // A mutant that runs past twice the unmutated run plus 20 s is counted as detected (an endless
    // loop). The machine is often shared: the margin keeps a slow moment from passing for a
    // detection (1.5x + 5 s, Stryker's default, did), without making each endless loop cost a minute.
    timeoutMS: 20_000,
    timeoutFactor: 2,
  });
  const results = await stryker.runMutationTest();
  const byFile = new Map();
  for (const result of results) {
    const file = path.relative(root, path.resolve(root, result.fileName));
    if (!byFile.has(file)) byFile.set(file, []);
    byFile.get(file).push(result);
  }
  return {
    group,
    minutes: (Date.now() - started) / 60000,
    total: tally(results),
    modules: group.mutate.map((file) => ({ file, ...tally(byFile.get(file) ?? []) })),
  };
}

const outcomes = [];
for (const group of selected) {
  process.stdout.write(`\n== ${group.name}: ${group.mutate.length} module(s), command: ${group.command}\n`);
  try {
    outcomes.push(await runGroup(group));
  } catch (error) {
    // Most often the unmutated tests fail (Stryker's dry run): the group has no score.
    process.stderr.write(`mutation: group ${group.name} did not run: ${error instanceof Error ? error.message : String(error)}\n`);
    outcomes.push({ group, failed: true });
  }
}
// Stryker sets process.exitCode itself when a threshold breaks; this script decides it below.
process.exitCode = 0;

const pct = (n) => n.toFixed(1);
const rows = [];
for (const outcome of outcomes) {
  if (outcome.failed) {
    rows.push([outcome.group.name, '(did not run)', '', '', '', '', '', '', String(outcome.group.break)]);
    continue;
  }
  for (const m of outcome.modules) {
    rows.push([outcome.group.name, m.file, m.mutants, m.killed, m.timeout, m.survived + m.noCoverage, m.errors, pct(m.score), '']);
  }
  const t = outcome.total;
  rows.push([outcome.group.name, '**group**', t.mutants, t.killed, t.timeout, t.survived + t.noCoverage, t.errors, `**${pct(t.score)}**`, String(outcome.group.break)]);
}
const header = ['Group', 'Module', 'Mutants', 'Killed', 'Timed out', 'Survived', 'Errors', 'Score %', 'Break %'];

function markdownTable(tableRows) {
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...tableRows.map((row) => `| ${row.join(' | ')} |`)].join('\n');
}

process.stdout.write(`\n${markdownTable(rows)}\n\n`);
for (const outcome of outcomes) {
  if (outcome.failed) {
    process.stdout.write(`FAIL ${outcome.group.name}: no score\n`);
    process.exitCode = 1;
    continue;
  }
  const ok = outcome.total.score >= outcome.group.break;
  process.stdout.write(`${ok ? 'ok  ' : 'FAIL'} ${outcome.group.name}: ${pct(outcome.total.score)}% (break ${outcome.group.break}%), ${outcome.minutes.toFixed(1)} min\n`);
  if (!ok) process.exitCode = 1;
}

if (args['write-docs']) writeDocs(outcomes.filter((o) => !o.failed));

/** Replaces the rows of the groups that ran in docs/testing.md's score table; the other groups' rows stay. */
function writeDocs(ran) {
  const text = readFileSync(docsFile, 'utf8');
  const start = text.indexOf(TABLE_START);
  const end = text.indexOf(TABLE_END);
  if (start === -1 || end < start) {
    process.stderr.write(`mutation: ${path.relative(root, docsFile)} has no ${TABLE_START} … ${TABLE_END} section; not written\n`);
    process.exitCode = 2;
    return;
  }
  const measured = `${new Date().toISOString().slice(0, 10)}, ${commit}, concurrency ${concurrency}`;
  const ranNames = new Set(ran.map((o) => o.group.name));
  const kept = text
    .slice(start + TABLE_START.length, end)
    .split('\n')
    .filter((line) => line.startsWith('| ') && !line.startsWith('| Group |'))
    .map((line) => line.slice(2, -2).split(' | '))
    .filter((cells) => !ranNames.has(cells[0]));
  const fresh = [];
  for (const outcome of ran) {
    const withDate = rows.filter((row) => row[0] === outcome.group.name).map((row) => [...row]);
    fresh.push(...withDate.map((row) => [...row, row[1] === '**group**' ? `${measured}, ${outcome.minutes.toFixed(0)} min` : '']));
  }
  const order = (cells) => GROUPS.findIndex((g) => g.name === cells[0]);
  const all = [...kept, ...fresh].sort((a, b) => order(a) - order(b));
  header.push('Measured');
  const table = markdownTable(all);
  const next = `${text.slice(0, start + TABLE_START.length)}\n${table}\n${text.slice(end)}`;
  const tmp = `${docsFile}.tmp`;
  writeFileSync(tmp, next);
  renameSync(tmp, docsFile);
  process.stdout.write(`wrote ${path.relative(root, docsFile)}\n`);
}

#!/usr/bin/env node
// Renders the tables of README.md's history sections from the committed results files in results/,
// so that every number in them can be traced to a file and rendered again.
//
//   node history.js            rewrite the tables in README.md
//   node history.js --check    exit 1 when README.md differs from what the files render
//
// A table is a block between two markers; the opening marker says what to render, as JSON:
//
//   <!-- table {"kind":"targets","columns":{"fourth landing":"results/a.json","this host":"results/b.json"}} -->
//   …rendered rows…
//   <!-- /table -->
//
// kinds: "targets" (the targets of full runs, one column per `node run.js` results file), "ab" (a
// file written by `node ab.js --json FILE`), "transcribed" (a table typed in from a landing's notes
// whose raw output was not kept: rendered as it is, and labelled so).
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath, URL } from 'node:url';
import { parseArgs } from 'node:util';
import process from 'node:process';
import { fmt, median, table } from './lib/stats.js';
import { targetsOf } from './lib/targets.js';

const { values } = parseArgs({ options: { check: { type: 'boolean', default: false }, readme: { type: 'string' } } });
const readmePath = values.readme ?? fileURLToPath(new URL('./README.md', import.meta.url));
const benchDir = new URL('./', import.meta.url);
const BLOCK = /<!-- table (\{.*?\}) -->\n[\s\S]*?<!-- \/table -->/g;

const readJson = (file) => JSON.parse(readFileSync(new URL(file, benchDir), 'utf8'));

/** A target's cell: its value and verdict, found by the name the run stored (names changed little). */
const target = (pattern) => (state) => {
  const found = targetsOf(state.results).find((candidate) => pattern.test(candidate.name));
  return found === undefined ? undefined : `${found.value}, ${found.pass ? 'pass' : 'miss'}`;
};
const cpu = (mode) => (state) => state.results.http?.byMode?.[mode]?.cpuUsPerRequest;

const TARGET_ROWS = [
  ['host', (state) => `${state.machine.cpu}, ${state.machine.cores} cores`],
  ['CPU per request, faultline against none', (state) => (cpu('none')(state) === undefined ? undefined : `${fmt(cpu('faultline')(state))} against ${fmt(cpu('none')(state))} µs`)],
  ['throughput vs none', target(/throughput/)],
  ['p99 vs none', target(/p99/)],
  ['start-up over none', target(/start-up/)],
  ['recordError', target(/recordError/)],
  ['logging, info lines vs plain pino', target(/plain pino/)],
  [
    'logging, error lines vs plain pino (no target)',
    (state) => {
      const cells = state.results.logging?.cells;
      return cells?.['faultline/error'] === undefined ? undefined : `${(cells['faultline/error'].linesPerSec / cells['pino/error'].linesPerSec).toFixed(2)}×`;
    },
  ],
  ['logging, process CPU per info line vs pino + pino-opentelemetry-transport', target(/pino-opentelemetry-transport/)],
  ['outage RSS growth', target(/RSS growth/)],
  ['exit after SIGTERM, collector down or hung', target(/exit after SIGTERM/)],
  ['crash trials that lost telemetry', target(/lost telemetry/)],
  ['crash trials with the right exit code', target(/exit code/)],
];

function targetsTable(spec) {
  const runs = Object.entries(spec.columns).map(([label, file]) => ({ label, file, state: readJson(file) }));
  const rows = [];
  for (const [name, cell] of TARGET_ROWS) {
    const cells = runs.map(({ state }) => cell(state) ?? '–');
    if (cells.some((value) => value !== '–')) rows.push([name, ...cells]);
  }
  return [table(['', ...runs.map(({ label }) => label)], rows), '', `Rendered by \`node history.js\` from ${runs.map(({ file }) => `[${file}](${file})`).join(', ')}.`];
}

function abTable(spec) {
  const result = readJson(spec.file);
  const base = result.configurations[0];
  const medianOf = (label, key) => median(result.runs.filter((run) => run.label === label).map((run) => run[key]));
  const rows = result.configurations.map(({ label, mode, env }) => [
    `${label} (${mode}${Object.keys(env).length > 0 ? `: ${Object.entries(env).map(([key, value]) => `${key}=${value}`).join(', ')}` : ''})`,
    fmt(medianOf(label, 'rps')),
    `${(medianOf(label, 'rps') / medianOf(base.label, 'rps')).toFixed(2)}×`,
    medianOf(label, 'us').toFixed(1),
    `${fmt(medianOf(label, 'p99'))} ms`,
  ]);
  return [
    table(['configuration', 'req/s', 'vs first', 'µs CPU per request', 'p99'], rows),
    '',
    `Rendered by \`node history.js\` from [${spec.file}](${spec.file}) (\`node ab.js ${result.args.join(' ')}\`, ${result.rounds} rounds).`,
  ];
}

function transcribedTable(spec) {
  const result = readJson(spec.file);
  return [table(result.header, result.rows), '', `Transcribed from ${result.source}: ${result.note} Rendered by \`node history.js\` from [${spec.file}](${spec.file}).`];
}

const KINDS = { targets: targetsTable, ab: abTable, transcribed: transcribedTable };

const readme = readFileSync(readmePath, 'utf8');
let count = 0;
const rendered = readme.replace(BLOCK, (_block, json) => {
  const spec = JSON.parse(json);
  const render = KINDS[spec.kind];
  if (render === undefined) throw new Error(`unknown table kind ${JSON.stringify(spec.kind)} in ${json}`);
  count += 1;
  return [`<!-- table ${json} -->`, ...render(spec), '<!-- /table -->'].join('\n');
});
if (values.check) {
  if (rendered !== readme) {
    process.stderr.write(`${readmePath}: its tables differ from what results/ renders; run \`node history.js\`\n`);
    process.exit(1);
  }
  process.stdout.write(`${count} tables match their results files\n`);
} else {
  writeFileSync(readmePath, rendered);
  process.stdout.write(`rendered ${count} tables into ${readmePath}\n`);
}

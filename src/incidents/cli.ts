import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { redactText } from '../errors/redact.ts';
import { catalogClasses, sourceClasses } from './error-classes.ts';
import { ErrorOccurrences, type ErrorGroup } from './error-occurrences.ts';
import { errorShape } from './error-shape.ts';
import { provisionedDatasources } from './grafana-links.ts';
import { checkGuard, guardsOf } from './guards.ts';
import { INCIDENT_ID, IncidentInputError, incidentIds, nextIncidentId } from './incidents.ts';
import { postmortem } from './postmortem.ts';
import { regressionTest } from './regression-test.ts';
import { readTelemetryFile } from './telemetry-file.ts';
import { writeAll } from './write-all.ts';

export const INCIDENT_USAGE = `usage: faultline incident new <telemetry file> <fingerprint | trace ID> [--id INC-7] [--dir incidents]
                             [--test <file>] [--grafana-url <url>] [--datasources <folder>]
       faultline incident check [--dir incidents]
       faultline incident errors <telemetry file>

new     writes a postmortem skeleton filled with the error's facts (incidents/INC-7.md) and a
        regression test that rebuilds the error and pins how the app treats it
        (test/incidents/INC-7.test.ts), both or neither. The telemetry file is a capture
        (faultline-receiver --save, npm run demo -- --save), OTLP/JSON lines (the spool, the
        Collector's file exporter) or a trace exported from Tempo or Grafana as JSON. The error is
        named by its fingerprint (16 hex digits, exception.fingerprint) or by a trace ID it occurred in.
check   fails unless every incident file names at least one guard (a regression test, a lint rule
        whose tests carry the incident ID, an alert rule) and every guard it names exists.
errors  lists the errors in a telemetry file by fingerprint, the most frequent first.

  --id <INC-n>            the incident ID (default: the next free one in the folder)
  --dir <folder>          the incidents folder (default incidents)
  --test <file>           the regression test to write (default test/incidents/<id>.test.ts)
  --grafana-url <url>     Grafana for the Explore links (default http://localhost:3000)
  --datasources <folder>  Grafana datasource provisioning to take the Tempo and Loki datasources
                          from (default grafana/provisioning/datasources)

Exit code: 0 done (check: every incident guarded), 1 check found something missing, 2 bad input.
`;

const FINGERPRINT = /^[0-9a-f]{16}$/;
const TRACE_ID = /^[0-9a-f]{32}$/;

interface Values {
  id?: string | undefined;
  dir: string;
  test?: string | undefined;
  'grafana-url': string;
  datasources: string;
  help: boolean;
}

function parse(args: string[]): { values: Values; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({
      args,
      options: {
        id: { type: 'string' },
        dir: { type: 'string', default: 'incidents' },
        test: { type: 'string' },
        'grafana-url': { type: 'string', default: 'http://localhost:3000' },
        datasources: { type: 'string', default: path.join('grafana', 'provisioning', 'datasources') },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: true,
    });
    return { values, positionals };
  } catch (error) {
    throw new IncidentInputError((error as Error).message, { cause: error });
  }
}

function display(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return (relative.startsWith('..') ? file : relative).split(path.sep).join('/');
}

async function readGroups(file: string): Promise<ErrorGroup[]> {
  if (!existsSync(file)) throw new IncidentInputError(`${file} does not exist`);
  const occurrences = new ErrorOccurrences();
  const summary = await readTelemetryFile(file, (spans) => {
    occurrences.add(spans);
  });
  if (summary.requests === 0) throw new IncidentInputError(`${file} holds no telemetry (an empty file?)`);
  return occurrences.groups();
}

function selectGroup(groups: readonly ErrorGroup[], selector: string, file: string): ErrorGroup {
  const known = groups.slice(0, 3).map((group) => `${group.fingerprint ?? group.key} ${group.type} ×${group.count}`).join(', ');
  const seen = groups.length === 0 ? 'it holds no recorded errors' : `errors in it: ${known}${groups.length > 3 ? `, … (${groups.length} in all; faultline incident errors ${file})` : ''}`;
  if (FINGERPRINT.test(selector)) {
    const group = groups.find((candidate) => candidate.fingerprint === selector);
    if (group === undefined) throw new IncidentInputError(`no error with fingerprint ${selector} in ${file} (${seen})`);
    return group;
  }
  // The error of a trace: the one recorded nearest the trace's entry (what the caller saw), not a
  // downstream service's that caused it; at the same distance, the one the boundary answered with.
  let best: { group: ErrorGroup; rank: [number, number, number] } | undefined;
  for (const group of groups) {
    for (const occurrence of group.occurrences) {
      if (occurrence.traceId !== selector) continue;
      const rank: [number, number, number] = [occurrence.rootDistance, occurrence.onServerSpan ? 0 : 1, occurrence.time];
      if (best === undefined || rank[0] < best.rank[0] || (rank[0] === best.rank[0] && (rank[1] < best.rank[1] || (rank[1] === best.rank[1] && rank[2] < best.rank[2])))) best = { group, rank };
    }
  }
  if (best === undefined) throw new IncidentInputError(`no recorded error in trace ${selector} in ${file} (${seen})`);
  return best.group;
}

async function newIncident(values: Values, positionals: string[]): Promise<number> {
  const [file, rawSelector, ...extra] = positionals;
  if (file === undefined || rawSelector === undefined || extra.length > 0) {
    throw new IncidentInputError('incident new takes a telemetry file and a fingerprint or trace ID');
  }
  const selector = rawSelector.toLowerCase();
  if (!FINGERPRINT.test(selector) && !TRACE_ID.test(selector)) {
    throw new IncidentInputError(`${JSON.stringify(rawSelector)} is neither a fingerprint (16 hex digits) nor a trace ID (32 hex digits)`);
  }
  const root = process.cwd();
  const dir = path.resolve(root, values.dir);
  if (values.id !== undefined && !INCIDENT_ID.test(values.id)) throw new IncidentInputError(`--id takes an incident ID such as INC-7, not ${JSON.stringify(values.id)}`);
  if (!/^https?:\/\/[^\s/]+/.test(values['grafana-url'])) throw new IncidentInputError(`--grafana-url takes an http(s) URL, not ${JSON.stringify(values['grafana-url'])}`);
  const id = values.id ?? nextIncidentId(dir);
  const incidentFile = path.join(dir, `${id}.md`);
  if (existsSync(incidentFile)) throw new IncidentInputError(`incident ${id} already exists (${display(incidentFile)})`);
  const testFile = path.resolve(root, values.test ?? path.join('test', 'incidents', `${id}.test.ts`));
  if (!/\.[cm]?[jt]s$/.test(testFile)) throw new IncidentInputError(`--test names a .ts or .js file, not ${JSON.stringify(values.test)}`);
  if (existsSync(testFile)) throw new IncidentInputError(`the regression test ${display(testFile)} already exists`);

  const group = selectGroup(await readGroups(file), selector, file);
  // Redacted again: a capture from another exporter was never redacted, and the test is committed.
  const chain = (group.latest.chain ?? group.first.chain ?? []).map((node) => ({ ...node, message: redactText(node.message), notes: node.notes.map((note) => redactText(note)) }));
  const answeredBy = group.occurrences.find((occurrence) => occurrence.onServerSpan && occurrence.status !== undefined && occurrence.status >= 400);
  const classes = new Map([...sourceClasses(root, [dir, path.dirname(testFile)]), ...catalogClasses()]);
  const shape = errorShape(chain, classes, answeredBy?.status);
  const relativeTest = path.relative(root, testFile).split(path.sep).join('/');
  const markdown = postmortem({
    id,
    group,
    shape,
    capture: path.basename(file),
    testFile: relativeTest,
    grafanaUrl: values['grafana-url'],
    datasources: provisionedDatasources(path.resolve(root, values.datasources)),
    root,
    now: new Date(),
  });
  const test = regressionTest({ id, group, shape, testFile, capture: path.basename(file), incidentFile: path.relative(root, incidentFile).split(path.sep).join('/') });
  writeAll([
    { path: incidentFile, text: markdown },
    { path: testFile, text: test },
  ]);
  process.stdout.write(
    `${id}: ${shape.expected.type} (${shape.expected.category}, ${group.count} occurrence${group.count === 1 ? '' : 's'}${group.fingerprint === undefined ? '' : `, fingerprint ${group.fingerprint}`})\n` +
      `  wrote ${display(incidentFile)}   the postmortem: fill in the TODOs\n` +
      `  wrote ${display(testFile)}   run it: node --test ${display(testFile)}\n`,
  );
  return 0;
}

function check(values: Values): number {
  const root = process.cwd();
  const dir = path.resolve(root, values.dir);
  const ids = incidentIds(dir);
  if (ids.length === 0) {
    process.stdout.write(`faultline incident check: no incident files (INC-<n>.md) in ${display(dir)}/\n`);
    return 0;
  }
  const lines: string[] = [];
  const missing: string[] = [];
  for (const id of ids) {
    const file = path.join(dir, `${id}.md`);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      throw new IncidentInputError(`cannot read ${display(file)}: ${(error as Error).message}`, { cause: error });
    }
    const guards = guardsOf(text);
    if (guards.length === 0) {
      const problem = `${id}: names no guard (add "- regression test: …", "- lint rule: …" or "- alert rule: …" under "## Guards" in ${display(file)})`;
      missing.push(problem);
      lines.push(`  ✗ ${problem}`);
      continue;
    }
    for (const guard of guards) {
      const verdict = checkGuard(guard, id, root);
      if (verdict.missing === undefined) lines.push(`  ✓ ${id}: ${guard.kind} ${guard.name}${verdict.foundIn.length > 0 && verdict.foundIn[0] !== guard.name ? ` (${verdict.foundIn.join(', ')})` : ''}`);
      else {
        missing.push(`${id}: ${verdict.missing}`);
        lines.push(`  ✗ ${id}: ${verdict.missing}`);
      }
    }
  }
  process.stdout.write(`faultline incident check: ${ids.length} incident${ids.length === 1 ? '' : 's'} in ${display(dir)}/\n${lines.join('\n')}\n`);
  if (missing.length === 0) return 0;
  process.stdout.write(`\nmissing (${missing.length}):\n${missing.map((problem) => `  - ${problem}`).join('\n')}\n`);
  return 1;
}

async function listErrors(positionals: string[]): Promise<number> {
  const [file, ...extra] = positionals;
  if (file === undefined || extra.length > 0) throw new IncidentInputError('incident errors takes one telemetry file');
  const groups = await readGroups(file);
  if (groups.length === 0) {
    process.stdout.write(`no recorded errors in ${file}\n`);
    return 0;
  }
  const rows = groups.map((group) => {
    const category = group.latest.chain?.[0]?.category ?? '-';
    return `${(group.fingerprint ?? '-').padEnd(16)}  ${group.type.padEnd(24)}  ${category.padEnd(10)}  ${String(group.count).padStart(6)}  ${new Date(group.firstSeen).toISOString()}  ${new Date(group.lastSeen).toISOString()}  ${group.latest.traceId}`;
  });
  process.stdout.write(`${'fingerprint'.padEnd(16)}  ${'type'.padEnd(24)}  ${'category'.padEnd(10)}  ${'count'.padStart(6)}  ${'first seen'.padEnd(24)}  ${'last seen'.padEnd(24)}  latest trace\n${rows.join('\n')}\n`);
  return 0;
}

/** `faultline incident <new|check|errors>`: returns the exit code. */
export async function main(args: string[]): Promise<number> {
  const [command, ...rest] = args;
  try {
    if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
      if (command === undefined) throw new IncidentInputError('no subcommand given (new, check or errors)');
      process.stdout.write(INCIDENT_USAGE);
      return 0;
    }
    const { values, positionals } = parse(rest);
    if (values.help) {
      process.stdout.write(INCIDENT_USAGE);
      return 0;
    }
    switch (command) {
      case 'new':
        return await newIncident(values, positionals);
      case 'check':
        if (positionals.length > 0) throw new IncidentInputError('incident check takes no file names (--dir names the folder)');
        return check(values);
      case 'errors':
        return await listErrors(positionals);
      default:
        throw new IncidentInputError(`unknown subcommand ${JSON.stringify(command)} (new, check or errors)`);
    }
  } catch (error) {
    if (!(error instanceof IncidentInputError)) throw error;
    process.stderr.write(`faultline incident: ${error.message.split('\n', 1)[0] ?? ''} (faultline incident --help)\n`);
    return 2;
  }
}

import { redactText } from '../errors/redact.ts';
import type { ErrorGroup, ExceptionNode, Occurrence } from './error-occurrences.ts';
import type { ErrorShape } from './error-shape.ts';
import { logsLink, traceLink, type GrafanaDatasources } from './grafana-links.ts';

// The postmortem skeleton `faultline incident new` writes to incidents/INC-n.md: the facts the
// telemetry holds, filled in, and the parts only people can write, marked TODO. Everything taken
// from the telemetry is redacted again here: a capture from another exporter was never redacted.

export interface PostmortemInput {
  id: string;
  group: ErrorGroup;
  shape: ErrorShape;
  capture: string;
  /** The regression test, relative to the repository root. */
  testFile: string;
  grafanaUrl: string;
  datasources: GrafanaDatasources;
  /** The repository root, cut from stack paths so that they read as the repository's paths. */
  root: string;
  now: Date;
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}

function clean(text: string, root: string): string {
  const slashed = root.split('\\').join('/').replace(/\/+$/, '');
  return redactText(text.split(`file://${slashed}/`).join('').split(`${slashed}/`).join(''));
}

function counted(values: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return [...counts]
    .sort((a, b) => b[1] - a[1])
    .map(([value, count]) => `${value} (${count})`)
    .join(', ');
}

function fence(text: string): string {
  const ticks = /`{3,}/.test(text) ? '~~~~' : '```';
  return `${ticks}\n${text}\n${ticks}`;
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function nodeLine(node: ExceptionNode, root: string): string {
  const traits = [node.category, node.retryable === undefined ? undefined : node.retryable ? 'retryable' : 'not retryable'].filter(Boolean).join(', ');
  return `\`${node.type}\`${node.code !== undefined && node.code !== node.type ? ` (code \`${node.code}\`)` : ''}${traits === '' ? '' : ` — ${traits}`}: ${clean(node.message, root) || '(no message)'}`;
}

function stackBlock(node: ExceptionNode, root: string): string {
  return node.stack === undefined ? '(no stack recorded)' : fence(clean(node.stack, root));
}

export function postmortem(input: PostmortemInput): string {
  const { id, group, shape, root } = input;
  const { expected } = shape;
  const outer = shape.chain[0]?.node;
  const latest = group.latest;
  const occurrences = group.occurrences;
  const answered = occurrences.filter((occurrence) => occurrence.onServerSpan && occurrence.status !== undefined).map((occurrence) => String(occurrence.status));
  const services = [...new Set(occurrences.map((occurrence) => occurrence.service))];
  const durationS = Math.round((group.lastSeen - group.firstSeen) / 1000);
  const recordedCategory = outer?.category;
  const differences: string[] = [];
  if (recordedCategory !== undefined && recordedCategory !== expected.category) {
    differences.push(`production recorded category \`${recordedCategory}\`; the current taxonomy says \`${expected.category}\` (the regression test pins the current one)`);
  }
  if (outer?.retryable !== undefined && outer.retryable !== expected.retryable) {
    differences.push(`production recorded retryable=${outer.retryable}; the current taxonomy says ${expected.retryable}`);
  }
  const otherStatuses = [...new Set(answered)].filter((status) => status !== String(expected.status));
  if (otherStatuses.length > 0) differences.push(`the service answered ${otherStatuses.join(', ')}; problemFor() answers ${expected.status} today`);

  const facts: [string, string][] = [
    ['Status', 'open'],
    ['Error type', `\`${expected.type}\``],
    ['Code', outer?.code === undefined ? '–' : `\`${outer.code}\``],
    ['Category', expected.category],
    ['HTTP status', `${expected.status} (problem+json \`${expected.problemCode}\`)${answered.length > 0 ? `; answered: ${counted(answered)}` : ''}`],
    ['Retryable', expected.retryable ? 'yes' : 'no'],
    ['Counts toward a circuit breaker', expected.countsTowardBreaker ? `yes (category ${expected.category})` : `no (breakers count dependency and timeout; this is ${expected.category})`],
    ['Fingerprint', group.fingerprint === undefined ? `– (grouped by type \`${group.type}\`)` : `\`${group.fingerprint}\``],
    ['Occurrences', `${group.count}, first seen ${iso(group.firstSeen)}, last seen ${iso(group.lastSeen)}`],
    ['Services', counted(occurrences.map((occurrence) => occurrence.service))],
    ['Routes', counted(occurrences.map((occurrence) => occurrence.route))],
    ['Example traces', group.examples.map((example) => `\`${example.traceId}\``).join(', ')],
  ];

  const examples = [...group.examples];
  if (!examples.includes(latest)) examples.push(latest);
  const traceRows = examples.map((example: Occurrence) => {
    const tempo = traceLink(input.grafanaUrl, input.datasources, example.traceId, example.time);
    const loki = logsLink(input.grafanaUrl, input.datasources, example.traceId, example.service, example.time);
    return `| \`${example.traceId}\` | ${iso(example.time)} | ${cell(example.service)} | ${cell(example.route)} | ${example.status ?? '–'} | [trace](${tempo}) | [logs](${loki}) |`;
  });

  const causes = shape.chain.slice(1).map(({ node }, index) => `${index + 1}. ${nodeLine(node, root)}\n\n${indent(stackBlock(node, root))}`);
  const others = shape.others.map((node) => `- ${node.relation ?? 'related'}: ${nodeLine(node, root)}`);
  const notes = (outer?.notes ?? []).map((note) => `- ${clean(note, root)}`);
  const datasources = `Grafana at ${input.grafanaUrl}, datasources **${input.datasources.tempo.name}** (uid \`${input.datasources.tempo.uid}\`) and **${input.datasources.loki.name}** (uid \`${input.datasources.loki.uid}\`)${input.datasources.source === undefined ? ' (the compose stack\'s; no provisioning file found)' : ''}`;

  return `# ${id}: ${expected.type} in ${services.join(', ')}

<!-- Written by \`faultline incident new\` from ${input.capture} on ${iso(input.now.getTime())}. The facts come from the
telemetry (redacted); the sections marked TODO are for the team. \`faultline incident check\` reads the Guards section. -->

| | |
|---|---|
${facts.map(([name, value]) => `| ${name} | ${cell(value)} |`).join('\n')}
${differences.length === 0 ? '' : `\n**Changed since:** ${differences.join('; ')}.\n`}
## Summary

TODO: what happened, in two or three sentences, for someone who was not there.

## Impact

${group.count} recorded ${group.count === 1 ? 'error' : 'errors'} of this kind over ${durationS} s (${iso(group.firstSeen)} to ${iso(group.lastSeen)}), in ${services.join(', ')}.

TODO: who was affected and how (failed requests, money, data), and for how long.

## Timeline (UTC)

- ${iso(group.firstSeen)} first occurrence (trace \`${group.first.traceId}\`)
- ${iso(group.lastSeen)} last occurrence in the capture (trace \`${latest.traceId}\`)
- TODO: detected (which alert or report), mitigated, resolved

## The error

Message (latest): ${clean(latest.chain?.[0]?.message ?? outer?.message ?? '', root) || '(no message)'}
${notes.length === 0 ? '\nNotes: none recorded.\n' : `\nNotes (latest):\n\n${notes.join('\n')}\n`}
### Stack of the outermost error (redacted)

${outer === undefined ? '(none)' : stackBlock(outer, root)}

### Cause chain

${causes.length === 0 ? 'No cause recorded.' : causes.join('\n\n')}
${others.length === 0 ? '' : `\nAlso recorded with it:\n\n${others.join('\n')}\n`}
## Example traces

${datasources}.

| trace | time | service | route | status | Tempo | Loki |
|---|---|---|---|---|---|---|
${traceRows.join('\n')}

## Root cause

TODO: why it happened; the trace and the cause chain above are the starting point.

## What we change

- [x] Regression test: \`${input.testFile}\` (generated; it pins the classification, status, retries and breaker
      behaviour; add the reproduction where it says so)
- [ ] TODO: the fix (code, configuration, a retry budget, a timeout)
- [ ] TODO: an alert that would have fired (\`- alert rule:\` below) or a lint rule that catches the pattern (\`- lint rule:\`)

## Guards

<!-- One per line; \`faultline incident check\` fails unless there is at least one and each exists:
- regression test: <test file that mentions ${id}>
- lint rule: <plugin/rule>, tested in <rule test file whose test case names ${id}>
- alert rule: <alert name> in <Prometheus rules file>
-->
- regression test: ${input.testFile}
`;
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => (line === '' ? line : `   ${line}`))
    .join('\n');
}

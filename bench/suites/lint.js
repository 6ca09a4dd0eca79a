// 5. Lint: the time eslint-plugin-faultline adds to a typed lint of this repository's src/, against
// typescript-eslint's recommendedTypeChecked alone, in the same run (fresh process per lint).
import { fileURLToPath, URL } from 'node:url';
import { fmt, median, shuffle, table, verdict } from '../lib/stats.js';
import { runWorker } from '../lib/workers.js';

const WORKER = fileURLToPath(new URL('./lint-worker.js', import.meta.url));
const VARIANTS = ['typescript-eslint', 'faultline-rules', 'faultline-recommended'];
const TARGET = 0.25;

export async function runLint({ rounds, cpus, log }) {
  const runs = [];
  // One lint first, not counted: the first reads every file and module from a cold cache.
  await runWorker({ script: WORKER, args: ['typescript-eslint'], cpu: cpus.app });
  for (let round = 1; round <= rounds; round += 1) {
    for (const variant of shuffle(VARIANTS)) {
      const { result } = await runWorker({ script: WORKER, args: [variant], cpu: cpus.app });
      runs.push(result);
      log(`  lint round ${round}: ${variant.padEnd(21)} ${fmt(result.ms)} ms, ${result.files} files, ${result.problems} problems`);
    }
  }
  const ms = Object.fromEntries(VARIANTS.map((variant) => [variant, median(runs.filter((run) => run.variant === variant).map((run) => run.ms))]));
  // The steadier number: time spent inside the plugin's rules (ESLint's per-rule stats), over the baseline.
  const ownRuleMs = median(runs.filter((run) => run.variant === 'faultline-rules').map((run) => sumRules(run, (rule) => rule.startsWith('faultline/'))));
  const added = ms['faultline-rules'] / ms['typescript-eslint'] - 1;
  return {
    rounds,
    ms,
    ownRuleMs,
    perRule: perRule(runs.filter((run) => run.variant === 'faultline-recommended')),
    target: {
      name: `eslint-plugin-faultline's rules add < ${TARGET * 100}% to a typed lint of src/`,
      value: `${signed(added * 100)}% (time inside its rules: +${((ownRuleMs / ms['typescript-eslint']) * 100).toFixed(1)}%)`,
      pass: added < TARGET,
    },
  };
}

function signed(value) {
  return `${value >= 0 ? '+' : ''}${value.toFixed(1)}`;
}

function sumRules(run, keep) {
  return Object.entries(run.ruleMs).reduce((sum, [rule, time]) => (keep(rule) ? sum + time : sum), 0);
}

/** Median time per rule over the runs of full recommended, for the rules recommended turns on. */
function perRule(runs) {
  const names = runs[0]?.recommendedRules ?? [];
  return names.map((rule) => ({ rule, ms: median(runs.map((run) => run.ruleMs[rule] ?? 0)) })).sort((a, b) => b.ms - a.ms);
}

export function lintMarkdown(result) {
  const base = result.ms['typescript-eslint'];
  const rows = [
    ["typescript-eslint's `recommendedTypeChecked` alone", fmt(base), '1.00×'],
    ['+ the plugin\'s own rules (`faultline/*` of `recommended`)', fmt(result.ms['faultline-rules']), `${(result.ms['faultline-rules'] / base).toFixed(2)}×`],
    ['+ all of `faultline.configs.recommended`', fmt(result.ms['faultline-recommended']), `${(result.ms['faultline-recommended'] / base).toFixed(2)}×`],
  ];
  return [
    '`eslint` (Node API, `stats: true`, no cache) on `src/` with typed linting (`projectService`), a fresh process per lint so that',
    `each builds its TypeScript program as a CI run does; after one uncounted warm-up lint, the three configs run in a shuffled order in each of ${result.rounds} rounds; medians.`,
    '',
    table(['config', 'ms', 'vs recommendedTypeChecked'], rows),
    '',
    `Time inside the plugin's own rules (ESLint's per-rule stats): ${fmt(result.ownRuleMs)} ms, ${((result.ownRuleMs / base) * 100).toFixed(1)}% of the baseline lint.`,
    '',
    'Per rule, in a lint with all of `recommended` (ms):',
    '',
    table(['rule', 'ms'], result.perRule.slice(0, 12).map(({ rule, ms }) => [`\`${rule}\``, fmt(ms, 1)])),
    '',
    `Target: ${result.target.name}: ${result.target.value} — ${verdict(result.target.pass)}`,
  ].join('\n');
}

// One lint of the repository's src/ in a fresh process (the TypeScript program is built anew, as in
// a CI run), with one of the lint suite's configs; prints a JSON line: wall time and time per rule.
//   node lint-worker.js <typescript-eslint|faultline-rules|faultline-recommended>
import { performance } from 'node:perf_hooks';
import process from 'node:process';
import { fileURLToPath, URL } from 'node:url';
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';
import faultline from '../../eslint-plugin/dist/index.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const variant = process.argv[2];
const typed = { languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: root } } };
const ownRules = Object.fromEntries(Object.entries(faultline.configs.recommended.rules).filter(([id]) => id.startsWith('faultline/')));

const extra = {
  // The plugin registered with no rule on, so that src/'s disable comments for its rules resolve.
  'typescript-eslint': [{ plugins: { faultline } }],
  // The plugin's own rules only, beside typescript-eslint's.
  'faultline-rules': [{ plugins: { faultline }, rules: ownRules }],
  // All of recommended: the plugin's rules and the core / typescript-eslint rules it turns on.
  'faultline-recommended': [faultline.configs.recommended],
}[variant];
if (extra === undefined) throw new TypeError(`unknown variant ${variant}`);

// Disable comments for rules a variant leaves off are not problems worth counting in any variant.
const config = tseslint.config({ linterOptions: { reportUnusedDisableDirectives: 'off' } }, { files: ['src/**/*.ts'], extends: [...tseslint.configs.recommendedTypeChecked, ...extra], ...typed });
const eslint = new ESLint({ cwd: root, overrideConfigFile: true, overrideConfig: config, stats: true, cache: false });
const started = performance.now();
const results = await eslint.lintFiles(['src']);
const ms = performance.now() - started;

const ruleMs = {};
let parseMs = 0;
for (const result of results) {
  for (const pass of result.stats?.times.passes ?? []) {
    parseMs += pass.parse?.total ?? 0;
    for (const [rule, time] of Object.entries(pass.rules ?? {})) ruleMs[rule] = (ruleMs[rule] ?? 0) + time.total;
  }
}
const problems = results.reduce((sum, result) => sum + result.errorCount + result.warningCount, 0);
const recommendedRules = Object.keys(faultline.configs.recommended.rules);
process.stdout.write(`${JSON.stringify({ variant, ms, parseMs, ruleMs, files: results.length, problems, recommendedRules })}\n`);

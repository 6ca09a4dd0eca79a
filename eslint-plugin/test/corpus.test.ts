import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ESLint, type Linter } from 'eslint';
import tseslint from 'typescript-eslint';
import plugin from '../src/index.ts';

// Unusual TypeScript and JavaScript (fixtures/corpus: every shape of catch, throw, rejection and
// metric call the rules look at, plus decorators, `using`, JSX, namespaces, CommonJS, empty files)
// linted with every rule of the plugin, three ways: with types, without, and as plain JavaScript.
// A rule that throws stops the whole lint run for its user; here it fails the test. Fixes are
// applied too, and what they leave must still parse.

const corpus = fileURLToPath(new URL('./fixtures/corpus/', import.meta.url));
const files = readdirSync(corpus).filter((name) => /\.(?:ts|tsx|mts|cts|js)$/.test(name));
const everyRule = Object.fromEntries(Object.keys(plugin.rules).map((id) => [`faultline/${id}`, 'error' as const]));
const plugins = { faultline: plugin as unknown as ESLint.Plugin };
const tsFiles = ['**/*.ts', '**/*.tsx', '**/*.mts', '**/*.cts'];

const setups: Record<string, Linter.Config[]> = {
  'with types': [{ files: [...tsFiles, '**/*.js'], plugins, rules: everyRule, languageOptions: { parser: tseslint.parser as Linter.Parser, parserOptions: { projectService: true, tsconfigRootDir: corpus } } }],
  'without types': [{ files: [...tsFiles, '**/*.js'], plugins, rules: everyRule, languageOptions: { parser: tseslint.parser as Linter.Parser } }],
  'as JavaScript (espree)': [{ files: ['**/*.js'], plugins, rules: everyRule, languageOptions: { sourceType: 'commonjs' } }],
};

describe('the corpus of unusual code never crashes a rule', () => {
  for (const [name, config] of Object.entries(setups)) {
    it(`lints and fixes every file ${name}`, async () => {
      const eslint = new ESLint({ cwd: corpus, overrideConfigFile: true, overrideConfig: config, fix: true, ignore: false });
      const targets = name.startsWith('as JavaScript') ? files.filter((file) => file.endsWith('.js')) : files;
      // A throwing rule rejects here, naming the rule and the file.
      const results = await eslint.lintFiles(targets);
      assert.equal(results.length, targets.length);
      for (const result of results) {
        const fatal = result.messages.filter((message) => message.fatal === true);
        assert.deepEqual(fatal, [], `${result.filePath}: parses, before and after fixes`);
      }
      // The rules did run on it: the corpus holds violations of most of them.
      const reported = new Set(results.flatMap((result) => result.messages.map((message) => message.ruleId)));
      for (const rule of ['faultline/no-blind-catch', 'faultline/only-coded-errors', 'faultline/no-unbounded-metric-attributes']) {
        assert.ok(reported.has(rule), `${name}: ${rule} reported something`);
      }
    });
  }
});

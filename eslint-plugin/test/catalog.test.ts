import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import plugin, { FAULTLINE_ERROR_CLASSES, appErrorClasses } from '../src/index.ts';
import { ruleDocsUrl } from '../src/create-rule.ts';
import { platformRules } from '../src/configs.ts';
import { PLUGIN_VERSION } from '../src/version.ts';
import * as faultlineCatalog from '../../src/errors/catalog.ts';
import { PLATFORM_RULES } from './helpers/issue-rules.ts';

// Rules, docs pages, configs and READMEs in step, as test/errors/catalog.test.ts keeps the error
// codes and docs/errors.md.

const docsDir = new URL('../docs/rules/', import.meta.url);
const ruleIds = Object.keys(plugin.rules).sort();
const read = (url: URL): string => readFileSync(url, 'utf8');

interface RuleMeta {
  docs: { description: string; url: string; config: 'recommended' | 'strict'; seedRules: readonly string[] };
  messages: Record<string, string>;
  fixable?: string;
  hasSuggestions?: boolean;
}
const metaOf = (id: string): RuleMeta => (plugin.rules as unknown as Record<string, { meta: RuleMeta }>)[id]?.meta as RuleMeta;

/** The backticked names listed under a page's "## Messages" heading. */
function documentedMessages(page: string): string[] {
  const section = page.split(/^## Messages$/m)[1]?.split(/^## /m)[0] ?? '';
  return [...section.matchAll(/`([A-Za-z]+)`/g)].map((match) => match[1] ?? '').sort();
}

describe('rule catalog', () => {
  it('has the six rules of the issue, by their exact IDs', () => {
    assert.deepEqual(ruleIds, [
      'log-error-object',
      'no-blind-catch',
      'no-long-error-messages',
      'no-swallowed-cancellation',
      'no-unbounded-metric-attributes',
      'only-coded-errors',
    ]);
  });

  it('has one docs page per rule, and no page without a rule', () => {
    const pages = readdirSync(docsDir).filter((name) => name.endsWith('.md')).map((name) => name.slice(0, -3)).sort();
    assert.deepEqual(pages, ruleIds);
  });

  for (const id of ruleIds) {
    it(`documents ${id}: title, sections, config, messages, options`, () => {
      const page = read(new URL(`${id}.md`, docsDir));
      const meta = metaOf(id);
      assert.match(page, new RegExp(`^# faultline/${id}\\n`), 'title');
      for (const heading of ['What it catches', 'Why', 'The incident it prevents', 'The fix', 'Options', 'Messages']) {
        assert.match(page, new RegExp(`^## ${heading}$`, 'm'), `${id}: section "${heading}"`);
      }
      assert.match(page, new RegExp(`^Config: \`${meta.docs.config}\``, 'm'), `${id}: config line`);
      for (const code of meta.docs.seedRules) assert.ok(page.replace(/`/g, '').includes(code), `${id}: names ${code}`);
      // Every message ID the rule can report, and nothing else, is listed (suggestion IDs included).
      assert.deepEqual(documentedMessages(page), Object.keys(meta.messages).sort(), `${id}: messages`);
      assert.equal(meta.fixable === 'code', /Fixable/.test(page), `${id}: says whether it is fixable`);
      const schema = (plugin.rules as unknown as Record<string, { meta: { schema: { properties?: Record<string, unknown> }[] } }>)[id]?.meta.schema[0];
      for (const option of Object.keys(schema?.properties ?? {})) assert.ok(page.includes(`\`${option}\``), `${id}: documents option ${option}`);
      assert.equal(meta.docs.url, ruleDocsUrl(id));
      assert.ok(meta.docs.description.length > 20);
    });
  }

  it('recommended turns on exactly the recommended rules; strict turns on every rule', () => {
    const recommended = Object.keys(plugin.configs.recommended.rules ?? {}).filter((name) => name.startsWith('faultline/'));
    const strict = Object.keys(plugin.configs.strict.rules ?? {}).filter((name) => name.startsWith('faultline/'));
    assert.deepEqual(recommended.sort(), ruleIds.filter((id) => metaOf(id).docs.config === 'recommended').map((id) => `faultline/${id}`));
    assert.deepEqual(strict.sort(), ruleIds.map((id) => `faultline/${id}`));
    assert.ok(ruleIds.some((id) => metaOf(id).docs.config === 'strict'), 'strict adds something');
  });

  it('recommended turns on the issue\'s core and typescript-eslint rules', () => {
    const rules = plugin.configs.recommended.rules ?? {};
    for (const name of PLATFORM_RULES) {
      assert.ok(rules[name] !== undefined && rules[name] !== 'off', name);
    }
    assert.deepEqual(rules['@typescript-eslint/return-await'], ['error', 'error-handling-correctness-only']);
    assert.deepEqual(Object.keys(platformRules).sort(), Object.keys(rules).filter((name) => !name.startsWith('faultline/')).sort());
  });

  it("knows faultline's own error classes, in step with src/errors/catalog.ts", () => {
    // TaskGroupError lives in task-group-error.ts (it classifies its members), beside the catalog.
    assert.deepEqual([...FAULTLINE_ERROR_CLASSES].sort(), ['AppError', 'TaskGroupError', ...Object.keys(faultlineCatalog)].sort());
    const entry = plugin.configs.recommended.rules?.['preserve-caught-error'] as [string, { errorClassNames: string[] }];
    assert.deepEqual(entry[1].errorClassNames, [...FAULTLINE_ERROR_CLASSES]);
    const withApp = appErrorClasses(['CardDeclined', 'AppError']).rules?.['preserve-caught-error'] as [string, { errorClassNames: string[] }];
    assert.deepEqual(withApp[1].errorClassNames, [...FAULTLINE_ERROR_CLASSES, 'CardDeclined']);
  });

  it('carries its name, namespace and version in meta', () => {
    const pkg = JSON.parse(read(new URL('../package.json', import.meta.url))) as { name: string; version: string };
    assert.deepEqual(plugin.meta, { name: pkg.name, version: pkg.version, namespace: 'faultline' });
    assert.equal(PLUGIN_VERSION, pkg.version);
  });

  it("lists every rule in the package README's table with its config", () => {
    const readme = read(new URL('../README.md', import.meta.url));
    for (const id of ruleIds) {
      const row = readme.split('\n').find((line) => line.startsWith(`| [\`faultline/${id}\`]`));
      assert.ok(row !== undefined, `README row for ${id}`);
      assert.ok(row.includes(`| ${metaOf(id).docs.config} |`), `${id}: config in README`);
      for (const code of metaOf(id).docs.seedRules) assert.ok(row.includes(code.replace('CancelledError', '`CancelledError`')), `${id}: ${code} in README`);
    }
  });

  it("maps the seed's Ruff rules in the repository README, each rule of ours included", () => {
    const readme = read(new URL('../../README.md', import.meta.url));
    const section = readme.split(/^### From the seed's Ruff rules$/m)[1]?.split(/^##/m)[0];
    assert.ok(section !== undefined, 'README has a "### From the seed\'s Ruff rules" section');
    for (const code of ['TRY002', 'TRY003', 'TRY004', 'TRY203', 'TRY300', 'TRY400', 'TRY401', 'BLE001', 'B904', 'B012', 'S110', 'S112', 'PEP 765', 'CancelledError']) {
      assert.ok(section.includes(code), `README maps ${code}`);
    }
    for (const id of ruleIds) assert.ok(section.includes(`faultline/${id}`), `README mentions faultline/${id}`);
  });
});

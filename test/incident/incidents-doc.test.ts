import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '../helpers/run-app.ts';
import { requireTool, runOk } from '../stack/tools.ts';

// docs/incidents.md shows the alert rule INC-1 adds and its promtool test: both go through the real
// promtool, as the page tells the reader to do, so the page cannot show a rule that does not load or
// a test that does not pass.

/** The page's YAML blocks whose first line names the file they are, by that name. */
function namedYamlBlocks(markdown: string): Map<string, string> {
  const blocks = new Map<string, string>();
  for (const match of markdown.matchAll(/```yaml\n# (\S+\.ya?ml)\n([\s\S]*?)```/g)) blocks.set(match[1]!, match[2]!);
  return blocks;
}

test('the alert rule and the promtool test in docs/incidents.md pass promtool', () => {
  const promtool = requireTool('promtool');
  const blocks = namedYamlBlocks(readFileSync(path.join(repoRoot, 'docs', 'incidents.md'), 'utf8'));
  const rules = 'deploy/prometheus/rules/incidents.rules.yml';
  const tests = 'deploy/prometheus/tests/incidents.test.yml';
  assert.deepEqual([...blocks.keys()].sort(), [rules, tests]);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'faultline-incidents-doc-'));
  try {
    for (const [file, text] of blocks) {
      mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
      writeFileSync(path.join(dir, file), text);
    }
    runOk(promtool, ['check', 'rules', rules], dir);
    const run = runOk(promtool, ['test', 'rules', tests], dir);
    assert.match(run.stdout, /SUCCESS/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import plugin from '../src/index.ts';
import { PLATFORM_RULES } from './helpers/issue-rules.ts';

// ESLint's own CLI on a fixture project whose eslint.config.js is the one the README shows:
// `recommended` from the built package, loaded by its name, with typed linting. Each line that
// must be reported says so in a trailing `// expect: rule-id, …` comment; the test compares the
// rule IDs and lines ESLint reports with those comments, both ways.

const run = promisify(execFile);
const project = fileURLToPath(new URL('./fixtures/project/', import.meta.url));
const eslintBin = fileURLToPath(new URL('../../node_modules/eslint/bin/eslint.js', import.meta.url));
const built = new URL('../dist/index.js', import.meta.url);

interface Finding {
  file: string;
  line: number;
  rule: string;
}

const key = (finding: Finding): string => `${finding.file}:${String(finding.line)} ${finding.rule}`;

function expectedFindings(): Finding[] {
  const findings: Finding[] = [];
  for (const file of readdirSync(path.join(project, 'src'))) {
    const lines = readFileSync(path.join(project, 'src', file), 'utf8').split('\n');
    lines.forEach((text, index) => {
      const rules = /\/\/ expect: (.+)$/.exec(text)?.[1];
      for (const rule of rules?.split(',') ?? []) findings.push({ file: `src/${file}`, line: index + 1, rule: rule.trim() });
    });
  }
  return findings;
}

interface LintResult {
  filePath: string;
  messages: { ruleId: string | null; line: number; message: string; fatal?: boolean }[];
}

describe('eslint with recommended on a project', () => {
  it('reports exactly the expected rule IDs on the expected lines', async () => {
    assert.ok(existsSync(built), 'eslint-plugin/dist is built (npm run build)');
    let stdout: string;
    try {
      ({ stdout } = await run(process.execPath, [eslintBin, '--format', 'json', '.'], { cwd: project, maxBuffer: 16 * 1024 * 1024 }));
    } catch (error) {
      // Exit code 1 means "problems found", which is what this project is for.
      const failed = error as { code?: number; stdout?: string; stderr?: string };
      assert.equal(failed.code, 1, `eslint failed: ${failed.stderr ?? ''}`);
      stdout = failed.stdout ?? '';
    }
    const results = JSON.parse(stdout) as LintResult[];
    const reported: Finding[] = results.flatMap((result) =>
      result.messages.map((message) => {
        assert.notEqual(message.fatal, true, `${result.filePath}: ${message.message}`);
        return { file: path.relative(project, result.filePath), line: message.line, rule: message.ruleId ?? '(none)' };
      }),
    );
    const expected = expectedFindings();
    assert.ok(expected.length >= 15);
    assert.deepEqual(reported.map(key).sort(), expected.map(key).sort());
    // Every rule of the plugin in recommended, and every platform rule it turns on, shows up.
    const rules = new Set(reported.map((finding) => finding.rule));
    const recommendedOwn = Object.keys(plugin.configs.recommended.rules ?? {}).filter((rule) => rule.startsWith('faultline/'));
    for (const rule of [...recommendedOwn, ...PLATFORM_RULES]) {
      assert.ok(rules.has(rule), `${rule} reported`);
    }
  });
});

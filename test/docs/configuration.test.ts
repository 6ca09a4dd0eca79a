import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { knownVariableNames } from '../../src/config.ts';
import { repoRoot } from '../helpers/run-app.ts';

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

/** Every OTEL_* / FAULTLINE_* variable the code reads, with per-signal templates expanded. */
function variablesReadBySource(): Set<string> {
  const names = new Set<string>();
  for (const file of sourceFiles(path.join(repoRoot, 'src'))) {
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(/['"`]((?:OTEL|FAULTLINE)_[A-Z_]*(?:\$\{upper\}[A-Z_]*)?)['"`]/g)) {
      const name = match[1]!;
      if (name.includes('${upper}')) {
        for (const signal of ['TRACES', 'METRICS', 'LOGS']) names.add(name.replace('${upper}', signal));
      } else {
        names.add(name);
      }
    }
    for (const match of text.matchAll(/process\.env\.((?:OTEL|FAULTLINE)_[A-Z_]+)/g)) names.add(match[1]!);
  }
  return names;
}

function variablesInReadmeTable(): Set<string> {
  const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
  const names = new Set<string>();
  for (const line of readme.split('\n')) {
    if (!line.startsWith('| `')) continue;
    const firstCell = line.split('|')[1] ?? '';
    for (const match of firstCell.matchAll(/`((?:OTEL|FAULTLINE)_[A-Z_]+)`/g)) names.add(match[1]!);
  }
  return names;
}

test('every variable the code reads is in the README configuration table, and nothing else is', () => {
  const read = variablesReadBySource();
  const documented = variablesInReadmeTable();
  assert.ok(read.size > 30, `found only ${read.size} variables: the scan is broken`);
  assert.deepEqual([...read].filter((name) => !documented.has(name)).sort(), [], 'read but not documented');
  assert.deepEqual([...documented].filter((name) => !read.has(name)).sort(), [], 'documented but never read');
});

test("the doctor's list of known variables is exactly what the code reads: it cannot drift", () => {
  // knownVariableNames() lets loadConfig read a recording environment; a variable read anywhere
  // else in src/ (process.env.X) would show up in the scan but not here, and fail this test.
  assert.deepEqual(knownVariableNames(), [...variablesReadBySource()].sort());
});

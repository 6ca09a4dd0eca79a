// The bench's numbers are claims: every table of results in bench/ must render from a committed
// results file (issue 21). Nothing here measures anything; it renders and compares.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '../helpers/run-app.ts';

const bench = path.join(repoRoot, 'bench');

function node(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const run = spawnSync(process.execPath, args, { cwd: bench, encoding: 'utf8' });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

function withTempDir<T>(body: (dir: string) => T): T {
  const dir = mkdtempSync(path.join(tmpdir(), 'faultline-bench-tables-'));
  try {
    return body(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('bench/RESULTS.md is exactly what `node run.js --from-json results.json` renders', () => {
  withTempDir((dir) => {
    const output = path.join(dir, 'RESULTS.md');
    const run = node(['run.js', '--from-json', 'results.json', '--output', output]);
    assert.equal(run.status, 0, run.stderr);
    assert.equal(readFileSync(output, 'utf8'), readFileSync(path.join(bench, 'RESULTS.md'), 'utf8'));
  });
});

test('every results table in bench/README.md renders from the files its marker names', () => {
  const check = node(['history.js', '--check']);
  assert.equal(check.status, 0, check.stderr);
  const readme = readFileSync(path.join(bench, 'README.md'), 'utf8');
  const markers = [...readme.matchAll(/^<!-- table (\{.*\}) -->$/gm)];
  assert.match(check.stdout, new RegExp(`^${markers.length} tables match`));
  assert.ok(markers.length >= 6, 'the history tables are rendered, not typed');
});

test('a table edited by hand fails the check', () => {
  const readme = readFileSync(path.join(bench, 'README.md'), 'utf8');
  const edited = readme.replace(/(\| recordError \| )[0-9.]+ µs/, '$1 1.0 µs');
  assert.notEqual(edited, readme, 'the README has a rendered recordError row to edit');
  withTempDir((dir) => {
    const copy = path.join(dir, 'README.md');
    writeFileSync(copy, edited);
    const check = node(['history.js', '--check', '--readme', copy]);
    assert.equal(check.status, 1);
    assert.match(check.stderr, /differ from what results\/ renders/);
  });
});

test('outside the rendered blocks, bench/README.md has only the tables that describe the bench', () => {
  const readme = readFileSync(path.join(bench, 'README.md'), 'utf8').replace(/<!-- table \{.*?\} -->\n[\s\S]*?<!-- \/table -->/g, '');
  const headers = readme
    .split('\n')
    .filter((line, index, lines) => line.startsWith('|') && !(lines[index - 1] ?? '').startsWith('|'))
    .map((line) => line.split('|')[1]!.trim());
  assert.deepEqual(headers, ['option', 'mode']);
});

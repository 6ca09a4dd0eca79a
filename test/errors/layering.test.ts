import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

// The error model is the floor every capability records through: it must not import upwards, must
// not import a database or Redis driver to recognise their errors, and has no import circle.

const src = resolve(dirname(fileURLToPath(import.meta.url)), '../../src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** Every module specifier a file names: static imports and re-exports (types included) and dynamic import(). */
function specifiers(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const found: string[] = [];
  for (const match of text.matchAll(/^\s*(?:import|export)\s[^;]*?\sfrom\s+'([^']+)'/gms)) found.push(match[1]!);
  for (const match of text.matchAll(/^\s*import\s+'([^']+)'/gm)) found.push(match[1]!);
  for (const match of text.matchAll(/\bimport\(\s*'([^']+)'\s*\)/g)) found.push(match[1]!);
  return found;
}

const graph = new Map<string, { local: string[]; external: string[] }>();
for (const file of sourceFiles(src)) {
  const local: string[] = [];
  const external: string[] = [];
  for (const specifier of specifiers(file)) {
    if (specifier.startsWith('.')) local.push(resolve(dirname(file), specifier));
    else external.push(specifier);
  }
  graph.set(file, { local, external });
}

const name = (file: string): string => relative(src, file);
const inErrors = (file: string): boolean => name(file).startsWith('errors/');

describe('the error model as a floor', () => {
  it('reads the import graph (the test sees real sources)', () => {
    const classify = graph.get(join(src, 'errors/classify.ts'));
    assert.ok(classify !== undefined);
    assert.ok(classify.local.map(name).includes('errors/drivers/drivers.ts'), 'classify imports the driver recognisers');
    assert.ok(graph.get(join(src, 'errors/memo.ts'))!.local.map(name).includes('errors/error-info.ts'), 'type imports are read too');
  });

  it('has no import circle inside src/errors/, type imports included', () => {
    const state = new Map<string, 'open' | 'done'>();
    const cycles: string[] = [];
    const visit = (file: string, path: string[]): void => {
      if (state.get(file) === 'done') return;
      if (state.get(file) === 'open') {
        cycles.push([...path.slice(path.indexOf(file)), file].map(name).join(' -> '));
        return;
      }
      state.set(file, 'open');
      for (const next of graph.get(file)?.local ?? []) if (inErrors(next)) visit(next, [...path, file]);
      state.set(file, 'done');
    };
    for (const file of graph.keys()) if (inErrors(file)) visit(file, []);
    assert.deepEqual(cycles, []);
  });

  it('imports nothing from the capabilities above it, and no driver', () => {
    const drivers = /^(?:pg|pg-pool|mysql|mysql2|mariadb|redis|ioredis|@redis\/.*)(?:\/|$)/;
    for (const [file, { local, external }] of graph) {
      if (!inErrors(file)) continue;
      for (const target of local) {
        const where = name(target);
        assert.ok(where.startsWith('errors/') || !where.includes('/'), `${name(file)} imports ${where}, a floor above the error model`);
      }
      for (const specifier of external) {
        assert.ok(specifier.startsWith('node:') || specifier.startsWith('@opentelemetry/'), `${name(file)} imports ${specifier}`);
      }
    }
    for (const [file, { external }] of graph) {
      for (const specifier of external) assert.doesNotMatch(specifier, drivers, `${name(file)} imports the driver ${specifier}`);
    }
  });
});

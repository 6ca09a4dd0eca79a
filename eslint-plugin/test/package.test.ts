import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import { describe, it } from 'node:test';

// The plugin has no node_modules of its own in this repository: on a fresh clone, `npm ci` at the
// root must install everything it imports. So every package its source imports is declared in its
// package.json (dependencies or peerDependencies), and every one of those is a devDependency of
// the root, resolvable from the plugin's folder.

interface Manifest {
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

const read = (url: URL): Manifest => JSON.parse(readFileSync(url, 'utf8')) as Manifest;
const pluginManifest = read(new URL('../package.json', import.meta.url));
const rootManifest = read(new URL('../../package.json', import.meta.url));
const sourceDir = new URL('../src/', import.meta.url);

function importedPackages(): Set<string> {
  const names = new Set<string>();
  for (const file of readdirSync(sourceDir, { recursive: true, encoding: 'utf8' }).filter((name) => name.endsWith('.ts'))) {
    const text = readFileSync(new URL(file, sourceDir), 'utf8');
    for (const match of text.matchAll(/^import\s+(type\s+)?[^'"]*?from\s+'([^']+)'/gm)) {
      const specifier = match[2] ?? '';
      if (match[1] !== undefined || specifier.startsWith('.') || specifier.startsWith('node:') || builtinModules.includes(specifier)) continue;
      names.add(specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : (specifier.split('/')[0] ?? specifier));
    }
  }
  return names;
}

describe('eslint-plugin package', () => {
  const declared = { ...pluginManifest.dependencies, ...pluginManifest.peerDependencies };

  it('declares every package its source imports at run time', () => {
    const imported = importedPackages();
    assert.ok(imported.has('@typescript-eslint/utils') && imported.has('typescript-eslint'));
    for (const name of imported) assert.ok(name in declared, `${name} is imported but not in eslint-plugin/package.json`);
  });

  it('has every dependency and peer installed by the root package, resolvable from its folder', () => {
    const require = createRequire(new URL('../src/index.ts', import.meta.url));
    for (const [name, range] of Object.entries(declared)) {
      const rootRange = rootManifest.devDependencies?.[name];
      assert.ok(rootRange !== undefined, `${name} (${range}) is not a root devDependency: a fresh clone's npm ci would not install it`);
      const installed = (JSON.parse(readFileSync(require.resolve(`${name}/package.json`), 'utf8')) as { version: string }).version;
      const major = /^[\^~>=]*(\d+)/.exec(range)?.[1];
      assert.ok(major !== undefined && (range.startsWith('>=') ? Number(installed.split('.')[0]) >= Number(major) : installed.startsWith(`${major}.`)), `${name}: ${installed} installed, ${range} wanted`);
    }
  });
});

import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Check } from './doctor.ts';
import { readPackageJson, shown } from './package-copies.ts';

export type ModuleFormat = 'esm' | 'commonjs';

/** What Node will load a file as, from its extension or the nearest package.json's `type`. */
export function entryFormat(file: string): { format: ModuleFormat; reason: string } {
  const extension = path.extname(file);
  if (extension === '.mjs' || extension === '.mts') return { format: 'esm', reason: extension };
  if (extension === '.cjs' || extension === '.cts') return { format: 'commonjs', reason: extension };
  let dir = path.dirname(path.resolve(file));
  for (;;) {
    const manifest = readPackageJson(dir);
    if (manifest !== undefined) {
      return manifest.type === 'module'
        ? { format: 'esm', reason: `"type": "module" in ${shown(path.join(dir, 'package.json'))}` }
        : { format: 'commonjs', reason: `no "type": "module" in ${shown(path.join(dir, 'package.json'))}; a file with import/export syntax still runs as ESM` };
    }
    const parent = path.dirname(dir);
    if (parent === dir) return { format: 'commonjs', reason: 'no package.json above it' };
    dir = parent;
  }
}

const NAMES: Record<ModuleFormat, string> = { esm: 'an ES module', commonjs: 'CommonJS' };

/**
 * The app's entry and how it loads. Both formats are instrumented (loader hooks cover `import` and
 * `require`); what fails is an entry that does not exist.
 */
export function entryCheck(file: string | undefined, source: string, loadedAs?: ModuleFormat): Check {
  if (file === undefined) return { id: 'entry', status: 'skip', summary: 'no entry script (a REPL or node -e)' };
  if (!existsSync(file)) {
    return { id: 'entry', status: 'fail', summary: `entry ${file} (from ${source}) does not exist`, fix: 'pass the script that starts the app: faultline doctor --entry <file>', data: { file, source } };
  }
  const { format, reason } = entryFormat(file);
  const actual = loadedAs ?? format;
  const how = loadedAs === undefined ? reason : `loaded by the ${loadedAs === 'esm' ? 'ES module' : 'CommonJS'} loader`;
  return { id: 'entry', status: 'pass', summary: `${shown(path.resolve(file))} is ${NAMES[actual]} (${how})`, data: { file, source, format: actual } };
}

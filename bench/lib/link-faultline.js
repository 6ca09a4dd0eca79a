// The bench is its own package, so `faultline` is not resolvable by self-reference from here. Link
// bench/node_modules/faultline to the repository root (the built package, as users install it)
// instead of listing it as a dependency: a `file:..` dependency would make npm install the root's
// dependencies too.
import { lstatSync, mkdirSync, readlinkSync, rmSync, symlinkSync, existsSync } from 'node:fs';
import { fileURLToPath, URL } from 'node:url';
import { join } from 'node:path';

const BENCH_DIR = fileURLToPath(new URL('..', import.meta.url));

export function linkFaultline() {
  const modules = join(BENCH_DIR, 'node_modules');
  const link = join(modules, 'faultline');
  const target = join('..', '..');
  mkdirSync(modules, { recursive: true });
  try {
    const stat = lstatSync(link);
    if (stat.isSymbolicLink() && readlinkSync(link) === target) return;
    rmSync(link, { recursive: true, force: true });
  } catch {
    // Not there yet.
  }
  symlinkSync(target, link, 'dir');
  if (!existsSync(join(BENCH_DIR, '..', 'dist', 'index.js'))) {
    throw new Error('dist/ is missing: run `npm run build` in the repository root first (npm run bench does)');
  }
}

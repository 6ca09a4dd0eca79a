import { readFileSync, realpathSync } from 'node:fs';
import path from 'node:path';
import type { Check } from './doctor.ts';

export interface PackageJson {
  name?: string;
  version?: string;
  type?: string;
  main?: string;
  scripts?: Record<string, string>;
}

const manifests = new Map<string, PackageJson | undefined>();

/** `dir/package.json`, parsed (cached); undefined when missing or unreadable. */
export function readPackageJson(dir: string): PackageJson | undefined {
  if (manifests.has(dir)) return manifests.get(dir);
  let manifest: PackageJson | undefined;
  try {
    const parsed: unknown = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'));
    manifest = typeof parsed === 'object' && parsed !== null ? (parsed as PackageJson) : undefined;
  } catch {
    manifest = undefined;
  }
  manifests.set(dir, manifest);
  return manifest;
}

/** The folder of the package called `name` that `file` belongs to (its real path). */
export function packageRootOf(file: string, name: string): string | undefined {
  let dir = path.dirname(file);
  for (;;) {
    if (readPackageJson(dir)?.name === name) return realPath(dir);
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** True when `file` is `root` or lies under it (not merely shares its prefix, like `api` and `api-logs`). */
export function isInside(file: string, root: string): boolean {
  return file === root || file.startsWith(root.endsWith(path.sep) ? root : root + path.sep);
}

export function realPath(file: string): string {
  try {
    return realpathSync(file);
  } catch {
    return file;
  }
}

/** One installed or loaded copy of a package, and what imported it (when known). */
export interface PackageCopy {
  root: string;
  version: string;
  importedBy: string[];
}

/** Groups files of a package by the copy (package folder) they belong to. */
export function copiesOf(name: string, files: readonly { file: string; importedBy?: string | undefined }[]): PackageCopy[] {
  const copies = new Map<string, PackageCopy>();
  for (const { file, importedBy } of files) {
    const root = packageRootOf(file, name);
    if (root === undefined) continue;
    let copy = copies.get(root);
    if (copy === undefined) {
      copy = { root, version: readPackageJson(root)?.version ?? 'unknown version', importedBy: [] };
      copies.set(root, copy);
    }
    if (importedBy !== undefined && !copy.importedBy.includes(importedBy) && copy.importedBy.length < 3) copy.importedBy.push(importedBy);
  }
  return [...copies.values()];
}

/** A path as the user would write it from their app's folder. */
export function shown(file: string, cwd: string = process.cwd()): string {
  const relative = path.relative(cwd, file);
  if (relative === '') return '.';
  return relative.split(path.sep).filter((part) => part === '..').length > 2 ? file : relative;
}

function describe(copy: PackageCopy, cwd: string, withImporters: boolean): string {
  const by = withImporters && copy.importedBy.length > 0 ? `, imported by ${copy.importedBy.map((file) => shown(file, cwd)).join(', ')}` : '';
  return `${copy.version} at ${shown(copy.root, cwd)}${by}`;
}

export interface CopiesCheckOptions {
  id: string;
  name: string;
  copies: PackageCopy[];
  /** `loaded` in the app, `installed` under node_modules (the command line). */
  where: 'loaded' | 'installed';
  /** Identical versions share the API's global registry and still work; a second faultline does not. */
  sameVersionIsFine: boolean;
  /** Said when there is no copy at all. */
  missing: Pick<Check, 'status' | 'summary' | 'fix'>;
  cwd?: string;
}

/** Exactly one copy passes; versions that differ fail, with every copy and what imported it named. */
export function copiesCheck(options: CopiesCheckOptions): Check {
  const { id, name, copies, where } = options;
  const cwd = options.cwd ?? process.cwd();
  const data = { copies: copies.map((copy) => ({ ...copy })) };
  if (copies.length === 0) return { id, ...options.missing, data };
  const list = copies.map((copy) => describe(copy, cwd, copies.length > 1)).join('; ');
  if (copies.length === 1) return { id, status: 'pass', summary: `one copy of ${name} ${where}: ${list}`, data };
  const versions = new Set(copies.map((copy) => copy.version));
  const fix = `make the app use one copy: \`npm ls ${name}\` shows who brings each, then align their versions and run \`npm dedupe\``;
  if (versions.size === 1 && options.sameVersionIsFine) {
    return { id, status: 'warn', summary: `${copies.length} copies of ${name} ${where}, all ${[...versions].join('')}: they share one global registry, so this works`, fix, data };
  }
  const effect = name === 'faultline' ? 'shutdown() and flush() of the second copy do not reach the SDK the first one started' : 'a copy of another version does not see the providers the first one registered: its spans and metrics go nowhere, silently';
  return { id, status: 'fail', summary: `${copies.length} copies of ${name} ${where} (${list}): ${effect}`, fix, data };
}

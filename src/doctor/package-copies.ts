import { readFileSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Check } from './doctor.ts';

export interface PackageJson {
  name?: string;
  version?: string;
  type?: string;
  main?: string;
  scripts?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

const manifests = new Map<string, PackageJson | undefined>();

/** `dir/package.json`, parsed (cached); undefined when missing or unreadable. */
export function readPackageJson(dir: string): PackageJson | undefined {
  if (manifests.has(dir)) return manifests.get(dir);
  let manifest: PackageJson | undefined;
  try {
    const parsed: unknown = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'));
    manifest = typeof parsed === 'object' && parsed !== null ? parsed : undefined;
  } catch { // eslint-disable-line faultline/no-blind-catch -- an unreadable package.json is reported as such
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
  } catch { // eslint-disable-line faultline/no-blind-catch -- a path that cannot be resolved is named as given
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
  const by = withImporters && copy.importedBy.length > 0 ? `, imported by ${copy.importedBy.map((file) => (path.isAbsolute(file) ? shown(file, cwd) : file)).join(', ')}` : '';
  return `${copy.version} at ${shown(copy.root, cwd)}${by}`;
}

/**
 * Whether a copy of @opentelemetry/api at `own` reads the globals registered by a copy at
 * `registered`: the API's own rule (same major, own minor at most the registered one; a pre-release
 * only its exact version). An older copy reads a newer registration; a newer one gets no-ops.
 */
export function apiCanRead(own: string, registered: string): boolean {
  if (own === registered) return true;
  const parse = (version: string) => /^(\d+)\.(\d+)\.(\d+)(-.+)?$/.exec(version);
  const mine = parse(own);
  const theirs = parse(registered);
  if (mine === null || theirs === null || mine[4] !== undefined || theirs[4] !== undefined) return false;
  if (mine[1] !== theirs[1]) return false;
  if (mine[1] === '0') return mine[2] === theirs[2] && Number(mine[3]) <= Number(theirs[3]);
  return Number(mine[2]) <= Number(theirs[2]);
}

/** `version` satisfies a caret range such as `^1.10.0` (the form of faultline's peer dependency). */
export function satisfiesCaret(version: string, range: string): boolean {
  const wanted = /^\^(\d+)\.(\d+)\.(\d+)$/.exec(range.trim());
  const have = /^(\d+)\.(\d+)\.(\d+)$/.exec(version);
  if (wanted === null || have === null) return true;
  const [major, minor, patch] = [1, 2, 3].map((i) => Number(have[i]));
  const [wantMajor, wantMinor, wantPatch] = [1, 2, 3].map((i) => Number(wanted[i]));
  if (major !== wantMajor) return false;
  return minor !== wantMinor ? (minor ?? 0) > (wantMinor ?? 0) : (patch ?? 0) >= (wantPatch ?? 0);
}

const OWN_ROOT = packageRootOf(fileURLToPath(import.meta.url), 'faultline');
const OWN_MANIFEST = OWN_ROOT === undefined ? undefined : readPackageJson(OWN_ROOT);

/** A failed check when faultline's copy of the API is outside its peer range (it then cannot even load). */
export function apiVersionCheck(version: string | undefined): Check | undefined {
  const range = OWN_MANIFEST?.peerDependencies?.['@opentelemetry/api'];
  if (version === undefined || range === undefined || satisfiesCaret(version, range)) return undefined;
  return {
    id: 'api-version',
    status: 'fail',
    summary: `faultline needs @opentelemetry/api ${range} (its peer dependency), but the copy it loads is ${version}: its modules cannot load, so nothing is recorded`,
    fix: `npm install @opentelemetry/api@${range}`,
    data: { version, range },
  };
}

/** The version of the API copy that created the global registry (the API keeps it beside the providers). */
export function registeredApiVersion(): string | undefined {
  const registry = (globalThis as Record<symbol, unknown>)[Symbol.for('opentelemetry.js.api.1')] as { version?: unknown } | undefined;
  return typeof registry?.version === 'string' ? registry.version : undefined;
}

export interface CopiesCheckOptions {
  id: string;
  name: string;
  copies: PackageCopy[];
  /** `loaded` in the app, `installed` under node_modules (the command line). */
  where: 'loaded' | 'installed';
  /**
   * For @opentelemetry/api: the version that registered (or will register) the global providers.
   * Copies that can read it work, and are only a warning; a copy that cannot fails. Without it
   * (faultline itself), any second copy fails.
   */
  registeredApi?: string;
  /** Said when there is no copy at all. */
  missing: Pick<Check, 'status' | 'summary' | 'fix'>;
  cwd?: string;
}

/** Exactly one copy passes; copies that break something fail, with every copy and what imported it named. */
export function copiesCheck(options: CopiesCheckOptions): Check {
  const { id, name, copies, where, registeredApi } = options;
  const cwd = options.cwd ?? process.cwd();
  const data = { copies: copies.map((copy) => ({ ...copy })), registeredApi };
  if (copies.length === 0) return { id, ...options.missing, data };
  const list = copies.map((copy) => describe(copy, cwd, copies.length > 1)).join('; ');
  if (copies.length === 1) return { id, status: 'pass', summary: `one copy of ${name} ${where}: ${list}`, data };
  const fix = `make the app use one copy: \`npm ls ${name}\` shows who brings each, then align their versions and run \`npm dedupe\``;
  const head = `${copies.length} copies of ${name} ${where} (${list})`;
  if (registeredApi === undefined) {
    return { id, status: 'fail', summary: `${head}: shutdown() and flush() of a second copy do not reach the SDK the first one started`, fix, data };
  }
  const blind = [...new Set(copies.map((copy) => copy.version).filter((version) => !apiCanRead(version, registeredApi)))];
  if (blind.length > 0) {
    return {
      id,
      status: 'fail',
      summary: `${head}: ${blind.join(', ')} cannot read the providers registered through ${registeredApi} (a copy reads only a registration of its own major and at least its minor), so what goes through it is dropped`,
      fix,
      data,
    };
  }
  return { id, status: 'warn', summary: `${head}: each can read the providers registered through ${registeredApi}, so this works until a newer copy arrives`, fix, data };
}

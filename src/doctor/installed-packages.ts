import { existsSync, lstatSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { FaultlineConfig } from '../config.ts';
import { BUNDLED_INSTRUMENTATIONS } from '../sdk/instrumentations.ts';
import type { Check } from './doctor.ts';
import { patchingNames } from './load-order.ts';
import { readPackageJson, realPath, type PackageCopy } from './package-copies.ts';

/** Package folders visited at most: a large app has a few thousand; this keeps a pathological tree bounded. */
const MAX_PACKAGES = 50_000;

function entries(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch { // eslint-disable-line faultline/no-blind-catch -- a folder that cannot be read lists nothing
    return [];
  }
}

function isLink(dir: string): boolean {
  try {
    return lstatSync(dir).isSymbolicLink();
  } catch { // eslint-disable-line faultline/no-blind-catch -- a probe that cannot look answers no
    return false;
  }
}

/**
 * Every installed copy of the named packages under the app's node_modules tree (nested copies, pnpm's
 * `.pnpm` store, copies hoisted into a parent folder's node_modules), and the app itself when it is
 * one of them. A linked package (`npm link`, workspaces) counts, but its own node_modules is not
 * searched: it is a development checkout, not what the app installs.
 */
export function installedCopies(cwd: string, names: readonly string[]): Map<string, PackageCopy[]> {
  const found = new Map<string, Map<string, PackageCopy>>(names.map((name) => [name, new Map()]));
  const record = (dir: string): void => {
    const manifest = readPackageJson(dir);
    const copies = manifest?.name === undefined ? undefined : found.get(manifest.name);
    if (copies === undefined) return;
    const root = realPath(dir);
    if (!copies.has(root)) copies.set(root, { root, version: manifest?.version ?? 'unknown version', importedBy: [] });
  };
  record(cwd);
  const queue = [path.join(cwd, 'node_modules')];
  const seen = new Set<string>();
  let visited = 0;
  while (queue.length > 0 && visited < MAX_PACKAGES) {
    const modules = queue.shift() ?? '';
    const real = realPath(modules);
    if (seen.has(real)) continue;
    seen.add(real);
    for (const entry of entries(modules)) {
      if (entry === '.bin' || entry === '.cache') continue;
      if (entry === '.pnpm') {
        for (const stored of entries(path.join(modules, entry))) queue.push(path.join(modules, entry, stored, 'node_modules'));
        continue;
      }
      const packages = entry.startsWith('@') ? entries(path.join(modules, entry)).map((name) => path.join(modules, entry, name)) : [path.join(modules, entry)];
      for (const dir of packages) {
        visited += 1;
        record(dir);
        const nested = path.join(dir, 'node_modules');
        if (!isLink(dir) && existsSync(nested)) queue.push(nested);
      }
    }
  }
  // Copies the app would resolve from a parent folder (a monorepo's hoisted node_modules).
  for (let dir = path.dirname(cwd); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    for (const name of names) record(path.join(dir, 'node_modules', name));
  }
  return new Map([...found].map(([name, copies]) => [name, [...copies.values()]]));
}

/** The folder a package would be resolved from when the app in `cwd` imports it, if installed. */
export function resolvablePackage(cwd: string, name: string): string | undefined {
  for (let dir = cwd; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', name);
    if (existsSync(path.join(candidate, 'package.json'))) return candidate;
    if (dir === path.dirname(dir)) return undefined;
  }
}

/** From the command line: is each patching instrumentation the configuration asks for installed? */
export function instrumentationPackageChecks(config: FaultlineConfig, cwd: string): Check[] {
  if (config.disabled) return [];
  const names = patchingNames(config);
  if (names.length === 0) return [{ id: 'instrumentations', status: 'pass', summary: 'no patching instrumentation enabled (HTTP and fetch spans come from diagnostics_channel)' }];
  return names.map((name): Check => {
    const id = `instrumentation:${name}`;
    if (BUNDLED_INSTRUMENTATIONS.has(name)) {
      return resolvablePackage(cwd, name) === undefined
        ? { id, status: 'info', summary: `${name} is not installed: nothing to instrument` }
        : { id, status: 'pass', summary: `${name} is installed; faultline's own ${name} instrumentation hooks it when the app loads it` };
    }
    const packageName = `@opentelemetry/instrumentation-${name}`;
    if (resolvablePackage(cwd, packageName) !== undefined) return { id, status: 'pass', summary: `${packageName} is installed for ${name}` };
    return { id, status: 'fail', summary: `OTEL_NODE_ENABLED_INSTRUMENTATIONS names ${name}, but ${packageName} is not installed`, fix: `npm install ${packageName}, or remove ${name} from OTEL_NODE_ENABLED_INSTRUMENTATIONS` };
  });
}

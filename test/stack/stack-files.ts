// The stack's configuration files as the tests read them: parsed with the `yaml` package, walked
// with small checked accessors so a missing key fails with its path instead of a TypeError.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { repoRoot } from '../helpers/run-app.ts';

export { repoRoot };

export type Tree = Record<string, unknown>;

export function repoPath(relative: string): string {
  return path.join(repoRoot, relative);
}

export function readText(relative: string): string {
  return readFileSync(repoPath(relative), 'utf8');
}

export function readYaml(relative: string): Tree {
  const parsed: unknown = parse(readText(relative));
  return record(parsed, relative);
}

export function readJson(relative: string): Tree {
  return record(JSON.parse(readText(relative)) as unknown, relative);
}

/** Files under a repository folder (recursively), as repository-relative paths. */
export function filesUnder(relative: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(repoPath(relative), { withFileTypes: true })) {
    const child = path.posix.join(relative, entry.name);
    if (entry.isDirectory()) found.push(...filesUnder(child));
    else found.push(child);
  }
  return found.sort();
}

export function isRecord(value: unknown): value is Tree {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function record(value: unknown, where: string): Tree {
  if (!isRecord(value)) throw new Error(`${where}: expected a mapping, got ${JSON.stringify(value)}`);
  return value;
}

export function list(value: unknown, where: string): unknown[] {
  if (!Array.isArray(value)) throw new Error(`${where}: expected a list, got ${JSON.stringify(value)}`);
  return value as unknown[];
}

export function text(value: unknown, where: string): string {
  if (typeof value !== 'string') throw new Error(`${where}: expected a string, got ${JSON.stringify(value)}`);
  return value;
}

/** `at(tree, 'service.pipelines')`: the value at a dotted path (keys may contain '/'). */
export function at(tree: Tree, dotted: string): unknown {
  let current: unknown = tree;
  for (const key of dotted.split('.')) {
    if (!isRecord(current)) throw new Error(`${dotted}: ${key} is not inside a mapping`);
    current = current[key];
  }
  return current;
}

export function strings(value: unknown, where: string): string[] {
  return list(value, where).map((item, index) => text(item, `${where}[${index}]`));
}

/** The component type of a Collector component ID: `otlp_http/loki` -> `otlp_http`. */
export function componentType(id: string): string {
  return id.split('/')[0] ?? id;
}

/** `host:port` of a URL or of a bare `host:port` endpoint. */
export function hostPort(endpoint: string): { host: string; port: number } {
  const url = new URL(endpoint.includes('://') ? endpoint : `tcp://${endpoint}`);
  return { host: url.hostname, port: Number(url.port) };
}

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

// The guards an incident file names, and whether each exists. A guard is what stops the same
// failure from coming back unnoticed: a regression test, a lint rule whose tests carry the incident
// ID, or an alert rule. They are listed under `## Guards` in the incident file, one per line:
//
//   - regression test: test/incidents/INC-7.test.ts
//   - lint rule: faultline/no-swallowed-cancellation            (optionally `, tested in <file>`)
//   - alert rule: GatewayTimeoutStorm                            (optionally ` in <rules file>`)
//
// Lines inside HTML comments are not read (the skeleton shows the other kinds there).

export type GuardKind = 'regression test' | 'lint rule' | 'alert rule';

export interface Guard {
  kind: GuardKind;
  /** The test file, the rule's name or the alert's name. */
  name: string;
  /** Where to look: the lint rule's test file or the alert's rules file, when given. */
  file: string | undefined;
}

export interface GuardVerdict {
  guard: Guard;
  /** Undefined when the guard exists; else what is missing. */
  missing: string | undefined;
  /** Where it was found (for the report). */
  foundIn: string[];
}

const GUARD_LINE = /^-\s+(regression test|lint rule|alert rule):\s*(.+?)\s*$/;

/** The guards listed in an incident file's `## Guards` section. */
export function guardsOf(markdown: string): Guard[] {
  const section = /^## Guards[ \t]*$([\s\S]*?)(?=^## |(?![\s\S]))/m.exec(markdown)?.[1] ?? '';
  const guards: Guard[] = [];
  for (const line of section.replace(/<!--[\s\S]*?-->/g, '').split('\n')) {
    const match = GUARD_LINE.exec(line.trim());
    if (match === null) continue;
    const kind = match[1] as GuardKind;
    const value = (match[2] ?? '').replace(/`/g, '');
    if (kind === 'lint rule') {
      const [name = '', file] = value.split(/,\s*tested in\s+/);
      guards.push({ kind, name: name.trim(), file: file?.trim() });
    } else if (kind === 'alert rule') {
      const [name = '', file] = value.split(/\s+in\s+/);
      guards.push({ kind, name: name.trim(), file: file?.trim() });
    } else {
      guards.push({ kind, name: value, file: undefined });
    }
  }
  return guards;
}

const SKIPPED_FOLDERS = new Set(['node_modules', 'dist', 'build', 'coverage', '.git', 'scratch']);
const MAX_FILES = 20_000;

/** Files under `root` whose name passes `wanted` (node_modules, dist and hidden folders skipped). */
function findFiles(root: string, wanted: (name: string) => boolean): string[] {
  const found: string[] = [];
  let seen = 0;
  const visit = (dir: string) => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch { // eslint-disable-line faultline/no-blind-catch -- an unreadable folder holds nothing this check can use
      return;
    }
    for (const entry of entries) {
      if (seen++ > MAX_FILES) return;
      if (entry.isDirectory()) {
        if (!SKIPPED_FOLDERS.has(entry.name) && !entry.name.startsWith('.')) visit(path.join(dir, entry.name));
      } else if (entry.isFile() && wanted(entry.name)) {
        found.push(path.join(dir, entry.name));
      }
    }
  };
  visit(root);
  return found.sort();
}

function readText(file: string): string | undefined {
  try {
    return statSync(file).isFile() ? readFileSync(file, 'utf8') : undefined;
  } catch { // eslint-disable-line faultline/no-blind-catch -- a file that cannot be read is reported as missing by the caller
    return undefined;
  }
}

/** Whether the text names the incident (INC-7, not INC-70). */
function carriesId(text: string, id: string): boolean {
  return new RegExp(`(?<![A-Za-z0-9-])${id}(?![0-9])`).test(text);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Checks one guard of incident `id`, with paths relative to `root`. */
export function checkGuard(guard: Guard, id: string, root: string): GuardVerdict {
  const relative = (file: string) => path.relative(root, file).split(path.sep).join('/');
  switch (guard.kind) {
    case 'regression test': {
      const file = path.resolve(root, guard.name);
      const text = readText(file);
      if (text === undefined) return { guard, missing: `regression test ${guard.name} does not exist`, foundIn: [] };
      if (!carriesId(text, id)) return { guard, missing: `regression test ${guard.name} does not mention ${id}`, foundIn: [] };
      return { guard, missing: undefined, foundIn: [guard.name] };
    }
    case 'lint rule': {
      const short = guard.name.split('/').pop() ?? guard.name;
      const files = guard.file === undefined
        ? findFiles(root, (name) => new RegExp(`^${escapeRegExp(short)}\\.(?:test|spec)\\.[cm]?[jt]s$`).test(name))
        : [path.resolve(root, guard.file)];
      const readable = files.filter((file) => readText(file) !== undefined);
      if (readable.length === 0) {
        return { guard, missing: `lint rule ${guard.name}: ${guard.file === undefined ? `no test file named ${short}.test.* or ${short}.spec.*` : `its test file ${guard.file} does not exist`}`, foundIn: [] };
      }
      const carrying = readable.filter((file) => carriesId(readText(file) ?? '', id));
      if (carrying.length === 0) return { guard, missing: `lint rule ${guard.name}: no test case carries ${id} (in ${readable.map(relative).join(', ')})`, foundIn: [] };
      return { guard, missing: undefined, foundIn: carrying.map(relative) };
    }
    case 'alert rule': {
      const alert = new RegExp(`^\\s*(?:-\\s*)?alert:\\s*['"]?${escapeRegExp(guard.name)}['"]?\\s*(?:#.*)?$`, 'm');
      const files = guard.file === undefined ? findFiles(root, (name) => /\.ya?ml$/.test(name)) : [path.resolve(root, guard.file)];
      if (guard.file !== undefined && !existsSync(files[0] ?? '')) return { guard, missing: `alert rule ${guard.name}: the rules file ${guard.file} does not exist`, foundIn: [] };
      const defining = files.filter((file) => alert.test(readText(file) ?? ''));
      if (defining.length === 0) return { guard, missing: `alert rule ${guard.name}: no "alert: ${guard.name}" in ${guard.file ?? 'any YAML rules file'}`, foundIn: [] };
      return { guard, missing: undefined, foundIn: defining.map(relative) };
    }
  }
}

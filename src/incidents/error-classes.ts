import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import * as catalog from '../errors/catalog.ts';
import { isErrorCategory } from '../errors/category.ts';

// Where the class of a recorded error is defined, so that the regression test rebuilds the error
// with the app's own class rather than a copy of it: then a change to the class's category, status
// or retryability is what the test catches. Found by reading source text only (`export const X =
// defineError({ code: 'X', ... })`), never by importing the app's modules.

export interface ErrorClass {
  /** The exported name. */
  name: string;
  /** `faultline` for the catalog's classes, else the source file (absolute). */
  from: string;
  code: string;
  /** The literals of the definition, when they are literals. */
  category: string | undefined;
  httpStatus: number | undefined;
  retryable: boolean;
}

const SOURCE_FILE = /\.(?:[cm]?ts|[cm]?js|tsx|jsx)$/;
// Tests and their fixtures define look-alike classes (a plugin's fixture project, a test double): the app's are elsewhere.
const SKIPPED_FOLDERS = new Set(['node_modules', 'dist', 'build', 'coverage', '.git', 'incidents', 'scratch', 'vendor', 'test', 'tests', '__tests__', 'fixtures', 'bench']);
const MAX_FILES = 5000;
const MAX_FILE_BYTES = 1024 * 1024;
const DEFINITION = /export\s+const\s+([A-Za-z_$][\w$]*)\s*=\s*defineError\s*\(\s*\{([^}]*)\}/g;

/** faultline's own catalog classes, by code. */
export function catalogClasses(): Map<string, ErrorClass> {
  const found = new Map<string, ErrorClass>();
  for (const [name, value] of Object.entries(catalog)) {
    if (typeof value !== 'function') continue;
    const { code, category, httpStatus, retryable } = value as unknown as { code?: unknown; category?: unknown; httpStatus?: unknown; retryable?: unknown };
    if (typeof code !== 'string') continue;
    found.set(code, { name, from: 'faultline', code, category: isErrorCategory(category) ? category : undefined, httpStatus: typeof httpStatus === 'number' ? httpStatus : undefined, retryable: retryable === true });
  }
  return found;
}

/** The `defineError` classes exported by the source files under `root`, by code (the first definition wins). */
export function sourceClasses(root: string, skip: readonly string[] = []): Map<string, ErrorClass> {
  const found = new Map<string, ErrorClass>();
  const skipped = new Set(skip.map((folder) => path.resolve(folder)));
  let files = 0;
  const visit = (dir: string) => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch { // eslint-disable-line faultline/no-blind-catch -- an unreadable folder has no classes to offer; the test then rebuilds the shape
      return;
    }
    for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      if (files >= MAX_FILES) return;
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!SKIPPED_FOLDERS.has(entry.name) && !entry.name.startsWith('.') && !skipped.has(full)) visit(full);
      } else if (entry.isFile() && SOURCE_FILE.test(entry.name) && !/\.(?:test|spec)\.[cm]?[jt]sx?$/.test(entry.name) && !entry.name.endsWith('.d.ts')) {
        files += 1;
        for (const definition of definitionsIn(full)) if (!found.has(definition.code)) found.set(definition.code, definition);
      }
    }
  };
  visit(root);
  return found;
}

function definitionsIn(file: string): ErrorClass[] {
  let text: string;
  try {
    if (statSync(file).size > MAX_FILE_BYTES) return [];
    text = readFileSync(file, 'utf8');
  } catch { // eslint-disable-line faultline/no-blind-catch -- an unreadable file has no classes to offer
    return [];
  }
  if (!text.includes('defineError')) return [];
  const found: ErrorClass[] = [];
  for (const match of text.matchAll(DEFINITION)) {
    const body = match[2] ?? '';
    const code = /\bcode\s*:\s*['"]([A-Za-z0-9_]+)['"]/.exec(body)?.[1];
    if (code === undefined) continue;
    const category = /\bcategory\s*:\s*['"]([a-z_]+)['"]/.exec(body)?.[1];
    const status = /\bhttpStatus\s*:\s*([0-9]{3})\b/.exec(body)?.[1];
    found.push({
      name: match[1] ?? '',
      from: file,
      code,
      category: isErrorCategory(category) ? category : undefined,
      httpStatus: status === undefined ? undefined : Number(status),
      retryable: /\bretryable\s*:\s*true\b/.test(body),
    });
  }
  return found;
}

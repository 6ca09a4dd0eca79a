import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { isErrorCategory } from '../../src/errors/category.ts';
import * as catalogModule from '../../src/errors/catalog.ts';
import { TaskGroupError } from '../../src/errors/task-group-error.ts';

// The catalog, with the one coded error that lives outside catalog.ts (it classifies its members).
const catalog = { ...catalogModule, TaskGroupError };

interface Definition {
  name: string;
  code: string;
  category: string;
  httpStatus: number | undefined;
  retryable: boolean;
  defaultMessage: string | undefined;
}

const definitions: Definition[] = Object.entries(catalog).map(([exportName, cls]) => ({
  name: exportName,
  code: cls.code,
  category: cls.category,
  httpStatus: cls.httpStatus,
  retryable: cls.retryable,
  defaultMessage: cls.defaultMessage,
}));

interface Row {
  code: string;
  className: string;
  category: string;
  httpStatus: string;
  retryable: string;
  meaning: string;
}

function catalogRows(): Row[] {
  const markdown = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
  const section = markdown.split(/^## Catalog$/m)[1]?.split(/^## /m)[0];
  assert.ok(section !== undefined, 'docs/errors.md has no "## Catalog" section');
  return section
    .split('\n')
    .filter((line) => /^\|\s*`/.test(line))
    .map((line) => {
      const cells = line.split('|').slice(1, -1).map((cell) => cell.trim());
      assert.equal(cells.length, 6, `row with ${String(cells.length)} cells: ${line}`);
      const [code = '', className = '', category = '', httpStatus = '', retryable = '', meaning = ''] = cells;
      return { code: code.replace(/`/g, ''), className: className.replace(/`/g, ''), category, httpStatus, retryable, meaning };
    });
}

describe('error catalog', () => {
  it('exports only defined error classes', () => {
    assert.ok(definitions.length >= 10);
    for (const definition of definitions) {
      assert.match(definition.code, /^[A-Z][A-Z0-9_]*$/, definition.name);
      assert.ok(isErrorCategory(definition.category), definition.name);
      assert.ok(definition.defaultMessage !== undefined, `${definition.name} has no default message`);
    }
  });

  it('has unique codes', () => {
    const seen = new Map<string, string>();
    for (const { code, name } of definitions) {
      assert.equal(seen.get(code), undefined, `${code} is used by ${String(seen.get(code))} and ${name}`);
      seen.set(code, name);
    }
  });

  it('has one row per code in docs/errors.md, in step with the code', () => {
    const rows = catalogRows();
    assert.deepEqual(rows.map((row) => row.code).sort(), definitions.map((definition) => definition.code).sort());
    for (const definition of definitions) {
      const row = rows.find((candidate) => candidate.code === definition.code);
      assert.ok(row !== undefined);
      assert.equal(row.className, definition.name, `${definition.code}: class`);
      assert.equal(row.category, definition.category, `${definition.code}: category`);
      assert.equal(row.httpStatus, definition.httpStatus === undefined ? '—' : String(definition.httpStatus), `${definition.code}: HTTP status`);
      assert.equal(row.retryable, definition.retryable ? 'yes' : 'no', `${definition.code}: retryable`);
      assert.ok(row.meaning.length > 10, `${definition.code}: meaning`);
    }
  });

  it('builds instances that match their definition', () => {
    for (const [name, cls] of Object.entries(catalog)) {
      const err = new cls();
      assert.equal(err.code, cls.code, name);
      assert.equal(err.category, cls.category, name);
      assert.equal(err.httpStatus, cls.httpStatus, name);
      assert.equal(err.retryable, cls.retryable, name);
      assert.ok(err instanceof cls, name);
    }
  });
});

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type } from 'arktype';
import * as v from 'valibot';
import { z } from 'zod';
import { isAppError } from '../../src/errors/app-error.ts';
import { ValidationError } from '../../src/errors/catalog.ts';
import { notesOf } from '../../src/errors/notes.ts';
import { parse, parseAsync } from '../../src/validation/parse.ts';

const payload = { email: 'not-an-email', password: 'hunter22', card: { number: '4111 1111 1111 1111' }, items: [{ sku: 'A-1', qty: 0 }] };

const schemas = {
  zod: z.object({
    email: z.email(),
    password: z.string().min(12),
    card: z.object({ number: z.string().regex(/^\d{16}$/) }),
    items: z.array(z.object({ sku: z.string(), qty: z.number().int().min(1) })),
  }),
  valibot: v.object({
    email: v.pipe(v.string(), v.email()),
    password: v.pipe(v.string(), v.minLength(12)),
    card: v.object({ number: v.pipe(v.string(), v.regex(/^\d{16}$/)) }),
    items: v.array(v.object({ sku: v.string(), qty: v.pipe(v.number(), v.integer(), v.minValue(1)) })),
  }),
  arktype: type({
    email: 'string.email',
    password: 'string >= 12',
    card: { number: /^\d{16}$/ },
    items: type({ sku: 'string', qty: 'number.integer >= 1' }).array(),
  }),
};

function failure(run: () => unknown): InstanceType<typeof ValidationError> {
  try {
    run();
  } catch (err) {
    assert.ok(err instanceof ValidationError, `expected a ValidationError, got ${String(err)}`);
    return err;
  }
  assert.fail('parse should have thrown');
}

describe('parse over Standard Schema', () => {
  for (const [library, schema] of Object.entries(schemas)) {
    test(`${library}: a ValidationError with bounded issues and the payload's shape, never its values`, () => {
      const err = failure(() => parse(schema, payload));
      assert.equal(err.code, 'VALIDATION_FAILED');
      assert.equal(err.category, 'validation');
      assert.equal(err.httpStatus, 400);
      const issues = err.details?.issues as { path: string; code: string; message: string }[];
      assert.deepEqual(issues.map((issue) => issue.path).sort(), ['/card/number', '/email', '/items/0/qty', '/password']);
      for (const issue of issues) {
        assert.match(issue.code, /^[A-Za-z0-9_.:-]+$/);
        assert.notEqual(issue.code, 'invalid', `${library} gives its own codes`);
        assert.ok(issue.message.length > 0);
      }
      assert.equal(err.details?.issueCount, 4);
      const everything = JSON.stringify({ message: err.message, details: err.details, notes: notesOf(err) });
      // valibot and arktype quote the offending input in their messages; it is masked.
      for (const value of ['not-an-email', 'hunter22', '4111 1111 1111 1111']) assert.ok(!everything.includes(value), `${value} leaked: ${everything}`);
      assert.deepEqual(notesOf(err), ['payload shape: { email: string, password: string, card: { number: string }, items: { sku: string, qty: number }[1] }']);
      for (const path of ['/email', '/card/number']) assert.ok(err.message.includes(path), err.message);
    });

    test(`${library}: a valid payload comes back as the schema's output`, () => {
      const valid = { email: 'a@example.com', password: 'correct horse battery', card: { number: '4111111111111111' }, items: [{ sku: 'A-1', qty: 2 }] };
      assert.deepEqual(parse(schema, valid), valid);
    });
  }

  test('issues are capped at 20, with the total kept', () => {
    const many = z.object(Object.fromEntries(Array.from({ length: 30 }, (_, index) => [`field${index}`, z.string()])));
    const err = failure(() => parse(many, {}));
    assert.equal((err.details?.issues as unknown[]).length, 20);
    assert.equal(err.details?.issueCount, 30);
    assert.match(err.message, /^Validation failed \(30 issues\): \/field0: /);
    assert.ok(err.message.length <= 400);
  });

  test('paths are JSON Pointers, long messages are capped, keys that look like data are redacted in the shape', () => {
    const schema = z.object({ 'a/b': z.object({ '~c': z.number() }) }).catchall(z.never());
    const err = failure(() => parse(schema, { 'a/b': { '~c': 'x' }, 'jane@example.com': 'y'.repeat(10_000) }));
    const issues = err.details?.issues as { path: string; message: string }[];
    assert.ok(issues.some((issue) => issue.path === '/a~1b/~0c'), JSON.stringify(issues));
    for (const issue of issues) assert.ok(issue.message.length <= 256);
    const shape = notesOf(err)[0]!;
    assert.ok(!shape.includes('jane@example.com'), shape);
    assert.ok(!shape.includes('yyyy'), shape);
  });

  test('async schemas: parse points to parseAsync, which validates them', async () => {
    const schema = z.object({ code: z.string().refine(async (value) => Promise.resolve(value === 'ok'), 'unknown code') });
    assert.throws(() => parse(schema, { code: 'ok' }), (err: unknown) => err instanceof TypeError && /parseAsync/.test(err.message) && !isAppError(err));
    assert.deepEqual(await parseAsync(schema, { code: 'ok' }), { code: 'ok' });
    await assert.rejects(parseAsync(schema, { code: 'nope' }), (err: unknown) => {
      assert.ok(err instanceof ValidationError);
      assert.deepEqual((err.details?.issues as { path: string; message: string }[]).map((issue) => [issue.path, issue.message]), [['/code', 'unknown code']]);
      return true;
    });
    assert.deepEqual(await parseAsync(schemas.valibot, { ...payload, email: 'a@example.com', password: 'long enough password', card: { number: '4111111111111111' }, items: [] }), {
      ...payload,
      email: 'a@example.com',
      password: 'long enough password',
      card: { number: '4111111111111111' },
      items: [],
    });
  });

  test('something that is not a Standard Schema is a TypeError, not a validation failure', () => {
    assert.throws(() => parse({ parse: () => 1 } as never, {}), (err: unknown) => err instanceof TypeError && /Standard Schema/.test(err.message));
  });

  test('the shape of odd payloads: primitives, arrays, cycles, deep nesting', () => {
    const cyclic: Record<string, unknown> = { name: 'x' };
    cyclic.self = cyclic;
    const cases: [unknown, string][] = [
      [null, 'null'],
      ['text', 'string'],
      [[], '[]'],
      [[1, 2, 3], 'number[3]'],
      [cyclic, '{ name: string, self: [Circular] }'],
      [{ a: { b: { c: { d: { e: 1 } } } } }, '{ a: { b: { c: { d: object } } } }'],
    ];
    for (const [input, shape] of cases) {
      const err = failure(() => parse(z.object({ required: z.string() }), input));
      assert.deepEqual(notesOf(err), [`payload shape: ${shape}`]);
    }
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError, isAppError } from '../../src/errors/app-error.ts';
import { defineError, errorNameFromCode } from '../../src/errors/define-error.ts';
import { stderrOf } from '../helpers/stderr-lines.ts';

// A bad definition never throws (definitions run at import time): it is reported on stderr, one
// line per problem, and the nearest valid value is used. A good one prints nothing.

const untyped = defineError as unknown as (spec: Record<string, unknown>) => new (message?: string) => AppError;

describe('defineError reports a bad definition on stderr and carries on', () => {
  it('prints nothing for a good definition, at the edges of what is allowed', () => {
    const lines = stderrOf(() => {
      defineError({ code: 'W_GOOD', category: 'conflict', httpStatus: 409, message: 'fine' });
      defineError({ code: `W${'_'.repeat(63)}`, category: 'internal', httpStatus: 599 });
      defineError({ code: 'W9', category: 'validation', httpStatus: 400, retryable: true });
    });
    assert.deepEqual(lines, []);
  });

  it('warns about a code that is not UPPER_SNAKE_CASE of at most 64 characters', () => {
    for (const code of ['w_lower', 'W-DASH', '9_STARTS_WITH_DIGIT', `W${'X'.repeat(64)}`, 'W SPACE', '', 'WÉ', 42]) {
      const lines = stderrOf(() => untyped({ code, category: 'conflict' }));
      assert.equal(lines.length, 1, `code ${String(code)}: ${lines.join('')}`);
      assert.match(lines[0]!, /^faultline: defineError: code .* should be UPPER_SNAKE_CASE/);
      assert.ok(lines[0]!.includes(JSON.stringify(String(code)).slice(0, 20)), lines[0]);
    }
  });

  it('warns about an unknown category and uses internal', () => {
    let made: AppError | undefined;
    const lines = stderrOf(() => {
      made = new (untyped({ code: 'W_CATEGORY', category: 'nonsense' }))('x');
    });
    assert.equal(lines.length, 1);
    assert.match(lines[0]!, /defineError\(W_CATEGORY\): unknown category "nonsense"; using internal/);
    assert.equal(made?.category, 'internal');
  });

  it('warns about an httpStatus that is not an error status and ignores it', () => {
    for (const httpStatus of [200, 399, 600, 404.5]) {
      let made: AppError | undefined;
      const lines = stderrOf(() => {
        made = new (untyped({ code: `W_STATUS_${String(httpStatus).replace('.', '_')}`, category: 'conflict', httpStatus }))('x');
      });
      assert.equal(lines.length, 1, `httpStatus ${String(httpStatus)}`);
      assert.match(lines[0]!, new RegExp(`httpStatus ${String(httpStatus).replace('.', '\\.')} is not an error status`));
      assert.equal(made?.httpStatus, undefined);
    }
  });

  it('warns when one code is defined twice with different settings, and not when the settings agree', () => {
    const same = stderrOf(() => {
      defineError({ code: 'W_TWICE_SAME', category: 'conflict', httpStatus: 409 });
      defineError({ code: 'W_TWICE_SAME', category: 'conflict', httpStatus: 409, message: 'a message is not a setting' });
    });
    assert.deepEqual(same, []);
    for (const second of [{ category: 'not_found' }, { category: 'conflict', httpStatus: 410 }, { category: 'conflict', retryable: true }]) {
      const code = `W_TWICE_${Object.keys(second).join('_').toUpperCase()}_${String(Object.values(second).at(-1)).toUpperCase()}`;
      const lines = stderrOf(() => {
        untyped({ code, category: 'conflict' });
        untyped({ code, ...second });
      });
      assert.equal(lines.length, 1, JSON.stringify(second));
      assert.match(lines[0]!, new RegExp(`code ${code} is defined twice with different settings \\(conflict/undefined/false and `));
    }
  });
});

describe('what a defined class is made of', () => {
  it('takes its name from the spec, else from the code; an empty name counts as none', () => {
    assert.equal(defineError({ code: 'W_NAMED', category: 'conflict', name: 'Custom' }).name, 'Custom');
    assert.equal(defineError({ code: 'W_UNNAMED', category: 'conflict', name: '' }).name, 'WUnnamedError');
    assert.equal(errorNameFromCode('__'), 'AppError');
    assert.equal(errorNameFromCode('a__b'), 'ABError');
    assert.equal(errorNameFromCode('QUOTA_ERROR'), 'QuotaError');
  });

  it('uses a string default message only', () => {
    const Numbered = untyped({ code: 'W_NUMBER_MESSAGE', category: 'conflict', message: 42 });
    assert.equal(new Numbered().message, 'W_NUMBER_MESSAGE', 'without a usable default, the code is the message');
  });

  it('has a name that is not an own enumerable property of its instances, and can be renamed', () => {
    const Defined = defineError({ code: 'W_PROTO_NAME', category: 'conflict' });
    const err = new Defined('x');
    assert.equal(err.name, 'WProtoNameError');
    assert.deepEqual(Object.getOwnPropertyDescriptor(Defined.prototype, 'name'), { value: 'WProtoNameError', writable: true, enumerable: false, configurable: true });
    assert.deepEqual(Object.keys(err).includes('name'), false);
    err.name = 'Renamed';
    assert.equal(err.name, 'Renamed');
    const plain = new AppError('x', { code: 'W_PLAIN', category: 'conflict' });
    assert.equal(plain.name, 'AppError');
    assert.equal(Object.keys(plain).includes('name'), false);
    plain.name = 'Renamed';
    assert.equal(plain.name, 'Renamed');
    assert.equal(Object.getOwnPropertyDescriptor(AppError.prototype, 'name')?.enumerable, false);
    assert.equal(Object.getOwnPropertyDescriptor(AppError.prototype, 'name')?.configurable, true);
  });
});

describe('AppError construction', () => {
  it('keeps a cause only when one is given', () => {
    const cause = new Error('root');
    assert.equal(new AppError('x', { code: 'W', category: 'conflict', cause }).cause, cause);
    assert.equal('cause' in new AppError('x', { code: 'W', category: 'conflict' }), false);
  });

  it('makes details a frozen object: objects as they are, anything else under `value`, null as none', () => {
    assert.equal(new AppError('x', { code: 'W', category: 'conflict', details: null as never }).details, undefined);
    assert.equal(new AppError('x', { code: 'W', category: 'conflict' }).details, undefined);
    const list = new AppError('x', { code: 'W', category: 'conflict', details: [1, 2] as never }).details;
    assert.deepEqual(list, { value: [1, 2] });
    assert.ok(Object.isFrozen(list));
    assert.deepEqual(new AppError('x', { code: 'W', category: 'conflict', details: 'text' as never }).details, { value: 'text' });
    const object = new AppError('x', { code: 'W', category: 'conflict', details: { orderId: 7 } }).details;
    assert.deepEqual(object, { orderId: 7 });
    assert.ok(Object.isFrozen(object));
  });

  it('uses internal for an unknown category and retryable only when it is exactly true', () => {
    const odd = new AppError('x', { code: 'W', category: 'nonsense' as never, retryable: 'yes' as never });
    assert.equal(odd.category, 'internal');
    assert.equal(odd.retryable, false);
    assert.equal(new AppError('x', { code: 'W', category: 'conflict', retryable: true }).retryable, true);
  });

  it('is recognised across copies by the shared brand and a string code, nothing less', () => {
    const brand = Symbol.for('faultline.AppError');
    assert.equal(isAppError({ [brand]: true, code: 'FROM_ANOTHER_COPY' }), true);
    assert.equal(isAppError({ [brand]: true }), false);
    assert.equal(isAppError({ [brand]: true, code: 7 }), false);
    assert.equal(isAppError({ [brand]: 'yes', code: 'X' }), false);
    assert.equal(isAppError({ code: 'X' }), false);
    assert.equal((AppError.prototype as unknown as Record<symbol, unknown>)[brand], true);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { inspect } from 'node:util';
import { memoFor, peekMemo } from '../../src/errors/memo.ts';

// The facts faultline derives from an error are remembered on the error itself; the app must not
// be able to tell, and errors that refuse new properties must be remembered all the same.

describe('error memos', () => {
  it('are one per error, made on first use, and leave what the app sees of the error unchanged', () => {
    const error = Object.assign(new Error('order 42 failed'), { code: 'ORDER_FAILED' });
    const before = { keys: Reflect.ownKeys(error).length, json: JSON.stringify(error), spread: { ...error }, shown: inspect(error) };
    assert.equal(peekMemo(error), undefined);
    const memo = memoFor(error);
    assert.ok(memo !== undefined);
    assert.equal(memoFor(error), memo);
    assert.equal(peekMemo(error), memo);
    assert.deepEqual(Object.keys(error), ['code']);
    assert.equal(JSON.stringify(error), before.json);
    assert.deepEqual({ ...error }, before.spread);
    assert.equal(inspect(error), before.shown);
    assert.equal(Object.getOwnPropertyNames(error).length, before.keys);
    assert.notEqual(memoFor(new Error('another')), memo);
  });

  it('are kept for frozen, sealed and non-extensible errors and for Proxies that refuse them', () => {
    const refusing = new Proxy(new Error('proxied'), {
      defineProperty: () => {
        throw new Error('no new properties here');
      },
    });
    const declining = new Proxy(new Error('declined'), { defineProperty: () => false });
    for (const error of [Object.freeze(new Error('frozen')), Object.seal(new Error('sealed')), Object.preventExtensions(new Error('fixed')), refusing, declining]) {
      const memo = memoFor(error);
      assert.ok(memo !== undefined);
      assert.equal(memoFor(error), memo);
      assert.equal(peekMemo(error), memo);
    }
  });

  it('belong to the object itself, not to errors that inherit from it', () => {
    const parent = new Error('prototype');
    const parentMemo = memoFor(parent);
    const child = Object.create(parent) as Error;
    assert.equal(peekMemo(child), undefined);
    assert.notEqual(memoFor(child), parentMemo);
  });

  it('are not made for primitives', () => {
    for (const value of ['text', 42, undefined, null, Symbol('s')]) assert.equal(memoFor(value), undefined);
  });
});

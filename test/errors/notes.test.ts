import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DatabaseUnavailable } from '../../src/errors/catalog.ts';
import { addNote, notesOf } from '../../src/errors/notes.ts';

describe('addNote / notesOf', () => {
  it('keeps notes on AppErrors and plain Errors, oldest first', () => {
    for (const err of [new DatabaseUnavailable(), new Error('plain'), new TypeError('typed')]) {
      assert.equal(addNote(err, 'while loading order 42'), true);
      assert.equal(addNote(err, 'retry 2 of 3'), true);
      assert.deepEqual(notesOf(err), ['while loading order 42', 'retry 2 of 3']);
    }
  });

  it('does not add an enumerable property (JSON and util.inspect output stay the same)', () => {
    const err = Object.assign(new Error('x'), { id: 1 });
    addNote(err, 'note');
    assert.deepEqual(Object.keys(err), ['id']);
  });

  it('works on frozen, sealed and non-extensible objects', () => {
    const errors = [Object.freeze(new Error('frozen')), Object.seal(new Error('sealed')), Object.preventExtensions(new Error('fixed')), Object.freeze({ plain: true })];
    for (const err of errors) {
      assert.equal(addNote(err, 'kept aside'), true);
      assert.deepEqual(notesOf(err), ['kept aside']);
    }
  });

  it('keeps adding after the error was frozen', () => {
    const err = new Error('x');
    addNote(err, 'before');
    Object.freeze(err);
    assert.equal(addNote(err, 'after'), true);
    assert.deepEqual(notesOf(err), ['before', 'after']);
  });

  it('returns false and does nothing for primitives', () => {
    for (const value of ['text', 42, 10n, true, null, undefined, Symbol('s')]) {
      assert.equal(addNote(value, 'lost'), false);
      assert.deepEqual(notesOf(value), []);
    }
  });

  it('never throws on Proxies, revoked Proxies or odd notes', () => {
    const { proxy, revoke } = Proxy.revocable(new Error('x'), {});
    revoke();
    const refusing = new Proxy(new Error('x'), {
      defineProperty() {
        throw new Error('no');
      },
      getOwnPropertyDescriptor() {
        throw new Error('no');
      },
    });
    assert.equal(addNote(proxy, 'note'), true);
    assert.deepEqual(notesOf(proxy), ['note']);
    assert.equal(addNote(refusing, 'note'), true);
    assert.deepEqual(notesOf(refusing), ['note']);
    const err = new Error('x');
    assert.equal(addNote(err, { toString: () => { throw new Error('bad'); } } as unknown as string), true);
    assert.equal(addNote(err, Symbol('sym') as unknown as string), true);
    assert.deepEqual(notesOf(err), ['[object Object]', 'Symbol(sym)']);
  });

  it('bounds the number and length of notes', () => {
    const err = new Error('x');
    let stored = 0;
    for (let index = 0; index < 100; index++) if (addNote(err, `note ${String(index)}`)) stored += 1;
    assert.equal(stored, 16);
    assert.equal(notesOf(err).length, 16);
    const long = new Error('y');
    addNote(long, 'z'.repeat(1_000_000));
    assert.ok((notesOf(long)[0] ?? '').length <= 1024);
  });

  it('ignores a notes slot that another program filled with junk', () => {
    const err = new Error('x');
    Object.defineProperty(err, Symbol.for('faultline.notes'), { value: 'not an array', configurable: true });
    assert.equal(addNote(err, 'real'), true);
    assert.deepEqual(notesOf(err), ['real']);
  });
});

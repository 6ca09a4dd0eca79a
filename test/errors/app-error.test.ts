import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { AppError, hasCode, isAppError } from '../../src/errors/app-error.ts';
import { DatabaseUnavailable, ValidationError } from '../../src/errors/catalog.ts';
import { defineError, errorNameFromCode } from '../../src/errors/define-error.ts';
import { addNote, notesOf } from '../../src/errors/notes.ts';
import { wasRecorded } from '../../src/errors/record-error.ts';

const CardDeclined = defineError({ code: 'CARD_DECLINED', category: 'validation', httpStatus: 402 });
const PaymentTimeout = defineError({ code: 'PAYMENT_TIMEOUT', category: 'timeout', retryable: true, message: 'payment provider timed out' });

describe('defineError', () => {
  it('makes a subclass with a literal code, a derived name and its settings', () => {
    const err = new CardDeclined('declined');
    const code: 'CARD_DECLINED' = err.code;
    assert.equal(code, 'CARD_DECLINED');
    assert.equal(err.name, 'CardDeclinedError');
    assert.equal(CardDeclined.name, 'CardDeclinedError');
    assert.equal(err.category, 'validation');
    assert.equal(err.httpStatus, 402);
    assert.equal(err.retryable, false);
    assert.equal(err.message, 'declined');
    assert.match(err.stack ?? '', /^CardDeclinedError: declined\n\s+at /);
    assert.ok(err instanceof CardDeclined);
    assert.ok(err instanceof AppError);
    assert.ok(err instanceof Error);
    assert.equal(Object.prototype.toString.call(err), '[object Error]');
  });

  it('exposes the definition as statics', () => {
    assert.equal(CardDeclined.code, 'CARD_DECLINED');
    assert.equal(CardDeclined.category, 'validation');
    assert.equal(CardDeclined.httpStatus, 402);
    assert.equal(PaymentTimeout.retryable, true);
    assert.equal(PaymentTimeout.defaultMessage, 'payment provider timed out');
  });

  it('makes the message optional when a default was given', () => {
    assert.equal(new PaymentTimeout().message, 'payment provider timed out');
    assert.equal(new PaymentTimeout('took 31 s').message, 'took 31 s');
    assert.equal(new PaymentTimeout().retryable, true);
  });

  it('takes a cause and details', () => {
    const cause = new Error('socket hang up');
    const err = new CardDeclined('declined', { cause, details: { orderId: 'o-1', attempts: 2 } });
    assert.equal(err.cause, cause);
    assert.deepEqual(err.details, { orderId: 'o-1', attempts: 2 });
    assert.ok(Object.isFrozen(err.details));
  });

  it('uses a given name', () => {
    assert.equal(new ValidationError().name, 'ValidationError');
    assert.equal(new ValidationError().code, 'VALIDATION_FAILED');
  });

  it('derives names from codes', () => {
    assert.equal(errorNameFromCode('CARD_DECLINED'), 'CardDeclinedError');
    assert.equal(errorNameFromCode('DATABASE_ERROR'), 'DatabaseError');
    assert.equal(errorNameFromCode('HTTP_2_FAILED'), 'Http2FailedError');
  });

  it('tells defined classes apart by code', () => {
    const err = new CardDeclined('x');
    assert.equal(err instanceof PaymentTimeout, false);
    assert.equal(new PaymentTimeout() instanceof CardDeclined, false);
    assert.equal(new Error('x') instanceof CardDeclined, false);
  });

  it('keeps the ordinary instanceof for classes extended by hand', () => {
    class SpecialDecline extends CardDeclined {}
    class Standalone extends AppError {}
    assert.ok(new SpecialDecline('x') instanceof SpecialDecline);
    assert.ok(new SpecialDecline('x') instanceof CardDeclined);
    assert.equal(new CardDeclined('x') instanceof SpecialDecline, false);
    assert.equal(new CardDeclined('x') instanceof Standalone, false);
    assert.ok(new Standalone('x', { code: 'STANDALONE', category: 'internal' }) instanceof Standalone);
  });

  it('builds instances like a hand-written subclass: own fields in order, the stack starting at the caller', () => {
    function throwSite(): AppError {
      return new CardDeclined('declined', { details: { orderId: 'o-1' } });
    }
    const err = throwSite();
    assert.deepEqual(Object.keys(err), ['code', 'category', 'retryable', 'httpStatus', 'details']);
    assert.match(err.stack?.split('\n')[1] ?? '', /^\s+at throwSite /);
    class WithFields extends CardDeclined {
      readonly extra = 'kept';
      constructor(message: string) {
        super(message, { details: { step: 2 } });
      }
    }
    const own = new WithFields('x');
    assert.equal(own.extra, 'kept');
    assert.deepEqual(own.details, { step: 2 });
    assert.equal(own.code, 'CARD_DECLINED');
    assert.equal(own.name, 'CardDeclinedError');
    assert.ok(own instanceof WithFields && own instanceof CardDeclined && own instanceof AppError);
    assert.equal(Object.getPrototypeOf(CardDeclined), AppError);
    assert.throws(() => (CardDeclined as unknown as (message: string) => unknown)('no new'), TypeError);
  });

  it('narrows types through instanceof', () => {
    const thrown: unknown = new CardDeclined('x');
    if (thrown instanceof CardDeclined) {
      const code: 'CARD_DECLINED' = thrown.code;
      assert.equal(code, 'CARD_DECLINED');
    } else {
      assert.fail('not narrowed');
    }
  });

  it('does not throw on a bad definition from untyped code, and uses safe values', () => {
    const untyped = defineError as unknown as (spec: Record<string, unknown>) => new (message?: string) => AppError;
    const Weird = untyped({ code: 'weird code', category: 'nonsense', httpStatus: 200 });
    const err = new Weird('x');
    assert.equal(err.category, 'internal');
    assert.equal(err.httpStatus, undefined);
    assert.equal(err.code, 'weird code');
  });
});

describe('AppError details', () => {
  it('bounds depth, keys, string length and survives cycles and throwing getters', () => {
    const cyclic: Record<string, unknown> = { level: 0 };
    cyclic.self = cyclic;
    const hostile = {
      get boom(): never {
        throw new Error('getter');
      },
      fine: 1,
    };
    const deep = { a: { b: { c: { d: { e: { f: 'too deep' } } } } } };
    const wide = Object.fromEntries(Array.from({ length: 500 }, (_, index) => [`k${String(index)}`, index]));
    const err = new AppError('x', {
      code: 'DETAILS',
      category: 'internal',
      details: { cyclic, hostile, deep, wide, long: 'x'.repeat(100_000), list: Array.from({ length: 1000 }, (_, index) => index) },
    });
    const details = err.details as Record<string, Record<string, unknown>>;
    assert.equal(details.cyclic?.self, '[Circular]');
    assert.equal(details.hostile?.boom, '[Unreadable]');
    assert.equal(details.hostile?.fine, 1);
    assert.ok(JSON.stringify(details.deep).includes('[Object]'));
    assert.ok(Object.keys(details.wide ?? {}).length <= 33);
    assert.ok((details.long as unknown as string).length <= 512);
    assert.ok((details.list as unknown as unknown[]).length <= 33);
    assert.ok(JSON.stringify(details).length < 20_000);
  });

  it('never throws on a hostile details object', () => {
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    const trap = new Proxy(
      {},
      {
        ownKeys() {
          throw new Error('ownKeys');
        },
      },
    );
    assert.doesNotThrow(() => new AppError('x', { code: 'A', category: 'internal', details: proxy as Record<string, unknown> }));
    assert.doesNotThrow(() => new AppError('x', { code: 'A', category: 'internal', details: trap }));
  });
});

describe('guards', () => {
  it('isAppError and hasCode', () => {
    const err = new DatabaseUnavailable();
    assert.ok(isAppError(err));
    assert.ok(hasCode(err, 'DATABASE_UNAVAILABLE'));
    assert.equal(hasCode(err, 'CARD_DECLINED'), false);
    assert.equal(isAppError(new Error('x')), false);
    assert.equal(isAppError('DATABASE_UNAVAILABLE'), false);
    assert.equal(isAppError(null), false);
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    assert.equal(isAppError(proxy), false);
  });
});

describe('two copies of faultline in one process', () => {
  let copyRoot = '';
  let copy: {
    catalog: { DatabaseUnavailable: new (message?: string) => Error };
    appError: { AppError: abstract new (...args: never[]) => unknown; isAppError: (value: unknown) => boolean };
    notes: { addNote: (err: unknown, note: string) => boolean; notesOf: (err: unknown) => readonly string[] };
    record: { wasRecorded: (err: unknown) => boolean; recordError: (err: unknown, options?: object) => unknown };
    runtime: { getRuntime: () => { errorCounter: unknown } };
  };

  before(async () => {
    // A second installed copy: the same sources at another path, resolving the same node_modules.
    const repo = fileURLToPath(new URL('../../', import.meta.url));
    copyRoot = mkdtempSync(join(tmpdir(), 'faultline-copy-'));
    cpSync(join(repo, 'src'), join(copyRoot, 'src'), { recursive: true });
    symlinkSync(join(repo, 'node_modules'), join(copyRoot, 'node_modules'), 'dir');
    const load = async <T>(path: string): Promise<T> => (await import(pathToFileURL(join(copyRoot, path)).href)) as T;
    copy = {
      catalog: await load('src/errors/catalog.ts'),
      appError: await load('src/errors/app-error.ts'),
      notes: await load('src/errors/notes.ts'),
      record: await load('src/errors/record-error.ts'),
      runtime: await load('src/runtime.ts'),
    };
  });

  after(() => {
    rmSync(copyRoot, { recursive: true, force: true });
  });

  it('loads really separate classes (the precondition)', () => {
    assert.notEqual(copy.catalog.DatabaseUnavailable, DatabaseUnavailable);
    assert.notEqual(copy.appError.AppError, AppError);
  });

  it('keeps instanceof, isAppError and hasCode working across copies', () => {
    const fromOther = new copy.catalog.DatabaseUnavailable('db down');
    assert.ok(fromOther instanceof DatabaseUnavailable);
    assert.ok(fromOther instanceof AppError);
    assert.ok(isAppError(fromOther));
    assert.ok(hasCode(fromOther, 'DATABASE_UNAVAILABLE'));
    assert.equal(fromOther instanceof CardDeclined, false);
    const fromHere = new DatabaseUnavailable();
    assert.ok(fromHere instanceof copy.catalog.DatabaseUnavailable);
    assert.ok(fromHere instanceof copy.appError.AppError);
    assert.ok(copy.appError.isAppError(fromHere));
  });

  it('shares notes across copies, also on frozen errors', () => {
    const err = new Error('x');
    copy.notes.addNote(err, 'from the other copy');
    addNote(err, 'from this copy');
    assert.deepEqual(notesOf(err), ['from the other copy', 'from this copy']);
    assert.deepEqual(copy.notes.notesOf(err), ['from the other copy', 'from this copy']);
    const frozen = Object.freeze(new Error('frozen'));
    copy.notes.addNote(frozen, 'side table');
    assert.deepEqual(notesOf(frozen), ['side table']);
  });

  it('shares the recorded-once set across copies', async () => {
    const { getRuntime } = await import('../../src/runtime.ts');
    const { MeterProvider } = await import('@opentelemetry/sdk-metrics');
    const { createErrorCounter } = await import('../../src/errors/error-counter.ts');
    assert.equal(copy.runtime.getRuntime(), getRuntime());
    const previous = getRuntime().errorCounter;
    getRuntime().errorCounter = createErrorCounter(new MeterProvider().getMeter('copy-test'));
    try {
      const err = new Error('seen once');
      copy.record.recordError(err);
      assert.ok(wasRecorded(err));
    } finally {
      getRuntime().errorCounter = previous;
    }
  });
});

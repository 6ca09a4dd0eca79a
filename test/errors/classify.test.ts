import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { types } from 'node:util';
import vm from 'node:vm';
import { AppError } from '../../src/errors/app-error.ts';
import { ERROR_CATEGORIES } from '../../src/errors/category.ts';
import { DatabaseUnavailable, OperationTimeout } from '../../src/errors/catalog.ts';
import { classify, type ErrorInfo } from '../../src/errors/classify.ts';
import { defineError } from '../../src/errors/define-error.ts';
import { closedPort } from '../helpers/closed-port.ts';

const CardDeclined = defineError({ code: 'CARD_DECLINED', category: 'validation', httpStatus: 402 });

function systemError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code, errno: -1, syscall: 'connect' });
}

function caught(run: () => unknown): unknown {
  try {
    run();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

async function rejection(run: () => Promise<unknown>): Promise<unknown> {
  try {
    await run();
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

function hostile(): object {
  return new Proxy(
    {},
    {
      get() {
        throw new Error('get trap');
      },
      has() {
        throw new Error('has trap');
      },
      getPrototypeOf() {
        throw new Error('getPrototypeOf trap');
      },
      ownKeys() {
        throw new Error('ownKeys trap');
      },
      getOwnPropertyDescriptor() {
        throw new Error('descriptor trap');
      },
    },
  );
}

function revoked(): object {
  const { proxy, revoke } = Proxy.revocable(new Error('gone'), {});
  revoke();
  return proxy;
}

function withThrowingGetters(): Error {
  const err = new Error('hidden');
  for (const key of ['message', 'name', 'stack', 'code', 'cause', 'errors', 'status']) {
    Object.defineProperty(err, key, {
      get() {
        throw new Error(`getter ${key}`);
      },
    });
  }
  return err;
}

function cyclic(): object {
  const a: Record<string, unknown> = { name: 'a' };
  const b: Record<string, unknown> = { a };
  a.b = b;
  a.self = a;
  return a;
}

interface Expected {
  type: string;
  category: ErrorInfo['category'];
  retryable?: boolean;
  code?: string;
  message?: RegExp;
}

type Case = [label: string, make: () => unknown, expected: Expected];

let port = 0;
let scratch = '';

before(async () => {
  port = await closedPort();
  scratch = mkdtempSync(join(tmpdir(), 'faultline-classify-'));
});

after(() => {
  rmSync(scratch, { recursive: true, force: true });
});

const cases: Case[] = [
  // faultline's taxonomy
  ['defined error', () => new CardDeclined('declined'), { type: 'CARD_DECLINED', category: 'validation', retryable: false, code: 'CARD_DECLINED' }],
  ['catalog error', () => new DatabaseUnavailable(), { type: 'DATABASE_UNAVAILABLE', category: 'dependency', retryable: true, code: 'DATABASE_UNAVAILABLE' }],
  ['catalog timeout', () => new OperationTimeout(), { type: 'OPERATION_TIMEOUT', category: 'timeout', retryable: true }],
  ['AppError by hand', () => new AppError('quota', { code: 'QUOTA_EXCEEDED', category: 'rate_limited', retryable: true }), { type: 'QUOTA_EXCEEDED', category: 'rate_limited', retryable: true }],
  // plain JavaScript errors
  ['Error', () => new Error('plain'), { type: 'Error', category: 'internal', retryable: false, code: undefined, message: /^plain$/ }],
  ['TypeError from a call', () => caught(() => (null as unknown as { x: () => void }).x()), { type: 'TypeError', category: 'internal' }],
  ['RangeError from new Array(-1)', () => caught(() => new Array(-1)), { type: 'RangeError', category: 'internal' }],
  ['SyntaxError from JSON.parse', () => caught(() => JSON.parse('{bad')), { type: 'SyntaxError', category: 'internal' }],
  ['ReferenceError', () => caught(() => vm.runInThisContext('notDefinedAnywhere')), { type: 'ReferenceError', category: 'internal' }],
  ['subclass without its own name', () => new (class PaymentError extends Error {})('nope'), { type: 'PaymentError', category: 'internal' }],
  [
    'subclass with a name',
    () => {
      const err = new Error('x');
      err.name = 'LedgerMismatch';
      return err;
    },
    { type: 'LedgerMismatch', category: 'internal' },
  ],
  // Node system errors, real where the machine can produce them
  ['ECONNREFUSED from a real connect', () => connectError(port), { type: 'ECONNREFUSED', category: 'dependency', retryable: true, code: 'ECONNREFUSED' }],
  ['ENOENT from a real read', () => caught(() => readFileSync(join(scratch, 'missing.txt'))), { type: 'ENOENT', category: 'not_found', retryable: false }],
  ['EEXIST from a real mkdir', () => caught(() => { mkdirSync(scratch); }), { type: 'EEXIST', category: 'conflict', retryable: false }],
  ['EISDIR (not in the table)', () => caught(() => readFileSync(scratch)), { type: 'EISDIR', category: 'internal', retryable: false }],
  ['ECONNRESET', () => systemError('ECONNRESET', 'read ECONNRESET'), { type: 'ECONNRESET', category: 'dependency', retryable: true }],
  ['EAI_AGAIN', () => systemError('EAI_AGAIN', 'getaddrinfo EAI_AGAIN db'), { type: 'EAI_AGAIN', category: 'dependency', retryable: true }],
  ['ETIMEDOUT', () => systemError('ETIMEDOUT', 'connect ETIMEDOUT 10.0.0.1:443'), { type: 'ETIMEDOUT', category: 'timeout', retryable: true }],
  ['EPIPE', () => systemError('EPIPE', 'write EPIPE'), { type: 'EPIPE', category: 'dependency', retryable: true }],
  ['ENOTFOUND', () => systemError('ENOTFOUND', 'getaddrinfo ENOTFOUND nowhere.invalid'), { type: 'ENOTFOUND', category: 'dependency', retryable: false }],
  ['EHOSTUNREACH', () => systemError('EHOSTUNREACH', 'connect EHOSTUNREACH'), { type: 'EHOSTUNREACH', category: 'dependency', retryable: true }],
  ['EMFILE', () => systemError('EMFILE', 'too many open files'), { type: 'EMFILE', category: 'internal', retryable: true }],
  ['undici connect timeout', () => Object.assign(new Error('Connect Timeout Error'), { name: 'ConnectTimeoutError', code: 'UND_ERR_CONNECT_TIMEOUT' }), { type: 'UND_ERR_CONNECT_TIMEOUT', category: 'timeout', retryable: true }],
  ['undici socket error', () => Object.assign(new Error('other side closed'), { name: 'SocketError', code: 'UND_ERR_SOCKET' }), { type: 'UND_ERR_SOCKET', category: 'dependency', retryable: true }],
  ['undici code not in the table', () => Object.assign(new Error('new'), { code: 'UND_ERR_SOMETHING_NEW' }), { type: 'UND_ERR_SOMETHING_NEW', category: 'dependency', retryable: false }],
  ['ERR_INVALID_ARG_TYPE from Buffer.from', () => caught(() => Buffer.from(123 as unknown as string)), { type: 'ERR_INVALID_ARG_TYPE', category: 'internal', retryable: false }],
  ['ERR_STREAM_PREMATURE_CLOSE', () => Object.assign(new Error('Premature close'), { code: 'ERR_STREAM_PREMATURE_CLOSE' }), { type: 'ERR_STREAM_PREMATURE_CLOSE', category: 'cancelled' }],
  // AbortSignal and DOMException
  ['AbortSignal.abort() reason', () => AbortSignal.abort().reason, { type: 'AbortError', category: 'cancelled', retryable: false, code: undefined }],
  ['AbortSignal.timeout() reason', () => timeoutReason(), { type: 'TimeoutError', category: 'timeout', retryable: true, code: undefined }],
  ['Node AbortError from timers/promises', () => rejection(() => delay(10, undefined, { signal: AbortSignal.abort() })), { type: 'ABORT_ERR', category: 'cancelled' }],
  ['DOMException DataCloneError', () => caught(() => structuredClone(() => 1)), { type: 'DataCloneError', category: 'internal' }],
  // fetch
  ['fetch to a closed port', () => rejection(() => fetch(`http://127.0.0.1:${String(port)}/`)), { type: 'ECONNREFUSED', category: 'dependency', retryable: true, code: 'ECONNREFUSED', message: /^fetch failed: connect ECONNREFUSED/ }],
  ['fetch failed caused by EAI_AGAIN', () => new TypeError('fetch failed', { cause: systemError('EAI_AGAIN', 'getaddrinfo EAI_AGAIN api') }), { type: 'EAI_AGAIN', category: 'dependency', retryable: true }],
  ['fetch terminated by a body timeout', () => new TypeError('terminated', { cause: Object.assign(new Error('Body Timeout Error'), { code: 'UND_ERR_BODY_TIMEOUT' }) }), { type: 'UND_ERR_BODY_TIMEOUT', category: 'timeout', retryable: true }],
  ['fetch failed without a cause', () => new TypeError('fetch failed'), { type: 'TypeError', category: 'internal' }],
  // AggregateError
  ['AggregateError of refused connections', () => new AggregateError([systemError('ECONNREFUSED', 'a'), systemError('ECONNREFUSED', 'b')], 'all failed'), { type: 'AggregateError', category: 'dependency', retryable: true }],
  ['AggregateError with its own code (happy eyeballs)', () => Object.assign(new AggregateError([systemError('ECONNREFUSED', '::1'), systemError('ECONNREFUSED', '127.0.0.1')]), { code: 'ECONNREFUSED' }), { type: 'ECONNREFUSED', category: 'dependency', retryable: true }],
  ['AggregateError of mixed errors', () => new AggregateError([new CardDeclined('x'), systemError('ETIMEDOUT', 'y')], 'mixed'), { type: 'AggregateError', category: 'internal', retryable: false }],
  ['empty AggregateError', () => new AggregateError([], 'nothing'), { type: 'AggregateError', category: 'internal' }],
  // other realms
  ['http-errors style 401', () => Object.assign(new Error('login required'), { status: 401, expose: true }), { type: 'Error', category: 'unauthorized', retryable: false }],
  ['ForbiddenError by name', () => Object.assign(new Error('not yours'), { name: 'ForbiddenError' }), { type: 'ForbiddenError', category: 'forbidden', retryable: false }],
  ['TypeError from another realm', () => otherRealm('new TypeError("elsewhere")'), { type: 'TypeError', category: 'internal', message: /^elsewhere$/ }],
  ['system-like error from another realm', () => otherRealm('Object.assign(new Error("refused"), { code: "ECONNREFUSED" })'), { type: 'ECONNREFUSED', category: 'dependency', retryable: true }],
  ['AbortError from another realm', () => otherRealm('Object.assign(new Error("stop"), { name: "AbortError" })'), { type: 'AbortError', category: 'cancelled' }],
  ['string thrown in another realm', () => otherRealmThrow('throw "far away"'), { type: '_OTHER', category: 'internal', message: /^far away$/ }],
  // not errors at all
  ['string', () => 'boom', { type: '_OTHER', category: 'internal', code: undefined, message: /^boom$/ }],
  ['number', () => 42, { type: '_OTHER', category: 'internal', message: /^42$/ }],
  ['null', () => null, { type: '_OTHER', category: 'internal', message: /^null$/ }],
  ['undefined', () => undefined, { type: '_OTHER', category: 'internal', message: /^undefined$/ }],
  ['boolean', () => false, { type: '_OTHER', category: 'internal' }],
  ['symbol', () => Symbol('weird'), { type: '_OTHER', category: 'internal', message: /^Symbol\(weird\)$/ }],
  ['bigint', () => 10n ** 30n, { type: '_OTHER', category: 'internal', message: /^1000000000000000000000000000000$/ }],
  ['function', () => function handler() {}, { type: '_OTHER', category: 'internal', message: /handler/ }],
  ['plain object with a message', () => ({ message: 'object says no' }), { type: '_OTHER', category: 'internal', message: /^object says no$/ }],
  ['plain object with a system code', () => ({ code: 'ECONNRESET' }), { type: 'ECONNRESET', category: 'dependency', retryable: true }],
  ['null-prototype object', () => Object.create(null) as object, { type: '_OTHER', category: 'internal' }],
  ['cyclic object', cyclic, { type: '_OTHER', category: 'internal' }],
  ['http-errors style 404', () => Object.assign(new Error('Not Found'), { status: 404 }), { type: 'Error', category: 'not_found', retryable: false }],
  ['http-errors style 503', () => Object.assign(new Error('Service Unavailable'), { statusCode: 503 }), { type: 'Error', category: 'dependency', retryable: true }],
  ['http-errors style 429', () => Object.assign(new Error('slow down'), { status: 429 }), { type: 'Error', category: 'rate_limited', retryable: true }],
  ['library ValidationError', () => Object.assign(new Error('bad input'), { name: 'ValidationError' }), { type: 'ValidationError', category: 'validation' }],
  ['explicit retryable flag', () => Object.assign(new Error('flaky'), { retryable: true }), { type: 'Error', category: 'internal', retryable: true }],
  // hostile values
  ['Error whose getters throw', withThrowingGetters, { type: 'Error', category: 'internal', code: undefined }],
  ['Proxy whose traps throw', hostile, { type: '_OTHER', category: 'internal' }],
  ['revoked Proxy', revoked, { type: '_OTHER', category: 'internal' }],
  ['numeric code is not a type', () => Object.assign(new Error('legacy'), { code: 20 }), { type: 'Error', category: 'internal', code: undefined }],
  ['code with unsafe characters', () => Object.assign(new Error('x'), { code: 'bad code!{}' }), { type: 'bad_code___', category: 'internal', code: 'bad code!{}' }],
  ['name of 10 000 characters', () => Object.assign(new Error('x'), { name: 'N'.repeat(10_000) }), { type: 'N'.repeat(64), category: 'internal' }],
  ['message that is an object', () => Object.assign(new Error('x'), { message: { nested: true } }), { type: 'Error', category: 'internal', message: /^$/ }],
  ['stack that is a number', () => Object.assign(new Error('x'), { stack: 12345 }), { type: 'Error', category: 'internal' }],
  ['message of 5 MB', () => new Error('m'.repeat(5_000_000)), { type: 'Error', category: 'internal' }],
  ['stack of 5 MB', () => Object.assign(new Error('x'), { stack: `Error: x\n${'    at f (/app/a.js:1:1)\n'.repeat(200_000)}` }), { type: 'Error', category: 'internal' }],
];

function connectError(target: number): Promise<unknown> {
  return new Promise((resolve) => {
    const socket = net.connect(target, '127.0.0.1');
    socket.on('error', resolve);
    socket.on('connect', () => {
      socket.destroy();
      resolve(new Error('unexpectedly connected'));
    });
  });
}

async function timeoutReason(): Promise<unknown> {
  const signal = AbortSignal.timeout(1);
  while (!signal.aborted) await delay(5);
  return signal.reason;
}

function otherRealm(code: string): unknown {
  return vm.runInNewContext(code);
}

function otherRealmThrow(code: string): unknown {
  try {
    vm.runInNewContext(code);
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

describe('classify', () => {
  it('tells at least 40 kinds of thrown values apart, reaching every category of the closed set', async () => {
    const results: ErrorInfo[] = [];
    for (const [, make] of cases) {
      const made = make();
      results.push(classify(types.isPromise(made) ? await made : made));
    }
    assert.ok(results.length >= 40, `only ${String(results.length)} kinds`);
    const reached = new Set(results.map((info) => info.category));
    assert.deepEqual([...ERROR_CATEGORIES].filter((category) => !reached.has(category)), [], 'categories no thrown value was classified into');
    assert.ok(new Set(results.map((info) => info.type)).size >= 30, 'types that tell the kinds apart');
  });

  for (const [label, make, expected] of cases) {
    it(`classifies ${label}`, async () => {
      const made = make();
      // Only real promises are awaited: awaiting a hostile Proxy would read its `then`.
      const thrown = types.isPromise(made) ? await made : made;
      const info = classify(thrown);
      assert.equal(info.type, expected.type, `type of ${label}`);
      assert.equal(info.category, expected.category, `category of ${label}`);
      if (expected.retryable !== undefined) assert.equal(info.retryable, expected.retryable, `retryable of ${label}`);
      if ('code' in expected) assert.equal(info.code, expected.code, `code of ${label}`);
      if (expected.message !== undefined) assert.match(info.message, expected.message);
      assert.match(info.type, /^[A-Za-z0-9_.:-]{1,64}$/);
      assert.match(info.fingerprint, /^[0-9a-f]{16}$/);
      assert.ok(info.message.length <= 1024, `message of ${String(info.message.length)} characters`);
    });
  }

  it('classifies an error from another realm exactly as the same error from this one', () => {
    const sources = [
      'new TypeError("elsewhere")',
      'new RangeError("out of range")',
      'Object.assign(new Error("refused"), { code: "ECONNREFUSED" })',
      'Object.assign(new Error("too many"), { status: 429 })',
      'new AggregateError([Object.assign(new Error("a"), { code: "ETIMEDOUT" })], "all failed")',
      '(() => { try { JSON.parse("{") } catch (err) { return err } })()',
      '(() => { class PaymentError extends Error {} return new PaymentError("declined") })()',
    ];
    for (const source of sources) {
      const foreign = otherRealm(source);
      assert.equal(foreign instanceof Error, false, `${source} really comes from another realm`);
      const here = classify(vm.runInThisContext(source));
      const there = classify(foreign);
      for (const field of ['type', 'category', 'retryable', 'code', 'message'] as const) assert.equal(there[field], here[field], `${field} of ${source}`);
    }
  });

  it('gives the same type as the SDK recordException rule: code before name', () => {
    const err = Object.assign(new Error('x'), { name: 'CustomName', code: 'CUSTOM_CODE' });
    assert.equal(classify(err).type, 'CUSTOM_CODE');
  });

  it('redacts the message', () => {
    const info = classify(new Error('no user alice@example.com with card 4111 1111 1111 1111'));
    assert.doesNotMatch(info.message, /alice@example\.com|4111 1111/);
  });

  it('groups the same throw site under one fingerprint and different sites under different ones', () => {
    const make = (message: string) => new Error(message);
    const first = classify(make('order 1 failed'));
    const second = classify(make('order 2 failed'));
    assert.equal(first.fingerprint, second.fingerprint);
    const elsewhere = classify(new Error('order 1 failed'));
    assert.equal(elsewhere.type, first.type);
    assert.notEqual(elsewhere.fingerprint, first.fingerprint);
    assert.notEqual(classify(new RangeError('order 1 failed')).fingerprint, elsewhere.fingerprint);
  });
});

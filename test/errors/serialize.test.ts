import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import vm from 'node:vm';
import { CircuitOpen, DatabaseUnavailable } from '../../src/errors/catalog.ts';
import { addNote } from '../../src/errors/notes.ts';
import { classify } from '../../src/errors/classify.ts';
import { memoFor } from '../../src/errors/memo.ts';
import { redactedStack } from '../../src/errors/redact.ts';
import { serializeError } from '../../src/errors/serialize.ts';
import { getRuntime } from '../../src/runtime.ts';
import { SECRETS } from '../fixtures/secrets-corpus.ts';

describe('serializeError', () => {
  it('gives type, code, category, message, stack, notes, fingerprint, retryable, details and the cause chain', () => {
    const root = Object.assign(new Error('connect ECONNREFUSED 10.0.0.5:5432'), { code: 'ECONNREFUSED' });
    const err = new DatabaseUnavailable('orders db down', { cause: root, details: { pool: 'orders', waiting: 3 } });
    addNote(err, 'during checkout');
    const serialized = serializeError(err);
    assert.equal(serialized.type, 'DATABASE_UNAVAILABLE');
    assert.equal(serialized.code, 'DATABASE_UNAVAILABLE');
    assert.equal(serialized.category, 'dependency');
    assert.equal(serialized.message, 'orders db down');
    assert.equal(serialized.retryable, true);
    assert.match(serialized.fingerprint ?? '', /^[0-9a-f]{16}$/);
    assert.equal(serialized.cause?.fingerprint, undefined);
    assert.match(serialized.stack ?? '', /^DatabaseUnavailableError: orders db down\n\s+at /);
    assert.deepEqual(serialized.notes, ['during checkout']);
    assert.deepEqual(serialized.details, { pool: 'orders', waiting: 3 });
    assert.equal(serialized.cause?.type, 'ECONNREFUSED');
    assert.equal(serialized.cause?.message, 'connect ECONNREFUSED 10.0.0.5:5432');
    assert.equal(serialized.cause?.cause, undefined);
    assert.equal(serialized.truncated, undefined);
  });

  it('lists AggregateError children', () => {
    const serialized = serializeError(new AggregateError([new CircuitOpen(), 'a string', new Error('plain')], 'all failed'));
    assert.deepEqual(serialized.errors?.map((child) => child.type), ['CIRCUIT_OPEN', '_OTHER', 'Error']);
    assert.equal(serialized.errors?.[1]?.message, 'a string');
  });

  it('is plain JSON-safe data even for cycles and hostile values', () => {
    const a = new Error('a');
    const b = new Error('b', { cause: a });
    Object.defineProperty(a, 'cause', { value: b });
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    for (const value of [a, proxy, new Error('x', { cause: proxy }), Symbol('s'), undefined, vm.runInNewContext('new RangeError("far")')]) {
      const serialized = serializeError(value);
      assert.doesNotThrow(() => JSON.stringify(serialized));
      assert.equal(typeof serialized.type, 'string');
    }
    assert.equal(serializeError(a).cause?.cause, undefined);
  });

  it('bounds the chain and caps frames', () => {
    let err = new Error('level 0');
    for (let level = 1; level < 100; level++) err = new Error(`level ${String(level)}`, { cause: err });
    const serialized = serializeError(err);
    let depth = 0;
    for (let node = serialized.cause; node !== undefined; node = node.cause) depth += 1;
    assert.ok(depth <= 8, `depth ${String(depth)}`);
    assert.equal(serialized.truncated, true);
    const huge = new AggregateError(Array.from({ length: 10_000 }, (_, index) => new Error(String(index))));
    assert.ok(JSON.stringify(serializeError(huge)).length < 200_000);
  });

  it('reuses what an earlier reading of the same error computed only while the error and the patterns are unchanged', () => {
    const err = new DatabaseUnavailable('order CUST-123456 failed');
    classify(err);
    const first = serializeError(err);
    assert.equal(serializeError(err).message, first.message);
    err.message = 'order CUST-654321 failed, retried';
    assert.equal(serializeError(err).message, 'order CUST-654321 failed, retried');
    const stack = `DatabaseUnavailableError: order CUST-654321 failed\n${(err.stack ?? '').split('\n').slice(1).join('\n')}`;
    assert.equal(redactedStack(stack, 30, memoFor(err)), redactedStack(stack, 30));
    err.stack = stack.replace('order', 'the order');
    assert.match(redactedStack(err.stack, 30, memoFor(err)), /^DatabaseUnavailableError: the order CUST-654321/);
    const config = getRuntime().config;
    const saved = config.redactPatterns;
    try {
      config.redactPatterns = [/CUST-\d{6}/];
      assert.equal(serializeError(err).message, 'order [REDACTED] failed, retried');
      assert.match(serializeError(err).stack ?? '', /^DatabaseUnavailableError: the order \[REDACTED\] failed/);
    } finally {
      config.redactPatterns = saved;
    }
    assert.equal(serializeError(err).message, 'order CUST-654321 failed, retried');
  });

  it('redacts every field', () => {
    const err = new Error(SECRETS.map((sample) => sample.context).join(' | '), { cause: new Error(SECRETS[0]?.context) });
    addNote(err, SECRETS.map((sample) => sample.context).join('\n'));
    const json = JSON.stringify(serializeError(new DatabaseUnavailable('x', { cause: err, details: { body: SECRETS.map((sample) => sample.context) } })));
    for (const sample of SECRETS) assert.ok(!json.includes(sample.secret), `${sample.kind} leaked`);
  });
});

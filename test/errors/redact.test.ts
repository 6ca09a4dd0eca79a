import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { DEFAULT_REDACTION_PATTERNS, isSensitiveKey, redactText, redactValue } from '../../src/errors/redact.ts';
import { getRuntime } from '../../src/runtime.ts';
import { HARMLESS, SECRETS } from '../fixtures/secrets-corpus.ts';

const config = getRuntime().config;
const saved = { redactDefaults: config.redactDefaults, redactPatterns: config.redactPatterns };

afterEach(() => {
  config.redactDefaults = saved.redactDefaults;
  config.redactPatterns = saved.redactPatterns;
});

describe('redaction corpus', () => {
  it('has at least 30 secrets, each inside its context', () => {
    assert.ok(SECRETS.length >= 30);
    for (const sample of SECRETS) assert.ok(sample.context.includes(sample.secret), sample.kind);
  });

  for (const sample of SECRETS) {
    it(`removes ${sample.kind} from text`, () => {
      const redacted = redactText(sample.context);
      assert.ok(!redacted.includes(sample.secret), `${sample.kind} survived: ${redacted}`);
      assert.match(redacted, /\[REDACTED/);
    });
  }

  it('removes every secret from nested values, keys, arrays and Maps', () => {
    const value = {
      messages: SECRETS.map((sample) => sample.context),
      byKind: Object.fromEntries(SECRETS.map((sample) => [sample.kind, { text: sample.context }])),
      asKeys: Object.fromEntries(SECRETS.slice(0, 20).map((sample) => [sample.context, 1])),
      map: new Map(SECRETS.slice(0, 20).map((sample) => [sample.kind, sample.context])),
    };
    const json = JSON.stringify(redactValue(value));
    for (const sample of SECRETS) assert.ok(!json.includes(sample.secret), `${sample.kind} survived redactValue`);
  });

  it('masks fields named like secrets whatever their value looks like', () => {
    const redacted = redactValue({ password: 'plain', userPassword: 'x', apiKey: 12345, accessToken: 'abc', 'x-api-key': 'k', cookie: 'c', hasPassword: true, maxTokens: 100 }) as Record<string, unknown>;
    assert.deepEqual(redacted, {
      password: '[REDACTED]',
      userPassword: '[REDACTED]',
      apiKey: '[REDACTED]',
      accessToken: '[REDACTED]',
      'x-api-key': '[REDACTED]',
      cookie: '[REDACTED]',
      hasPassword: true,
      maxTokens: 100,
    });
    assert.ok(isSensitiveKey('client_secret'));
    assert.equal(isSensitiveKey('tokenCount'), false);
  });

  for (const text of HARMLESS) {
    it(`leaves harmless text alone: ${text}`, () => {
      assert.equal(redactText(text), text);
    });
  }

  it('keeps harmless structure intact in redactValue', () => {
    const value = { orderId: 'ORD-2024-000123', at: '2024-01-15T10:30:00.000Z', items: [1, 2, 3], nested: { ok: true, n: null } };
    assert.deepEqual(redactValue(value), value);
  });
});

describe('redaction settings', () => {
  it('turns the built-in patterns off with redactDefaults: false', () => {
    config.redactDefaults = false;
    assert.equal(redactText('mail alice@example.com'), 'mail alice@example.com');
  });

  it('applies configured extra patterns (with or without the g flag)', () => {
    config.redactPatterns = [/CUST-\d{6}/g, /internal-[a-z]+/];
    assert.equal(redactText('customer CUST-123456 and CUST-654321 on internal-alpha, internal-beta'), 'customer [REDACTED] and [REDACTED] on [REDACTED], [REDACTED]');
    config.redactDefaults = false;
    assert.equal(redactText('CUST-000001 alice@example.com'), '[REDACTED] alice@example.com');
  });

  it('redacts object keys by the patterns in force, also for keys seen before', () => {
    config.redactPatterns = [];
    assert.deepEqual(redactValue({ 'CUST-123456': 1, 'alice@example.com': 2 }), { 'CUST-123456': 1, '[REDACTED:email]': 2 });
    config.redactPatterns = [/CUST-\d{6}/];
    assert.deepEqual(redactValue({ 'CUST-123456': 1 }), { '[REDACTED]': 1 });
    config.redactDefaults = false;
    assert.deepEqual(redactValue({ 'alice@example.com': 2 }), { 'alice@example.com': 2 });
  });

  it('exports the built-in patterns as global regular expressions for other writers', () => {
    assert.ok(DEFAULT_REDACTION_PATTERNS.length >= 10);
    for (const { pattern, name } of DEFAULT_REDACTION_PATTERNS) assert.ok(pattern.global, name);
  });
});

describe('redaction bounds', () => {
  it('cuts text beyond 64 KiB and still masks what it keeps', () => {
    const text = `${'word '.repeat(20_000)}alice@example.com ${'x'.repeat(1_000_000)}`;
    const redacted = redactText(text);
    assert.ok(redacted.length <= 64 * 1024 + 32);
    assert.ok(!redacted.includes('alice@example.com'));
    assert.match(redacted, /\[truncated\]$/);
  });

  it('never throws on non-strings passed from untyped code', () => {
    const untyped = redactText as (value: unknown) => string;
    for (const value of [undefined, null, 42, Symbol('s'), {}, []]) assert.equal(typeof untyped(value), 'string');
  });

  it('masks e-mail addresses next to each other and with long local parts', () => {
    assert.equal(redactText('alice@example.com,bob@example.org'), '[REDACTED:email],[REDACTED:email]');
    assert.equal(redactText(`<${'a'.repeat(200)}@example.com>`), '<[REDACTED:email]>');
    assert.equal(redactText('at f (/app/node_modules/@opentelemetry/api/x.js:1:1)'), 'at f (/app/node_modules/@opentelemetry/api/x.js:1:1)');
  });

  it('bounds redactValue on cycles, depth and breadth', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    let deep: Record<string, unknown> = {};
    const root = deep;
    for (let index = 0; index < 100; index++) {
      deep.next = {};
      deep = deep.next as Record<string, unknown>;
    }
    const wide = Array.from({ length: 100_000 }, (_, index) => ({ index }));
    const json = JSON.stringify(redactValue({ cyclic, root, wide }));
    assert.ok(json.includes('[Circular]'));
    assert.ok(json.length < 200_000);
  });

  it('copes with adversarial input for the patterns in reasonable time (no catastrophic backtracking)', () => {
    // Each of these stays linear; a backtracking pattern would take minutes, not milliseconds.
    const inputs = ['a-'.repeat(30_000), '4'.repeat(60_000), `${'a.'.repeat(20_000)}@`, `token${'='.repeat(50_000)}`, `https://${'a'.repeat(60_000)}`, 'ab://'.repeat(12_000), 'a://b:'.repeat(10_000), '@'.repeat(60_000)];
    for (const input of inputs) assert.equal(typeof redactText(input), 'string');
  });
});

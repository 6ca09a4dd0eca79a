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

  // Adversarial inputs: text built to make each pattern (and a careless change of it) try many
  // ways to match at many places, and to pass the cheap test (`requires`) that lets the pattern
  // run at all. Each family grows one unit at a time.
  const adversarial: [string, (units: number) => string][] = [
    ['dashes', (units) => 'a-'.repeat(units)],
    ['digits', (units) => '4'.repeat(units)],
    ['spaced digits', (units) => `${'4 '.repeat(units)}x`],
    ['dashed digits', (units) => `${'4-'.repeat(units)}-`],
    ['dotted local part', (units) => `${'a.'.repeat(units)}@a.1`],
    ['e-mail-like runs', (units) => `${'a@a.'.repeat(units)}1`],
    ['equals after a name', (units) => `token${'='.repeat(units)}`],
    ['a URL without credentials', (units) => `https://${'a'.repeat(units)}`],
    ['schemes', (units) => 'ab://'.repeat(units)],
    ['user and colon', (units) => `${'a://b:'.repeat(units)}@`],
    ['colons after a scheme', (units) => `ab://${'a:'.repeat(units)}/@`],
    ['at signs', (units) => `${'@'.repeat(units)}a.bc`],
    ['local parts and at signs', (units) => `${'a@'.repeat(units)}a.1`],
    ['words after a secret name', (units) => `password: ${'a '.repeat(units)}`],
    ['secret names and colons', (units) => 'password:'.repeat(units)],
    ['quotes after a secret name', (units) => `"password":"${'a'.repeat(units)}`],
    ['bearer', (units) => 'bearer '.repeat(units)],
    ['authorization', (units) => `authorization: ${'x,'.repeat(units)}`],
    ['cookie', (units) => `cookie: ${'a=b; '.repeat(units)}`],
    ['jwt-like', (units) => `eyJ${'a'.repeat(units)}.eyJ`],
    ['jwt starts', (units) => `${'eyJ'.repeat(units)}.`],
    ['private key without its end', (units) => `-----BEGIN PRIVATE KEY-----${'a\n'.repeat(units)}`],
    ['key prefixes', (units) => 'sk_live_'.repeat(units)],
  ];

  /**
   * CPU time (µs) of one redaction of `text`, from batches of `batch` runs: the least of three
   * batches, in CPU time, so that a loaded machine does not inflate it. A batch far over `limit`
   * ends the measurement at once (it will not get better, and the next one would be as slow).
   */
  function cpuCost(text: string, batch: number, limit: number): number {
    let best = Number.POSITIVE_INFINITY;
    for (let attempt = 0; attempt < 3 && (attempt === 0 || best <= 50 * limit); attempt++) {
      const start = process.cpuUsage();
      for (let run = 0; run < batch; run++) redactText(text);
      const used = process.cpuUsage(start);
      best = Math.min(best, (used.user + used.system) / batch);
    }
    return best;
  }

  const BATCH_MICROSECONDS = 4_000;

  /**
   * How the work grows with the input: the cost of one redaction at 2, 4, … 4096 units. Linear
   * patterns double it per doubling of the input; a quadratic one quadruples it, an exponential
   * one explodes within a few doublings. Each batch is sized to take about 4 ms if the work grows
   * linearly. The check stops at the first doubling that costs more than 8 times the previous one
   * (plus 50 µs, for the step where a pattern's cheap test first lets it run), so a catastrophic
   * pattern fails at a small size instead of hanging the suite.
   */
  function growth(make: (units: number) => string): { sizes: number[]; costs: number[] } {
    const sizes: number[] = [];
    const costs: number[] = [];
    let expected = 1;
    for (let units = 2; units <= 4096; units *= 2) {
      const text = make(units);
      const limit = costs.length === 0 ? Number.POSITIVE_INFINITY : 8 * costs[costs.length - 1]! + 50;
      const cost = cpuCost(text, Math.max(1, Math.round(BATCH_MICROSECONDS / expected)), limit);
      sizes.push(text.length);
      costs.push(cost);
      if (cost > limit) break;
      expected = 2 * Math.max(cost, 0.05);
    }
    return { sizes, costs };
  }

  for (const [label, make] of adversarial) {
    it(`does work proportional to the input on ${label} (no catastrophic backtracking)`, () => {
      const { sizes, costs } = growth(make);
      const report = sizes.map((size, index) => `${String(size)} chars: ${costs[index]!.toFixed(2)} µs`).join(', ');
      assert.equal(costs.length, 12, `a doubling of the input multiplied the work by more than 8: ${report}`);
      // Over the last seven doublings (128 times the input), where the patterns' work outweighs the fixed cost of a call.
      const inputGrowth = sizes[11]! / sizes[4]!;
      const workGrowth = costs[11]! / costs[4]!;
      assert.ok(workGrowth <= 4 * inputGrowth, `the input grew ${inputGrowth.toFixed(0)}x, the work ${workGrowth.toFixed(0)}x: ${report}`);
      assert.equal(typeof redactText(make(30_000)), 'string');
    });
  }
});

describe('what redaction masks and what it leaves', () => {
  it('masks password=…, "password":"…" and Authorization: Bearer …', () => {
    assert.equal(redactText('password=hunter2'), 'password=[REDACTED]');
    assert.equal(redactText('{"password":"x"}'), '{"password":"[REDACTED]"}');
    assert.equal(redactText('{"password": "too short"}'), '{"password": "[REDACTED]"}');
    assert.equal(redactText('Authorization: Bearer abc.DEF-123_xyz'), 'Authorization: [REDACTED]');
    assert.equal(redactText('password: hunter2'), 'password: [REDACTED]');
    assert.equal(redactText('password: hunter2 was rejected'), 'password: [REDACTED] was rejected');
    assert.equal(redactText("{ password: 'too short' }"), "{ password: '[REDACTED]' }");
  });

  it('leaves prose after a secret name and a colon alone', () => {
    for (const text of ['password: too short', 'Password: must be at least 8 characters', 'token: expired, please sign in again', 'password:  too short']) {
      assert.equal(redactText(text), text);
    }
    assert.equal(redactText('Validation failed (2 issues): /password: too short; /email: Invalid email'), 'Validation failed (2 issues): /password: too short; /email: Invalid email');
  });

  /** A number of `length` digits that starts with `first` and passes the Luhn check, from a seeded generator. */
  function luhnNumber(length: number, first: number, random: () => number): string {
    const digits = [first];
    while (digits.length < length - 1) digits.push(Math.floor(random() * 10));
    // The check digit: the one that makes the Luhn sum a multiple of 10 (every second digit from it doubled).
    let sum = 0;
    for (let index = 0; index < digits.length; index++) {
      const fromRight = digits.length - index;
      let digit = digits[index]!;
      if (fromRight % 2 === 1) digit = digit * 2 > 9 ? digit * 2 - 9 : digit * 2;
      sum += digit;
    }
    return `${digits.join('')}${String((10 - (sum % 10)) % 10)}`;
  }

  it('masks Luhn-valid card numbers of every length from 13 to 19, whatever the first digit, and leaves the others', () => {
    let state = 0x2f6e2b1;
    const random = (): number => {
      state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0;
      return state / 2 ** 32;
    };
    for (let length = 13; length <= 19; length++) {
      for (let first = 0; first <= 9; first++) {
        const card = luhnNumber(length, first, random);
        assert.equal(card.length, length);
        assert.equal(redactText(`card ${card} declined`), 'card [REDACTED:card] declined', `${card} (${String(length)} digits)`);
        const grouped = card.replace(/(\d{4})(?=\d)/g, '$1 ');
        assert.equal(redactText(`card ${grouped} declined`), 'card [REDACTED:card] declined', grouped);
        // One digit changed: the checksum fails, and the number is not a card.
        const last = Number(card[length - 1]);
        const broken = `${card.slice(0, -1)}${String((last + 1) % 10)}`;
        assert.equal(redactText(`id ${broken} stored`), `id ${broken} stored`, `${broken} fails Luhn`);
      }
    }
  });

  it('leaves digit runs shorter than 13 or longer than 19 alone, and decimals', () => {
    for (const text of ['id 424242424242 ok', 'id 42424242424242424242 ok', 'pi 3.14159265358979323846', 'ratio 0.4111111111111111']) assert.equal(redactText(text), text);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DatabaseUnavailable, ValidationError } from 'faultline';
import { CardDeclined, FraudSuspected, GatewayFailed, GatewayTimeout, OrderAlreadyPaid, OrderNotFound } from '../../examples/checkout/errors.ts';
import { cardDigits, TEST_CARDS } from '../../examples/checkout/test-cards.ts';
import { runApp } from '../helpers/run-app.ts';

// `npm run demo` end to end in its short mode: the real example under the preload, the real
// PostgreSQL at 127.0.0.1:5432, the embedded receiver, and the feed as a user reads it.

/** Every failure the example's traffic provokes, with the category and status it is defined with. */
const TAXONOMY = [CardDeclined, FraudSuspected, GatewayTimeout, GatewayFailed, OrderNotFound, OrderAlreadyPaid, DatabaseUnavailable, ValidationError];

const LOCAL_POSTGRES = 'postgres://postgres@127.0.0.1:5432/postgres';

interface FeedBlock {
  type: string;
  traceId: string;
  logs: string[];
}

/** Each printed error: its header line (time, type, category, status, route, trace) and the log lines under it. */
function feedBlocks(stdout: string): FeedBlock[] {
  const blocks: FeedBlock[] = [];
  let current: FeedBlock | undefined;
  for (const line of stdout.split('\n')) {
    const header = /^\d\d:\d\d:\d\d {2}([A-Z][A-Z0-9_]+) .* trace ([0-9a-f]{32})$/.exec(line);
    if (header !== null) {
      current = { type: header[1] ?? '', traceId: header[2] ?? '', logs: [] };
      blocks.push(current);
    } else if (current !== undefined && line.startsWith('    log ')) {
      current.logs.push(line);
    } else if (line.trim() === '') {
      current = undefined;
    }
  }
  return blocks;
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

describe('npm run demo (examples/checkout/demo.js)', () => {
  it('prints each error of the taxonomy with its trace and logs, counts them, masks card numbers and exits 0', { timeout: 90_000 }, async () => {
    const run = runApp('examples/checkout/demo.js', {
      preload: false,
      args: ['--duration', '8', '--rate', '4'],
      env: { DATABASE_URL: LOCAL_POSTGRES, NO_COLOR: '1' },
    });
    const { code, stdout, stderr } = await run.exited;
    const context = `\nstdout:\n${stdout}\nstderr:\n${stderr}`;
    assert.equal(code, 0, `the demo should exit 0${context}`);

    for (const error of TAXONOMY) {
      const header = new RegExp(`^\\d\\d:\\d\\d:\\d\\d {2}${error.code} +${error.category} +${String(error.httpStatus)} {2}POST /orders\\S* {2}trace [0-9a-f]{32}$`, 'm');
      assert.match(stdout, header, `${error.code} should appear in the feed as ${error.category}, ${String(error.httpStatus)}${context}`);
    }

    const blocks = feedBlocks(stdout);
    const joined = blocks.find((block) => block.logs.some((line) => line.includes(`failed: ${block.type}`)));
    assert.ok(joined, `some printed trace ID should come with the log line of the same request's failure${context}`);
    const acrossServices = blocks.find(
      (block) => block.type === CardDeclined.code && block.logs.some((line) => /^ {4}log {2}checkout /.test(line)) && block.logs.some((line) => /^ {4}log {2}payment-gateway /.test(line)),
    );
    assert.ok(acrossServices, `a declined card's trace should carry log lines of both the checkout and the payment gateway${context}`);

    const summaryAt = stdout.indexOf('── summary ──');
    assert.notEqual(summaryAt, -1, `the demo should end with a summary${context}`);
    const summary = stdout.slice(summaryAt);
    for (const error of TAXONOMY) {
      const row = new RegExp(`^ +${error.code} +${error.category} +${String(error.httpStatus)} +(\\d+)$`, 'm').exec(summary);
      assert.ok(row, `the counts should have a row for ${error.code}${context}`);
      assert.ok(Number(row[1]) >= 1, `${error.code} should be counted at least once${context}`);
    }
    const arrived = /error spans: (\d+) of (\d+) failed requests/.exec(summary);
    assert.ok(arrived, `the summary should say how many failures arrived as error spans${context}`);
    assert.equal(arrived[1], arrived[2], `every failed request should arrive as an error span${context}`);
    const counted = /the app\.errors counter totals (\d+) for (\d+) failed requests/.exec(summary);
    assert.ok(counted, `the summary should compare the counter with the failed requests${context}`);
    assert.equal(counted[1], counted[2], `each failed request should be counted exactly once${context}`);

    const output = stdout + stderr;
    for (const number of Object.values(TEST_CARDS)) {
      assert.doesNotMatch(output, new RegExp(`${escape(number)}|${cardDigits(number)}`), `card number ${number.slice(0, 4)}… must never be printed${context}`);
    }
    assert.match(stdout, /card=\[REDACTED:card\]/, `the feed should show the logged card number masked${context}`);
  });

  it('says so in one line and exits non-zero when PostgreSQL cannot be reached', { timeout: 30_000 }, async () => {
    const run = runApp('examples/checkout/demo.js', {
      preload: false,
      args: ['--duration', '8'],
      env: { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/x', NO_COLOR: '1' },
    });
    const { code, stdout, stderr } = await run.exited;
    assert.notEqual(code, 0);
    assert.equal(stdout, '');
    assert.equal(stderr, 'demo: cannot connect to PostgreSQL at 127.0.0.1:1 (ECONNREFUSED) — start it or set DATABASE_URL\n');
  });
});

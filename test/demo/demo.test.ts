import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { DatabaseUnavailable, OperationTimeout, ValidationError } from 'faultline';
import { readCapture } from 'faultline/receiver';
import { CardDeclined, FraudSuspected, GatewayFailed, OrderAlreadyPaid, OrderNotFound } from '../../examples/checkout/errors.ts';
import { cardDigits, TEST_CARDS } from '../../examples/checkout/test-cards.ts';
import { runApp } from '../helpers/run-app.ts';

// `npm run demo` end to end in its short mode: the real example under the preload, the real
// PostgreSQL at 127.0.0.1:5432, the embedded receiver, and the feed as a user reads it.

/** Every failure the example's traffic provokes, with the category and status it is defined with (a hanging gateway: the payment pipeline's timeout). */
const TAXONOMY = [CardDeclined, FraudSuspected, OperationTimeout, GatewayFailed, OrderNotFound, OrderAlreadyPaid, DatabaseUnavailable, ValidationError];

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
  it('prints each error of the taxonomy with its trace and logs, counts them, masks card numbers and exits 0', { timeout: 90_000 }, async (t) => {
    const scratch = mkdtempSync(path.join(os.tmpdir(), 'faultline-demo-'));
    t.after(() => {
      rmSync(scratch, { recursive: true, force: true });
    });
    const capture = path.join(scratch, 'capture.jsonl');
    const run = runApp('examples/checkout/demo.js', {
      preload: false,
      args: ['--duration', '8', '--rate', '4', '--save', capture],
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
    const counted = /the app\.errors counter totals (\d+) for (\d+) failed requests and (\d+) failures the policies dealt with \((\d+) retried, (\d+) answered by the fallback\)/.exec(summary);
    assert.ok(counted, `the summary should compare the counter with the failed requests and the failures the policies dealt with${context}`);
    assert.equal(Number(counted[1]), Number(counted[2]) + Number(counted[3]), `each failure should be counted exactly once${context}`);
    assert.ok(Number(counted[4]) >= 1, `the gateway's failures should have been retried${context}`);

    // The payment gateway outage: the breaker opens, probes, and closes once the gateway is back.
    const outageAt = stdout.indexOf('── payment gateway outage');
    assert.notEqual(outageAt, -1, `the demo should cut the payment gateway${context}`);
    const afterOutage = stdout.slice(outageAt);
    const opened = afterOutage.indexOf('── breaker payment-gateway opened');
    const halfOpen = afterOutage.indexOf('── breaker payment-gateway half-open', opened);
    const closed = afterOutage.indexOf('── breaker payment-gateway closed', halfOpen);
    assert.ok(opened !== -1 && halfOpen !== -1 && closed !== -1, `the feed should show the breaker opening, probing and closing, in that order${context}`);
    assert.ok(Number(counted[5]) >= 1, `charges refused by the open breaker should get the fallback's answer${context}`);

    const output = stdout + stderr;
    for (const number of Object.values(TEST_CARDS)) {
      assert.doesNotMatch(output, new RegExp(`${escape(number)}|${cardDigits(number)}`), `card number ${number.slice(0, 4)}… must never be printed${context}`);
    }
    assert.match(stdout, /card=\[REDACTED:card\]/, `the feed should show the logged card number masked${context}`);

    assert.match(stdout, /^ {2}viewer {12}http:\/\/127\.0\.0\.1:\d+\/ /m, `the demo should print the viewer's URL${context}`);
    // --save: everything the embedded receiver took in, all three signals, every printed trace among it.
    const signals = new Set<string>();
    const savedTraces = new Set<string>();
    for await (const entry of readCapture(capture)) {
      signals.add(entry.signal);
      if (entry.signal !== 'traces') continue;
      for (const match of JSON.stringify(entry.request).matchAll(/"traceId":"([0-9a-f]{32})"/g)) savedTraces.add(match[1] ?? '');
    }
    assert.deepEqual([...signals].sort(), ['logs', 'metrics', 'traces']);
    for (const block of blocks) assert.ok(savedTraces.has(block.traceId), `the capture should hold the printed trace ${block.traceId}`);
  });

  it('without --duration, ends on the viewer: after Ctrl-C the summary, then the viewer stays up until the next one', { timeout: 90_000 }, async () => {
    const run = runApp('examples/checkout/demo.js', { preload: false, args: ['--rate', '4'], env: { DATABASE_URL: LOCAL_POSTGRES, NO_COLOR: '1' } });
    const url = (await run.waitForLine(/^ {2}viewer {12}(http:\/\/127\.0\.0\.1:\d+\/) /m))[1] ?? '';
    await run.waitForLine(/^\d\d:\d\d:\d\d {2}[A-Z_]+ .* trace [0-9a-f]{32}$/m, 30_000);
    run.child.kill('SIGINT');
    await run.waitForLine(/the viewer stays up at http:\/\/127\.0\.0\.1:\d+\/ with everything this run sent; Ctrl-C to quit/, 30_000);
    assert.equal((await fetch(url)).status, 200, 'the page is still served after the summary');
    const errors = (await (await fetch(`${url}api/errors`)).json()) as { groups: unknown[] };
    assert.ok(errors.groups.length > 0, 'the viewer still holds the run\'s errors');
    run.child.kill('SIGINT');
    const { code, stdout, stderr } = await run.exited;
    assert.equal(code, 0, `stdout:\n${stdout}\nstderr:\n${stderr}`);
    await assert.rejects(fetch(url), 'the viewer is gone once the demo exits');
  });

  it('answers a capture file it cannot write, or --save with --otlp, with one line and exit code 2', { timeout: 30_000 }, async () => {
    const unwritable = await runApp('examples/checkout/demo.js', {
      preload: false,
      args: ['--duration', '8', '--save', path.join(os.tmpdir(), 'faultline-no-such-dir', 'capture.jsonl')],
      env: { DATABASE_URL: LOCAL_POSTGRES, NO_COLOR: '1' },
    }).exited;
    assert.equal(unwritable.code, 2);
    assert.equal(unwritable.stdout, '');
    assert.match(unwritable.stderr, /^demo: cannot write the capture file .*faultline-no-such-dir.*\n$/);
    const elsewhere = await runApp('examples/checkout/demo.js', { preload: false, args: ['--save', 'x.jsonl', '--otlp', 'http://127.0.0.1:4318'], env: { NO_COLOR: '1' } }).exited;
    assert.equal(elsewhere.code, 2);
    assert.match(elsewhere.stderr, /^demo: --save writes what the embedded receiver gets; /);
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

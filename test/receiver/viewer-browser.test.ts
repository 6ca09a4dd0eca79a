import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startReceiver, type OtlpReceiver } from 'faultline/receiver';
import { repoRoot, runApp } from '../helpers/run-app.ts';
import { hexId, logsRequest, postJson, recordedError, tracesRequest } from './otlp-json.ts';

// The viewer in a real browser (Debian's chromium, driven by playwright-core), fed by the example
// checkout service under the preload through the built package. Screenshots of each view go to
// test-artifacts/viewer/ (not committed).

const ARTIFACTS = path.join(repoRoot, 'test-artifacts', 'viewer');
const LOCAL_POSTGRES = 'postgres://postgres@127.0.0.1:5432/postgres';
const HOSTILE = '<img src=x onerror=alert(1)>';

/** What the tests read and set in the page (the test files are not compiled with the DOM library). */
interface PageGlobals {
  notReloaded?: boolean;
  violations: string[];
  pwned?: boolean;
  document: {
    addEventListener(type: 'securitypolicyviolation', listener: (event: { violatedDirective: string }) => void): void;
    querySelectorAll(selector: string): ArrayLike<{ getAttribute(name: string): string | null }>;
  };
}

interface Marks {
  dialogs: string[];
  pageErrors: string[];
  consoleErrors: string[];
}

/** What the error list shows: per type, the sum of its groups' counts. */
async function listedCounts(page: Page): Promise<Map<string, number>> {
  const rows = await page.locator('[data-testid=error-group]').evaluateAll((elements) =>
    elements.map((row) => [row.querySelector('[data-testid=group-type]')?.textContent ?? '', Number(row.querySelector('[data-testid=group-count]')?.textContent ?? 'NaN')] as const),
  );
  const counts = new Map<string, number>();
  for (const [type, count] of rows) counts.set(type, (counts.get(type) ?? 0) + count);
  return counts;
}

/** The `app.errors` counter as received: per error.type, its current total. */
function counterTotals(receiver: OtlpReceiver): Map<string, number> {
  const types = new Set(receiver.metrics.filter((point) => point.name === 'app.errors').map((point) => String(point.attributes['error.type'])));
  return new Map([...types].map((type) => [type, receiver.latestSum('app.errors', { 'error.type': type })]));
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last === undefined ? '' : `: ${String(last)}`}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe('viewer in a browser, fed by the example checkout service', { timeout: 180_000 }, () => {
  let receiver: OtlpReceiver;
  let browser: Browser;
  let page: Page;
  const marks: Marks = { dialogs: [], pageErrors: [], consoleErrors: [] };

  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    receiver = await startReceiver({ ui: true });
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
    });
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    page.on('dialog', (dialog) => {
      marks.dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    page.on('pageerror', (error) => marks.pageErrors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') marks.consoleErrors.push(message.text());
    });
  });

  after(async () => {
    await browser.close();
    await receiver.close();
  });

  it('shows the errors as they arrive, without a reload, with the same types and counts as the app.errors counter', async (t) => {
    await page.goto(receiver.viewerUrl ?? '');
    await page.locator('[data-testid=no-errors]').waitFor();
    await page.locator('#live.on').waitFor();
    // Gone if the page reloads: every update below must come over the event stream.
    await page.evaluate(() => {
      const page = globalThis as unknown as PageGlobals;
      page.notReloaded = true;
      page.violations = [];
      page.document.addEventListener('securitypolicyviolation', (event) => {
        page.violations.push(event.violatedDirective);
      });
    });

    const demo = runApp('examples/checkout/demo.js', {
      preload: false,
      args: ['--duration', '8', '--rate', '4', '--otlp', receiver.url],
      env: { DATABASE_URL: LOCAL_POSTGRES, NO_COLOR: '1', OTEL_METRIC_EXPORT_INTERVAL: '1000' },
    });
    await page.locator('[data-testid=error-group]').first().waitFor({ timeout: 30_000 });
    await page.screenshot({ path: path.join(ARTIFACTS, 'live.png'), fullPage: true });
    const { code, stderr } = await demo.exited;
    // test/demo/demo.test.ts holds the demo to a clean run; here it only has to have sent what it did.
    if (code !== 0) t.diagnostic(`the demo exited with code ${String(code)}: ${stderr.trim().split('\n').slice(-3).join(' | ')}`);

    // Every service flushed on its way out before the demo exited: the counter is final.
    const counter = counterTotals(receiver);
    assert.ok(counter.size >= 4, `the example's traffic should have counted several error types: ${JSON.stringify([...counter])}`);
    // The services flushed on exit; the page catches up over the event stream.
    const listed = await until(
      'the error list to match the counter',
      async () => {
        const counts = await listedCounts(page);
        return JSON.stringify([...counts].sort()) === JSON.stringify([...counterTotals(receiver)].sort()) ? counts : undefined;
      },
      30_000,
    ).catch(async (error: unknown) => {
      throw new Error(`${String(error)}\nlisted: ${JSON.stringify([...(await listedCounts(page))].sort())}\ncounter: ${JSON.stringify([...counterTotals(receiver)].sort())}`);
    });
    assert.deepEqual([...listed].sort(), [...counter].sort(), 'per type, the listed counts are the counter\'s totals');
    for (const type of ['CARD_DECLINED', 'OPERATION_TIMEOUT', 'VALIDATION_FAILED']) assert.ok((listed.get(type) ?? 0) >= 1, `${type} (in the demo's first round) should be listed`);
    // The chart has drawn the counter: one legend entry per type.
    const legend = await page.locator('.counter-chart .u-legend .u-series .u-label').allTextContents();
    assert.deepEqual(legend.slice(1).sort(), [...counter.keys()].sort());
    assert.equal(await page.evaluate(() => (globalThis as unknown as PageGlobals).notReloaded), true, 'the page was never reloaded');
    await page.screenshot({ path: path.join(ARTIFACTS, 'errors.png'), fullPage: true });
  });

  it('opens a group, then an occurrence: the trace with its spans across services, the whole cause chain and the log lines', async () => {
    await page.locator('[data-testid=error-group]', { has: page.locator('[data-testid=group-type]', { hasText: /^CARD_DECLINED$/ }) }).first().click();
    await page.locator('[data-testid=occurrence]').first().waitFor();
    assert.equal(await page.locator('[data-testid=group-title]').textContent(), 'CARD_DECLINED');
    await page.screenshot({ path: path.join(ARTIFACTS, 'group.png'), fullPage: true });

    const traceId = (await page.locator('[data-testid=occurrence-trace]').first().textContent()) ?? '';
    await page.locator('[data-testid=occurrence-trace]').first().click();
    await page.locator('[data-testid=span]').first().waitFor();
    assert.equal(await page.locator('[data-testid=trace-id]').textContent(), traceId);

    const spans = receiver.spans.filter((span) => span.traceId === traceId);
    const logs = receiver.logs.filter((log) => log.traceId === traceId);
    assert.equal(await page.locator('[data-testid=span]').count(), spans.length, 'every span of the trace is in the waterfall');
    const serviceOf = (resource: Record<string, unknown>) => String(resource['service.name']);
    const services = new Set(await page.locator('[data-testid=span] .service').allTextContents());
    assert.deepEqual([...services].sort(), [...new Set(spans.map((span) => serviceOf(span.resource)))].sort());
    assert.ok(services.has('checkout') && services.has('payment-gateway'), 'the waterfall spans the checkout and the payment gateway');

    // The error and its causes, as recorded on the checkout's server span: every exception event is shown.
    const errors = page.locator('[data-testid=span-errors]', { has: page.locator('[data-testid=exception-type]', { hasText: /^CARD_DECLINED$/ }) });
    const chain = await errors.locator('[data-testid=exception-type]').allTextContents();
    assert.equal(chain[0], 'CARD_DECLINED');
    const recorded = spans.flatMap((span) => span.events).filter((event) => event.name === 'exception' && event.attributes['exception.type'] === 'CARD_DECLINED');
    assert.ok(recorded.length >= 1, 'the receiver holds the recorded CARD_DECLINED');

    const lines = await page.locator('[data-testid=log-line]').count();
    assert.equal(lines, logs.length, 'every log record of the trace is on the timeline');
    const logServices = new Set(await page.locator('[data-testid=log-line] .service').allTextContents());
    assert.deepEqual([...logServices].sort(), [...new Set(logs.map((log) => serviceOf(log.resource)))].sort());
    assert.ok(logServices.size >= 2, 'log lines of both processes, interleaved');
    const bodies = await page.locator('[data-testid=log-line] [data-testid=log-body]').allTextContents();
    const byTime = [...logs].sort((a, b) => (BigInt(a.timeUnixNano) < BigInt(b.timeUnixNano) ? -1 : 1)).map((log) => String(log.body));
    assert.deepEqual(bodies, byTime, 'log lines in time order');
    await page.screenshot({ path: path.join(ARTIFACTS, 'trace.png'), fullPage: true });
  });

  it('lists the recent traces and log records, each leading to its trace', async () => {
    await page.locator('#nav a[data-section=traces]').click();
    await page.locator('[data-testid=trace-row]').first().waitFor();
    assert.equal(await page.locator('[data-testid=trace-row]').count(), Math.min(200, new Set(receiver.spans.map((span) => span.traceId)).size));
    await page.locator('#nav a[data-section=logs]').click();
    await page.locator('[data-testid=log-row]').first().waitFor();
    assert.equal(await page.locator('[data-testid=log-row]').count(), Math.min(300, receiver.logs.length));
    const link = page.locator('[data-testid=log-row] a').first();
    const shown = (await link.textContent()) ?? '';
    await link.click();
    await page.locator('[data-testid=trace-id]').waitFor();
    assert.ok(((await page.locator('[data-testid=trace-id]').textContent()) ?? '').startsWith(shown));
  });

  it(`renders attacker-controlled text such as ${HOSTILE} as text and runs nothing`, async () => {
    await page.goto(`${receiver.viewerUrl ?? ''}#/`);
    await page.locator('[data-testid=error-group]').first().waitFor();
    await page.evaluate(() => {
      const page = globalThis as unknown as PageGlobals;
      page.violations = [];
      page.document.addEventListener('securitypolicyviolation', (event) => {
        page.violations.push(event.violatedDirective);
      });
    });
    const now = Date.now();
    const traceId = hexId(16);
    const spanId = hexId(8);
    const hostileService = '<b onmouseover=alert(2)>svc</b>';
    const notes = ['<script>window.pwned = true</script>', '"><svg onload=alert(3)>'];
    await postJson(receiver.url, '/v1/traces', tracesRequest(hostileService, [
      {
        traceId,
        spanId,
        name: '<iframe src=javascript:alert(4)>',
        kind: 2,
        start: now - 20,
        end: now,
        attributes: { 'http.route': 'javascript:alert(5)', 'user.input': '<a href="javascript:alert(6)">x</a>' },
        events: recordedError({ time: now - 1, type: 'HOSTILE', fingerprint: '"><img src=x onerror=alert(7)>', message: HOSTILE, notes, cause: { type: '<svg/onload=alert(8)>', message: '${alert(9)}' } }),
        status: { code: 2, message: HOSTILE },
      },
    ]));
    await postJson(receiver.url, '/v1/logs', logsRequest(hostileService, [{ time: now - 2, body: HOSTILE, traceId, spanId, severityNumber: 17, severityText: 'error', attributes: { note: '<style>body{display:none}</style>' } }]));

    // It arrives live, as text.
    const row = page.locator('[data-testid=error-group]', { has: page.locator('[data-testid=group-type]', { hasText: /^HOSTILE$/ }) });
    await row.waitFor();
    assert.equal(await row.locator('[data-testid=group-message]').textContent(), HOSTILE);
    assert.deepEqual(await row.locator('[data-testid=group-note]').allTextContents(), notes);
    await page.screenshot({ path: path.join(ARTIFACTS, 'hostile-list.png'), fullPage: true });

    await row.locator('[data-testid=group-type]').click();
    await page.locator('[data-testid=occurrence]').first().waitFor();
    assert.equal(await page.locator('p[data-testid=group-message]').textContent(), HOSTILE);
    await page.locator('[data-testid=occurrence-trace]').first().click();
    await page.locator('[data-testid=span]').first().waitFor();
    assert.equal(await page.locator('[data-testid=exception-message]').first().textContent(), HOSTILE);
    assert.equal(await page.locator('[data-testid=log-body]').first().textContent(), HOSTILE);
    assert.ok((await page.locator('[data-testid=span] .span-name').first().textContent())?.includes('<iframe'), 'the span name is shown as the text it is');
    await page.screenshot({ path: path.join(ARTIFACTS, 'hostile-trace.png'), fullPage: true });

    const injected = await page.evaluate(() => {
      const page = globalThis as unknown as PageGlobals;
      const links = Array.from(page.document.querySelectorAll('a'), (link) => link.getAttribute('href') ?? '');
      return {
        elements: page.document.querySelectorAll('main img, main script, main iframe, main svg[onload], main b, main style, main [onerror], main [onmouseover]').length,
        badLinks: links.filter((href) => !href.startsWith('#/') && !href.startsWith('vendor/')).length,
        pwned: page.pwned ?? false,
        violations: page.violations,
      };
    });
    assert.deepEqual(injected, { elements: 0, badLinks: 0, pwned: false, violations: [] }, 'no markup was made from received text, so there was nothing for the CSP to block');
    assert.deepEqual(marks.dialogs, [], 'no dialog opened');
    assert.deepEqual(marks.pageErrors, [], 'no script error on the page');
    assert.deepEqual(marks.consoleErrors, [], 'nothing logged an error (a CSP or Trusted Types refusal would)');
  });
});

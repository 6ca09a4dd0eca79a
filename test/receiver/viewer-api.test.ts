import assert from 'node:assert/strict';
import http from 'node:http';
import { describe, it } from 'node:test';
import { startReceiver, type OtlpReceiver, type ReceiverOptions } from '../../src/receiver/index.ts';
import { errorCounterRequest, hexId, logsRequest, postJson, recordedError, tracesRequest, type SpanSpec } from './otlp-json.ts';
import { runCli } from './receiver-cli.ts';

// The viewer's server side through its HTTP API: what it groups and keeps, what it lets go and
// counts, the counter series, live notices, and the headers and checks every answer carries.

interface GroupJson {
  key: string;
  fingerprinted: boolean;
  type: string;
  code: string | null;
  category: string | null;
  count: number;
  firstSeen: number;
  lastSeen: number;
  services: string[];
  message: string;
  notes: string[];
  sparkline: number[];
}

interface ErrorListJson {
  groups: GroupJson[];
  sparkline: { start: number; bucketMs: number; buckets: number };
  facets: { services: string[]; types: string[]; categories: string[] };
  stats: StatsJson;
}

interface StatsJson {
  kept: { traces: number; spans: number; logRecords: number; errorGroups: number };
  letGo: { traces: number; spans: number; logRecords: number; errorGroups: number; errors: number };
}

async function withViewer(options: ReceiverOptions, body: (receiver: OtlpReceiver) => Promise<void>): Promise<void> {
  const receiver = await startReceiver({ ui: true, ...options });
  try {
    await body(receiver);
  } finally {
    await receiver.close();
  }
}

async function api<T>(receiver: OtlpReceiver, path: string, expectedStatus = 200): Promise<T> {
  const response = await fetch(`${receiver.url}${path}`);
  assert.equal(response.status, expectedStatus, `${path} answered ${response.status}`);
  return (await response.json()) as T;
}

/** A request that failed in `service`: a server span, an internal child span where the error was recorded, optionally with a cause. */
function failedRequest(options: { service?: string; route?: string; time: number; type: string; fingerprint: string; message: string; notes?: string[]; category?: string; cause?: { type: string; message: string } }) {
  const traceId = hexId(16);
  const server = hexId(8);
  const child = hexId(8);
  const spans: SpanSpec[] = [
    {
      traceId,
      spanId: server,
      name: `POST ${options.route ?? '/orders/:id/charges'}`,
      kind: 2,
      start: options.time - 5,
      end: options.time + 1,
      attributes: { 'http.request.method': 'POST', 'http.route': options.route ?? '/orders/:id/charges', 'http.response.status_code': 402 },
    },
    {
      traceId,
      spanId: child,
      parentSpanId: server,
      name: 'charge card',
      kind: 1,
      start: options.time - 4,
      end: options.time,
      events: recordedError(options),
      status: { code: 2, message: `${options.type}: ${options.message}` },
    },
  ];
  return { traceId, spanId: child, body: tracesRequest(options.service ?? 'checkout', spans) };
}

describe('viewer API: errors grouped by fingerprint', () => {
  it('counts one occurrence per recorded error: causes, CLIENT spans and other fingerprints apart', async () => {
    await withViewer({}, async (receiver) => {
      const now = Date.now();
      const first = failedRequest({ time: now - 3000, type: 'CARD_DECLINED', fingerprint: 'fp-declined', message: 'declined (insufficient funds)', notes: ['order 1'], category: 'validation', cause: { type: 'GatewayDeclined', message: 'issuer said no' } });
      const second = failedRequest({ time: now - 1000, type: 'CARD_DECLINED', fingerprint: 'fp-declined', message: 'declined (stolen card)', notes: ['order 2', 'attempt 2'], category: 'validation' });
      const other = failedRequest({ service: 'payment-gateway', route: '/charges', time: now - 2000, type: 'CARD_DECLINED', fingerprint: 'fp-other-place', message: 'declined elsewhere', category: 'validation' });
      for (const request of [first, second, other]) assert.equal(await postJson(receiver.url, '/v1/traces', request.body), 200);
      // A failed call seen by an HTTP client span: recorded there without being counted.
      const clientTrace = hexId(16);
      await postJson(receiver.url, '/v1/traces', tracesRequest('checkout', [
        { traceId: clientTrace, spanId: hexId(8), name: 'POST', kind: 3, start: now - 10, end: now, events: recordedError({ time: now, type: 'TimeoutError', fingerprint: 'fp-client', message: 'aborted' }) },
      ]));
      // An exception event written by the SDK's recordException: no index, no fingerprint.
      await postJson(receiver.url, '/v1/traces', tracesRequest('legacy', [
        { traceId: hexId(16), spanId: hexId(8), name: 'job', kind: 1, start: now - 10, end: now, events: [{ name: 'exception', time: now - 500, attributes: { 'exception.type': 'TypeError', 'exception.message': 'x is undefined' } }] },
      ]));

      const list = await api<ErrorListJson>(receiver, '/api/errors');
      const byKey = new Map(list.groups.map((group) => [group.key, group]));
      assert.deepEqual([...byKey.keys()].sort(), ['fp-declined', 'fp-other-place', 'type:TypeError']);
      const declined = byKey.get('fp-declined');
      assert.ok(declined);
      assert.equal(declined.count, 2, 'the cause event is part of the first error, not an occurrence of its own');
      assert.equal(declined.type, 'CARD_DECLINED');
      assert.equal(declined.code, 'CARD_DECLINED');
      assert.equal(declined.category, 'validation');
      assert.equal(declined.firstSeen, now - 3000);
      assert.equal(declined.lastSeen, now - 1000);
      assert.equal(declined.message, 'declined (stolen card)', 'the example is the latest occurrence');
      assert.deepEqual(declined.notes, ['order 2', 'attempt 2']);
      assert.deepEqual(declined.services, ['checkout']);
      assert.equal(declined.sparkline.reduce((sum, count) => sum + count, 0), 2);
      assert.equal(byKey.get('type:TypeError')?.fingerprinted, false);
      assert.deepEqual(list.groups.map((group) => group.key), ['type:TypeError', 'fp-declined', 'fp-other-place'], 'most recently seen first');

      const detail = await api<{ group: GroupJson & { occurrences: { traceId: string; spanId: string; route: string; service: string; time: number; traceKept: boolean }[] } }>(
        receiver,
        `/api/errors/${encodeURIComponent('fp-declined')}`,
      );
      assert.deepEqual(
        detail.group.occurrences.map(({ traceId, spanId, route, service, time, traceKept }) => ({ traceId, spanId, route, service, time, traceKept })),
        [
          { traceId: second.traceId, spanId: second.spanId, route: 'POST /orders/:id/charges', service: 'checkout', time: now - 1000, traceKept: true },
          { traceId: first.traceId, spanId: first.spanId, route: 'POST /orders/:id/charges', service: 'checkout', time: now - 3000, traceKept: true },
        ],
        'newest first; the route is the server span\'s, above the span that recorded the error',
      );
      await api(receiver, `/api/errors/${encodeURIComponent('fp-client')}`, 404);
    });
  });

  it('filters by service, type and category, and lists the values each filter can take', async () => {
    await withViewer({}, async (receiver) => {
      const now = Date.now();
      await postJson(receiver.url, '/v1/traces', failedRequest({ time: now, type: 'CARD_DECLINED', fingerprint: 'a', message: 'm', category: 'validation' }).body);
      await postJson(receiver.url, '/v1/traces', failedRequest({ service: 'payment-gateway', time: now, type: 'GATEWAY_TIMEOUT', fingerprint: 'b', message: 'm', category: 'timeout' }).body);
      await postJson(receiver.url, '/v1/traces', failedRequest({ time: now, type: 'DATABASE_UNAVAILABLE', fingerprint: 'c', message: 'm', category: 'dependency' }).body);
      const keys = async (query: string) => (await api<ErrorListJson>(receiver, `/api/errors${query}`)).groups.map((group) => group.key).sort();
      assert.deepEqual(await keys('?service=checkout'), ['a', 'c']);
      assert.deepEqual(await keys('?type=GATEWAY_TIMEOUT'), ['b']);
      assert.deepEqual(await keys('?category=dependency&service=checkout'), ['c']);
      assert.deepEqual(await keys('?category=dependency&service=payment-gateway'), []);
      const { facets } = await api<ErrorListJson>(receiver, '/api/errors');
      assert.deepEqual(facets, { services: ['checkout', 'payment-gateway'], types: ['CARD_DECLINED', 'DATABASE_UNAVAILABLE', 'GATEWAY_TIMEOUT'], categories: ['dependency', 'timeout', 'validation'] });
    });
  });

  it('spreads the sparkline over the whole session, widening its buckets as the session grows', async () => {
    await withViewer({}, async (receiver) => {
      const now = Date.now();
      for (const ago of [100_000, 99_000, 70_000, 10_000]) await postJson(receiver.url, '/v1/traces', failedRequest({ time: now - ago, type: 'X', fingerprint: 'x', message: 'm' }).body);
      const { groups, sparkline } = await api<ErrorListJson>(receiver, '/api/errors');
      // 90 s after the first error does not fit 60 one-second buckets: they became two seconds wide.
      assert.equal(sparkline.bucketMs, 2000);
      assert.equal(sparkline.buckets, 60);
      const counts = groups[0]?.sparkline ?? [];
      assert.equal(counts.length, 60);
      assert.equal(counts.reduce((sum, count) => sum + count, 0), 4, 'widening merges buckets and loses no count');
      assert.equal(counts[0], 2);
      assert.equal(counts[Math.floor((now - 10_000 - sparkline.start) / 2000)], 1);
    });
  });
});

describe('viewer API: bounded memory', () => {
  it('keeps the last N traces and log records, and counts what it let go', async () => {
    await withViewer({ ui: { maxTraces: 3, maxLogRecords: 4 } }, async (receiver) => {
      const now = Date.now();
      const requests = [];
      for (let index = 0; index < 5; index++) {
        const request = failedRequest({ time: now - 5000 + index, type: 'E', fingerprint: 'e', message: `error ${index}` });
        requests.push(request);
        await postJson(receiver.url, '/v1/traces', request.body);
      }
      const logs = requests.flatMap((request, index) => [{ time: now - 5000 + index, body: `log ${index}`, traceId: request.traceId, spanId: request.spanId }]);
      await postJson(receiver.url, '/v1/logs', logsRequest('checkout', [...logs, { time: now, body: 'no trace' }]));

      const stats = await api<StatsJson>(receiver, '/api/stats');
      assert.deepEqual(stats.kept, { traces: 3, spans: 6, logRecords: 4, errorGroups: 1 });
      assert.deepEqual(stats.letGo, { traces: 2, spans: 4, logRecords: 2, errorGroups: 0, errors: 0 });
      assert.deepEqual(receiver.viewerStats?.letGo, stats.letGo);

      const [oldest, second, third] = requests;
      assert.ok(oldest && second && third);
      await api(receiver, `/api/traces/${oldest.traceId}`, 404);
      // The second trace's spans were let go; its log record too (the two oldest records went).
      await api(receiver, `/api/traces/${second.traceId}`, 404);
      const kept = await api<{ spans: unknown[]; logs: { body: string }[] }>(receiver, `/api/traces/${third.traceId}`);
      assert.equal(kept.spans.length, 2);
      assert.deepEqual(kept.logs.map((log) => log.body), ['log 2']);
      const group = await api<{ group: { count: number; occurrences: { traceId: string; traceKept: boolean }[] } }>(receiver, '/api/errors/e');
      assert.equal(group.group.count, 5, 'counts stay whole when traces go');
      assert.deepEqual(
        group.group.occurrences.map((occurrence) => occurrence.traceKept),
        [true, true, true, false, false],
      );
    });
  });

  it('keeps at most maxSpans spans over all traces, letting the least recently updated traces go', async () => {
    await withViewer({ ui: { maxSpans: 5 } }, async (receiver) => {
      const now = Date.now();
      const traces = [hexId(16), hexId(16), hexId(16)];
      for (const traceId of traces) {
        await postJson(receiver.url, '/v1/traces', tracesRequest('svc', [0, 1].map((index) => ({ traceId, spanId: hexId(8), name: `s${index}`, start: now, end: now }))));
      }
      // The last trace gets another span: the least recently updated (the first) went when the third came.
      const late = await postJson(receiver.url, '/v1/traces', tracesRequest('svc', [{ traceId: traces[2] ?? '', spanId: hexId(8), name: 'late', start: now, end: now }]));
      assert.equal(late, 200);
      const stats = await api<StatsJson>(receiver, '/api/stats');
      assert.equal(stats.kept.spans, 5);
      assert.ok(stats.kept.spans + stats.letGo.spans === 7);
      const list = await api<{ traces: { traceId: string; spanCount: number }[] }>(receiver, '/api/traces');
      assert.deepEqual(list.traces.map((trace) => [trace.traceId, trace.spanCount]), [[traces[2], 3], [traces[1], 2]]);
    });
  });

  it('rejects limits that are not positive integers', async () => {
    await assert.rejects(startReceiver({ ui: { maxTraces: 0 } }), /maxTraces must be a positive integer/);
    await assert.rejects(startReceiver({ ui: { maxLogRecords: 1.5 } }), /maxLogRecords must be a positive integer/);
  });
});

describe('viewer API: app.errors by type over time', () => {
  it('sums each type over services and series, at each series\' latest cumulative value or its summed deltas', async () => {
    await withViewer({}, async (receiver) => {
      const start = Date.now() - 60_000;
      const at = (seconds: number) => start + seconds * 1000;
      const checkout = { 'service.name': 'checkout', 'service.instance.id': 'c1' };
      const gateway = { 'service.name': 'payment-gateway', 'service.instance.id': 'g1' };
      const point = (type: string, handled: boolean, value: number, time: number) => ({ attributes: { 'error.type': type, 'error.category': 'validation', 'error.handled': handled }, value, time });
      await postJson(receiver.url, '/v1/metrics', errorCounterRequest(checkout, [point('CARD_DECLINED', true, 2, at(10)), point('CARD_DECLINED', false, 1, at(10))], start));
      await postJson(receiver.url, '/v1/metrics', errorCounterRequest(gateway, [point('CARD_DECLINED', true, 4, at(12))], start));
      await postJson(receiver.url, '/v1/metrics', errorCounterRequest(checkout, [point('CARD_DECLINED', true, 5, at(20)), point('CARD_DECLINED', false, 1, at(20)), point('ORDER_NOT_FOUND', true, 3, at(20))], start));
      // Delta temporality: each export carries the increase.
      const worker = { 'service.name': 'worker', 'service.instance.id': 'w1' };
      await postJson(receiver.url, '/v1/metrics', errorCounterRequest(worker, [point('ORDER_NOT_FOUND', true, 2, at(25))], start, true));
      await postJson(receiver.url, '/v1/metrics', errorCounterRequest(worker, [point('ORDER_NOT_FOUND', true, 3, at(30))], start, true));

      const snapshot = await api<{ types: string[]; times: number[]; values: (number | null)[][]; totals: Record<string, number> }>(receiver, '/api/error-counter');
      assert.deepEqual(snapshot.types, ['CARD_DECLINED', 'ORDER_NOT_FOUND']);
      const totals: Record<string, number> = snapshot.totals;
      assert.deepEqual(totals, { CARD_DECLINED: 10, ORDER_NOT_FOUND: 8 });
      for (const type of snapshot.types) assert.equal(snapshot.totals[type], receiver.latestSum('app.errors', { 'error.type': type }), `${type} agrees with receiver.latestSum`);
      assert.deepEqual(snapshot.times, [at(10), at(12), at(20), at(25), at(30)]);
      assert.deepEqual(snapshot.values, [
        [3, 7, 10, 10, 10],
        [null, null, 3, 5, 8],
      ]);
    });
  });
});

describe('viewer: live updates', () => {
  it('notifies an open event stream of the traces that changed, with the stats', async () => {
    await withViewer({}, async (receiver) => {
      const controller = new AbortController();
      const response = await fetch(`${receiver.url}/api/events`, { signal: controller.signal });
      assert.equal(response.status, 200);
      assert.match(response.headers.get('content-type') ?? '', /^text\/event-stream/);
      assert.ok(response.body);
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      const nextNotice = async () => {
        for (;;) {
          const end = buffer.indexOf('\n\n');
          if (end !== -1) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const data = /^data: (.*)$/m.exec(block)?.[1];
            if (data !== undefined) return JSON.parse(data) as { traces: string[] | null; errors: boolean; stats: StatsJson };
            continue;
          }
          const { value, done } = await reader.read();
          if (done) throw new Error('the stream ended');
          buffer += value;
        }
      };
      const hello = await nextNotice();
      assert.equal(hello.stats.kept.traces, 0);
      const request = failedRequest({ time: Date.now(), type: 'LIVE', fingerprint: 'live', message: 'arrived' });
      await postJson(receiver.url, '/v1/traces', request.body);
      const notice = await nextNotice();
      assert.deepEqual(notice.traces, [request.traceId]);
      assert.equal(notice.errors, true);
      assert.equal(notice.stats.kept.traces, 1);
      controller.abort();
    });
  });
});

describe('viewer: hostile clients', () => {
  const policy = (headers: Headers) => headers.get('content-security-policy') ?? '';

  it('sends a Content-Security-Policy without inline script or eval, and the other security headers, on every answer', async () => {
    await withViewer({}, async (receiver) => {
      for (const path of ['/', '/assets/app.js', '/assets/viewer.css', '/vendor/uPlot.iife.min.js', '/api/stats', '/api/errors/none', '/nothing-here']) {
        const response = await fetch(`${receiver.url}${path}`);
        await response.arrayBuffer();
        const csp = policy(response.headers);
        assert.match(csp, /(^|; )script-src 'self'(;|$)/, `${path}: scripts only from the viewer itself`);
        assert.match(csp, /(^|; )default-src 'none'(;|$)/, path);
        assert.match(csp, /(^|; )require-trusted-types-for 'script'(;|$)/, path);
        assert.match(csp, /(^|; )frame-ancestors 'none'(;|$)/, path);
        assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|unsafe-hashes|\*/, path);
        assert.equal(response.headers.get('x-content-type-options'), 'nosniff', path);
        assert.equal(response.headers.get('x-frame-options'), 'DENY', path);
        assert.equal(response.headers.get('referrer-policy'), 'no-referrer', path);
        assert.equal(response.headers.get('cross-origin-resource-policy'), 'same-origin', path);
      }
      const page = await (await fetch(`${receiver.url}/`)).text();
      assert.doesNotMatch(page, /<script(?![^>]*\bsrc=)[^>]*>/, 'the page has no inline script');
      assert.doesNotMatch(page, /\son[a-z]+=/i, 'the page has no inline event handlers');
    });
  });

  it('answers only requests addressed to this machine (no DNS rebinding), and only reads', async () => {
    await withViewer({}, async (receiver) => {
      const get = (host: string, path = '/api/stats', method = 'GET') =>
        new Promise<number>((resolve, reject) => {
          const request = http.request({ host: '127.0.0.1', port: receiver.port, path, method, headers: { host } }, (response) => {
            response.resume();
            resolve(response.statusCode ?? 0);
          });
          request.on('error', reject);
          request.end();
        });
      assert.equal(await get(`127.0.0.1:${receiver.port}`), 200);
      assert.equal(await get(`localhost:${receiver.port}`), 200);
      assert.equal(await get(`[::1]:${receiver.port}`), 200);
      assert.equal(await get(`attacker.example:${receiver.port}`), 403);
      assert.equal(await get('127.0.0.1.attacker.example'), 403);
      assert.equal(await get(`127.0.0.1:${receiver.port}`, '/api/stats', 'DELETE'), 405);
      assert.equal(await get(`127.0.0.1:${receiver.port}`, '/', 'POST'), 405);
      // Only the page's own files: no path out of the assets folder, not the type-check config.
      assert.equal(await get(`127.0.0.1:${receiver.port}`, '/assets/../../../package.json'), 404);
      assert.equal(await get(`127.0.0.1:${receiver.port}`, '/assets/%2e%2e/viewer.ts'), 404);
      assert.equal(await get(`127.0.0.1:${receiver.port}`, '/assets/tsconfig.json'), 404);
      assert.equal(await get(`127.0.0.1:${receiver.port}`, '/api/errors/%E0%A4%A'), 400);
      // The OTLP endpoints are unchanged beside the viewer.
      assert.equal(await postJson(receiver.url, '/v1/traces', '{}'), 200);
    });
  });

  it('listens on loopback by default, and serves nothing but OTLP without ui', async () => {
    await withViewer({}, async (receiver) => {
      assert.match(receiver.viewerUrl ?? '', /^http:\/\/127\.0\.0\.1:\d+\/$/);
    });
    const plain = await startReceiver();
    try {
      assert.equal(plain.viewerUrl, undefined);
      assert.equal((await fetch(`${plain.url}/`)).status, 404);
      assert.equal((await fetch(`${plain.url}/api/stats`)).status, 404);
    } finally {
      await plain.close();
    }
  });
});

describe('faultline-receiver --ui', () => {
  it('prints the viewer URL and serves the page, with the limits given', async () => {
    const cli = runCli(['--port', '0', '--ui', '--max-traces', '7', '--max-logs', '9']);
    try {
      const url = (await cli.line(/^viewer: (http:\/\/127\.0\.0\.1:\d+\/)$/m))[1] ?? '';
      const page = await fetch(url);
      assert.equal(page.status, 200);
      assert.match(await page.text(), /<title>faultline viewer<\/title>/);
      const stats = (await (await fetch(`${url}api/stats`)).json()) as { limits: { maxTraces: number; maxLogRecords: number } };
      assert.equal(stats.limits.maxTraces, 7);
      assert.equal(stats.limits.maxLogRecords, 9);
    } finally {
      cli.child.kill('SIGTERM');
    }
    assert.equal((await cli.exited).code, 0);
  });

  it('answers bad options with one line and exit code 2', async () => {
    for (const args of [['--ui', '--max-traces', '0'], ['--ui', '--max-logs', 'lots'], ['--max-traces', '5'], ['--load', 'capture.jsonl'], ['--port', '70000'], ['--ui', '--mode', 'sleepy'], ['--bogus']]) {
      const { code, stdout, stderr } = await runCli(args).exited;
      assert.equal(code, 2, `${args.join(' ')}: ${stderr}`);
      assert.equal(stdout, '');
      assert.match(stderr, /^faultline-receiver: [^\n]+\n$/, args.join(' '));
    }
  });
});

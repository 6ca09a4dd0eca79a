import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startReceiver, type OtlpReceiver } from '../../src/receiver/index.ts';
import { otlpEnv, runApp } from '../helpers/run-app.ts';

describe('the curated patching instrumentation (pg) for ESM and CommonJS apps', () => {
  let receiver: OtlpReceiver;
  before(async () => {
    receiver = await startReceiver();
  });
  after(async () => {
    await receiver.close();
  });

  for (const fixture of ['test/fixtures/preload/pg-query.mjs', 'test/fixtures/preload/pg-query.cjs']) {
    test(`${fixture}: the query becomes a PostgreSQL client span`, async () => {
      receiver.clear();
      const exit = await runApp(fixture, { env: otlpEnv(receiver.url) }).exited;
      assert.equal(exit.code, 0, exit.stderr);
      const query = receiver.spans.find((span) => span.kind === 3 && /SELECT/.test(String(span.attributes['db.query.text'] ?? span.attributes['db.statement'] ?? span.name)));
      assert.ok(query, `no pg query span among: ${receiver.spans.map((span) => span.name).join(', ')}`);
      assert.equal(query.attributes['db.system.name'] ?? query.attributes['db.system'], 'postgresql');
    });
  }

  test('OTEL_NODE_DISABLED_INSTRUMENTATIONS=pg leaves pg alone', async () => {
    receiver.clear();
    const exit = await runApp('test/fixtures/preload/pg-query.mjs', { env: otlpEnv(receiver.url, { OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'pg' }) }).exited;
    assert.equal(exit.code, 0, exit.stderr);
    assert.equal(receiver.spans.filter((span) => span.kind === 3).length, 0);
  });

  test('an instrumentation the app has not installed is one warning, and the app runs', async () => {
    const exit = await runApp('test/fixtures/preload/short-lived.mjs', {
      env: otlpEnv(receiver.url, { OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'http,undici,not-a-real-library' }),
    }).exited;
    assert.equal(exit.code, 0);
    assert.match(exit.stderr, /^faultline: OTEL_NODE_ENABLED_INSTRUMENTATIONS names "not-a-real-library" but @opentelemetry\/instrumentation-not-a-real-library is not installed/m);
  });
});

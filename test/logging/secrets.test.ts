import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startReceiver, type OtlpReceiver } from '../../src/receiver/index.ts';
import { SECRETS } from '../fixtures/secrets-corpus.ts';
import { otlpEnv, runApp } from '../helpers/run-app.ts';

describe('createLogger redacts before anything leaves the process', () => {
  let receiver: OtlpReceiver;
  before(async () => {
    receiver = await startReceiver();
  });
  after(async () => {
    await receiver.close();
  });

  test('no sample of the secrets corpus is exported or printed, wherever it was logged', async () => {
    const app = runApp('test/fixtures/logging/secrets-app.mjs', { env: otlpEnv(receiver.url) });
    const exit = await app.exited;
    assert.equal(exit.code, 0, exit.stderr);
    const perSample = 7;
    await receiver.waitFor(() => receiver.logs.length >= SECRETS.length * perSample + 3 && receiver.spans.some((span) => span.name === 'secrets'), {
      description: 'every line of the secrets app',
    });
    const exported = JSON.stringify({ logs: receiver.logs, spans: receiver.spans });
    for (const { kind, secret } of SECRETS) {
      assert.ok(!exported.includes(secret), `${kind} exported`);
      assert.ok(!exit.stdout.includes(secret), `${kind} printed on stdout`);
    }
    assert.ok(!exported.includes('078-05-1120'), 'the pino redact path given by the user');
    for (const value of ['pw-top-level-value', 'key-top-level-value', 'child-token-value']) {
      assert.ok(!exported.includes(value), `field named like a secret: ${value}`);
      assert.ok(!exit.stdout.includes(value), `field named like a secret on stdout: ${value}`);
    }
    const topLevel = receiver.logs.find((record) => record.body === 'top-level fields');
    assert.equal(topLevel?.attributes.amount, 12, 'ordinary numbers stay numbers');
    assert.ok(exported.includes('[REDACTED'), 'the lines are there, masked');
  });
});

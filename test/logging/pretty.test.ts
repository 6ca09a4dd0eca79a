import assert from 'node:assert/strict';
import { stripVTControlCharacters } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { startReceiver, type OtlpReceiver } from '../../src/receiver/index.ts';
import { otlpEnv, runApp } from '../helpers/run-app.ts';
import { jsonLines } from './log-helpers.ts';

const PRETTY = 'test/fixtures/logging/pretty-app.mjs';

describe('stdout: JSON by default, readable in a terminal when asked', () => {
  let receiver: OtlpReceiver;
  before(async () => {
    receiver = await startReceiver();
  });
  after(async () => {
    await receiver.close();
  });

  test('FAULTLINE_LOG_PRETTY in a terminal: readable lines on stdout, structured records over OTLP', async () => {
    receiver.clear();
    const app = runApp(PRETTY, { env: otlpEnv(receiver.url, { FAULTLINE_LOG_PRETTY: 'true' }), args: ['as-terminal'] });
    const exit = await app.exited;
    assert.equal(exit.code, 0, exit.stderr);
    const stdout = stripVTControlCharacters(exit.stdout);
    assert.equal(jsonLines(stdout).length, 0, stdout);
    assert.match(stdout, /^\d\d:\d\d:\d\d\.\d{3} INFO {2}order placed {2}order=42 customer=c-7$/m);
    assert.match(stdout, /^\d\d:\d\d:\d\d\.\d{3} ERROR order rejected\n {4}RangeError: quantity out of range\n {8}at /m);

    await receiver.waitFor(() => receiver.logs.length >= 2, { description: 'both records' });
    const placed = receiver.logs.find((record) => record.body === 'order placed');
    assert.equal(placed?.attributes.order, 42);
    const rejected = receiver.logs.find((record) => record.body === 'order rejected');
    assert.equal((rejected?.attributes.err as Record<string, unknown> | undefined)?.type, 'RangeError');
  });

  test('FAULTLINE_LOG_PRETTY without a terminal (a container): JSON lines as usual', async () => {
    const app = runApp(PRETTY, { env: otlpEnv(receiver.url, { FAULTLINE_LOG_PRETTY: 'true' }) });
    const exit = await app.exited;
    assert.equal(exit.code, 0, exit.stderr);
    const lines = jsonLines(exit.stdout);
    assert.equal(lines.length, 2);
    assert.equal(lines[0]?.msg, 'order placed');
    assert.equal(lines[0]?.order, 42);
    assert.equal(lines[0]?.level, 30);
    assert.equal((lines[1]?.err as Record<string, unknown> | undefined)?.type, 'RangeError');
  });
});

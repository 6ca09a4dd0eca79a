import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startReceiver, type OtlpReceiver, type ReceivedLogRecord } from '../../src/receiver/index.ts';
import { otlpEnv, runApp } from '../helpers/run-app.ts';

type Json = Record<string, unknown>;

function byCase(logs: readonly ReceivedLogRecord[], name: string): ReceivedLogRecord {
  const record = logs.find((candidate) => candidate.attributes.case === name);
  assert.ok(record, `record for ${name}`);
  return record;
}

describe('createLogger serializes errors through the error model', () => {
  let receiver: OtlpReceiver;
  let stdout = '';
  before(async () => {
    receiver = await startReceiver();
    const app = runApp('test/fixtures/logging/errors-app.mjs', { env: otlpEnv(receiver.url, { FAULTLINE_MAX_STACK_FRAMES: '2' }) });
    const exit = await app.exited;
    assert.equal(exit.code, 0, exit.stderr);
    stdout = exit.stdout;
    await receiver.waitFor(() => receiver.logs.length >= 6, { description: 'every error line' });
  });
  after(async () => {
    await receiver.close();
  });

  test('type, message, capped stack, notes, fingerprint and the whole cause chain', () => {
    const err = byCase(receiver.logs, 'cause-chain').attributes.err as Json;
    assert.equal(err.type, 'Error');
    assert.equal(err.message, 'checkout failed');
    assert.equal(err.category, 'internal');
    assert.match(String(err.fingerprint), /^[0-9a-f]{16}$/);
    assert.match(String(err.stack), /^Error: checkout failed\n {4}at /);
    assert.equal(String(err.stack).match(/^ {4}at /gm)?.length, 2, 'FAULTLINE_MAX_STACK_FRAMES=2');
    assert.deepEqual(err.notes, ['cart has 3 items', 'retried twice']);
    const cause = err.cause as Json;
    assert.equal(cause.type, 'TypeError');
    assert.equal(cause.message, 'price missing');
    assert.equal((cause.cause as Json).message, 'catalog timeout');
  });

  test('AggregateError children', () => {
    const err = byCase(receiver.logs, 'aggregate').attributes.err as Json;
    assert.equal(err.type, 'AggregateError');
    const children = err.errors as Json[];
    assert.deepEqual(
      children.map((child) => [child.type, child.message]),
      [
        ['RangeError', 'first failed'],
        ['SyntaxError', 'second failed'],
      ],
    );
  });

  test('errors under other keys and as the first argument', () => {
    const upstream = byCase(receiver.logs, 'other-key').attributes.upstream as Json;
    assert.equal(upstream.type, 'Error');
    assert.equal(upstream.message, 'upstream said no');
    assert.match(String(upstream.fingerprint), /^[0-9a-f]{16}$/);
    const first = receiver.logs.find((record) => record.body === 'logged as the first argument');
    assert.equal((first?.attributes.err as Json | undefined)?.message, 'logged as the first argument');
  });

  test('cyclic and hostile objects: the app survives and the line still goes out', () => {
    assert.match(stdout, /survived/);
    const cyclic = byCase(receiver.logs, 'cyclic').attributes;
    assert.equal((cyclic.order as Json).self, '[Circular]');
    assert.equal((cyclic.err as Json).message, 'loops back');
    const hostile = byCase(receiver.logs, 'hostile').attributes;
    assert.equal((hostile.hostile as Json).boom, '[Unreadable]');
    assert.equal((hostile.err as Json).message, 'hostile error');
    assert.equal(typeof hostile.trap, 'string');
  });
});

// A log call must never throw into the app, whatever the logged object does when it is read.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Logger } from 'pino';

process.env.OTEL_LOGS_EXPORTER = 'none';
const { createLogger } = await import('../../src/logging/create-logger.ts');

function capture(options: { mixin?: () => object } = {}): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({ timestamp: false, destination: { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) }, ...options });
  return { logger, lines };
}

describe('createLogger with objects that throw when read', () => {
  it('writes the line with the unreadable field marked instead of throwing', () => {
    for (const options of [{}, { mixin: () => ({ own: 1 }) }]) {
      const { logger, lines } = capture(options);
      const hostile = {
        orderId: 'o-1',
        get total(): number {
          throw new Error('getter exploded');
        },
      };
      assert.doesNotThrow(() => {
        logger.info(hostile, 'order placed');
      });
      assert.equal(lines.length, 1);
      assert.equal(lines[0]!.msg, 'order placed');
      assert.equal(lines[0]!.orderId, 'o-1');
      assert.equal(lines[0]!.total, '[Unreadable]');
    }
  });

  it('survives a proxy whose every trap throws', () => {
    const { logger, lines } = capture();
    const trap = (): never => {
      throw new Error('trap');
    };
    const proxy = new Proxy({}, { get: trap, ownKeys: trap, getOwnPropertyDescriptor: trap, has: trap });
    assert.doesNotThrow(() => {
      logger.warn(proxy, 'proxied');
    });
    assert.equal(lines.length, 1);
    assert.equal(lines[0]!.msg, 'proxied');
    assert.equal(lines[0]!.logged, '[Unreadable]');
  });
});

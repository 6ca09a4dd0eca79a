// createLogger renders the trace fields with the bindings when nothing can tell the difference, and
// merges them in through the mixin otherwise: both must give the same line.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Logger } from 'pino';

process.env.OTEL_LOGS_EXPORTER = 'none';
const { context, trace, TraceFlags } = await import('@opentelemetry/api');
const { AsyncLocalStorageContextManager } = await import('@opentelemetry/context-async-hooks');
const { createLogger } = await import('../../src/logging/create-logger.ts');

context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());

function capture(options: Record<string, unknown> = {}): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const logger = createLogger({ timestamp: false, destination: { write: (line: string) => lines.push(line) }, ...options });
  return { logger, lines };
}

function inSpan<T>(traceId: string, spanId: string, fn: () => T): T {
  const span = trace.wrapSpanContext({ traceId, spanId, traceFlags: TraceFlags.SAMPLED });
  return context.with(trace.setSpan(context.active(), span), fn);
}

const TRACE_A = '0af7651916cd43dd8448eb211c80319c';
const TRACE_B = '4bf92f3577b34da6a3ce929d0e0e4736';

describe('createLogger: trace fields rendered with the bindings', () => {
  it('give the same lines as the mixin path, whatever is logged', () => {
    const spliced = capture();
    // A mixin of the user's own makes the logger merge the fields in through the mixin.
    const merged = capture({ mixin: () => ({}) });
    // Made once, so that both loggers log the same stack.
    const boom = new Error('boom');
    const nested = new Error('nested');
    const cases: ((logger: Logger) => void)[] = [
      (logger) => logger.info({ orderId: 1 }, 'hello'),
      (logger) => logger.info('message only'),
      (logger) => logger.warn({ trace_id: 'mine', other: 1 }, 'own trace id'),
      (logger) => logger.info({ 2: 'two', 10: 'ten', b: 1 }, 'integer-like keys'),
      (logger) => logger.error(boom),
      (logger) => logger.error({ err: nested, path: '/x' }, 'failed'),
      (logger) => logger.child({ component: 'child' }).info({ a: 1 }, 'from a child'),
      (logger) => logger.child({ component: 'child' }).child({ level2: true }).info({ a: 1 }, 'from a grandchild'),
      (logger) => logger.info(new Proxy({ a: 1 }, {}), 'a proxy'),
      (logger) => logger.info(Object.create({ inherited: 1 }, { own: { value: 2, enumerable: true } }), 'inherited field'),
      (logger) => logger.info({ orderId: 1 }, 'format %s', 'argument'),
    ];
    for (const [index, run] of cases.entries()) {
      const span = index % 2 === 0 ? TRACE_A : TRACE_B;
      inSpan(span, `${String(index).padStart(2, '0')}f067aa0ba902b7`, () => {
        run(spliced.logger);
        run(merged.logger);
      });
      run(spliced.logger);
      run(merged.logger);
    }
    assert.equal(spliced.lines.length, cases.length * 2);
    assert.deepEqual(spliced.lines, merged.lines);
    assert.match(spliced.lines[0] ?? '', new RegExp(`"hostname":"[^"]*","trace_id":"${TRACE_A}","span_id":"00f067aa0ba902b7","trace_flags":"01","orderId":1,`));
    assert.doesNotMatch(spliced.lines[1] ?? '', /trace_id/);
    assert.match(spliced.lines[4] ?? '', /"trace_id":"mine"/);
  });

  it('leave the bindings as they were, also when a line throws', () => {
    const { logger, lines } = capture({ level: 'debug' });
    const child = logger.child({ component: 'c' });
    const throwing = {
      toJSON(): never {
        throw new Error('toJSON throws');
      },
    };
    inSpan(TRACE_A, '00f067aa0ba902b7', () => {
      child.info({ value: throwing }, 'survives');
    });
    child.info('after the span');
    assert.doesNotMatch(lines.at(-1) ?? '', /trace_id/);
    assert.match(lines.at(-1) ?? '', /"component":"c"/);
    assert.deepEqual(child.bindings(), { component: 'c' });
  });

  it('a line written while another is being written gets the fields of its own logger', () => {
    const { logger, lines } = capture();
    const child = logger.child({ component: 'inner' });
    const noisy = {
      toJSON(): string {
        child.info('inner line');
        return 'noisy';
      },
    };
    inSpan(TRACE_B, '00f067aa0ba902b7', () => {
      logger.info({ value: noisy }, 'outer line');
    });
    const inner = lines.find((line) => line.includes('inner line')) ?? '';
    const outer = lines.find((line) => line.includes('outer line')) ?? '';
    assert.equal(inner.match(/trace_id/g)?.length, 1);
    assert.equal(outer.match(/trace_id/g)?.length, 1);
    assert.match(inner, /"component":"inner"/);
  });
});

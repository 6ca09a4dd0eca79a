import type { Span } from '@opentelemetry/api';
import { redactText } from '../errors/redact.ts';
import { ATTR_RESOURCE_LEAKED } from '../semconv.ts';
import { warnOnce } from '../warn.ts';
import { countLeak } from './resource-metrics.ts';

/**
 * What is known of a held resource in case it leaks. It must not reach the resource's handle in
 * any way (not through a closure, a stack frame's receiver or the value): the registry holds it
 * strongly, and a path from it to the handle would keep the handle alive, hiding the leak and
 * keeping its memory.
 */
export interface LeakRecord {
  name: string;
  /** The frames that called acquire, formatted at once (a captured stack keeps its frames' receivers alive). */
  acquiredAt: string;
  span: Span;
}

function reportLeak(record: LeakRecord): void {
  try {
    countLeak(record.name);
    warnOnce(
      `resource-leak:${record.name}:${record.acquiredAt}`,
      `resource ${JSON.stringify(record.name)} was garbage-collected without being released (acquired ${redactText(record.acquiredAt)}); hold it with \`await using\` or call release()`,
    );
    record.span.setAttribute(ATTR_RESOURCE_LEAKED, true);
    record.span.end();
  } catch { // eslint-disable-line faultline/no-blind-catch -- a report is a courtesy: a finalizer must never throw
  }
}

const registry = new FinalizationRegistry<LeakRecord>(reportLeak);

/** Reports `handle` once if it is garbage-collected before `forgetLeak(record)` is called. */
export function watchForLeak(handle: object, record: LeakRecord): void {
  registry.register(handle, record, record);
}

/** The resource was released: it can no longer leak. */
export function forgetLeak(record: LeakRecord): void {
  registry.unregister(record);
}

/**
 * Where `entry` was called from, as `at fn (file:line:col)`, and the frame that called that (a
 * helper around acquire is common), formatted now. Costs about a microsecond; with
 * `Error.stackTraceLimit = 0` in the app it gives up.
 */
export function callerOf(entry: (...args: never[]) => unknown): string {
  const saved = Error.stackTraceLimit;
  if (saved === 0) return 'at an unknown place (Error.stackTraceLimit is 0)';
  try {
    Error.stackTraceLimit = 2;
    const site: { stack?: string } = {};
    Error.captureStackTrace(site, entry);
    const frames = (site.stack ?? '').split('\n').slice(1, 3).map((frame) => frame.trim()).filter((frame) => frame !== '');
    return frames.length === 0 ? 'at an unknown place' : frames.join(', called ').slice(0, 1024);
  } catch { // eslint-disable-line faultline/no-blind-catch -- a stack that cannot be formatted names no place
    return 'at an unknown place';
  } finally {
    Error.stackTraceLimit = saved;
  }
}

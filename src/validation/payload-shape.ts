import { redactText } from '../errors/redact.ts';
import { cut, isErrorLike } from '../errors/safe-read.ts';

const MAX_DEPTH = 4;
const MAX_KEYS = 20;
const MAX_KEY_LENGTH = 64;
const MAX_SHAPE_LENGTH = 900;

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (value instanceof Date) return 'Date';
  return typeof value;
}

function quoteKey(key: string): string {
  const shown = redactText(cut(key, MAX_KEY_LENGTH));
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(shown) ? shown : JSON.stringify(shown);
}

function describe(value: unknown, depth: number, ancestors: Set<object>): string {
  if (typeof value !== 'object' || value === null || value instanceof Date || isErrorLike(value)) return typeName(value);
  if (ancestors.has(value)) return '[Circular]';
  if (depth >= MAX_DEPTH) return Array.isArray(value) ? 'array' : 'object';
  ancestors.add(value);
  try {
    if (Array.isArray(value)) {
      // The first item stands for the rest: payload arrays are nearly always homogeneous.
      const length = value.length;
      return length === 0 ? '[]' : `${describe(value[0], depth + 1, ancestors)}[${length}]`;
    }
    const keys = Object.keys(value);
    const shown = keys.slice(0, MAX_KEYS).map((key) => {
      let child: unknown;
      try {
        child = (value as Record<string, unknown>)[key];
      } catch { // eslint-disable-line faultline/no-blind-catch -- a value from the app may throw from any read (getters, proxies)
        return `${quoteKey(key)}: unreadable`;
      }
      return `${quoteKey(key)}: ${describe(child, depth + 1, ancestors)}`;
    });
    if (keys.length > MAX_KEYS) shown.push(`…${keys.length - MAX_KEYS} more`);
    return shown.length === 0 ? '{}' : `{ ${shown.join(', ')} }`;
  } catch { // eslint-disable-line faultline/no-blind-catch -- a value from the app may throw from any read (getters, proxies)
    return 'unreadable';
  } finally {
    ancestors.delete(value);
  }
}

/**
 * The shape of a payload without its values: `{ email: string, card: { number: string } }`.
 * Keys are redacted (a map keyed by e-mail addresses stays anonymous), depth, keys and length are
 * capped, arrays show their first item's shape and their length. Never throws.
 */
export function payloadShape(payload: unknown): string {
  try {
    return cut(describe(payload, 0, new Set()), MAX_SHAPE_LENGTH);
  } catch { // eslint-disable-line faultline/no-blind-catch -- a value from the app may throw from any read (getters, proxies)
    return 'unreadable';
  }
}

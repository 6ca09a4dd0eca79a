import type { CopyLimits } from './limits.ts';
import { constructorName, cut, isErrorLike, readProperty, readString, safeString } from './safe-read.ts';

export interface CopyOptions extends CopyLimits {
  /** Applied to every string kept (values and keys), e.g. redaction. */
  mapString?: (text: string) => string;
  /** Keys whose values are replaced by `[REDACTED]` whole. */
  isSensitiveKey?: (key: string) => boolean;
}

const REDACTED = '[REDACTED]';

/**
 * A JSON-friendly copy of unknown data that is bounded in depth, keys, items, string length and
 * total nodes, and never throws: cycles become `[Circular]`, unreadable properties `[Unreadable]`.
 */
export function boundedCopy(value: unknown, options: CopyOptions): unknown {
  const state = { nodes: 0 };
  const ancestors = new Set<object>();
  const mapString = options.mapString ?? ((text: string) => text);

  function text(input: string): string {
    return mapString(cut(input, options.maxStringLength));
  }

  function copy(input: unknown, depth: number): unknown {
    state.nodes += 1;
    switch (typeof input) {
      case 'string':
        return text(input);
      case 'number':
        return Number.isFinite(input) ? input : String(input);
      case 'boolean':
      case 'undefined':
        return input;
      case 'bigint':
        return text(`${input.toString()}n`);
      case 'symbol':
      case 'function':
        return safeString(input, 256);
    }
    if (input === null) return null;
    const object = input as object;
    if (ancestors.has(object)) return '[Circular]';
    if (state.nodes > options.maxNodes) return '[Truncated]';
    try {
      return copyObject(object, depth);
    } catch {
      return '[Unreadable]';
    }
  }

  function copyObject(object: object, depth: number): unknown {
    if (object instanceof Date) return Number.isNaN(object.getTime()) ? 'Invalid Date' : object.toISOString();
    if (object instanceof RegExp) return text(object.toString());
    if (ArrayBuffer.isView(object)) return `[${constructorName(object) ?? 'TypedArray'} ${String(object.byteLength)} bytes]`;
    if (object instanceof ArrayBuffer) return `[ArrayBuffer ${String(object.byteLength)} bytes]`;
    if (isErrorLike(object)) {
      const error: Record<string, unknown> = {
        name: text(readString(object, 'name', 128) ?? constructorName(object) ?? 'Error'),
        message: text(readString(object, 'message', options.maxStringLength) ?? ''),
      };
      const code = readProperty(object, 'code');
      if (typeof code === 'string' || typeof code === 'number') error.code = typeof code === 'string' ? text(code) : code;
      return error;
    }
    if (depth >= options.maxDepth) return Array.isArray(object) ? '[Array]' : '[Object]';
    ancestors.add(object);
    try {
      if (Array.isArray(object)) return copyArray(object, depth);
      if (object instanceof Map) return copyEntries(object, depth);
      if (object instanceof Set) return copyArray([...takeFirst(object.values(), options.maxItems + 1)], depth);
      const toJSON = readProperty(object, 'toJSON');
      if (typeof toJSON === 'function') {
        const json: unknown = toJSON.call(object);
        if (json !== object) return copy(json, depth + 1);
      }
      return copyRecord(object, depth);
    } finally {
      ancestors.delete(object);
    }
  }

  function copyArray(array: readonly unknown[], depth: number): unknown[] {
    const length = array.length;
    const out: unknown[] = [];
    const limit = Math.min(length, options.maxItems);
    for (let index = 0; index < limit; index++) {
      if (state.nodes > options.maxNodes) {
        out.push('[Truncated]');
        return out;
      }
      out.push(copyProperty(array, index, depth));
    }
    if (length > limit) out.push(`[${String(length - limit)} more items]`);
    return out;
  }

  function copyEntries(map: Map<unknown, unknown>, depth: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    let count = 0;
    for (const [key, entry] of takeFirst(map.entries(), options.maxKeys + 1)) {
      if (count >= options.maxKeys || state.nodes > options.maxNodes) {
        out['…'] = '[more entries]';
        break;
      }
      const name = text(typeof key === 'string' ? key : safeString(key, 128));
      out[name] = isSensitive(name) ? REDACTED : copy(entry, depth + 1);
      count += 1;
    }
    return out;
  }

  function copyRecord(object: object, depth: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    let count = 0;
    // for...in stops early; Object.keys would list every key of a huge object first.
    for (const key in object) {
      if (!Object.prototype.hasOwnProperty.call(object, key)) continue;
      if (count >= options.maxKeys || state.nodes > options.maxNodes) {
        out['…'] = '[more keys]';
        break;
      }
      const name = text(key);
      out[name] = isSensitive(key) ? redactedValue(readProperty(object, key)) : copyProperty(object, key, depth);
      count += 1;
    }
    return out;
  }

  function copyProperty(target: object, key: PropertyKey, depth: number): unknown {
    let entry: unknown;
    try {
      entry = (target as Record<PropertyKey, unknown>)[key];
    } catch {
      state.nodes += 1;
      return '[Unreadable]';
    }
    return copy(entry, depth + 1);
  }

  function isSensitive(key: string): boolean {
    return options.isSensitiveKey?.(key) === true;
  }

  return copy(value, 0);
}

/** Booleans and empty values say nothing secret and help debugging; everything else is masked. */
function redactedValue(value: unknown): unknown {
  if (value === null || value === undefined || typeof value === 'boolean') return value;
  return REDACTED;
}

function* takeFirst<T>(iterator: Iterator<T>, count: number): Generator<T> {
  for (let index = 0; index < count; index++) {
    const next = iterator.next();
    if (next.done === true) return;
    yield next.value;
  }
}

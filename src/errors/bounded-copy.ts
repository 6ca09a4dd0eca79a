import type { CopyLimits } from './limits.ts';
import { constructorName, cut, isErrorLike, readProperty, readString, safeString } from './safe-read.ts';

export interface CopyOptions extends CopyLimits {
  /** Applied to every string kept (values and keys), e.g. redaction. */
  mapString?: (text: string) => string;
  /** Applied to keys instead of `mapString` when given (the same mapping, remembered: keys repeat). */
  mapKey?: (text: string) => string;
  /** Keys whose values are replaced by `[REDACTED]` whole. */
  isSensitiveKey?: (key: string) => boolean;
}

const REDACTED = '[REDACTED]';

/**
 * A JSON-friendly copy of unknown data that is bounded in depth, keys, items, string length and
 * total nodes, and never throws: cycles become `[Circular]`, unreadable properties `[Unreadable]`.
 */
export function boundedCopy(value: unknown, options: CopyOptions): unknown {
  return new Copier(options).copy(value, 0);
}

// One object per copy instead of a closure per helper: copies run for every error built with
// details and every object logged.
class Copier {
  readonly options: CopyOptions;
  nodes = 0;
  /** The objects being copied, outermost first: at most maxDepth + 1 of them, so a list is enough. */
  readonly ancestors: object[] = [];

  constructor(options: CopyOptions) {
    this.options = options;
  }

  text(input: string): string {
    const text = cut(input, this.options.maxStringLength);
    return this.options.mapString === undefined ? text : this.options.mapString(text);
  }

  key(input: string): string {
    if (this.options.mapKey === undefined) return this.text(input);
    return this.options.mapKey(cut(input, this.options.maxStringLength));
  }

  copy(input: unknown, depth: number): unknown {
    this.nodes += 1;
    switch (typeof input) {
      case 'string':
        return this.text(input);
      case 'number':
        return Number.isFinite(input) ? input : String(input);
      case 'boolean':
      case 'undefined':
        return input;
      case 'bigint':
        return this.text(`${input.toString()}n`);
      case 'symbol':
      case 'function':
        return safeString(input, 256);
    }
    if (input === null) return null;
    const object = input as object;
    if (this.ancestors.includes(object)) return '[Circular]';
    if (this.nodes > this.options.maxNodes) return '[Truncated]';
    try {
      return this.copyObject(object, depth);
    } catch { // eslint-disable-line faultline/no-blind-catch -- a value from the app may throw from any read (getters, proxies)
      return '[Unreadable]';
    }
  }

  copyObject(object: object, depth: number): unknown {
    const options = this.options;
    if (object instanceof Date) return Number.isNaN(object.getTime()) ? 'Invalid Date' : object.toISOString();
    if (object instanceof RegExp) return this.text(object.toString());
    if (ArrayBuffer.isView(object)) return `[${constructorName(object) ?? 'TypedArray'} ${String(object.byteLength)} bytes]`;
    if (object instanceof ArrayBuffer) return `[ArrayBuffer ${String(object.byteLength)} bytes]`;
    if (isErrorLike(object)) {
      const error: Record<string, unknown> = {
        name: this.text(readString(object, 'name', 128) ?? constructorName(object) ?? 'Error'),
        message: this.text(readString(object, 'message', options.maxStringLength) ?? ''),
      };
      const code = readProperty(object, 'code');
      if (typeof code === 'string' || typeof code === 'number') error.code = typeof code === 'string' ? this.text(code) : code;
      return error;
    }
    if (depth >= options.maxDepth) return Array.isArray(object) ? '[Array]' : '[Object]';
    const ancestors = this.ancestors;
    const level = ancestors.length;
    ancestors.push(object);
    try {
      if (Array.isArray(object)) return this.copyArray(object, depth);
      if (object instanceof Map) return this.copyEntries(object, depth);
      if (object instanceof Set) return this.copyArray([...takeFirst(object.values(), options.maxItems + 1)], depth);
      const toJSON = readProperty(object, 'toJSON');
      if (typeof toJSON === 'function') {
        const json: unknown = toJSON.call(object);
        if (json !== object) return this.copy(json, depth + 1);
      }
      return this.copyRecord(object, depth);
    } finally {
      ancestors.length = level;
    }
  }

  copyArray(array: readonly unknown[], depth: number): unknown[] {
    const length = array.length;
    const out: unknown[] = [];
    const limit = Math.min(length, this.options.maxItems);
    for (let index = 0; index < limit; index++) {
      if (this.nodes > this.options.maxNodes) {
        out.push('[Truncated]');
        return out;
      }
      out.push(this.copyProperty(array, index, depth));
    }
    if (length > limit) out.push(`[${String(length - limit)} more items]`);
    return out;
  }

  copyEntries(map: Map<unknown, unknown>, depth: number): Record<string, unknown> {
    const options = this.options;
    const out: Record<string, unknown> = {};
    let count = 0;
    for (const [key, entry] of takeFirst(map.entries(), options.maxKeys + 1)) {
      if (count >= options.maxKeys || this.nodes > options.maxNodes) {
        out['…'] = '[more entries]';
        break;
      }
      const name = this.key(typeof key === 'string' ? key : safeString(key, 128));
      out[name] = this.isSensitive(name) ? REDACTED : this.copy(entry, depth + 1);
      count += 1;
    }
    return out;
  }

  copyRecord(object: object, depth: number): Record<string, unknown> {
    const options = this.options;
    const out: Record<string, unknown> = {};
    let count = 0;
    // for...in stops early; Object.keys would list every key of a huge object first.
    for (const key in object) {
      if (!Object.prototype.hasOwnProperty.call(object, key)) continue;
      if (count >= options.maxKeys || this.nodes > options.maxNodes) {
        out['…'] = '[more keys]';
        break;
      }
      const name = this.key(key);
      out[name] = this.isSensitive(key) ? redactedValue(readProperty(object, key)) : this.copyProperty(object, key, depth);
      count += 1;
    }
    return out;
  }

  copyProperty(target: object, key: PropertyKey, depth: number): unknown {
    let entry: unknown;
    try {
      entry = (target as Record<PropertyKey, unknown>)[key];
    } catch { // eslint-disable-line faultline/no-blind-catch -- a value from the app may throw from any read (getters, proxies)
      this.nodes += 1;
      return '[Unreadable]';
    }
    return this.copy(entry, depth + 1);
  }

  isSensitive(key: string): boolean {
    return this.options.isSensitiveKey?.(key) === true;
  }
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

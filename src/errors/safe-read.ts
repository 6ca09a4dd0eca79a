// Reading a thrown value is itself dangerous: getters throw, Proxy traps throw, revoked Proxies
// throw on every operation, `message` may be a megabyte or an object. Every read of a value we
// did not create goes through these helpers, which never throw.

export type ObjectLike = object;

export function isObjectLike(value: unknown): value is ObjectLike {
  return (typeof value === 'object' && value !== null) || typeof value === 'function';
}

/** The property's value, or undefined when reading it throws. */
export function readProperty(target: unknown, key: PropertyKey): unknown {
  if (!isObjectLike(target)) return undefined;
  try {
    return (target as Record<PropertyKey, unknown>)[key];
  } catch { // eslint-disable-line faultline/no-blind-catch -- a value from the app may throw from any read (getters, proxies)
    return undefined;
  }
}

/** The property when it is a string, cut to `maxLength`. */
export function readString(target: unknown, key: PropertyKey, maxLength: number): string | undefined {
  const value = readProperty(target, key);
  return typeof value === 'string' ? cut(value, maxLength) : undefined;
}

/** Cuts text to at most `maxLength` characters without splitting a surrogate pair; marks the cut. */
export function cut(text: string, maxLength: number): string {
  if (text.length <= maxLength) return text;
  let end = Math.max(0, maxLength - 1);
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return `${text.slice(0, end)}…`;
}

const isErrorBuiltin = (Error as { isError?: (value: unknown) => boolean }).isError;

/**
 * Whether a value is an Error, including errors from another realm (vm contexts, iframes) where
 * `instanceof Error` is false, and DOMExceptions.
 */
export function isErrorLike(value: unknown): boolean {
  if (!isObjectLike(value)) return false;
  try {
    if (isErrorBuiltin?.(value) === true) return true;
  } catch { // eslint-disable-line faultline/no-blind-catch -- a revoked Proxy: the checks below are guarded too
  }
  try {
    if (value instanceof Error) return true;
  } catch { // eslint-disable-line faultline/no-blind-catch -- a Proxy whose getPrototypeOf trap throws
  }
  const tag = toStringTag(value);
  if (tag === '[object Error]' || tag === '[object DOMException]') return true;
  return typeof readProperty(value, 'message') === 'string' && typeof readProperty(value, 'stack') === 'string';
}

export function toStringTag(value: unknown): string | undefined {
  try {
    return Object.prototype.toString.call(value);
  } catch { // eslint-disable-line faultline/no-blind-catch -- a value from the app may throw from any read (getters, proxies)
    return undefined;
  }
}

/** `value.constructor.name`, when both reads succeed and give a non-empty string. */
export function constructorName(value: unknown): string | undefined {
  const ctor = readProperty(value, 'constructor');
  if (typeof ctor !== 'function') return undefined;
  const name = readProperty(ctor, 'name');
  return typeof name === 'string' && name !== '' ? cut(name, 128) : undefined;
}

/** `String(value)` that never throws (symbols, objects with throwing toString, revoked Proxies). */
export function safeString(value: unknown, maxLength: number): string {
  try {
    switch (typeof value) {
      case 'string':
        return cut(value, maxLength);
      case 'symbol':
        return cut(value.toString(), maxLength);
      case 'function': {
        const name = readProperty(value, 'name');
        return typeof name === 'string' && name !== '' ? `[function ${cut(name, 128)}]` : '[function]';
      }
      case 'object':
        // String(object) may walk a huge array or run user code: name the object instead.
        return value === null ? 'null' : `[object ${constructorName(value) ?? 'Object'}]`;
      default:
        return cut(String(value), maxLength);
    }
  } catch { // eslint-disable-line faultline/no-blind-catch -- a value whose conversion to text throws is shown as unprintable
    return '[unprintable]';
  }
}

/** The elements of an array-like property, at most `max` of them. */
export function readArray(target: unknown, key: PropertyKey, max: number): unknown[] | undefined {
  const value = readProperty(target, key);
  try {
    if (!Array.isArray(value)) return undefined;
    const length = Math.min(value.length, max);
    const items: unknown[] = [];
    for (let index = 0; index < length; index++) items.push(readProperty(value, index));
    return items;
  } catch { // eslint-disable-line faultline/no-blind-catch -- a value from the app may throw from any read (getters, proxies)
    return undefined;
  }
}

/** Whether `key` is present on the object (own or inherited); false when the check throws. */
export function hasProperty(target: unknown, key: PropertyKey): boolean {
  if (!isObjectLike(target)) return false;
  try {
    return key in target;
  } catch { // eslint-disable-line faultline/no-blind-catch -- the in operator throws only for a hostile Proxy
    return false;
  }
}

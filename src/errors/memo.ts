import type { ErrorDescription, ErrorInfo } from './error-info.ts';
import type { ThrownFacts } from './thrown.ts';

/**
 * What faultline derived from one error object. The boundary records an error, the problem body
 * classifies it and the logger serializes it: the later readings find the same facts and reuse
 * what the first one computed. One entry per error object (a WeakMap, so it lives exactly as long
 * as the error), holding every kind of result, so remembering costs one map entry per error.
 */
export interface ErrorMemo {
  /** classify()'s result, frozen; kept for the error's lifetime (the record-once rule relies on it). */
  info: Readonly<ErrorInfo> | undefined;
  /** The judged and redacted description, valid while the facts it was made from are the same. */
  described: { facts: ThrownFacts; patterns: unknown; description: Readonly<ErrorDescription> } | undefined;
  /** The capped, redacted stack, valid for this stack string, frame cap and set of patterns. */
  stack: { stack: string; maxFrames: number; patterns: unknown; text: string } | undefined;
}

// The memo lives on the error itself, under a non-enumerable symbol, and in a WeakMap only for
// objects that refuse new properties (frozen, sealed, Proxies that say no). A WeakMap entry with a
// young key keeps its value alive through V8's young-generation collections: one per failing
// request made every memo outlive its request, and measurably grew the young generation under load.
const MEMO = Symbol('faultline.errorMemo');
const fallbackMemos = new WeakMap<object, ErrorMemo>();

type WithMemo = { [MEMO]?: ErrorMemo };

function isKey(value: unknown): value is object {
  return (typeof value === 'object' && value !== null) || typeof value === 'function';
}

function ownMemo(value: object): ErrorMemo | undefined {
  // hasOwn: a memo on a prototype (an error used as another object's prototype) is not this object's.
  // Proxies may throw from their traps; they are asked once here and then use the WeakMap.
  try {
    return Object.prototype.hasOwnProperty.call(value, MEMO) ? (value as WithMemo)[MEMO] : undefined;
  } catch { // eslint-disable-line faultline/no-blind-catch -- a value from the app may throw from any read (getters, proxies)
    return undefined;
  }
}

/** The memo of an error object, if anything was remembered for it. */
export function peekMemo(value: unknown): ErrorMemo | undefined {
  if (!isKey(value)) return undefined;
  return ownMemo(value) ?? fallbackMemos.get(value);
}

/** The memo of an error object, made on first use; undefined for primitives. */
export function memoFor(value: unknown): ErrorMemo | undefined {
  if (!isKey(value)) return undefined;
  let memo = peekMemo(value);
  if (memo === undefined) {
    memo = { info: undefined, described: undefined, stack: undefined };
    let stored = false;
    try {
      stored = Reflect.defineProperty(value, MEMO, { value: memo, enumerable: false, writable: false, configurable: true });
    } catch { // eslint-disable-line faultline/no-blind-catch -- a Proxy's defineProperty trap may throw; the WeakMap holds the memo instead
    }
    if (!stored) fallbackMemos.set(value, memo);
  }
  return memo;
}

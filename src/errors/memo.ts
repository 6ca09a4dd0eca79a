import type { ErrorDescription, ErrorInfo } from './classify.ts';
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

const memos = new WeakMap<object, ErrorMemo>();

function isKey(value: unknown): value is object {
  return (typeof value === 'object' && value !== null) || typeof value === 'function';
}

/** The memo of an error object, if anything was remembered for it. */
export function peekMemo(value: unknown): ErrorMemo | undefined {
  return isKey(value) ? memos.get(value) : undefined;
}

/** The memo of an error object, made on first use; undefined for primitives. */
export function memoFor(value: unknown): ErrorMemo | undefined {
  if (!isKey(value)) return undefined;
  let memo = memos.get(value);
  if (memo === undefined) {
    memo = { info: undefined, described: undefined, stack: undefined };
    memos.set(value, memo);
  }
  return memo;
}

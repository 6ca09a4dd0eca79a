import { addNote, notesOf } from '../errors/notes.ts';
import { hasProperty, isObjectLike, readArray, readProperty } from '../errors/safe-read.ts';
import { isTaskGroupError, TaskGroupError } from '../errors/task-group-error.ts';

/** What `splitErrors` matches: a class (`instanceof`), an error code (`err.code === match`), or a predicate. */
export type ErrorMatch = string | (abstract new (...args: never[]) => unknown) | ((error: unknown) => boolean);

/** `[match, rest]`: each part keeps the shape of the original; `undefined` when a part is empty. */
export type SplitErrors = readonly [match: unknown, rest: unknown];

const MAX_NESTING = 32;

/**
 * A class is told from a predicate by its prototype: arrow functions have none, a function written
 * as a predicate has only `constructor` on it, and a class is written `class` or is an Error.
 */
function isClass(candidate: object): boolean {
  const prototype: unknown = readProperty(candidate, 'prototype');
  if (!isObjectLike(prototype)) return false;
  try {
    return (
      Function.prototype.toString.call(candidate).startsWith('class') ||
      prototype === Error.prototype ||
      Object.prototype.isPrototypeOf.call(Error.prototype, prototype) ||
      Object.getOwnPropertyNames(prototype).length > 1
    );
  } catch { // eslint-disable-line faultline/no-blind-catch -- a probe that cannot look answers no
    return false;
  }
}

function matcherFor(match: ErrorMatch): (error: unknown) => boolean {
  if (typeof match === 'string') return (error) => readProperty(error, 'code') === match;
  if (typeof match !== 'function') throw new TypeError('splitErrors: match must be a class, an error code or a predicate'); // eslint-disable-line faultline/only-coded-errors -- API misuse is a TypeError, as Node's own APIs throw
  if (isClass(match)) {
    const cls = match as abstract new (...args: never[]) => unknown;
    return (error) => {
      try {
        return error instanceof cls;
      } catch { // eslint-disable-line faultline/no-blind-catch -- a probe that cannot look answers no
        return false;
      }
    };
  }
  return match as (error: unknown) => boolean;
}

/** An AggregateError-like group: an error whose `errors` is an array. */
function childrenOf(error: unknown): unknown[] | undefined {
  if (!isObjectLike(error)) return undefined;
  const errors = readProperty(error, 'errors');
  if (!Array.isArray(errors)) return undefined;
  return readArray(error, 'errors', errors.length);
}

/**
 * A group like `original` holding `errors`: Python's `ExceptionGroup.derive`. Message, cause, notes,
 * stack (where it was raised) and own fields (a code, say) are kept. A TaskGroupError stays one
 * (its category follows its new failures); any other group becomes an AggregateError with the
 * original's name, since an unknown subclass's constructor cannot be called safely.
 */
function derive(original: object, errors: unknown[]): AggregateError {
  const message = readProperty(original, 'message');
  const text = typeof message === 'string' ? message : '';
  const options = hasProperty(original, 'cause') ? { cause: readProperty(original, 'cause') } : undefined;
  let derived: AggregateError;
  if (isTaskGroupError(original)) {
    const details = readProperty(original, 'details');
    derived = new TaskGroupError(errors, text, { ...options, ...(isObjectLike(details) ? { details: details as Record<string, unknown> } : {}) });
  } else {
    derived = new AggregateError(errors, text, options);
    const name = readProperty(original, 'name');
    if (typeof name === 'string' && name !== 'AggregateError') Object.defineProperty(derived, 'name', { value: name, writable: true, configurable: true, enumerable: false });
    try {
      for (const key of Object.keys(original)) {
        if (key !== 'errors' && key !== 'message' && key !== 'cause' && key !== 'stack') (derived as unknown as Record<string, unknown>)[key] = readProperty(original, key);
      }
    } catch { // eslint-disable-line faultline/no-blind-catch -- a Proxy that will not list its keys: the group keeps its errors, message and cause
    }
  }
  const stack = readProperty(original, 'stack');
  if (typeof stack === 'string') Object.defineProperty(derived, 'stack', { value: stack, writable: true, configurable: true, enumerable: false });
  for (const note of notesOf(original)) addNote(derived, note);
  return derived;
}

function split(error: unknown, matches: (error: unknown) => boolean, seen: Set<object>, depth: number): [unknown, unknown] {
  if (matches(error)) return [error, undefined];
  const children = depth < MAX_NESTING ? childrenOf(error) : undefined;
  if (children === undefined || !isObjectLike(error) || seen.has(error)) return [undefined, error];
  seen.add(error);
  const matched: unknown[] = [];
  const rest: unknown[] = [];
  for (const child of children) {
    const [childMatch, childRest] = split(child, matches, seen, depth + 1);
    if (childMatch !== undefined) matched.push(childMatch);
    if (childRest !== undefined) rest.push(childRest);
  }
  seen.delete(error);
  const whole = (part: unknown[]): boolean => part.length === children.length && part.every((value, index) => value === children[index]);
  return [
    matched.length === 0 ? undefined : whole(matched) ? error : derive(error, matched),
    rest.length === 0 ? undefined : whole(rest) ? error : derive(error, rest),
  ];
}

/**
 * Python's `except*` (`ExceptionGroup.split`): splits an error into the part that matches and the
 * rest, keeping the structure. An AggregateError (a TaskGroupError, nested ones too) is split leaf
 * by leaf into two groups of the same kind; a group that matches as a whole, or any other error,
 * goes to one side whole. The leaves are the original error objects, so what was recorded stays
 * recorded: rethrowing `rest` counts nothing twice.
 *
 *     } catch (err) {
 *       const [conflicts, rest] = splitErrors(err, DatabaseConflict);
 *       if (conflicts !== undefined) res.status(409);
 *       if (rest !== undefined) throw rest;
 *     }
 *
 * `match` is a class (`instanceof`), an error code (`'DATABASE_CONFLICT'`), or a predicate. Throws
 * only what the predicate throws.
 */
export function splitErrors(error: unknown, match: ErrorMatch): SplitErrors {
  const matches = matcherFor(match);
  return split(error, matches, new Set(), 0);
}

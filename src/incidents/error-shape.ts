import path from 'node:path';
import { classify, KNOWN_CODES } from '../errors/classify.ts';
import * as catalog from '../errors/catalog.ts';
import { defineError } from '../errors/define-error.ts';
import { isErrorCategory, type ErrorCategory } from '../errors/category.ts';
import { addNote } from '../errors/notes.ts';
import { serializeError, type SerializedError } from '../errors/serialize.ts';
import { problemFor } from '../http/problem.ts';
import type { ErrorClass } from './error-classes.ts';
import type { ExceptionNode } from './error-occurrences.ts';

// The recorded error rebuilt twice from the same facts: as source code for the regression test, and
// as a value here, so that what the test expects is what the current taxonomy says of exactly the
// error the test builds (the test passes as generated). A class of the app is imported by the test
// and stood in for here by a class with the literals of its definition.

/** Categories a circuit breaker counts (faultline's breakers count dependency and timeout failures). */
export const BREAKER_CATEGORIES: readonly ErrorCategory[] = ['dependency', 'timeout'];

const BUILT_IN_ERRORS = new Set(['Error', 'TypeError', 'RangeError', 'SyntaxError', 'ReferenceError', 'EvalError', 'URIError']);
const DOM_EXCEPTION_NAMES = new Set(['TimeoutError', 'AbortError']);

/** How one error of the chain is rebuilt. */
export type Rebuild =
  | { kind: 'class'; errorClass: ErrorClass }
  | { kind: 'defined'; code: string; category: ErrorCategory; httpStatus: number | undefined; retryable: boolean }
  | { kind: 'plain'; constructor: string; name: string | undefined; code: string | undefined }
  | { kind: 'dom'; name: string }
  | { kind: 'primitive' };

export interface ShapeNode {
  node: ExceptionNode;
  rebuild: Rebuild;
}

export interface Expected {
  type: string;
  category: ErrorCategory;
  retryable: boolean;
  countsTowardBreaker: boolean;
  status: number;
  problemCode: string;
  /** Types along the cause chain, outermost first, as serializeError gives them. */
  chainTypes: string[];
  notes: string[];
}

export interface ErrorShape {
  /** Outermost first, following `cause` only. */
  chain: ShapeNode[];
  /** Errors recorded beside the chain (AggregateError children, SuppressedError members): named in the postmortem, not rebuilt. */
  others: ExceptionNode[];
  expected: Expected;
}

/** The `cause` chain of a recording, outermost first. */
export function causeChain(nodes: readonly ExceptionNode[]): { chain: ExceptionNode[]; others: ExceptionNode[] } {
  const outer = nodes.find((node) => node.index === 0) ?? nodes[0];
  if (outer === undefined) return { chain: [], others: [] };
  const chain = [outer];
  let current = outer;
  for (;;) {
    const cause = nodes.find((node) => node.parent === current.index && node.relation === 'cause' && !chain.includes(node));
    if (cause === undefined) break;
    chain.push(cause);
    current = cause;
  }
  return { chain, others: nodes.filter((node) => !chain.includes(node)) };
}

/** A code a platform or driver sets (ECONNRESET, ERR_*, UND_ERR_*, SQLSTATE, ER_*), not an app's taxonomy code. */
function isPlatformCode(code: string): boolean {
  return (
    KNOWN_CODES.has(code) ||
    // Node's ERR_*, undici's UND_ERR_*, llhttp's HPE_*, MySQL's ER_*.
    /^(?:ERR|UND_ERR|HPE|ER)_/.test(code) ||
    // errno names: ECONNRESET, EPIPE.
    /^E[A-Z0-9]{2,}$/.test(code) ||
    // SQLSTATE: 23505, 57P01, XX000.
    /^(?=.*[0-9])[0-9A-Z]{5}$/.test(code)
  );
}

/** The class name a stack's first line gives (`TypeError: fetch failed` → TypeError). */
function stackClassName(stack: string | undefined): string | undefined {
  const header = stack?.split('\n', 1)[0];
  return header === undefined ? undefined : /^([A-Za-z_$][\w$]*)(?::|$)/.exec(header)?.[1];
}

function rebuildOf(node: ExceptionNode, classes: ReadonlyMap<string, ErrorClass>, status: number | undefined): Rebuild {
  if (node.type === '_OTHER' && node.stack === undefined) return { kind: 'primitive' };
  const code = node.code;
  if (code !== undefined) {
    const known = classes.get(code);
    if (known !== undefined) return { kind: 'class', errorClass: known };
    if (!isPlatformCode(code) && /^[A-Z][A-Z0-9_]*$/.test(code) && isErrorCategory(node.category)) {
      return { kind: 'defined', code, category: node.category, httpStatus: status, retryable: node.retryable === true };
    }
    const named = stackClassName(node.stack);
    return { kind: 'plain', constructor: named !== undefined && BUILT_IN_ERRORS.has(named) ? named : 'Error', name: named !== undefined && !BUILT_IN_ERRORS.has(named) ? named : undefined, code };
  }
  if (DOM_EXCEPTION_NAMES.has(node.type)) return { kind: 'dom', name: node.type };
  if (BUILT_IN_ERRORS.has(node.type)) return { kind: 'plain', constructor: node.type, name: undefined, code: undefined };
  return { kind: 'plain', constructor: 'Error', name: node.type, code: undefined };
}

const standIns = new Map<string, ReturnType<typeof defineError>>();

/** A class behaving as the app's class does, from the literals of its definition (or what was recorded). */
function standIn(code: string, category: ErrorCategory, httpStatus: number | undefined, retryable: boolean): ReturnType<typeof defineError> {
  const key = `${code}/${category}/${String(httpStatus)}/${String(retryable)}`;
  let made = standIns.get(key);
  if (made === undefined) {
    made = defineError({ code, category, httpStatus, retryable });
    standIns.set(key, made);
  }
  return made;
}

/** The value one rebuild makes here, around `cause`. */
function valueOf(shape: ShapeNode, cause: unknown): unknown {
  const { node, rebuild } = shape;
  const options = cause === undefined ? undefined : { cause };
  switch (rebuild.kind) {
    case 'primitive':
      return node.message;
    case 'class': {
      const { errorClass } = rebuild;
      if (errorClass.from === 'faultline') {
        const Class = (catalog as Record<string, unknown>)[errorClass.name] as new (message?: string, options?: ErrorOptions) => Error;
        return new Class(node.message, options);
      }
      const Class = standIn(errorClass.code, (errorClass.category ?? node.category ?? 'internal') as ErrorCategory, errorClass.httpStatus, errorClass.category === undefined ? node.retryable === true : errorClass.retryable);
      return new Class(node.message, options);
    }
    case 'defined': {
      const Class = standIn(rebuild.code, rebuild.category, rebuild.httpStatus, rebuild.retryable);
      return new Class(node.message, options);
    }
    case 'dom': {
      const error = new DOMException(node.message, rebuild.name);
      if (cause !== undefined) Object.defineProperty(error, 'cause', { value: cause, writable: true, configurable: true });
      return error;
    }
    case 'plain': {
      const Constructor = globalThis[rebuild.constructor as 'Error'];
      const error = new Constructor(node.message, options);
      if (rebuild.name !== undefined) error.name = rebuild.name;
      if (rebuild.code !== undefined) Object.assign(error, { code: rebuild.code });
      return error;
    }
  }
}

/**
 * The shape of a recorded error: how to rebuild each error of its cause chain, and what the current
 * taxonomy says of the rebuilt error. `status` is the status the boundary answered with, when the
 * error was recorded on the server span (it stands in for the httpStatus of an app class that is not
 * found in the source).
 */
export function errorShape(nodes: readonly ExceptionNode[], classes: ReadonlyMap<string, ErrorClass>, status: number | undefined): ErrorShape {
  const { chain, others } = causeChain(nodes);
  const shaped = chain.map((node, position) => ({ node, rebuild: rebuildOf(node, classes, position === 0 ? status : undefined) }));
  let value: unknown;
  for (const shape of [...shaped].reverse()) value = valueOf(shape, value);
  const notes = chain[0]?.notes ?? [];
  for (const note of notes) addNote(value, note);
  const info = classify(value);
  const problem = problemFor(value);
  const chainTypes: string[] = [];
  for (let serialized: SerializedError | undefined = serializeError(value); serialized !== undefined; serialized = serialized.cause) chainTypes.push(serialized.type);
  return {
    chain: shaped,
    others,
    expected: {
      type: info.type,
      category: info.category,
      retryable: info.retryable,
      countsTowardBreaker: BREAKER_CATEGORIES.includes(info.category),
      status: problem.status,
      problemCode: problem.body.code,
      chainTypes,
      notes: [...notes],
    },
  };
}

/** The import specifier of `file` from a test at `testFile` (relative, with its extension). */
export function importPath(testFile: string, file: string): string {
  const relative = path.relative(path.dirname(testFile), file).split(path.sep).join('/');
  return relative.startsWith('.') ? relative : `./${relative}`;
}

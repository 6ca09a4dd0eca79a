import { AST_NODE_TYPES, type TSESLint, type TSESTree } from '@typescript-eslint/utils';
import { CANCELLATION_CHECKS, CANCELLATION_NAMES } from './toolkit.ts';
import { isAbortSignalType, isOpaque, type TypeFacts } from './type-facts.ts';
import { calleeName, constantInitializer, isFunction, propertyName, some, unwrapExpression, variableOf } from './syntax.ts';

// Where an abort can come from, and how a test tells cancellations apart from other failures.

/** A test's meaning for cancellations: true only for them, or never true for them. */
export type Polarity = 'cancellation' | 'not-cancellation' | undefined;

const CANCELLATION_NAME_SET = new Set(CANCELLATION_NAMES);
/** Classes an instanceof test may name that include cancellations among others. */
const BROAD_CLASSES = new Set(['Error', 'AppError', 'DOMException', 'Object']);

export interface CancellationVocabulary {
  checks: ReadonlySet<string>;
}

export function vocabulary(extraChecks: readonly string[] = []): CancellationVocabulary {
  return { checks: new Set([...CANCELLATION_CHECKS, ...extraChecks]) };
}

function isCancellationLiteral(node: TSESTree.Node): boolean {
  const value = unwrapExpression(node);
  return value.type === AST_NODE_TYPES.Literal && typeof value.value === 'string' && CANCELLATION_NAME_SET.has(value.value);
}

function isLiteralString(node: TSESTree.Node): boolean {
  const value = unwrapExpression(node);
  return (value.type === AST_NODE_TYPES.Literal && typeof value.value === 'string') || (value.type === AST_NODE_TYPES.TemplateLiteral && value.expressions.length === 0);
}

/** What a condition says about cancellations, when it says something. */
export function polarity(test: TSESTree.Node, words: CancellationVocabulary): Polarity {
  const node = unwrapExpression(test);
  switch (node.type) {
    case AST_NODE_TYPES.UnaryExpression: {
      if (node.operator !== '!') return undefined;
      const inner = polarity(node.argument, words);
      if (inner === 'cancellation') return 'not-cancellation';
      // `!(err instanceof HttpError)` may well be a cancellation.
      return undefined;
    }
    case AST_NODE_TYPES.LogicalExpression: {
      const left = polarity(node.left, words);
      const right = polarity(node.right, words);
      if (node.operator === '&&') {
        if (left === 'not-cancellation' || right === 'not-cancellation') return 'not-cancellation';
        if (left === 'cancellation' || right === 'cancellation') return 'cancellation';
        return undefined;
      }
      // `signal?.aborted ?? false`
      if (node.operator === '??') return left;
      if (node.operator === '||') {
        if (left === 'cancellation' || right === 'cancellation') return 'cancellation';
        if (left === 'not-cancellation' && right === 'not-cancellation') return 'not-cancellation';
      }
      return undefined;
    }
    case AST_NODE_TYPES.BinaryExpression: {
      if (node.operator === 'instanceof') {
        const right = unwrapExpression(node.right);
        const name = right.type === AST_NODE_TYPES.Identifier ? right.name : right.type === AST_NODE_TYPES.MemberExpression ? propertyName(right) : undefined;
        if (name === undefined) return undefined;
        if (CANCELLATION_NAME_SET.has(name)) return 'cancellation';
        return BROAD_CLASSES.has(name) ? undefined : 'not-cancellation';
      }
      const equal = node.operator === '===' || node.operator === '==';
      const unequal = node.operator === '!==' || node.operator === '!=';
      if (!equal && !unequal) return undefined;
      const cancellationSide = isCancellationLiteral(node.left) || isCancellationLiteral(node.right);
      // `typeof err === 'string'`, `err.code === 'ECONNRESET'`: a named non-cancellation.
      const otherLiteral = !cancellationSide && (isLiteralString(node.left) || isLiteralString(node.right));
      if (cancellationSide) return equal ? 'cancellation' : 'not-cancellation';
      if (otherLiteral && equal) return 'not-cancellation';
      return undefined;
    }
    case AST_NODE_TYPES.CallExpression: {
      const name = calleeName(node.callee);
      if (name !== undefined && words.checks.has(name)) return 'cancellation';
      if (name === 'hasCode') {
        const code = node.arguments[1];
        if (code === undefined) return undefined;
        if (isCancellationLiteral(code)) return 'cancellation';
        return isLiteralString(code) ? 'not-cancellation' : undefined;
      }
      return undefined;
    }
    case AST_NODE_TYPES.MemberExpression:
      return propertyName(node) === 'aborted' ? 'cancellation' : undefined;
    default:
      return undefined;
  }
}

const SIGNAL_NAME = /^(?:signal|[a-z][A-Za-z0-9]*Signal)$/;
const SIGNAL_FACTORIES = new Set(['timeout', 'any', 'abort']);

/** `x` in `group.spawn((x) => …)`: a taskGroup task's first parameter is its signal. */
function isTaskSignalParameter(sourceCode: Readonly<TSESLint.SourceCode>, identifier: TSESTree.Identifier): boolean {
  const variable = variableOf(sourceCode, identifier);
  const definition = variable?.defs[0];
  if (definition?.type !== 'Parameter') return false;
  const fn = definition.node;
  if (!isFunction(fn) || fn.params[0] !== definition.name) return false;
  const call = fn.parent;
  return call.type === AST_NODE_TYPES.CallExpression && call.arguments[0] === fn && calleeName(call.callee) === 'spawn';
}

/** `AbortSignal.timeout(ms)`, `AbortSignal.any([...])`, `AbortSignal.abort()`: the factory's name, if it is one. */
function signalFactory(node: TSESTree.Node): string | undefined {
  if (node.type !== AST_NODE_TYPES.CallExpression) return undefined;
  const callee = unwrapExpression(node.callee);
  if (callee.type !== AST_NODE_TYPES.MemberExpression) return undefined;
  const object = unwrapExpression(callee.object);
  if (object.type !== AST_NODE_TYPES.Identifier || object.name !== 'AbortSignal') return undefined;
  const name = propertyName(callee);
  return name !== undefined && SIGNAL_FACTORIES.has(name) ? name : undefined;
}

/** `new AbortController()`, directly or through a constant: a stop button this code holds. */
function isLocalController(sourceCode: Readonly<TSESLint.SourceCode>, node: TSESTree.Node): boolean {
  let value = unwrapExpression(node);
  if (value.type === AST_NODE_TYPES.Identifier) {
    const init = constantInitializer(sourceCode, value);
    if (init === undefined) return false;
    value = unwrapExpression(init);
  }
  if (value.type !== AST_NODE_TYPES.NewExpression) return false;
  const callee = unwrapExpression(value.callee);
  return callee.type === AST_NODE_TYPES.Identifier && callee.name === 'AbortController';
}

/**
 * Whether an expression is an AbortSignal that brings a cancellation from outside: a parameter, a
 * task's signal, a policy's `{ signal }`, `group.signal`. A signal this code makes for itself
 * (`AbortSignal.timeout(ms)`, the signal of its own `new AbortController()`) is its own deadline
 * or stop button: catching that abort is handling it. By type when known, else by name.
 */
function isOutsideSignal(sourceCode: Readonly<TSESLint.SourceCode>, node: TSESTree.Node, types: TypeFacts | undefined, depth = 0): boolean {
  const value = unwrapExpression(node);
  if (depth > 3) return false;
  const factory = signalFactory(value);
  if (factory !== undefined) {
    if (factory !== 'any' || value.type !== AST_NODE_TYPES.CallExpression) return false;
    const list = value.arguments[0] === undefined ? undefined : unwrapExpression(value.arguments[0]);
    if (list?.type !== AST_NODE_TYPES.ArrayExpression) return true;
    return list.elements.some((element) => element !== null && element.type !== AST_NODE_TYPES.SpreadElement && isOutsideSignal(sourceCode, element, types, depth + 1));
  }
  if (value.type === AST_NODE_TYPES.Identifier) {
    if (isTaskSignalParameter(sourceCode, value)) return true;
    const init = constantInitializer(sourceCode, value);
    if (init !== undefined && (signalFactory(unwrapExpression(init)) !== undefined || unwrapExpression(init).type === AST_NODE_TYPES.MemberExpression)) {
      return isOutsideSignal(sourceCode, init, types, depth + 1);
    }
  }
  if (value.type === AST_NODE_TYPES.MemberExpression && propertyName(value) === 'signal' && isLocalController(sourceCode, value.object)) return false;
  if (types !== undefined) {
    const type = types.typeOf(value);
    if (!isOpaque(type)) return isAbortSignalType(types.checker, type);
  }
  if (value.type === AST_NODE_TYPES.Identifier) return SIGNAL_NAME.test(value.name);
  if (value.type === AST_NODE_TYPES.MemberExpression) {
    const name = propertyName(value);
    return name !== undefined && SIGNAL_NAME.test(name);
  }
  return false;
}

/**
 * Whether a node sits where a value is handed to other code: a call argument, a property value of
 * an object literal (`fetch(url, { signal })`), or the receiver of a method call
 * (`signal.throwIfAborted()`).
 */
function isHandedOver(node: TSESTree.Node): boolean {
  let current = node;
  let parent = current.parent;
  while (
    parent !== undefined &&
    (parent.type === AST_NODE_TYPES.TSAsExpression || parent.type === AST_NODE_TYPES.TSNonNullExpression || parent.type === AST_NODE_TYPES.ChainExpression)
  ) {
    current = parent;
    parent = current.parent;
  }
  if (parent === undefined) return false;
  if ((parent.type === AST_NODE_TYPES.CallExpression || parent.type === AST_NODE_TYPES.NewExpression) && parent.arguments.includes(current as TSESTree.Expression)) {
    return true;
  }
  if (parent.type === AST_NODE_TYPES.Property && parent.value === current && parent.parent.type === AST_NODE_TYPES.ObjectExpression) return true;
  if (parent.type === AST_NODE_TYPES.ArrayExpression) return isHandedOver(parent);
  if (parent.type === AST_NODE_TYPES.MemberExpression && parent.object === current) {
    const call = parent.parent;
    return call.type === AST_NODE_TYPES.CallExpression && call.callee === parent;
  }
  return false;
}

/**
 * Whether the code can fail with a cancellation from outside: somewhere in it (nested callbacks
 * included, since a policy runs them within the call) such an AbortSignal is handed to other code.
 */
export function canReceiveAbort(sourceCode: Readonly<TSESLint.SourceCode>, guarded: TSESTree.Node, types: TypeFacts | undefined): boolean {
  return some(
    sourceCode,
    guarded,
    (node) =>
      (node.type === AST_NODE_TYPES.Identifier || node.type === AST_NODE_TYPES.MemberExpression || node.type === AST_NODE_TYPES.CallExpression) &&
      isHandedOver(node) &&
      isOutsideSignal(sourceCode, node, types),
    { intoFunctions: true },
  );
}

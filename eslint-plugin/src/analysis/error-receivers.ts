import { AST_NODE_TYPES, type TSESLint, type TSESTree } from '@typescript-eslint/utils';
import { isThenable, type TypeFacts } from './type-facts.ts';
import { calleeName, isFunction, propertyName, some, unwrapExpression, type FunctionNode } from './syntax.ts';

// The places where a caught error arrives: `catch (err) { … }` and a rejection handler of a promise
// chain (`p.catch((err) => …)`, `p.then(ok, (err) => …)`). Rules that judge what happens to an
// error see both through one shape.

export interface ErrorReceiver {
  kind: 'catch' | 'handler';
  /** Where to report: the catch clause, or the handler function. */
  node: TSESTree.CatchClause | FunctionNode;
  /** The binding of the caught error, when it is a plain identifier (`catch (err)`, `(err) => …`). */
  binding: TSESTree.Identifier | undefined;
  /** Whether the error is bound at all, by any pattern (`catch ({ message })` counts). */
  bound: boolean;
  /** The variable of `binding`: its references are the uses of the error. */
  variable: TSESLint.Scope.Variable | undefined;
  /** The code that runs with the error: a block, or an arrow function's expression body. */
  body: TSESTree.Node;
  /** The code whose failures arrive here: the try block, or the promise chain before the handler. */
  guarded: TSESTree.Node;
}

export function catchReceiver(sourceCode: Readonly<TSESLint.SourceCode>, clause: TSESTree.CatchClause): ErrorReceiver {
  const param = clause.param;
  const binding = param?.type === AST_NODE_TYPES.Identifier ? param : undefined;
  const variable = binding === undefined ? undefined : sourceCode.getDeclaredVariables(clause).find((candidate) => candidate.name === binding.name);
  const tryStatement = clause.parent;
  return { kind: 'catch', node: clause, binding, bound: param !== null, variable, body: clause.body, guarded: tryStatement.block };
}

/**
 * The rejection handler a call installs, if it is `x.catch(fn)` or `x.then(ok, fn)` with an inline
 * function. With type information, `x` must be a thenable; without, the method name decides.
 */
export function handlerReceiver(sourceCode: Readonly<TSESLint.SourceCode>, call: TSESTree.CallExpression, types: TypeFacts | undefined): ErrorReceiver | undefined {
  const callee = unwrapExpression(call.callee);
  if (callee.type !== AST_NODE_TYPES.MemberExpression) return undefined;
  const method = propertyName(callee);
  let handlerArgument: TSESTree.CallExpressionArgument | undefined;
  if (method === 'catch') handlerArgument = call.arguments[0];
  else if (method === 'then') handlerArgument = call.arguments[1];
  else return undefined;
  if (handlerArgument === undefined) return undefined;
  const handler = unwrapExpression(handlerArgument);
  if (!isFunction(handler)) return undefined;
  if (types !== undefined && !isThenable(types.checker, types.typeOf(callee.object))) return undefined;
  // A TypeScript `this` parameter is not the error.
  const param = handler.params.find((candidate) => candidate.type !== AST_NODE_TYPES.Identifier || candidate.name !== 'this');
  const binding = param?.type === AST_NODE_TYPES.Identifier ? param : undefined;
  const variable = binding === undefined ? undefined : sourceCode.getDeclaredVariables(handler).find((candidate) => candidate.name === binding.name);
  return { kind: 'handler', node: handler, binding, bound: param !== undefined, variable, body: handler.body, guarded: callee.object };
}

/** Listeners that hand every catch clause and every inline rejection handler to `check`. */
export function errorReceiverListeners(
  sourceCode: Readonly<TSESLint.SourceCode>,
  typeFacts: () => TypeFacts | undefined,
  check: (receiver: ErrorReceiver) => void,
): { CatchClause(node: TSESTree.CatchClause): void; CallExpression(node: TSESTree.CallExpression): void } {
  return {
    CatchClause(node) {
      check(catchReceiver(sourceCode, node));
    },
    CallExpression(node) {
      if (node.arguments.length === 0) return;
      const receiver = handlerReceiver(sourceCode, node, typeFacts());
      if (receiver !== undefined) check(receiver);
    },
  };
}

/** The references to the caught error inside the code that handles it (nested functions included). */
export function errorReferences(receiver: ErrorReceiver): TSESTree.Identifier[] {
  if (receiver.variable === undefined) return [];
  return receiver.variable.references
    .filter((reference) => reference.identifier !== receiver.binding && reference.isRead())
    .map((reference) => reference.identifier as TSESTree.Identifier);
}

/** Whether an expression is a read of the caught error itself (possibly through `as`, `!`). */
export function isCaughtError(receiver: ErrorReceiver, node: TSESTree.Node): boolean {
  const value = unwrapExpression(node);
  if (value.type !== AST_NODE_TYPES.Identifier || receiver.variable === undefined) return false;
  return receiver.variable.references.some((reference) => reference.identifier === value);
}

/**
 * Whether the handling code certainly lets the failure go on: a `throw`, a returned rejection, or a
 * call of a function that never returns (a helper that rethrows, `process.exit`). Code in nested
 * functions does not count, since it runs later or not at all.
 */
export function propagates(sourceCode: Readonly<TSESLint.SourceCode>, receiver: ErrorReceiver, types: TypeFacts | undefined): boolean {
  return some(sourceCode, receiver.body, (node) => {
    if (node.type === AST_NODE_TYPES.ThrowStatement) return true;
    if (node.type === AST_NODE_TYPES.CallExpression) {
      if (isPromiseReject(node)) return isReturned(node);
      if (types?.returnsNever(node) === true) return true;
    }
    return false;
  });
}

/** `Promise.reject(…)`. */
export function isPromiseReject(call: TSESTree.CallExpression): boolean {
  const callee = unwrapExpression(call.callee);
  return (
    callee.type === AST_NODE_TYPES.MemberExpression &&
    propertyName(callee) === 'reject' &&
    unwrapExpression(callee.object).type === AST_NODE_TYPES.Identifier &&
    (unwrapExpression(callee.object) as TSESTree.Identifier).name === 'Promise'
  );
}

function isReturned(node: TSESTree.Node): boolean {
  let current = node;
  while (current.parent !== undefined) {
    const parent = current.parent;
    if (parent.type === AST_NODE_TYPES.ReturnStatement) return true;
    if (parent.type === AST_NODE_TYPES.AwaitExpression) return true;
    if (parent.type === AST_NODE_TYPES.ArrowFunctionExpression && parent.body === current) return true;
    if (
      parent.type !== AST_NODE_TYPES.TSAsExpression &&
      parent.type !== AST_NODE_TYPES.TSNonNullExpression &&
      parent.type !== AST_NODE_TYPES.ConditionalExpression &&
      parent.type !== AST_NODE_TYPES.LogicalExpression
    ) {
      return false;
    }
    current = parent;
  }
  return false;
}

/** Whether a call's callee has one of the names (`f(…)`, `ns.f(…)`). */
export function callsOneOf(call: TSESTree.CallExpression, names: ReadonlySet<string>): boolean {
  const name = calleeName(call.callee);
  return name !== undefined && names.has(name);
}

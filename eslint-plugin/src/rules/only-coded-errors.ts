import { AST_NODE_TYPES, type TSESLint, type TSESTree } from '@typescript-eslint/utils';
import ts from 'typescript';
import { createRule, namesOption } from '../create-rule.ts';
import { isPromiseReject } from '../analysis/error-receivers.ts';
import { constantInitializer, isFunction, isGlobalName, staticString, unwrapExpression, variableOf } from '../analysis/syntax.ts';
import { isNamedType, isOpaque, lazyTypeFacts, typeNames, unionParts } from '../analysis/type-facts.ts';

// TRY002: an error without a stable code is an `Error` on every dashboard. The rule looks where an
// error is made and raised (`throw`, `Promise.reject`, a promise executor's `reject`), not where
// one is passed on: `throw err` in a catch is a rethrow.

type Options = [{ allow: string[] }];
type MessageIds = 'uncodedError' | 'notAnError';

const BUILT_IN_ERRORS = new Set(['Error', 'EvalError', 'RangeError', 'ReferenceError', 'SyntaxError', 'TypeError', 'URIError', 'AggregateError']);

type Verdict = { kind: 'coded' } | { kind: 'unknown' } | { kind: 'uncoded'; name: string } | { kind: 'primitive'; what: string };

function describePrimitive(type: ts.Type): string | undefined {
  if ((type.flags & ts.TypeFlags.StringLike) !== 0) return 'a string';
  if ((type.flags & ts.TypeFlags.NumberLike) !== 0) return 'a number';
  if ((type.flags & ts.TypeFlags.BooleanLike) !== 0) return 'a boolean';
  if ((type.flags & ts.TypeFlags.BigIntLike) !== 0) return 'a bigint';
  if ((type.flags & (ts.TypeFlags.Undefined | ts.TypeFlags.Void)) !== 0) return 'undefined';
  if ((type.flags & ts.TypeFlags.Null) !== 0) return 'null';
  return undefined;
}

function judgeType(checker: ts.TypeChecker, type: ts.Type, allow: ReadonlySet<string>): Verdict {
  let current = type;
  if ((current.flags & ts.TypeFlags.TypeParameter) !== 0) {
    const constraint = checker.getBaseConstraintOfType(current);
    if (constraint === undefined) return { kind: 'unknown' };
    current = constraint;
  }
  if (isOpaque(current)) return { kind: 'unknown' };
  for (const part of unionParts(current)) {
    if (isOpaque(part)) return { kind: 'unknown' };
    const primitive = describePrimitive(part);
    if (primitive !== undefined) return { kind: 'primitive', what: primitive };
    if (part.getProperty('code') !== undefined) continue;
    if (isNamedType(checker, part, allow)) continue;
    const name = typeNames(checker, part)[0] ?? checker.typeToString(part);
    return { kind: 'uncoded', name: name.startsWith('__') ? 'an anonymous class' : name };
  }
  return { kind: 'coded' };
}

/** Without types: only what the syntax shows for certain, a built-in error class or a literal. */
function judgeSyntax(sourceCode: Readonly<TSESLint.SourceCode>, node: TSESTree.Node, allow: ReadonlySet<string>): Verdict {
  if (node.type === AST_NODE_TYPES.Literal) {
    if (node.value === null) return { kind: 'primitive', what: 'null' };
    if ('regex' in node || 'bigint' in node) return { kind: 'unknown' };
    return { kind: 'primitive', what: `a ${typeof node.value}` };
  }
  if (node.type === AST_NODE_TYPES.TemplateLiteral) return { kind: 'primitive', what: 'a string' };
  if (node.type === AST_NODE_TYPES.BinaryExpression && (staticString(node.left) !== undefined || staticString(node.right) !== undefined)) {
    return { kind: 'primitive', what: 'a string' };
  }
  if (node.type === AST_NODE_TYPES.NewExpression || node.type === AST_NODE_TYPES.CallExpression) {
    const callee = unwrapExpression(node.callee);
    if (callee.type === AST_NODE_TYPES.Identifier && BUILT_IN_ERRORS.has(callee.name) && isGlobalName(sourceCode, callee) && !allow.has(callee.name)) {
      return { kind: 'uncoded', name: callee.name };
    }
  }
  return { kind: 'unknown' };
}

/**
 * The expressions that make the raised value: `new X()`, `make()`, literals, through conditionals
 * and one step back through a constant (`const err = new Error(); …; throw err`). An identifier
 * that leads nowhere (a caught error, a parameter) is a value passed on, and is not judged.
 */
function madeHere(sourceCode: Readonly<TSESLint.SourceCode>, node: TSESTree.Node, depth = 0): TSESTree.Node[] {
  const value = unwrapExpression(node);
  switch (value.type) {
    case AST_NODE_TYPES.NewExpression:
    case AST_NODE_TYPES.CallExpression:
    case AST_NODE_TYPES.Literal:
    case AST_NODE_TYPES.TemplateLiteral:
      return [value];
    case AST_NODE_TYPES.BinaryExpression:
      return value.operator === '+' ? [value] : [];
    case AST_NODE_TYPES.ConditionalExpression:
      return [...madeHere(sourceCode, value.consequent, depth), ...madeHere(sourceCode, value.alternate, depth)];
    case AST_NODE_TYPES.LogicalExpression:
      return [...madeHere(sourceCode, value.left, depth), ...madeHere(sourceCode, value.right, depth)];
    case AST_NODE_TYPES.SequenceExpression: {
      const last = value.expressions.at(-1);
      return last === undefined ? [] : madeHere(sourceCode, last, depth);
    }
    case AST_NODE_TYPES.Identifier: {
      if (depth >= 2) return [];
      const init = constantInitializer(sourceCode, value);
      return init === undefined ? [] : madeHere(sourceCode, init, depth + 1);
    }
    default:
      return [];
  }
}

export default createRule<Options, MessageIds>({
  name: 'only-coded-errors',
  meta: {
    type: 'problem',
    docs: {
      description: 'Require raised errors to carry a stable code (an AppError subclass, or any error with `code`)',
      config: 'recommended',
      seedRules: ['TRY002'],
    },
    messages: {
      uncodedError:
        'Raise a coded error instead of {{name}}: an AppError subclass from defineError (or any error with a stable `code`), so that `error.type` tells this failure apart on spans, in `app.errors` and in alerts.',
      notAnError: 'Raise a coded error, not {{what}}: it has no stack, no type and no code.',
    },
    schema: [
      {
        type: 'object',
        properties: {
          allow: namesOption('Error classes (and their subclasses) that may be raised without a code, e.g. `TypeError` for argument checks.'),
        },
        additionalProperties: false,
      },
    ],
    defaultOptions: [{ allow: [] }],
  },
  create(context, [options]) {
    const sourceCode = context.sourceCode;
    const allow = new Set(options.allow);
    const typeFacts = lazyTypeFacts(context);

    function check(raised: TSESTree.Node): void {
      for (const made of madeHere(sourceCode, raised)) {
        const facts = typeFacts();
        const verdict = facts === undefined ? judgeSyntax(sourceCode, made, allow) : judgeType(facts.checker, facts.typeOf(made), allow);
        if (verdict.kind === 'uncoded') context.report({ node: made, messageId: 'uncodedError', data: { name: verdict.name } });
        else if (verdict.kind === 'primitive') context.report({ node: made, messageId: 'notAnError', data: { what: verdict.what } });
      }
    }

    /** `reject` of `new Promise((resolve, reject) => …)`, called with a value. */
    function checkExecutor(node: TSESTree.NewExpression): void {
      const callee = unwrapExpression(node.callee);
      if (callee.type !== AST_NODE_TYPES.Identifier || callee.name !== 'Promise' || !isGlobalName(sourceCode, callee)) return;
      const executor = node.arguments[0] === undefined ? undefined : unwrapExpression(node.arguments[0]);
      if (executor === undefined || !isFunction(executor)) return;
      const reject = executor.params[1];
      if (reject?.type !== AST_NODE_TYPES.Identifier) return;
      const variable = variableOf(sourceCode, reject);
      for (const reference of variable?.references ?? []) {
        const parent = reference.identifier.parent;
        if (parent?.type === AST_NODE_TYPES.CallExpression && parent.callee === reference.identifier && parent.arguments[0] !== undefined) {
          check(parent.arguments[0]);
        }
      }
    }

    return {
      ThrowStatement(node) {
        check(node.argument);
      },
      CallExpression(node) {
        if (isPromiseReject(node) && node.arguments[0] !== undefined && isGlobalPromise(sourceCode, node)) check(node.arguments[0]);
      },
      NewExpression: checkExecutor,
    };
  },
});

function isGlobalPromise(sourceCode: Readonly<TSESLint.SourceCode>, call: TSESTree.CallExpression): boolean {
  const callee = unwrapExpression(call.callee) as TSESTree.MemberExpression;
  const object = unwrapExpression(callee.object);
  return object.type === AST_NODE_TYPES.Identifier && isGlobalName(sourceCode, object);
}

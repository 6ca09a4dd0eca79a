import { AST_NODE_TYPES, type TSESLint, type TSESTree } from '@typescript-eslint/utils';
import { createRule, namesOption } from '../create-rule.ts';
import { canReceiveAbort, polarity, vocabulary, type CancellationVocabulary } from '../analysis/cancellation.ts';
import { errorReceiverListeners, isCaughtError, isPromiseReject, type ErrorReceiver } from '../analysis/error-receivers.ts';
import { isFunction, propertyName, unwrapExpression, walk } from '../analysis/syntax.ts';
import { lazyTypeFacts, type TypeFacts } from '../analysis/type-facts.ts';

// Python's rule "always re-raise CancelledError", for AbortSignal: a task that was told to stop
// and catches the abort as one more failure keeps going (retries, falls back, reports success
// with a default), so a shutdown waits on it and a task group counts it as a failure.
//
// A catch is judged when the code it guards hands an AbortSignal to something (a call argument,
// `{ signal }`, `signal.throwIfAborted()`), anywhere in it: that is where an abort comes from.
// It passes when every way out of it that does not rethrow is one a cancellation cannot take:
// after `if (isCancellation(err)) throw err`, under `if (!isCancellation(err))`, or under a test
// that names another failure (`err instanceof HttpError`, `hasCode(err, 'CARD_DECLINED')`).

type Options = [{ cancellationChecks: string[] }];
type MessageIds = 'swallowedCancellation' | 'swallowedCancellationHandler';

type Exit = TSESTree.Node;

interface Judge {
  sourceCode: Readonly<TSESLint.SourceCode>;
  words: CancellationVocabulary;
  types: TypeFacts | undefined;
  receiver: ErrorReceiver;
}

function isNeverCall(judge: Judge, node: TSESTree.Node): boolean {
  const value = unwrapExpression(node);
  return value.type === AST_NODE_TYPES.CallExpression && judge.types?.returnsNever(value) === true;
}

function isThrowIfAborted(node: TSESTree.Node): boolean {
  const value = unwrapExpression(node);
  if (value.type !== AST_NODE_TYPES.CallExpression) return false;
  const callee = unwrapExpression(value.callee);
  return callee.type === AST_NODE_TYPES.MemberExpression && propertyName(callee) === 'throwIfAborted';
}

/** The cancellation itself: the caught error, or an aborted signal's `reason`. */
function isTheCancellation(judge: Judge, node: TSESTree.Node): boolean {
  const value = unwrapExpression(node);
  if (isCaughtError(judge.receiver, value)) return true;
  return value.type === AST_NODE_TYPES.MemberExpression && propertyName(value) === 'reason';
}

/**
 * `Promise.reject(x)` (awaited or not), with what it rejects with; also assigned to a variable
 * (`result = Promise.reject(err)`): the rejection is the value the code goes on with.
 */
function rejection(node: TSESTree.Node): TSESTree.CallExpression | undefined {
  const value = unwrapExpression(node);
  if (value.type === AST_NODE_TYPES.AwaitExpression) return rejection(value.argument);
  if (value.type === AST_NODE_TYPES.AssignmentExpression && value.operator === '=') return rejection(value.right);
  return value.type === AST_NODE_TYPES.CallExpression && isPromiseReject(value) ? value : undefined;
}

/** Whether an expression passes the cancellation on: `Promise.reject(err)`, or a helper that never returns (it rethrows). */
function rethrowingExpression(judge: Judge, node: TSESTree.Node): boolean {
  const rejected = rejection(node);
  if (rejected !== undefined) return rejected.arguments[0] !== undefined && isTheCancellation(judge, rejected.arguments[0]);
  return isNeverCall(judge, node);
}

/** Whether control never gets past this statement: it throws or rejects, whatever with. */
function ends(judge: Judge, statement: TSESTree.Node): boolean {
  switch (statement.type) {
    case AST_NODE_TYPES.ThrowStatement:
      return true;
    case AST_NODE_TYPES.ExpressionStatement:
      return rejection(statement.expression) !== undefined || isNeverCall(judge, statement.expression);
    case AST_NODE_TYPES.ReturnStatement:
      return statement.argument !== null && (rejection(statement.argument) !== undefined || isNeverCall(judge, statement.argument));
    case AST_NODE_TYPES.BlockStatement:
      return statement.body.some((inner) => ends(judge, inner));
    case AST_NODE_TYPES.IfStatement:
      return statement.alternate !== null && ends(judge, statement.consequent) && ends(judge, statement.alternate);
    default:
      return false;
  }
}

/** Whether every path through this statement passes the cancellation on unchanged. */
function rethrows(judge: Judge, statement: TSESTree.Node): boolean {
  switch (statement.type) {
    case AST_NODE_TYPES.ThrowStatement:
      return isTheCancellation(judge, statement.argument);
    case AST_NODE_TYPES.ExpressionStatement:
      return isThrowIfAborted(statement.expression) || rethrowingExpression(judge, statement.expression);
    case AST_NODE_TYPES.ReturnStatement:
      return statement.argument !== null && rethrowingExpression(judge, statement.argument);
    case AST_NODE_TYPES.BlockStatement:
      for (const inner of statement.body) {
        if (rethrows(judge, inner)) return true;
        if (ends(judge, inner) || containsExit(judge, inner)) return false;
      }
      return false;
    case AST_NODE_TYPES.IfStatement:
      return statement.alternate !== null && rethrows(judge, statement.consequent) && rethrows(judge, statement.alternate);
    default:
      return false;
  }
}

/** A statement after which no cancellation gets further: `if (isCancellation(err)) throw err`, `signal.throwIfAborted()`. */
function isCancellationGuard(judge: Judge, statement: TSESTree.Node): boolean {
  if (statement.type === AST_NODE_TYPES.IfStatement) {
    const meaning = polarity(statement.test, judge.words);
    if (meaning === 'cancellation' && rethrows(judge, statement.consequent)) return true;
    if (meaning === 'not-cancellation' && statement.alternate !== null && rethrows(judge, statement.alternate)) return true;
  }
  return rethrows(judge, statement);
}

/** Whether a cancellation cannot reach `exit`: a guard before it, or a test around it that leaves cancellations out. */
function isSafeExit(judge: Judge, exit: Exit, body: TSESTree.Node): boolean {
  let current: TSESTree.Node = exit;
  while (current !== body && current.parent !== undefined) {
    const parent: TSESTree.Node = current.parent;
    if (parent.type === AST_NODE_TYPES.IfStatement || parent.type === AST_NODE_TYPES.ConditionalExpression) {
      const meaning = polarity(parent.test, judge.words);
      if (parent.consequent === current && meaning === 'not-cancellation') return true;
      if (parent.alternate === current && meaning === 'cancellation') return true;
    }
    if (parent.type === AST_NODE_TYPES.LogicalExpression && parent.right === current) {
      // `!isCancellation(err) && fallback()` reaches its right side only for other failures.
      const meaning = polarity(parent.left, judge.words);
      if (parent.operator === '&&' && meaning === 'not-cancellation') return true;
      if (parent.operator === '||' && meaning === 'cancellation') return true;
    }
    if (parent.type === AST_NODE_TYPES.BlockStatement || parent.type === AST_NODE_TYPES.SwitchCase) {
      const statements: readonly TSESTree.Node[] = parent.type === AST_NODE_TYPES.BlockStatement ? parent.body : parent.consequent;
      const index = statements.indexOf(current);
      for (let before = 0; before < index; before += 1) {
        const statement = statements[before];
        if (statement !== undefined && isCancellationGuard(judge, statement)) return true;
      }
    }
    current = parent;
  }
  return false;
}

/** Whether a statement holds a way out that is not a rethrow (used to stop reading a block). */
function containsExit(judge: Judge, statement: TSESTree.Node): boolean {
  return exitsIn(judge, statement).length > 0;
}

/**
 * Ways out of the handling code other than passing the cancellation on: returns, breaks and
 * continues to a loop outside it, and throws of something else (a translated error hides the
 * cancellation from whoever waits for it).
 */
function exitsIn(judge: Judge, root: TSESTree.Node): Exit[] {
  const exits: Exit[] = [];
  const loopsInside: TSESTree.Node[] = [];
  walk(judge.sourceCode, root, (node) => {
    if (node !== root && isFunction(node)) return false;
    switch (node.type) {
      case AST_NODE_TYPES.ReturnStatement:
        if (node.argument === null || !rethrowingExpression(judge, node.argument)) exits.push(node);
        break;
      case AST_NODE_TYPES.ThrowStatement:
        if (!isTheCancellation(judge, node.argument)) exits.push(node);
        break;
      case AST_NODE_TYPES.ForStatement:
      case AST_NODE_TYPES.ForInStatement:
      case AST_NODE_TYPES.ForOfStatement:
      case AST_NODE_TYPES.WhileStatement:
      case AST_NODE_TYPES.DoWhileStatement:
      case AST_NODE_TYPES.SwitchStatement:
        loopsInside.push(node);
        break;
      case AST_NODE_TYPES.BreakStatement:
      case AST_NODE_TYPES.ContinueStatement:
        if (node.label !== null || !loopsInside.some((loop) => loop.range[0] <= node.range[0] && node.range[1] <= loop.range[1])) exits.push(node);
        break;
      default:
        break;
    }
    return true;
  });
  return exits;
}

function blockExits(judge: Judge, body: TSESTree.BlockStatement): Exit[] {
  const exits = exitsIn(judge, body);
  // Falling off the end of the block is one more way out, unless the last statement ends it.
  const last = body.body.at(-1);
  if (last === undefined || !ends(judge, last)) exits.push(last ?? body);
  return exits;
}

/** The values an expression-bodied handler can produce: `(err) => (isCancellation(err) ? Promise.reject(err) : null)`. */
function expressionExits(judge: Judge, node: TSESTree.Node): Exit[] {
  const value = unwrapExpression(node);
  if (value.type === AST_NODE_TYPES.ConditionalExpression) return [...expressionExits(judge, value.consequent), ...expressionExits(judge, value.alternate)];
  if (value.type === AST_NODE_TYPES.LogicalExpression) return [value.left, ...expressionExits(judge, value.right)].filter((exit) => !rethrowingExpression(judge, exit));
  return rethrowingExpression(judge, value) ? [] : [value];
}

function rethrowsCancellations(judge: Judge): boolean {
  const body = judge.receiver.body;
  if (body.type === AST_NODE_TYPES.BlockStatement) {
    // A last statement that is itself a cancellation guard covers the fall-through: it rethrows them.
    return blockExits(judge, body).every((exit) => isSafeExit(judge, exit, body) || (exit === body.body.at(-1) && isCancellationGuard(judge, exit)));
  }
  return expressionExits(judge, body).every((exit) => isSafeExit(judge, exit, body));
}

export default createRule<Options, MessageIds>({
  name: 'no-swallowed-cancellation',
  meta: {
    type: 'problem',
    docs: {
      description: 'Require catches and rejection handlers that can receive an abort to rethrow cancellations',
      config: 'recommended',
      seedRules: ['re-raise CancelledError'],
    },
    messages: {
      swallowedCancellation:
        'This catch can receive a cancellation (its try block hands an AbortSignal on) and does not rethrow it: an aborted task would carry on as if it had failed. Start the catch with `if (isCancellation(err)) throw err;`.',
      swallowedCancellationHandler:
        'This rejection handler can receive a cancellation (the chain is handed an AbortSignal) and does not pass it on: an aborted task would carry on as if it had failed. Rethrow when `isCancellation(err)`.',
    },
    schema: [
      {
        type: 'object',
        properties: {
          cancellationChecks: namesOption('More functions that answer whether an error is a cancellation, beside `isCancellation`.'),
        },
        additionalProperties: false,
      },
    ],
    defaultOptions: [{ cancellationChecks: [] }],
  },
  create(context, [options]) {
    const sourceCode = context.sourceCode;
    const words = vocabulary(options.cancellationChecks);
    const typeFacts = lazyTypeFacts(context);

    function check(receiver: ErrorReceiver): void {
      const judge: Judge = { sourceCode, words, types: typeFacts(), receiver };
      if (!canReceiveAbort(sourceCode, receiver.guarded, judge.types)) return;
      if (rethrowsCancellations(judge)) return;
      context.report({ node: receiver.node, messageId: receiver.kind === 'catch' ? 'swallowedCancellation' : 'swallowedCancellationHandler' });
    }

    return errorReceiverListeners(sourceCode, typeFacts, check);
  },
});

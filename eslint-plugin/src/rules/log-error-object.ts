import { AST_NODE_TYPES, type TSESLint, type TSESTree } from '@typescript-eslint/utils';
import { createRule } from '../create-rule.ts';
import { errorReceiverListeners, type ErrorReceiver } from '../analysis/error-receivers.ts';
import { loggerCall, type LoggerCall } from '../analysis/loggers.ts';
import { calleeName, calleeObject, constantInitializer, propertyName, unwrapExpression, walk } from '../analysis/syntax.ts';
import { lazyTypeFacts } from '../analysis/type-facts.ts';

// TRY400 and TRY401: a log line that carries `err.message` (or the error pasted into its text)
// instead of the error object has lost the stack, the type, the code, the cause chain and the
// notes; and a message with the error's text in it is a new message for every failure, so the
// lines of one failure no longer group. `log.error({ err }, 'charge failed')` keeps both.

type MessageIds = 'errorText' | 'redundantErrorText' | 'useErrorObject';

/** The logger's key for errors: pino serializes `err` with its error serializer, and faultline's createLogger does too. */
const ERROR_KEY = 'err';
/** Text that joins a message to a pasted error: `charge failed: ${err.message}`. */
const TRAILING_SEPARATOR = /[\s:;,(\-–—=>|]+$/;

interface Context {
  sourceCode: Readonly<TSESLint.SourceCode>;
  receiver: ErrorReceiver;
}

/** Whether a value is the caught error itself, directly or through a constant (`const e = err as Error`). */
function isErrorObject(ctx: Context, node: TSESTree.Node, depth = 0): boolean {
  const value = unwrapExpression(node);
  if (value.type !== AST_NODE_TYPES.Identifier) return false;
  const variable = ctx.receiver.variable;
  if (variable?.references.some((reference) => reference.identifier === value) === true) return true;
  if (depth > 1) return false;
  const init = constantInitializer(ctx.sourceCode, value);
  return init !== undefined && isErrorObject(ctx, init, depth + 1);
}

/** Whether a value is the error turned into text: `err.message`, `err.stack`, `String(err)`, `${err}`, `'…' + err`. */
function isErrorText(ctx: Context, node: TSESTree.Node, depth = 0): boolean {
  const value = unwrapExpression(node);
  if (depth > 3) return false;
  switch (value.type) {
    case AST_NODE_TYPES.MemberExpression: {
      const name = propertyName(value);
      return (name === 'message' || name === 'stack') && isErrorObject(ctx, value.object);
    }
    case AST_NODE_TYPES.CallExpression: {
      const name = calleeName(value.callee);
      const object = calleeObject(value.callee);
      if (name === 'toString' && object !== undefined) return isErrorObject(ctx, object);
      if ((name === 'String' || name === 'stringify' || name === 'inspect' || name === 'format') && value.arguments.some((argument) => isErrorObject(ctx, argument) || isErrorText(ctx, argument, depth + 1))) {
        return true;
      }
      return false;
    }
    case AST_NODE_TYPES.TemplateLiteral:
      return value.expressions.some((expression) => isErrorObject(ctx, expression) || isErrorText(ctx, expression, depth + 1));
    case AST_NODE_TYPES.BinaryExpression:
      return value.operator === '+' && [value.left, value.right].some((side) => isErrorObject(ctx, side) || isErrorText(ctx, side, depth + 1));
    case AST_NODE_TYPES.ConditionalExpression:
      // `err instanceof Error ? err.message : String(err)`
      return isErrorText(ctx, value.consequent, depth + 1) || isErrorText(ctx, value.alternate, depth + 1);
    case AST_NODE_TYPES.LogicalExpression:
      return isErrorText(ctx, value.left, depth + 1) || isErrorText(ctx, value.right, depth + 1);
    case AST_NODE_TYPES.Identifier: {
      const init = constantInitializer(ctx.sourceCode, value);
      return init !== undefined && isErrorText(ctx, init, depth + 1);
    }
    default:
      return false;
  }
}

/** Whether an argument hands the logger the error object: `err`, `{ err }`, `{ error: err, orderId }`. */
function passesErrorObject(ctx: Context, argument: TSESTree.Node): boolean {
  const value = unwrapExpression(argument);
  if (isErrorObject(ctx, value)) return true;
  if (value.type !== AST_NODE_TYPES.ObjectExpression) return false;
  return value.properties.some((property) => property.type === AST_NODE_TYPES.Property && isErrorObject(ctx, property.value));
}

function quote(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n').replace(/\r/g, '\\r')}'`;
}

/**
 * The message without its trailing error text, when the error text is its last part:
 * `` `charge ${id} failed: ${err.message}` `` → `` `charge ${id} failed` ``. Undefined when the
 * error sits elsewhere in the message, or nothing would be left.
 */
function withoutTrailingErrorText(ctx: Context, message: TSESTree.Node): string | undefined {
  const value = unwrapExpression(message);
  const text = ctx.sourceCode.getText.bind(ctx.sourceCode);
  if (value.type === AST_NODE_TYPES.TemplateLiteral) {
    const last = value.expressions.at(-1);
    const tail = value.quasis.at(-1);
    if (last === undefined || tail === undefined || tail.value.cooked?.trim() !== '') return undefined;
    if (!isErrorObject(ctx, last) && !isErrorText(ctx, last)) return undefined;
    if (value.expressions.slice(0, -1).some((expression) => isErrorObject(ctx, expression) || isErrorText(ctx, expression))) return undefined;
    const quasis = value.quasis.slice(0, -1);
    const kept = value.expressions.slice(0, -1);
    const lastQuasi = quasis.at(-1);
    if (lastQuasi === undefined || lastQuasi.value.cooked === null) return undefined;
    const trimmedRaw = lastQuasi.value.raw.replace(TRAILING_SEPARATOR, '');
    if (kept.length === 0) {
      const cooked = lastQuasi.value.cooked.replace(TRAILING_SEPARATOR, '');
      return cooked === '' ? undefined : quote(cooked);
    }
    let rebuilt = '`';
    for (let index = 0; index < kept.length; index += 1) {
      rebuilt += `${quasis[index]?.value.raw ?? ''}\${${text(kept[index] as TSESTree.Node)}}`;
    }
    return `${rebuilt}${trimmedRaw}\``;
  }
  if (value.type === AST_NODE_TYPES.BinaryExpression && value.operator === '+') {
    const left = unwrapExpression(value.left);
    if (!isErrorObject(ctx, value.right) && !isErrorText(ctx, value.right)) return undefined;
    if (left.type === AST_NODE_TYPES.Literal && typeof left.value === 'string') {
      const trimmed = left.value.replace(TRAILING_SEPARATOR, '');
      return trimmed === '' ? undefined : quote(trimmed);
    }
    return undefined;
  }
  return undefined;
}

/** Text for the error in an object literal: `err` when the binding is named so, else `err: error`. */
function errorProperty(ctx: Context): string | undefined {
  const name = ctx.receiver.binding?.name;
  if (name === undefined) return undefined;
  return name === ERROR_KEY ? ERROR_KEY : `${ERROR_KEY}: ${name}`;
}

export default createRule<[], MessageIds>({
  name: 'log-error-object',
  meta: {
    type: 'problem',
    docs: {
      description: 'Require logging the caught error object, not its message or its text pasted into the log message',
      config: 'recommended',
      seedRules: ['TRY400', 'TRY401'],
    },
    fixable: 'code',
    hasSuggestions: true,
    messages: {
      errorText:
        "This log line carries the error's text instead of the error: the stack, type, code, cause chain and notes are lost. Pass the error object (`log.error({ err }, 'charge failed')`).",
      redundantErrorText:
        "The error is already on this log line; its text in the message makes every failure a different message, so the lines no longer group. Keep the message fixed.",
      useErrorObject: 'Pass the error object and keep the message fixed.',
    },
    schema: [],
    defaultOptions: [],
  },
  create(context) {
    const sourceCode = context.sourceCode;
    const typeFacts = lazyTypeFacts(context);

    function fixFor(ctx: Context, logger: LoggerCall): ((fixer: TSESLint.RuleFixer) => TSESLint.RuleFix) | undefined {
      const args = logger.call.arguments;
      const binding = ctx.receiver.binding?.name;
      const property = errorProperty(ctx);
      if (binding === undefined || property === undefined) return undefined;
      const errorArgIndex = args.findIndex((argument) => isErrorText(ctx, argument));
      const messageArg = args[errorArgIndex];
      if (messageArg === undefined || args.some((argument) => argument.type === AST_NODE_TYPES.SpreadElement)) return undefined;
      const message = unwrapExpression(messageArg);
      const wholeMessage = message.type === AST_NODE_TYPES.MemberExpression || (message.type === AST_NODE_TYPES.CallExpression && calleeName(message.callee) === 'String');
      if (logger.style === 'console') {
        // console prints an error argument with its stack, cause and properties.
        if (wholeMessage) return (fixer) => fixer.replaceText(messageArg, binding);
        if (args.length !== 1) return undefined;
        const rest = withoutTrailingErrorText(ctx, messageArg);
        if (rest === undefined) return undefined;
        return (fixer) => fixer.replaceText(messageArg, `${rest}, ${binding}`);
      }
      // pino: (message) or (mergingObject, message).
      const merging = errorArgIndex === 1 ? unwrapExpression(args[0] as TSESTree.Node) : undefined;
      if (errorArgIndex > 1 || args.length > errorArgIndex + 1) return undefined;
      if (merging !== undefined && (merging.type !== AST_NODE_TYPES.ObjectExpression || merging.properties.some((item) => item.type === AST_NODE_TYPES.SpreadElement))) {
        return undefined;
      }
      const rest = wholeMessage ? undefined : withoutTrailingErrorText(ctx, messageArg);
      if (!wholeMessage && rest === undefined) return undefined;
      if (merging === undefined) {
        // `log.error(err.message)` → `log.error(err)`: pino takes the message from the error.
        if (wholeMessage) return (fixer) => fixer.replaceText(messageArg, binding);
        return (fixer) => fixer.replaceText(messageArg, `{ ${property} }, ${rest ?? ''}`);
      }
      // With a merging object pino would log no message at all once `err.message` is gone: no fix.
      if (wholeMessage) return undefined;
      const objectText = (merging as TSESTree.ObjectExpression).properties.length === 0 ? `{ ${property} }` : `${sourceCode.getText(merging).replace(/,?\s*}$/, '')}, ${property} }`;
      return (fixer) => fixer.replaceTextRange([merging.range[0], messageArg.range[1]], `${objectText}, ${rest ?? ''}`);
    }

    function checkCall(ctx: Context, call: TSESTree.CallExpression): void {
      const logger = loggerCall(sourceCode, call, typeFacts());
      if (logger === undefined) return;
      const args = call.arguments;
      const textArgs = args.filter((argument) => isErrorText(ctx, argument));
      const objectArgs = args.filter((argument) => passesErrorObject(ctx, argument));
      const pasted = args.filter((argument) => {
        const value = unwrapExpression(argument);
        return (value.type === AST_NODE_TYPES.TemplateLiteral || value.type === AST_NODE_TYPES.BinaryExpression) && isErrorText(ctx, value);
      });
      if (objectArgs.length > 0) {
        // TRY401: the error is there, and its text is in the message too.
        for (const argument of pasted) {
          const rest = withoutTrailingErrorText(ctx, argument);
          context.report({
            node: argument,
            messageId: 'redundantErrorText',
            ...(rest === undefined ? {} : { fix: (fixer: TSESLint.RuleFixer) => fixer.replaceText(argument, rest) }),
          });
        }
        // `{ err, reason: err.message }` beside the error is redundant but harmless.
        return;
      }
      // An object literal field holding the error's text: `log.warn({ error: err.message }, 'x')`.
      const fieldNodes: TSESTree.Property[] = [];
      for (const argument of args) {
        const value = unwrapExpression(argument);
        if (value.type !== AST_NODE_TYPES.ObjectExpression) continue;
        for (const property of value.properties) {
          if (property.type === AST_NODE_TYPES.Property && isErrorText(ctx, property.value)) fieldNodes.push(property);
        }
      }
      if (textArgs.length === 0 && fieldNodes.length === 0) return;
      const target = textArgs[0] ?? fieldNodes[0] ?? call;
      const fix = textArgs.length > 0 ? fixFor(ctx, logger) : undefined;
      const field = fieldNodes[0];
      const property = errorProperty(ctx);
      const suggestion =
        fix === undefined && field !== undefined && property !== undefined && textArgs.length === 0
          ? [{ messageId: 'useErrorObject' as const, fix: (fixer: TSESLint.RuleFixer) => fixer.replaceText(field, property) }]
          : undefined;
      context.report({
        node: target,
        messageId: 'errorText',
        // Rewrites a call only when the logger's signature is known: by its type, or console.
        ...(fix !== undefined && (logger.typed || logger.style === 'console') ? { fix } : {}),
        ...(fix !== undefined && !logger.typed && logger.style !== 'console' ? { suggest: [{ messageId: 'useErrorObject' as const, fix }] } : {}),
        ...(suggestion === undefined ? {} : { suggest: suggestion }),
      });
    }

    function check(receiver: ErrorReceiver): void {
      if (receiver.variable === undefined) return;
      const ctx: Context = { sourceCode, receiver };
      walk(
        sourceCode,
        receiver.body,
        (node) => {
          if (node.type === AST_NODE_TYPES.CallExpression) checkCall(ctx, node);
          return true;
        },
        { intoFunctions: true },
      );
    }

    return errorReceiverListeners(sourceCode, typeFacts, check);
  },
});

import { AST_NODE_TYPES, type TSESTree } from '@typescript-eslint/utils';
import { createRule } from '../create-rule.ts';
import { isPromiseReject } from '../analysis/error-receivers.ts';
import { constantInitializer, staticString, unwrapExpression } from '../analysis/syntax.ts';
import { isNamedType, isOpaque, lazyTypeFacts, type TypeFacts } from '../analysis/type-facts.ts';

// TRY003: a message composed at the throw site (`new Error(\`order ${id} not found for ${user}\`)`)
// says in prose what a coded error says in fields. Every value pasted into it makes a new message
// (no grouping in logs, a new fingerprint text), the values cannot be queried, and an ID or an
// e-mail address in it must be redacted afterwards. The class and its code name the failure; the
// values go in `details`.

type Options = [{ maxLength: number; allowFormatted: boolean }];
type MessageIds = 'formattedMessage' | 'longMessage';

const ERROR_TYPES = new Set(['Error']);

function isErrorConstruction(node: TSESTree.Node, types: TypeFacts | undefined): node is TSESTree.NewExpression | TSESTree.CallExpression {
  if (node.type !== AST_NODE_TYPES.NewExpression && node.type !== AST_NODE_TYPES.CallExpression) return false;
  if (types !== undefined) {
    const type = types.typeOf(node);
    if (!isOpaque(type)) return isNamedType(types.checker, type, ERROR_TYPES);
  }
  const callee = unwrapExpression(node.callee);
  const name = callee.type === AST_NODE_TYPES.Identifier ? callee.name : undefined;
  return node.type === AST_NODE_TYPES.NewExpression || (name !== undefined && /Error$/.test(name));
}

function messageArgument(node: TSESTree.NewExpression | TSESTree.CallExpression): TSESTree.CallExpressionArgument | undefined {
  const callee = unwrapExpression(node.callee);
  const aggregate = callee.type === AST_NODE_TYPES.Identifier && callee.name === 'AggregateError';
  return node.arguments[aggregate ? 1 : 0];
}

export default createRule<Options, MessageIds>({
  name: 'no-long-error-messages',
  meta: {
    type: 'suggestion',
    docs: {
      description: 'Disallow long or formatted messages where an error is raised; name the failure with a coded class and put the values in `details`',
      config: 'strict',
      seedRules: ['TRY003'],
    },
    messages: {
      formattedMessage:
        'This error message is built from values: each failure gets its own text, and the values cannot be queried. Raise a coded error and put the values in `details` (`new OrderNotFound(undefined, { details: { orderId } })`).',
      longMessage:
        'This error message is {{length}} characters long (more than {{maxLength}}): the class and its code should name the failure, with a short default message in `defineError`.',
    },
    schema: [
      {
        type: 'object',
        properties: {
          maxLength: { type: 'integer', minimum: 1, description: 'Longest message allowed at the raise site.' },
          allowFormatted: { type: 'boolean', description: 'Allow template literals and concatenation in messages.' },
        },
        additionalProperties: false,
      },
    ],
    defaultOptions: [{ maxLength: 60, allowFormatted: false }],
  },
  create(context, [options]) {
    const sourceCode = context.sourceCode;
    const typeFacts = lazyTypeFacts(context);

    function checkMessage(message: TSESTree.Node): void {
      let value = unwrapExpression(message);
      if (value.type === AST_NODE_TYPES.Identifier) {
        const init = constantInitializer(sourceCode, value);
        if (init === undefined) return;
        value = unwrapExpression(init);
      }
      const text = staticString(value);
      if (text !== undefined) {
        if (text.length > options.maxLength) context.report({ node: message, messageId: 'longMessage', data: { length: text.length, maxLength: options.maxLength } });
        return;
      }
      if (options.allowFormatted) return;
      const formatted =
        (value.type === AST_NODE_TYPES.TemplateLiteral && value.expressions.length > 0) ||
        (value.type === AST_NODE_TYPES.BinaryExpression && value.operator === '+' && (staticString(value.left) !== undefined || staticString(value.right) !== undefined || value.left.type === AST_NODE_TYPES.BinaryExpression));
      if (formatted) context.report({ node: message, messageId: 'formattedMessage' });
    }

    function check(raised: TSESTree.Node): void {
      const value = unwrapExpression(raised);
      const made = value.type === AST_NODE_TYPES.Identifier ? constantInitializer(sourceCode, value) : value;
      if (made === undefined) return;
      const construction = unwrapExpression(made);
      if (!isErrorConstruction(construction, typeFacts())) return;
      const message = messageArgument(construction);
      if (message !== undefined && message.type !== AST_NODE_TYPES.SpreadElement) checkMessage(message);
    }

    return {
      ThrowStatement(node) {
        check(node.argument);
      },
      CallExpression(node) {
        if (isPromiseReject(node) && node.arguments[0] !== undefined) check(node.arguments[0]);
      },
    };
  },
});

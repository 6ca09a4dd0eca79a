import { createRule } from '../create-rule.ts';
import { catchReceiver, errorReferences, handlerReceiver, propagates, type ErrorReceiver } from '../analysis/error-receivers.ts';
import { typeFactsOf, type TypeFacts } from '../analysis/type-facts.ts';

// BLE001, S110, S112: a catch that never looks at what it caught treats an out-of-memory, a bug
// and a declined card the same way, and usually by saying nothing. Looking at the error in any way
// (narrowing it, recording it, logging it, passing it on) is enough for this rule; what the other
// rules check is how.

type MessageIds = 'blindCatch' | 'blindHandler';

export default createRule<[], MessageIds>({
  name: 'no-blind-catch',
  meta: {
    type: 'problem',
    docs: {
      description: 'Disallow catches that swallow every error without rethrowing, recording, narrowing or using it',
      config: 'recommended',
      seedRules: ['BLE001', 'S110', 'S112'],
    },
    messages: {
      blindCatch:
        'This catch swallows every error without looking at it: narrow it (`instanceof`, `hasCode`, `isCancellation`) and rethrow the rest, record it (`recordError`, `log.error({ err }, …)`), or rethrow it.',
      blindHandler:
        'This rejection handler swallows every error without looking at it: narrow it and rethrow the rest, record it (`recordError`, `log.error({ err }, …)`), or let the rejection through.',
    },
    schema: [],
    defaultOptions: [],
  },
  create(context) {
    const sourceCode = context.sourceCode;
    let types: TypeFacts | undefined | null = null;

    function check(receiver: ErrorReceiver): void {
      if (errorReferences(receiver).length > 0) return;
      // A destructured catch (`catch ({ message })`) looks at the error through its parts.
      if (receiver.bound && receiver.binding === undefined) return;
      if (types === null) types = typeFactsOf(context);
      if (propagates(sourceCode, receiver, types)) return;
      context.report({ node: receiver.node, messageId: receiver.kind === 'catch' ? 'blindCatch' : 'blindHandler' });
    }

    return {
      CatchClause(node) {
        check(catchReceiver(sourceCode, node));
      },
      CallExpression(node) {
        if (node.arguments.length === 0) return;
        if (types === null) types = typeFactsOf(context);
        const receiver = handlerReceiver(sourceCode, node, types);
        if (receiver !== undefined) check(receiver);
      },
    };
  },
});

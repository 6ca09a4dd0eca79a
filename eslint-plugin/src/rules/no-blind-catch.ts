import { createRule } from '../create-rule.ts';
import { errorReceiverListeners, errorReferences, propagates, type ErrorReceiver } from '../analysis/error-receivers.ts';
import { lazyTypeFacts } from '../analysis/type-facts.ts';

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
    const typeFacts = lazyTypeFacts(context);

    function check(receiver: ErrorReceiver): void {
      if (errorReferences(receiver).length > 0) return;
      // A destructured catch (`catch ({ message })`) looks at the error through its parts.
      if (receiver.bound && receiver.binding === undefined) return;
      if (propagates(sourceCode, receiver, typeFacts())) return;
      context.report({ node: receiver.node, messageId: receiver.kind === 'catch' ? 'blindCatch' : 'blindHandler' });
    }

    return errorReceiverListeners(sourceCode, typeFacts, check);
  },
});

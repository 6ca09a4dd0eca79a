import rule from '../../src/rules/no-long-error-messages.ts';
import { asEslintRule, javascriptTester, typed, typedTester, untypedTester } from '../helpers/rule-tester.ts';

const noLongErrorMessages = asEslintRule(rule);
const DECLARE = "import { NotFound, defineError } from 'faultline';\ndeclare const orderId: string;\n";

typedTester.run('no-long-error-messages (typed)', noLongErrorMessages, {
  valid: typed([
    `${DECLARE}throw new NotFound(undefined, { details: { orderId } });`,
    `${DECLARE}throw new NotFound('No such order');`,
    `${DECLARE}throw new Error('short');`,
    // The message is the caller's: nothing is built here.
    `${DECLARE}export function fail(message: string): never { throw new Error(message); }`,
    // Not an error: a template handed to something else.
    `${DECLARE}class Notice { constructor(readonly text: string) {} }\nthrow new Notice(\`order \${orderId}\`);`,
    { code: `${DECLARE}throw new Error(\`order \${orderId} not found\`);`, options: [{ maxLength: 60, allowFormatted: true }] },
    { code: `${DECLARE}throw new Error('a message that is longer than twenty characters');`, options: [{ maxLength: 100, allowFormatted: false }] },
    // AggregateError's message is its second argument.
    `${DECLARE}throw new AggregateError([new Error('a')], 'several failures');`,
  ]),
  invalid: typed([
    { code: `${DECLARE}throw new Error(\`order \${orderId} not found\`);`, errors: [{ messageId: 'formattedMessage', line: 3 }] },
    { code: `${DECLARE}throw new NotFound('order ' + orderId + ' not found');`, errors: [{ messageId: 'formattedMessage' }] },
    {
      code: `${DECLARE}throw new Error('parse: the schema does not implement Standard Schema (no validate function)');`,
      errors: [{ messageId: 'longMessage', data: { length: 75, maxLength: 60 } }],
    },
    { code: `${DECLARE}throw new Error('twenty-one characters');`, options: [{ maxLength: 20, allowFormatted: false }], errors: [{ messageId: 'longMessage', data: { length: 21, maxLength: 20 } }] },
    { code: `${DECLARE}const message = \`order \${orderId} not found\`;\nthrow new Error(message);`, errors: [{ messageId: 'formattedMessage', line: 4 }] },
    { code: `${DECLARE}export const p = Promise.reject(new TypeError(\`bad \${orderId}\`));`, errors: [{ messageId: 'formattedMessage' }] },
    { code: `${DECLARE}throw new AggregateError([], \`\${orderId} failed\`);`, errors: [{ messageId: 'formattedMessage' }] },
    { code: `${DECLARE}const error = new NotFound(\`no order \${orderId}\`);\nthrow error;`, errors: [{ messageId: 'formattedMessage', line: 3 }] },
  ]),
});

untypedTester.run('no-long-error-messages (no types)', noLongErrorMessages, {
  valid: [`throw new NotFound();`, `throw wrap(\`x \${y}\`);`],
  invalid: [
    { code: `throw new PaymentError(\`declined \${id}\`);`, errors: [{ messageId: 'formattedMessage' }] },
    { code: `throw TypeError(\`bad \${id}\`);`, errors: [{ messageId: 'formattedMessage' }] },
  ],
});

javascriptTester.run('no-long-error-messages (JavaScript)', noLongErrorMessages, {
  valid: [`throw new Error('ok');`],
  invalid: [{ code: 'throw new Error(`bad ${x}`);', errors: [{ messageId: 'formattedMessage' }] }],
});

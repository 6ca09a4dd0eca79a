import rule from '../../src/rules/log-error-object.ts';
import { asEslintRule, javascriptTester, typed, typedTester, untypedTester } from '../helpers/rule-tester.ts';

const logErrorObject = asEslintRule(rule);
const DECLARE = "import type { Logger } from 'pino';\nimport { createLogger } from 'faultline';\ndeclare const log: Logger;\ndeclare function work(): Promise<void>;\ndeclare const orderId: string;\n";
const wrap = (body: string, param = 'err'): string => `${DECLARE}export async function f() { try { await work(); } catch (${param}) { ${body} } }`;

typedTester.run('log-error-object (typed)', logErrorObject, {
  valid: typed([
    wrap(`log.error({ err }, 'charge failed');`),
    wrap(`log.error(err);`),
    wrap(`log.warn({ err, orderId }, 'charge failed');`),
    wrap(`log.error({ error: err }, 'charge failed');`, 'err'),
    wrap(`console.error('charge failed', err);`),
    // The error beside a field that repeats part of it is allowed.
    wrap(`log.error({ err, reason: (err as Error).message }, 'charge failed');`),
    // Not a logger: a string builder with an error method.
    `${DECLARE}declare const report: { error(text: string): void };\nexport async function f() { try { await work(); } catch (err) { report.error(String(err)); } }`,
    // A message from something other than the caught error.
    wrap(`log.error({ err }, \`charge \${orderId} failed\`);`),
    // Outside a catch the rule has no caught error to speak of.
    `${DECLARE}export function f(e: Error) { log.error(e.message); }`,
    // faultline's createLogger is a pino logger.
    `${DECLARE}const logger = createLogger();\nexport async function f() { try { await work(); } catch (err) { logger.error({ err }, 'x'); } }`,
  ]),
  invalid: typed([
    // The message alone: pino takes the message from the error itself.
    { code: wrap(`log.error((err as Error).message);`), output: wrap(`log.error(err);`), errors: [{ messageId: 'errorText' }] },
    { code: wrap(`log.error(String(err));`), output: wrap(`log.error(err);`), errors: [{ messageId: 'errorText' }] },
    // The error pasted at the end of a fixed message.
    { code: wrap('log.error(`charge failed: ${(err as Error).message}`);'), output: wrap(`log.error({ err }, 'charge failed');`), errors: [{ messageId: 'errorText' }] },
    { code: wrap('log.error(`charge ${orderId} failed - ${String(err)}`);'), output: wrap('log.error({ err }, `charge ${orderId} failed`);'), errors: [{ messageId: 'errorText' }] },
    { code: wrap(`log.warn('charge failed: ' + (err as Error).message);`), output: wrap(`log.warn({ err }, 'charge failed');`), errors: [{ messageId: 'errorText' }] },
    // With a merging object already there.
    { code: wrap('log.error({ orderId }, `charge failed: ${err}`);'), output: wrap(`log.error({ orderId, err }, 'charge failed');`), errors: [{ messageId: 'errorText' }] },
    // A binding with another name keeps pino's `err` key.
    { code: wrap('log.error(`failed: ${(error as Error).stack}`);', 'error'), output: wrap(`log.error({ err: error }, 'failed');`, 'error'), errors: [{ messageId: 'errorText' }] },
    // In the middle of the message: reported, not rewritten.
    { code: wrap('log.error(`charge failed (${String(err)}) for ${orderId}`);'), output: null, errors: [{ messageId: 'errorText' }] },
    // The common "message or string" idiom.
    { code: wrap(`log.error(err instanceof Error ? err.message : String(err));`), output: null, errors: [{ messageId: 'errorText' }] },
    // Through a constant.
    { code: wrap(`const reason = (err as Error).message; log.error({ orderId, reason }, 'charge failed');`), output: null, errors: [{ messageId: 'errorText', suggestions: [{ messageId: 'useErrorObject', output: wrap(`const reason = (err as Error).message; log.error({ orderId, err }, 'charge failed');`) }] }] },
    // A field holding the text: a suggestion, since the field name changes.
    {
      code: wrap(`log.warn({ error: (err as Error).message }, 'charge failed');`),
      output: null,
      errors: [{ messageId: 'errorText', suggestions: [{ messageId: 'useErrorObject', output: wrap(`log.warn({ err }, 'charge failed');`) }] }],
    },
    // TRY401: the error is there and its text is pasted into the message too.
    { code: wrap('log.error({ err }, `charge failed: ${(err as Error).message}`);'), output: wrap(`log.error({ err }, 'charge failed');`), errors: [{ messageId: 'redundantErrorText' }] },
    { code: wrap('log.error({ err }, `charge failed (${(err as Error).message}) again`);'), output: null, errors: [{ messageId: 'redundantErrorText' }] },
    // console.
    { code: wrap(`console.error((err as Error).message);`), output: wrap(`console.error(err);`), errors: [{ messageId: 'errorText' }] },
    { code: wrap(`console.error('charge failed', (err as Error).message);`), output: wrap(`console.error('charge failed', err);`), errors: [{ messageId: 'errorText' }] },
    { code: wrap('console.log(`charge failed: ${err}`);'), output: wrap(`console.log('charge failed', err);`), errors: [{ messageId: 'errorText' }] },
    // A rejection handler, and a nested callback in a catch.
    {
      code: `${DECLARE}export const p = work().catch((err: Error) => log.error(err.message));`,
      output: `${DECLARE}export const p = work().catch((err: Error) => log.error(err));`,
      errors: [{ messageId: 'errorText' }],
    },
    { code: wrap(`setImmediate(() => log.error(String(err)));`), output: wrap(`setImmediate(() => log.error(err));`), errors: [{ messageId: 'errorText' }] },
    // pino with a merging object and the whole message as error text: no fix (pino would log no message).
    { code: wrap(`log.error({ orderId }, (err as Error).message);`), output: null, errors: [{ messageId: 'errorText' }] },
  ]),
});

untypedTester.run('log-error-object (no types)', logErrorObject, {
  valid: [`try { work(); } catch (err) { logger.error({ err }, 'x'); }`, `try { work(); } catch (err) { catalog.error(err.message); }`],
  invalid: [
    // A logger known only by its name is rewritten only on request: its signature is a guess.
    {
      code: 'try { work(); } catch (err) { req.log.error(`failed: ${err.message}`); }',
      errors: [{ messageId: 'errorText', suggestions: [{ messageId: 'useErrorObject', output: "try { work(); } catch (err) { req.log.error({ err }, 'failed'); }" }] }],
    },
    { code: `try { work(); } catch (err) { console.warn(err.message); }`, output: `try { work(); } catch (err) { console.warn(err); }`, errors: [{ messageId: 'errorText' }] },
  ],
});

javascriptTester.run('log-error-object (JavaScript)', logErrorObject, {
  valid: [`try { f(); } catch (e) { log.error(e); }`],
  invalid: [{ code: `try { f(); } catch (e) { log.error(e.stack); }`, errors: [{ messageId: 'errorText', suggestions: [{ messageId: 'useErrorObject', output: `try { f(); } catch (e) { log.error(e); }` }] }] }],
});

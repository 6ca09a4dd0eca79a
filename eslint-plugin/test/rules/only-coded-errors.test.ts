import rule from '../../src/rules/only-coded-errors.ts';
import { asEslintRule, javascriptTester, typed, typedTester, untypedTester } from '../helpers/rule-tester.ts';

const onlyCodedErrors = asEslintRule(rule);
const IMPORTS = "import { AppError, defineError, NotFound, recordError } from 'faultline';\n";

typedTester.run('only-coded-errors (typed)', onlyCodedErrors, {
  valid: typed([
    // A class made by defineError, and AppError itself.
    `${IMPORTS}const CardDeclined = defineError({ code: 'CARD_DECLINED', category: 'validation' });\nthrow new CardDeclined();`,
    `${IMPORTS}throw new AppError('no', { code: 'NO', category: 'internal' });`,
    `${IMPORTS}export function find(id: string) { throw new NotFound(undefined, { details: { id } }); }`,
    // Any error with a stable code: a hand-written class, Object.assign, a factory returning one.
    `class GatewayError extends Error { readonly code = 'GATEWAY_DOWN'; }\nthrow new GatewayError('down');`,
    `throw Object.assign(new Error('refused'), { code: 'ECONNREFUSED' });`,
    `${IMPORTS}function notFound(id: string): AppError { return new NotFound(undefined, { details: { id } }); }\nthrow notFound('x');`,
    `class SystemError extends Error { code: string | undefined = undefined; }\nclass Refused extends SystemError {}\nthrow new Refused();`,
    // Rethrows pass on what was caught: the raise site is elsewhere.
    `try { work(); } catch (err) { throw err; }\ndeclare function work(): void;`,
    `try { work(); } catch (err) { if (err instanceof Error) throw err; }\ndeclare function work(): void;`,
    `export function fail(reason: unknown): never { throw reason; }`,
    `export async function f(signal: AbortSignal) { throw signal.reason; }`,
    `export function pass(err: Error) { return Promise.reject(err); }`,
    // Unknown or generic values cannot be judged.
    `export function raise<E>(error: E): never { throw error; }`,
    `declare const anything: any;\nthrow anything;`,
    // Allowed classes, and their subclasses.
    { code: `export function check(n: unknown) { if (typeof n !== 'number') throw new TypeError('n must be a number'); }`, options: [{ allow: ['TypeError'] }] },
    { code: `class ConfigError extends TypeError {}\nthrow new ConfigError('bad');`, options: [{ allow: ['TypeError'] }] },
    // A promise rejected with a coded error.
    `${IMPORTS}export const p = Promise.reject(new NotFound());`,
    `${IMPORTS}export const p = new Promise<void>((resolve, reject) => { reject(new NotFound()); });`,
    // Not the global Promise.
    `const Promise = { reject(value: unknown) { return value; } };\nPromise.reject(new Error('x'));`,
  ]),
  invalid: typed([
    { code: `throw new Error('charge failed');`, errors: [{ messageId: 'uncodedError', data: { name: 'Error' }, line: 1, column: 7 }] },
    { code: `export function check(n: unknown) { if (typeof n !== 'number') throw new TypeError('n must be a number'); }`, errors: [{ messageId: 'uncodedError', data: { name: 'TypeError' } }] },
    { code: `throw Error('called without new');`, errors: [{ messageId: 'uncodedError', data: { name: 'Error' } }] },
    { code: `throw 'charge failed';`, errors: [{ messageId: 'notAnError', data: { what: 'a string' } }] },
    { code: 'declare const id: string;\nthrow `order ${id} not found`;', errors: [{ messageId: 'notAnError', data: { what: 'a string' }, line: 2 }] },
    { code: `throw 42;`, errors: [{ messageId: 'notAnError', data: { what: 'a number' } }] },
    // A class of the app's own without a code.
    { code: `class PaymentError extends Error {}\nthrow new PaymentError('declined');`, errors: [{ messageId: 'uncodedError', data: { name: 'PaymentError' }, line: 2 }] },
    // Built first, raised later.
    { code: `const error = new RangeError('too big');\nthrow error;`, errors: [{ messageId: 'uncodedError', data: { name: 'RangeError' }, line: 1 }] },
    // One branch of a conditional.
    {
      code: `${IMPORTS}export function f(found: boolean) { throw found ? new NotFound() : new Error('other'); }`,
      errors: [{ messageId: 'uncodedError', data: { name: 'Error' }, line: 2 }],
    },
    // A factory that returns a plain Error is a raise site too.
    { code: `function failure(message: string): Error { return new Error(message); }\nthrow failure('x');`, errors: [{ messageId: 'uncodedError', data: { name: 'Error' }, line: 2 }] },
    // Rejections are raises.
    { code: `export const p = Promise.reject(new Error('x'));`, errors: [{ messageId: 'uncodedError' }] },
    { code: `export const p = new Promise<void>((resolve, reject) => { setTimeout(() => reject(new Error('late')), 10); });`, errors: [{ messageId: 'uncodedError' }] },
    // AggregateError has no code; allow lists do not reach unrelated classes.
    { code: `throw new AggregateError([], 'several');`, errors: [{ messageId: 'uncodedError', data: { name: 'AggregateError' } }], options: [{ allow: ['TypeError'] }] },
    // In a catch, a new plain error is still a raise site.
    { code: `try { JSON.parse('x'); } catch (err) { throw new Error('bad config', { cause: err }); }`, errors: [{ messageId: 'uncodedError' }] },
  ]),
});

untypedTester.run('only-coded-errors (no types)', onlyCodedErrors, {
  valid: [
    // Without types only what the syntax proves is reported.
    `import { NotFound } from 'faultline';\nthrow new NotFound();`,
    `class PaymentError extends Error {}\nthrow new PaymentError('declined');`,
    `try { work(); } catch (err) { throw err; }`,
    // A shadowed Error is not the global one.
    `import { Error } from './errors';\nthrow new Error('coded elsewhere');`,
    { code: `throw new TypeError('x');`, options: [{ allow: ['TypeError'] }] },
  ],
  invalid: [
    { code: `throw new Error('x');`, errors: [{ messageId: 'uncodedError', data: { name: 'Error' } }] },
    { code: `throw new TypeError('x');`, errors: [{ messageId: 'uncodedError', data: { name: 'TypeError' } }] },
    { code: `throw 'x';`, errors: [{ messageId: 'notAnError', data: { what: 'a string' } }] },
    { code: "throw 'order ' + id;", errors: [{ messageId: 'notAnError', data: { what: 'a string' } }] },
    { code: `Promise.reject(new Error('x'));`, errors: [{ messageId: 'uncodedError' }] },
  ],
});

javascriptTester.run('only-coded-errors (JavaScript)', onlyCodedErrors, {
  valid: [`throw new NotFound();`, `try { f(); } catch (e) { throw e; }`],
  invalid: [{ code: `throw new Error('x');`, errors: [{ messageId: 'uncodedError' }] }],
});

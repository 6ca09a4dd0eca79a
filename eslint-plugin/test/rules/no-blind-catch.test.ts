import rule from '../../src/rules/no-blind-catch.ts';
import { asEslintRule, javascriptTester, typed, typedTester, untypedTester } from '../helpers/rule-tester.ts';

const noBlindCatch = asEslintRule(rule);
const DECLARE = "import { hasCode, isCancellation, recordError } from 'faultline';\nimport type { Logger } from 'pino';\ndeclare const log: Logger;\ndeclare function work(): Promise<string>;\n";

typedTester.run('no-blind-catch (typed)', noBlindCatch, {
  valid: typed([
    // Rethrows.
    `${DECLARE}export async function f() { try { return await work(); } catch (err) { throw err; } }`,
    `${DECLARE}export async function f() { try { return await work(); } catch { throw new Error('failed'); } }`,
    // Records, logs, narrows, uses.
    `${DECLARE}export async function f() { try { return await work(); } catch (err) { recordError(err); return undefined; } }`,
    `${DECLARE}export async function f() { try { return await work(); } catch (err) { log.error({ err }, 'work failed'); return undefined; } }`,
    `${DECLARE}export async function f() { try { return await work(); } catch (err) { if (hasCode(err, 'NOT_FOUND')) return undefined; throw err; } }`,
    `${DECLARE}export async function f() { try { return await work(); } catch (err) { if (err instanceof SyntaxError) return undefined; throw err; } }`,
    `${DECLARE}export async function f() { try { return await work(); } catch (err) { return { ok: false as const, err }; } }`,
    // Rethrow through a helper that never returns.
    `${DECLARE}function failed(err: unknown, action: string): never { log.error({ err }, action); throw err; }\nexport async function f() { try { return await work(); } catch (err) { return failed(err, 'work'); } }`,
    `${DECLARE}function fail(): never { throw new Error('x'); }\nexport async function f() { try { return await work(); } catch { fail(); } }`,
    `${DECLARE}export async function f() { try { return await work(); } catch { process.exit(1); } }`,
    // A returned rejection propagates.
    `${DECLARE}export function f() { try { return work(); } catch { return Promise.reject(new Error('x')); } }`,
    // A destructured catch looks at the error's parts.
    `${DECLARE}export async function f() { try { return await work(); } catch ({ message }) { return String(message); } }`,
    // Promise chains: handlers that use or pass on the error.
    `${DECLARE}export const p = work().catch((err: unknown) => { recordError(err); return ''; });`,
    `${DECLARE}export const p = work().catch((err: unknown) => Promise.reject(err));`,
    `${DECLARE}export const p = work().then((value) => value, (err: unknown) => { throw err; });`,
    // Not a promise: a method that happens to be called catch.
    `const matcher = { catch(handler: () => void) { handler(); } };\nmatcher.catch(() => {});`,
    // A handler by reference cannot be judged here.
    `${DECLARE}declare function ignore(): void;\nexport const p = work().catch(ignore);`,
  ]),
  invalid: typed([
    // S110: try/except/pass.
    { code: `${DECLARE}export async function f() { try { await work(); } catch {} }`, errors: [{ messageId: 'blindCatch', line: 5 }] },
    { code: `${DECLARE}export async function f() { try { await work(); } catch (err) {} }`, errors: [{ messageId: 'blindCatch', line: 5 }] },
    // A comment is not handling.
    { code: `${DECLARE}export async function f() { try { await work(); } catch {\n  // best effort\n} }`, errors: [{ messageId: 'blindCatch', line: 5 }] },
    // BLE001: a fallback for every error, the error unread.
    { code: `${DECLARE}export async function f() { try { return await work(); } catch (_err) { return 'default'; } }`, errors: [{ messageId: 'blindCatch' }] },
    { code: `${DECLARE}export async function f() { try { return await work(); } catch { log.warn('work failed'); return undefined; } }`, errors: [{ messageId: 'blindCatch' }] },
    // S112: try/except/continue.
    { code: `${DECLARE}export async function f(items: string[]) { for (const item of items) { try { JSON.parse(item); } catch { continue; } } }`, errors: [{ messageId: 'blindCatch' }] },
    // A throw in a nested function does not rethrow from this catch.
    { code: `${DECLARE}export async function f() { try { await work(); } catch { setTimeout(() => { throw new Error('later'); }); } }`, errors: [{ messageId: 'blindCatch' }] },
    // A rejection that is created and dropped propagates nothing.
    { code: `${DECLARE}export async function f() { try { await work(); } catch { void Promise.reject(new Error('x')); } }`, errors: [{ messageId: 'blindCatch' }] },
    // Promise chains.
    { code: `${DECLARE}export const p = work().catch(() => undefined);`, errors: [{ messageId: 'blindHandler', line: 5, column: 31 }] },
    { code: `${DECLARE}export const p = work().then((v) => v).catch(() => {});`, errors: [{ messageId: 'blindHandler' }] },
    { code: `${DECLARE}export const p = work().then((v) => v, () => 'fallback');`, errors: [{ messageId: 'blindHandler' }] },
    // Nested: the inner catch is blind even though the outer one is not.
    {
      code: `${DECLARE}export async function f() { try { await work(); } catch (err) { try { await work(); } catch {} recordError(err); } }`,
      errors: [{ messageId: 'blindCatch' }],
    },
  ]),
});

untypedTester.run('no-blind-catch (no types)', noBlindCatch, {
  valid: [
    `try { work(); } catch (err) { log.error({ err }, 'failed'); }`,
    `promise.catch((err) => recordError(err));`,
    // Without types a never-returning helper cannot be seen; using the error is enough anyway.
    `try { work(); } catch (err) { failed(err); }`,
  ],
  invalid: [
    { code: `try { work(); } catch { fail(); }`, errors: [{ messageId: 'blindCatch' }] },
    { code: `promise.catch(() => null);`, errors: [{ messageId: 'blindHandler' }] },
  ],
});

javascriptTester.run('no-blind-catch (JavaScript)', noBlindCatch, {
  valid: [`try { f(); } catch (e) { throw e; }`],
  invalid: [{ code: `function g() { try { f(); } catch (e) { return; } }`, errors: [{ messageId: 'blindCatch' }] }],
});

import rule from '../../src/rules/no-swallowed-cancellation.ts';
import { asEslintRule, incident, javascriptTester, typed, typedTester, untypedTester } from '../helpers/rule-tester.ts';

const noSwallowedCancellation = asEslintRule(rule);
const DECLARE = [
  "import { AppError, Cancelled, hasCode, isCancellation, recordError, taskGroup } from 'faultline';",
  "import type { Logger } from 'pino';",
  'declare const log: Logger;',
  'declare const url: string;',
  'class HttpError extends Error { readonly code = "HTTP"; }',
  'declare function failed(err: unknown): never;',
  'declare const policy: { execute<T>(fn: (context: { signal: AbortSignal }) => Promise<T>): Promise<T> };',
  '',
].join('\n');
const LINE = DECLARE.split('\n').length;

typedTester.run('no-swallowed-cancellation (typed)', noSwallowedCancellation, {
  valid: typed([
    // A synchronous throw turned into the rejection the code goes on with (taskGroup's own start).
    `${DECLARE}export function f(signal: AbortSignal, task: (s: AbortSignal) => unknown) { let result: Promise<unknown>; try { result = Promise.resolve(task(signal)); } catch (err) { result = Promise.reject(err); } return result; }`,
    // The guard first, then the fallback.
    `${DECLARE}export async function f(signal: AbortSignal) { try { return await fetch(url, { signal }); } catch (err) { if (isCancellation(err)) throw err; log.warn({ err }, 'fetch failed'); return undefined; } }`,
    // Rethrow everything after recording it.
    `${DECLARE}export async function f(signal: AbortSignal) { try { return await fetch(url, { signal }); } catch (err) { recordError(err); throw err; } }`,
    // The fallback only for other failures.
    `${DECLARE}export async function f(signal: AbortSignal) { try { return await fetch(url, { signal }); } catch (err) { if (!isCancellation(err)) { return undefined; } throw err; } }`,
    // Narrowed catches: the branch that swallows names another failure.
    `${DECLARE}export async function f(signal: AbortSignal) { try { return await fetch(url, { signal }); } catch (err) { if (err instanceof HttpError) return undefined; throw err; } }`,
    `${DECLARE}export async function f(signal: AbortSignal) { try { return await fetch(url, { signal }); } catch (err) { if (hasCode(err, 'NOT_FOUND')) return undefined; throw err; } }`,
    `${DECLARE}export async function f(signal: AbortSignal) { try { return await fetch(url, { signal }); } catch (err) { if ((err as Error).name === 'AbortError') throw err; return undefined; } }`,
    `${DECLARE}export async function f(signal: AbortSignal) { try { return await fetch(url, { signal }); } catch (err) { if (err instanceof Cancelled) { throw err; } else { return undefined; } } }`,
    // Optional catch binding, with the signal asked instead.
    `${DECLARE}export async function f(signal: AbortSignal) { try { return await fetch(url, { signal }); } catch { if (signal.aborted) throw signal.reason; return undefined; } }`,
    `${DECLARE}export async function f(signal: AbortSignal) { try { return await fetch(url, { signal }); } catch { signal.throwIfAborted(); return undefined; } }`,
    // A guard at the end covers falling through.
    `${DECLARE}export async function f(signal: AbortSignal) { try { await fetch(url, { signal }); } catch (err) { log.warn({ err }, 'x'); if (isCancellation(err)) throw err; } }`,
    // Rethrow through a helper that never returns.
    `${DECLARE}export async function f(signal: AbortSignal) { try { return await fetch(url, { signal }); } catch (err) { return failed(err); } }`,
    // A translated error after the guard.
    `${DECLARE}export async function f(signal: AbortSignal) { try { return await fetch(url, { signal }); } catch (err) { if (isCancellation(err)) throw err; throw new HttpError('gateway', { cause: err }); } }`,
    // Promise chains.
    `${DECLARE}export const p = (signal: AbortSignal) => fetch(url, { signal }).catch((err: unknown) => (isCancellation(err) ? Promise.reject(err) : undefined));`,
    `${DECLARE}export const p = (signal: AbortSignal) => fetch(url, { signal }).catch((err: unknown) => { if (isCancellation(err)) throw err; return undefined; });`,
    // Nothing in the try block is handed a signal: no abort can arrive (no-blind-catch judges it).
    `${DECLARE}export async function f(signal: AbortSignal) { if (signal.aborted) return; try { return await fetch(url); } catch { return undefined; } }`,
    // Our own deadline: its abort is a timeout of this call, which the catch may translate.
    `${DECLARE}export async function f() { try { return await fetch(url, { signal: AbortSignal.timeout(1000) }); } catch (err) { throw new HttpError('gateway timeout', { cause: err }); } }`,
    `${DECLARE}export async function f() { const deadline = AbortSignal.timeout(1000); try { return await fetch(url, { signal: deadline }); } catch { return undefined; } }`,
    // Our own stop button.
    `${DECLARE}export async function f() { const stop = new AbortController(); setTimeout(() => stop.abort(), 10); try { return await fetch(url, { signal: stop.signal }); } catch { return undefined; } }`,
    // A variable named signal that is not an AbortSignal.
    `${DECLARE}export function stop(pid: number, signal: NodeJS.Signals) { try { process.kill(pid, signal); } catch { return false; } return true; }`,
    // A loop inside the catch: its break is not a way out of the catch.
    `${DECLARE}export async function f(signal: AbortSignal, items: string[]) { try { await fetch(url, { signal }); } catch (err) { for (const item of items) { if (item === '') break; } throw err; } }`,
    // Another configured check.
    {
      code: `${DECLARE}declare function isAbort(e: unknown): boolean;\nexport async function f(signal: AbortSignal) { try { return await fetch(url, { signal }); } catch (err) { if (isAbort(err)) throw err; return undefined; } }`,
      options: [{ cancellationChecks: ['isAbort'] }],
    },
  ]),
  invalid: typed([
    // A taskGroup task that logs the abort and carries on.
    incident('INC-1', 'a task kept running after its group was cancelled', {
      code: `${DECLARE}export const run = taskGroup(async (group) => {\n  await group.spawn(async (signal) => {\n    try { await fetch(url, { signal }); } catch (err) { log.warn({ err }, 'fetch failed'); }\n  });\n});`,
      errors: [{ messageId: 'swallowedCancellation', line: LINE + 2 }],
    }),
    // A retry loop: every attempt but the last swallows the abort and tries again.
    {
      code: `${DECLARE}export async function f(signal: AbortSignal) {\n  for (let attempt = 0; attempt < 3; attempt += 1) {\n    try { return await fetch(url, { signal }); } catch (err) { if (attempt === 2) throw err; }\n  }\n  return undefined;\n}`,
      errors: [{ messageId: 'swallowedCancellation', line: LINE + 2 }],
    },
    // Checking for a cancellation only to swallow it.
    { code: `${DECLARE}export async function f(signal: AbortSignal) { try { await fetch(url, { signal }); } catch (err) { if (isCancellation(err)) return; throw err; } }`, errors: [{ messageId: 'swallowedCancellation' }] },
    // Optional catch binding.
    { code: `${DECLARE}export async function f(signal: AbortSignal) { try { return await fetch(url, { signal }); } catch { return undefined; } }`, errors: [{ messageId: 'swallowedCancellation' }] },
    // AppError includes Cancelled.
    { code: `${DECLARE}export async function f(signal: AbortSignal) { try { return await fetch(url, { signal }); } catch (err) { if (err instanceof AppError) return undefined; throw err; } }`, errors: [{ messageId: 'swallowedCancellation' }] },
    // A translated error hides the cancellation.
    { code: `${DECLARE}export async function f(signal: AbortSignal) { try { return await fetch(url, { signal }); } catch (err) { throw new HttpError('gateway', { cause: err }); } }`, errors: [{ messageId: 'swallowedCancellation' }] },
    // A policy with a timeout hands its signal to the operation.
    { code: `${DECLARE}export async function f() { try { return await policy.execute(({ signal }) => fetch(url, { signal })); } catch (err) { recordError(err); return undefined; } }`, errors: [{ messageId: 'swallowedCancellation' }] },
    // A caller's signal combined with a deadline of our own, and a controller we were handed.
    { code: `${DECLARE}export async function f(signal: AbortSignal) { try { return await fetch(url, { signal: AbortSignal.any([signal, AbortSignal.timeout(1000)]) }); } catch (err) { recordError(err); return undefined; } }`, errors: [{ messageId: 'swallowedCancellation' }] },
    { code: `${DECLARE}export async function f(controller: AbortController) { try { return await fetch(url, { signal: controller.signal }); } catch (err) { recordError(err); return undefined; } finally { controller.abort(); } }`, errors: [{ messageId: 'swallowedCancellation' }] },
    // A promise chain.
    { code: `${DECLARE}export const p = (signal: AbortSignal) => fetch(url, { signal }).then((r) => r.json()).catch(() => null);`, errors: [{ messageId: 'swallowedCancellationHandler' }] },
    { code: `${DECLARE}export const p = (signal: AbortSignal) => fetch(url, { signal }).then((r) => r.json(), (err: unknown) => { recordError(err); });`, errors: [{ messageId: 'swallowedCancellationHandler' }] },
    // The group's own signal handed to a nested call.
    { code: `${DECLARE}export const run = taskGroup(async (group) => { try { await fetch(url, { signal: group.signal }); } catch (err) { recordError(err); } });`, errors: [{ messageId: 'swallowedCancellation' }] },
    // continue in a loop outside the catch.
    { code: `${DECLARE}export async function f(signal: AbortSignal, urls: string[]) { for (const u of urls) { try { await fetch(u, { signal }); } catch (err) { recordError(err); continue; } } }`, errors: [{ messageId: 'swallowedCancellation' }] },
  ]),
});

untypedTester.run('no-swallowed-cancellation (no types)', noSwallowedCancellation, {
  valid: [
    `async function f(signal) { try { return await fetch(url, { signal }); } catch (err) { if (isCancellation(err)) throw err; return undefined; } }`,
    `async function f() { try { return await fetch(url); } catch { return undefined; } }`,
    `fetch(url, { signal: AbortSignal.timeout(50) }).catch(() => null);`,
    `const controller = new AbortController();\nfetch(url, { signal: controller.signal }).catch(() => null);`,
  ],
  invalid: [
    { code: `async function f(signal) { try { return await fetch(url, { signal }); } catch { return undefined; } }`, errors: [{ messageId: 'swallowedCancellation' }] },
    // A taskGroup task's first parameter is its signal, whatever its name.
    { code: `group.spawn(async (stop) => { try { await work(stop); } catch (err) { log.warn({ err }); } });`, errors: [{ messageId: 'swallowedCancellation' }] },
    { code: `async function f(ctx) { try { await work(ctx.signal); } catch (err) { log.warn({ err }); } }`, errors: [{ messageId: 'swallowedCancellation' }] },
    { code: `fetch(url, { signal: AbortSignal.any([signal, AbortSignal.timeout(50)]) }).catch(() => null);`, errors: [{ messageId: 'swallowedCancellationHandler' }] },
  ],
});

javascriptTester.run('no-swallowed-cancellation (JavaScript)', noSwallowedCancellation, {
  valid: [`async function f(signal) { try { await fetch(u, { signal }); } catch (e) { if (e.name === 'AbortError') throw e; } }`],
  invalid: [{ code: `async function f(signal) { try { await fetch(u, { signal }); } catch (e) { console.error(e); } }`, errors: [{ messageId: 'swallowedCancellation' }] }],
});

import type { AsyncLocalStorage } from 'node:async_hooks';
import type { Context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';

/**
 * The SDK's AsyncLocalStorage context manager, plus `enterWith`.
 *
 * HTTP server spans come from `diagnostics_channel` events, which are published synchronously just
 * before the server emits 'request'. There is no callback to wrap, so the only way to make the span
 * active for the app's handler is to enter the context for the rest of that synchronous run.
 */
export class EnterableContextManager extends AsyncLocalStorageContextManager {
  enterWith(context: Context): void {
    const storage = (this as unknown as { _asyncLocalStorage?: AsyncLocalStorage<Context> })._asyncLocalStorage;
    storage?.enterWith(context);
  }
}

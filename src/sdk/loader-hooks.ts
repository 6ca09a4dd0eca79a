import module from 'node:module';
import { warnOnce } from '../warn.ts';

let registered = false;

/**
 * Registers import-in-the-middle's loader hooks for the given module names and waits until they are
 * active, so that ESM apps loaded after the preload are patched (a hook file alone instruments
 * nothing: opentelemetry-js #7034). Node versions with working synchronous hooks
 * (`module.registerHooks`) run them in-thread: no loader thread, no IPC per resolved module.
 */
export async function registerLoaderHooks(moduleNames: string[]): Promise<void> {
  if (registered || moduleNames.length === 0) return;
  registered = true;
  const include = [...new Set(moduleNames)];
  try {
    // This entry ships without type declarations; the specifier in a variable keeps tsc from resolving it.
    const syncHooksEntry = 'import-in-the-middle/supports-sync-hooks.mjs';
    const { supportsSyncHooks } = (await import(syncHooksEntry)) as { supportsSyncHooks: () => boolean };
    if (supportsSyncHooks()) {
      const { register } = await import('import-in-the-middle/register-hooks.mjs');
      register({ include });
      return;
    }
    const { createAddHookMessageChannel } = await import('import-in-the-middle');
    const { registerOptions, waitForAllMessagesAcknowledged } = createAddHookMessageChannel();
    // Only for Node versions whose module.registerHooks cannot run import-in-the-middle yet.
    // eslint-disable-next-line @typescript-eslint/no-deprecated
    module.register('import-in-the-middle/hook.mjs', import.meta.url, {
      ...registerOptions,
      data: { ...(registerOptions.data as object), include },
    });
    await waitForAllMessagesAcknowledged();
  } catch (error) {
    warnOnce('loader-hooks', `could not register ESM loader hooks (${error instanceof Error ? error.message : String(error)}); ESM imports of ${include.join(', ')} will not be instrumented`);
  }
}

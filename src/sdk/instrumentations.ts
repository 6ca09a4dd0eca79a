import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { warnOnce } from '../warn.ts';
import { registerLoaderHooks } from './loader-hooks.ts';

/**
 * Patching instrumentations (everything but HTTP and fetch, which come from diagnostics_channel).
 *
 * The curated defaults are `pg` and `express` (Express's error path only), shipped with faultline
 * and enabled only when the app can resolve the library. Any other name in OTEL_NODE_ENABLED_INSTRUMENTATIONS loads the app's own
 * `@opentelemetry/instrumentation-<name>` package, so users extend the set without faultline
 * shipping the metapackage.
 */

const BUNDLED: Record<string, () => Promise<Record<string, unknown>>> = {
  pg: () => import('@opentelemetry/instrumentation-pg'),
  // Not instrumentation-express: only Express's error path, recorded on the server span (no spans).
  express: () => import('../framework-errors/express-error-capture.ts'),
};

/** Names faultline instruments itself (the app need not install an instrumentation package). */
export const BUNDLED_INSTRUMENTATIONS: ReadonlySet<string> = new Set(Object.keys(BUNDLED));

/** Names handled by diagnostics_channel subscribers instead of an instrumentation package. */
export const CHANNEL_INSTRUMENTATIONS = new Set(['http', 'undici', 'fetch', 'fastify']);

function appRequire(): NodeJS.Require {
  const entry = process.argv[1];
  const base = entry !== undefined && entry !== '' ? path.resolve(entry) : path.join(process.cwd(), 'index.js');
  return createRequire(base);
}

function resolvableByApp(request: string): string | undefined {
  try {
    return appRequire().resolve(request);
  } catch { // eslint-disable-line faultline/no-blind-catch -- a module the app cannot resolve from its entry is tried from the working directory
    try {
      return createRequire(path.join(process.cwd(), 'index.js')).resolve(request);
    } catch { // eslint-disable-line faultline/no-blind-catch -- a module the app cannot resolve is not instrumented
      return undefined;
    }
  }
}

async function loadInstrumentationModule(name: string): Promise<Record<string, unknown> | undefined> {
  const bundled = BUNDLED[name];
  if (bundled !== undefined) {
    // The instrumented library itself must be the app's; without it there is nothing to patch.
    if (resolvableByApp(name) === undefined) return undefined;
    return bundled();
  }
  const packageName = `@opentelemetry/instrumentation-${name}`;
  const resolved = resolvableByApp(packageName);
  if (resolved === undefined) {
    warnOnce(`instrumentation:${name}`, `OTEL_NODE_ENABLED_INSTRUMENTATIONS names "${name}" but ${packageName} is not installed in the app; skipping it`);
    return undefined;
  }
  return (await import(pathToFileURL(resolved).href)) as Record<string, unknown>;
}

function instantiate(name: string, exports: Record<string, unknown>): Instrumentation | undefined {
  for (const [exportName, value] of Object.entries(exports)) {
    if (typeof value === 'function' && exportName.endsWith('Instrumentation')) {
      const InstrumentationClass = value as new (config: object) => Instrumentation;
      // Constructed disabled: loader hooks must know the module names before patching starts.
      return new InstrumentationClass({ enabled: false });
    }
  }
  warnOnce(`instrumentation:${name}`, `no Instrumentation class exported by the "${name}" instrumentation package; skipping it`);
  return undefined;
}

function moduleNames(instrumentation: Instrumentation): string[] {
  const definitions = (instrumentation as { getModuleDefinitions?: () => { name: string }[] }).getModuleDefinitions?.() ?? [];
  return definitions.map((definition) => definition.name);
}

export interface EnabledInstrumentations {
  names: string[];
  disable(): void;
}

export async function enablePatchingInstrumentations(names: string[]): Promise<EnabledInstrumentations> {
  const instrumentations: Instrumentation[] = [];
  const enabledNames: string[] = [];
  for (const name of names) {
    if (CHANNEL_INSTRUMENTATIONS.has(name)) continue;
    try {
      const exports = await loadInstrumentationModule(name);
      const instrumentation = exports === undefined ? undefined : instantiate(name, exports);
      if (instrumentation === undefined) continue;
      instrumentations.push(instrumentation);
      enabledNames.push(name);
    } catch (error) {
      warnOnce(`instrumentation:${name}`, `could not load the "${name}" instrumentation: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  if (instrumentations.length > 0) {
    // ESM apps are only patched through loader hooks, limited to the instrumented modules so that
    // the app's other modules are not wrapped.
    await registerLoaderHooks(instrumentations.flatMap(moduleNames));
    for (const instrumentation of instrumentations) {
      try {
        instrumentation.enable();
      } catch (error) {
        warnOnce(`instrumentation-enable:${instrumentation.instrumentationName}`, `could not enable ${instrumentation.instrumentationName}: ${String(error)}`);
      }
    }
  }
  return {
    names: enabledNames,
    disable() {
      for (const instrumentation of instrumentations) instrumentation.disable();
    },
  };
}

import { createRequire } from 'node:module';
import path from 'node:path';
import type { FaultlineConfig } from '../config.ts';
import { BUNDLED_INSTRUMENTATIONS, CHANNEL_INSTRUMENTATIONS } from '../sdk/instrumentations.ts';
import type { RunningTelemetry } from '../sdk/start.ts';
import type { Check } from './doctor.ts';
import type { ModuleObserver } from './module-observer.ts';
import { isFaultlineRegister, preloadFlags, words, type PreloadFlag } from './start-command.ts';

/** How faultline came to start in this process. */
export type StartOrigin = 'preload' | 'start()';

/** What was already loaded when faultline started, taken before it registers its loader hooks. */
export interface StartFacts {
  origin: StartOrigin;
  /** The `--import faultline/register` among node's arguments or NODE_OPTIONS, if any. */
  flag: PreloadFlag | undefined;
  /** Packages in the CommonJS cache at that moment, by name (ES modules leave no such trace). */
  loadedBefore: Map<string, string>;
  entry: string | undefined;
}

const requireCache = createRequire(import.meta.url).cache;

/** `…/node_modules/@scope/name/…` → `@scope/name`, the innermost package a file belongs to. */
export function packageNameOf(file: string): string | undefined {
  const match = /[\\/]node_modules[\\/]((?:@[^\\/]+[\\/])?[^\\/]+)[\\/](?!.*[\\/]node_modules[\\/])/.exec(file);
  return match?.[1]?.replace('\\', '/');
}

/** Packages in the CommonJS module cache, each with one of its files. */
export function cachedPackages(): Map<string, string> {
  const packages = new Map<string, string>();
  for (const file of Object.keys(requireCache)) {
    const name = packageNameOf(file);
    if (name !== undefined && !packages.has(name)) packages.set(name, file);
  }
  return packages;
}

export function takeStartFacts(origin: StartOrigin): StartFacts {
  const flags = [...preloadFlags(process.execArgv), ...preloadFlags(words(process.env.NODE_OPTIONS ?? ''))];
  const entry = process.argv[1];
  return {
    origin,
    flag: flags.find((flag) => flag.flag === '--import' && isFaultlineRegister(flag.value)),
    loadedBefore: cachedPackages(),
    entry: entry === undefined || entry === '' ? undefined : path.resolve(entry),
  };
}

function entryName(facts: StartFacts): string {
  return facts.entry === undefined ? 'app.js' : path.relative(process.cwd(), facts.entry) || facts.entry;
}

/** Did faultline start before the app's own modules? */
export function preloadCheck(facts: StartFacts): Check {
  const fix = `start the app with node --import faultline/register ${entryName(facts)}`;
  const data = { origin: facts.origin, flag: facts.flag };
  if (facts.origin === 'preload' && facts.flag !== undefined) {
    return { id: 'preload', status: 'pass', summary: `faultline/register ran from --import ${facts.flag.value}, before the app's modules`, data };
  }
  if (facts.origin === 'preload') {
    return { id: 'preload', status: 'warn', summary: "faultline/register was imported by the app's code, not preloaded: what the entry imports loads before it", fix, data };
  }
  return { id: 'preload', status: 'warn', summary: "faultline was started by start() from the app's code: modules imported before that call are not instrumented", fix, data };
}

/** Patching instrumentations the configuration asks for (HTTP and fetch come from diagnostics_channel). */
export function patchingNames(config: FaultlineConfig): string[] {
  return config.enabledInstrumentations.filter((name) => !CHANNEL_INSTRUMENTATIONS.has(name) && !config.disabledInstrumentations.includes(name));
}

/** Was each module that needs a loader hook loaded after the hook was in place? */
export function instrumentedModuleChecks(facts: StartFacts, config: FaultlineConfig, running: RunningTelemetry | undefined, observer: ModuleObserver | undefined): Check[] {
  if (config.disabled || running === undefined) return [{ id: 'load-order', status: 'skip', summary: "faultline's SDK is not running: nothing is instrumented" }];
  const names = patchingNames(config);
  if (names.length === 0) return [{ id: 'load-order', status: 'pass', summary: 'no patching instrumentation enabled (HTTP and fetch spans come from diagnostics_channel and need no hook)' }];
  const loadedNow = cachedPackages();
  return names.map((name): Check => {
    const id = `load-order:${name}`;
    const before = facts.loadedBefore.get(name);
    if (before !== undefined) {
      const fix =
        facts.origin === 'start()'
          ? `start the app with node --import faultline/register ${entryName(facts)} (an ES module's imports all load before its code runs)`
          : `put --import faultline/register before any other --import or --require that loads ${name}`;
      return { id, status: 'fail', summary: `${name} was loaded before faultline started (from ${path.relative(process.cwd(), before)}), so the loader hook missed it: ${name} calls make no spans`, fix, data: { name, loadedFrom: before } };
    }
    if (running.instrumentations.includes(name)) {
      const loaded = loadedNow.has(name) || (observer?.of(name).length ?? 0) > 0;
      return { id, status: 'pass', summary: loaded ? `${name} loaded after the hook was in place: instrumented` : `${name} not loaded yet: it is instrumented when it loads`, data: { name, loaded } };
    }
    if (BUNDLED_INSTRUMENTATIONS.has(name)) return { id, status: 'info', summary: `${name} is not installed in the app: nothing to instrument`, data: { name } };
    return {
      id,
      status: 'fail',
      summary: `OTEL_NODE_ENABLED_INSTRUMENTATIONS names ${name}, but no instrumentation for it could be enabled (see the faultline: line above)`,
      fix: `npm install @opentelemetry/instrumentation-${name}, or remove ${name} from OTEL_NODE_ENABLED_INSTRUMENTATIONS`,
      data: { name },
    };
  });
}

import type { Counter } from '@opentelemetry/api';
import { loadConfig, type FaultlineConfig } from './config.ts';

/**
 * What a running faultline shares with every copy of itself in the process.
 *
 * An app can end up with two copies of faultline (the preload's and a nested dependency's). The
 * state lives on a `Symbol.for` key so both record through the same counter, caps and settings.
 */
export interface Runtime {
  config: FaultlineConfig;
  started: boolean;
  /** `app.errors`; undefined until the SDK has a meter provider, so recording stays a no-op. */
  errorCounter: Counter | undefined;
  /** Distinct `error.type` values seen so far, for the cardinality cap. */
  errorTypes: Set<string>;
  /**
   * Flush hooks of components outside the SDK (the log worker); the lifecycle awaits them and
   * passes the time they have, so that nothing waits past the shutdown deadline.
   */
  flushHooks: Set<(timeoutMs: number) => Promise<void>>;
  /**
   * What each component hands to the export worker at exit, synchronously (the `exit` event runs
   * no asynchronous code): open spans ended, queued spans, metric points, buffered log lines.
   */
  exitHandOffs: Set<() => void>;
  /** Errors already recorded, so a boundary and a logger that see the same error count it once. */
  recorded: WeakSet<object>;
}

const RUNTIME_KEY = Symbol.for('faultline.runtime.v1');

type GlobalWithRuntime = typeof globalThis & { [RUNTIME_KEY]?: Runtime };

export function getRuntime(): Runtime {
  const holder = globalThis as GlobalWithRuntime;
  let runtime = holder[RUNTIME_KEY];
  if (runtime === undefined) {
    runtime = {
      config: loadConfig(),
      started: false,
      errorCounter: undefined,
      errorTypes: new Set(),
      flushHooks: new Set(),
      exitHandOffs: new Set(),
      recorded: new WeakSet(),
    };
    holder[RUNTIME_KEY] = runtime;
  }
  return runtime;
}

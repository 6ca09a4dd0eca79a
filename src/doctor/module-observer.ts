import module from 'node:module';

/** One resolution of a watched package by name: what asked for it, and where it went. */
export interface Resolution {
  specifier: string;
  url: string;
  parentURL: string | undefined;
}

/** Packages whose copies, SDKs and log senders the in-app report is about. */
const WATCHED = [
  '@opentelemetry/api',
  'faultline',
  'pino-opentelemetry-transport',
  '@opentelemetry/instrumentation-pino',
  '@opentelemetry/sdk-node',
  '@opentelemetry/sdk-trace-node',
  '@opentelemetry/sdk-trace-base',
  '@opentelemetry/auto-instrumentations-node',
];

const MAX_RESOLUTIONS = 500;

/**
 * Watches the app's module resolution from the moment the doctor starts (both `import` and
 * `require`, `require.resolve` included, through `module.registerHooks`): which copy of a watched
 * package each bare specifier resolved to, and when the loader was last busy. It records and passes
 * every resolution through unchanged; a failing resolution is the app's and propagates as it would.
 */
export class ModuleObserver {
  readonly resolutions: Resolution[] = [];
  /** `performance.now()` of the last resolution of any module: start-up is still going on. */
  lastResolveAt = 0;
  readonly #watched: string[];
  #hooks: module.ModuleHooks | undefined;

  constructor(extraNames: readonly string[] = []) {
    this.#watched = [...WATCHED, ...extraNames];
  }

  /** False where Node has no synchronous hooks (before 22.15): the report then says what it cannot see. */
  start(): boolean {
    if (typeof module.registerHooks !== 'function') return false;
    this.#hooks = module.registerHooks({
      resolve: (specifier, context, nextResolve) => {
        const resolved = nextResolve(specifier, context);
        try {
          this.lastResolveAt = performance.now();
          if (this.resolutions.length < MAX_RESOLUTIONS && this.#isWatched(specifier)) {
            this.resolutions.push({ specifier, url: resolved.url, parentURL: context.parentURL });
          }
        } catch { // eslint-disable-line faultline/no-blind-catch -- observing must never change the app's module loading
        }
        return resolved;
      },
    });
    return true;
  }

  stop(): void {
    this.#hooks?.deregister();
    this.#hooks = undefined;
  }

  #isWatched(specifier: string): boolean {
    for (const name of this.#watched) {
      if (specifier === name || (specifier.startsWith(name) && specifier[name.length] === '/')) return true;
    }
    return false;
  }

  /** Resolutions of `name` or its subpaths. */
  of(name: string): Resolution[] {
    return this.resolutions.filter((resolution) => resolution.specifier === name || resolution.specifier.startsWith(`${name}/`));
  }
}

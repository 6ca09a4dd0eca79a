import diagnostics from 'node:diagnostics_channel';
import { createRequire } from 'node:module';
import { isMainThread } from 'node:worker_threads';
import type { Signal } from '../config.ts';
import { SDK_DIAGNOSTICS_CHANNEL } from '../sdk/sdk-diagnostics.ts';
import { warn } from '../warn.ts';
import type { ProbeOutcome } from './endpoint.ts';
import { takeStartFacts, type StartFacts, type StartOrigin } from './load-order.ts';
import { ModuleObserver } from './module-observer.ts';

/**
 * `FAULTLINE_DOCTOR=1`: the doctor's report from inside the running app, printed once on stderr.
 *
 * Started by the preload (or by `start()`) before the app's modules load, it only watches during
 * start-up: what the app resolves, which pino loggers write, what the SDK's diagnostics say. Once
 * start-up has gone quiet (1 s after start at the earliest, 10 s at the latest) it loads the rest
 * of its code, checks the endpoints and prints; an app that ends first gets the report at exit,
 * without the endpoint checks. Its timers and sockets are unref'd: it never keeps the process alive.
 */

const FIRST_LOOK_MS = 1000;
/** Start-up is still going on while modules resolve: wait for this long without one. */
const QUIET_MS = 250;
const LATEST_MS = 10_000;
const IN_APP_PROBE_TIMEOUT_MS = 5000;
const MAX_LOGGERS = 64;

const PINO_CHANNEL = 'tracing:pino_asJson:start';

/** What the report is made from; collected from the start, read when the report is due. */
export interface InAppState {
  startedAt: number;
  facts: StartFacts;
  observer: ModuleObserver | undefined;
  loggers: Set<object>;
  diagnostics: string[];
  outcomes: Map<Signal, ProbeOutcome>;
  /** Signals whose endpoint check was started, with when. */
  probing: Map<Signal, number>;
}

type ReportModule = typeof import('./in-app-report.ts');

/**
 * The report's code, loaded synchronously (require of an ES module) for an app that exits before
 * the report was due: an `exit` listener cannot wait for an import.
 */
function loadReportNow(): ReportModule {
  const extension = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  return createRequire(import.meta.url)(`./in-app-report${extension}`) as ReportModule;
}

// Once per process, whichever copy of faultline gets there first.
const BEGUN = Symbol.for('faultline.doctor.v1');

type DoctorHolder = typeof globalThis & { [BEGUN]?: InAppDoctor | null };

/**
 * Starts the in-app doctor once per process (the preload and start() both call it), before
 * faultline starts: what is loaded by then was loaded before faultline. Never throws.
 */
export function beginInAppDoctor(origin: StartOrigin): void {
  const holder = globalThis as DoctorHolder;
  if (holder[BEGUN] !== undefined || !isMainThread) return;
  holder[BEGUN] = null;
  try {
    const doctor = new InAppDoctor(origin);
    doctor.begin();
    holder[BEGUN] = doctor;
  } catch (error) {
    warn(`doctor could not start: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/**
 * Starts watching module resolution, once faultline's own modules are loaded: the hook would
 * otherwise sit in the way of the SDK's ~250 modules (about 7% more CPU before the app's first
 * line), and what the doctor wants to see is the app's.
 */
export function watchAppModules(): void {
  try {
    (globalThis as DoctorHolder)[BEGUN]?.watch();
  } catch { // eslint-disable-line faultline/no-blind-catch -- without the watch the report says what it could not see
  }
}

class InAppDoctor {
  readonly #state: InAppState;
  #report: ReportModule | undefined;
  #printed = false;
  /** Set once faultline has started: until then, the report is not due (a slow start is still start-up). */
  #watching = false;

  constructor(origin: StartOrigin) {
    this.#state = {
      startedAt: performance.now(),
      facts: takeStartFacts(origin),
      observer: undefined,
      loggers: new Set(),
      diagnostics: [],
      outcomes: new Map(),
      probing: new Map(),
    };
  }

  begin(): void {
    diagnostics.subscribe(PINO_CHANNEL, this.#onLogLine);
    diagnostics.subscribe(SDK_DIAGNOSTICS_CHANNEL, this.#onDiagnostic);
    process.on('exit', this.#onExit);
    setTimeout(this.#due, FIRST_LOOK_MS).unref();
  }

  watch(): void {
    if (this.#watching || this.#printed) return;
    this.#watching = true;
    const observer = new ModuleObserver();
    if (observer.start()) this.#state.observer = observer;
  }

  readonly #onLogLine = (message: unknown): void => {
    try {
      const instance = (message as { instance?: unknown }).instance;
      if (typeof instance === 'object' && instance !== null && this.#state.loggers.size < MAX_LOGGERS) this.#state.loggers.add(instance);
    } catch { // eslint-disable-line faultline/no-blind-catch -- a subscriber that throws would surface in the app's logging call
    }
  };

  readonly #onDiagnostic = (message: unknown): void => {
    if (typeof message === 'string' && this.#state.diagnostics.length < 50) this.#state.diagnostics.push(message);
  };

  readonly #due = (): void => {
    const now = performance.now();
    const loading = !this.#watching || (this.#state.observer !== undefined && now - this.#state.observer.lastResolveAt < QUIET_MS);
    if (loading && now - this.#state.startedAt < LATEST_MS) {
      setTimeout(this.#due, QUIET_MS).unref();
      return;
    }
    void this.#finish();
  };

  async #finish(): Promise<void> {
    try {
      const report = await import('./in-app-report.ts');
      this.#report = report;
      await report.prepare(this.#state, IN_APP_PROBE_TIMEOUT_MS);
      if (this.#printed) return;
      const text = await report.fullReport(this.#state);
      this.#print(text);
    } catch (error) {
      warn(`doctor could not finish its report: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  /** The app is ending before the report was due: print what can be known now, synchronously. */
  readonly #onExit = (): void => {
    if (this.#printed) return;
    try {
      this.#print((this.#report ?? loadReportNow()).reportAtExit(this.#state));
    } catch (error) {
      const elapsed = Math.round(performance.now() - this.#state.startedAt);
      this.#print(`faultline doctor: the app exited ${elapsed} ms after start-up, and the report could not be made (${error instanceof Error ? error.message : String(error)}); run npx faultline doctor\n`);
    }
  };

  #print(text: string): void {
    this.#printed = true;
    this.#state.observer?.stop();
    diagnostics.unsubscribe(PINO_CHANNEL, this.#onLogLine);
    diagnostics.unsubscribe(SDK_DIAGNOSTICS_CHANNEL, this.#onDiagnostic);
    process.off('exit', this.#onExit);
    this.#state.loggers.clear();
    try {
      process.stderr.write(text);
    } catch { // eslint-disable-line faultline/no-blind-catch -- stderr closed: nothing left to tell
    }
  }
}

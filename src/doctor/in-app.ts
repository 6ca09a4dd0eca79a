import diagnostics from 'node:diagnostics_channel';
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
 * Started by the preload (or by `start()`) before the app's modules load, it watches what the app
 * resolves, which pino loggers write and what the SDK's diagnostics say; the report follows once
 * start-up has gone quiet (1 s after start at the earliest, 10 s at the latest), or at exit if the
 * app ends first. Its timers and sockets are unref'd: it never keeps the process alive, and what it
 * needs beyond the watching is loaded after start-up.
 */

const FIRST_LOOK_MS = 1000;
/** Start-up is still going on while modules resolve: wait for this long without one. */
const QUIET_MS = 250;
const LATEST_MS = 10_000;
/** The endpoint checks start early, so that a short-lived app still gets their results. */
const PROBE_AFTER_MS = 50;
export const IN_APP_PROBE_TIMEOUT_MS = 5000;
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

// Once per process, whichever copy of faultline gets there first.
const BEGUN = Symbol.for('faultline.doctor.v1');

/** Starts the in-app doctor once per process (the preload and start() both call it). Never throws. */
export function beginInAppDoctor(origin: StartOrigin): void {
  const holder = globalThis as typeof globalThis & { [BEGUN]?: boolean };
  if (holder[BEGUN] === true || !isMainThread) return;
  holder[BEGUN] = true;
  try {
    new InAppDoctor(origin).begin();
  } catch (error) {
    warn(`doctor could not start: ${error instanceof Error ? error.message : String(error)}`);
  }
}

class InAppDoctor {
  readonly #state: InAppState;
  #report: ReportModule | undefined;
  #probes: Promise<void> = Promise.resolve();
  #printed = false;

  constructor(origin: StartOrigin) {
    const observer = new ModuleObserver();
    this.#state = {
      startedAt: performance.now(),
      facts: takeStartFacts(origin),
      observer: observer.start() ? observer : undefined,
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
    setTimeout(this.#prepare, PROBE_AFTER_MS).unref();
    setTimeout(this.#due, FIRST_LOOK_MS).unref();
  }

  readonly #onLogLine = (message: unknown): void => {
    try {
      const instance = (message as { instance?: unknown }).instance;
      if (typeof instance === 'object' && instance !== null && this.#state.loggers.size < MAX_LOGGERS) this.#state.loggers.add(instance);
    } catch {
      // A subscriber that throws would surface in the app's logging call.
    }
  };

  readonly #onDiagnostic = (message: unknown): void => {
    if (typeof message === 'string' && this.#state.diagnostics.length < 50) this.#state.diagnostics.push(message);
  };

  /** Loads the report's code and starts the endpoint checks, off the start-up path. */
  readonly #prepare = (): void => {
    this.#probes = import('./in-app-report.ts').then(
      async (report) => {
        this.#report = report;
        await report.prepare(this.#state, IN_APP_PROBE_TIMEOUT_MS);
      },
      (error: unknown) => {
        warn(`doctor could not load its report: ${error instanceof Error ? error.message : String(error)}`);
      },
    );
  };

  readonly #due = (): void => {
    const now = performance.now();
    const loading = this.#state.observer !== undefined && now - this.#state.observer.lastResolveAt < QUIET_MS;
    if (loading && now - this.#state.startedAt < LATEST_MS) {
      setTimeout(this.#due, QUIET_MS).unref();
      return;
    }
    void this.#finish();
  };

  async #finish(): Promise<void> {
    try {
      await this.#probes;
      const report = this.#report;
      if (report === undefined || this.#printed) return;
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
      const elapsed = Math.round(performance.now() - this.#state.startedAt);
      this.#print(this.#report?.reportAtExit(this.#state) ?? `faultline doctor: the app exited ${elapsed} ms after start-up, before the report could be made; run it for longer, or run npx faultline doctor\n`);
    } catch {
      // Nothing may fail inside the app's exit.
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
    } catch {
      // stderr closed: nothing left to tell.
    }
  }
}

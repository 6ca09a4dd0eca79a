import { trace, type Span } from '@opentelemetry/api';
import { inspect } from 'node:util';
import { recordError } from './errors/record-error.ts';
import { printFatalError } from './fatal-error-output.ts';
import { flush } from './sdk/start.ts';
import { beginShutdown, exportBudgetMs, spoolReserveMs, teardownReserveMs } from './export/shutdown-deadline.ts';
import { runningExportWorker } from './export/export-worker-instance.ts';
import { getRuntime } from './runtime.ts';
import { warn } from './warn.ts';

/**
 * Process handlers that make a crash, a signal or a normal exit lose nothing.
 *
 * The SDK installs no handlers and its timers are unref'd, so by default a crash or SIGTERM drops
 * every buffered span. Here every path records what it knows, flushes within one deadline
 * (FAULTLINE_SHUTDOWN_TIMEOUT_MS) and then ends the process the way Node would have.
 */

const SIGNAL_EXIT_CODES = { SIGTERM: 143, SIGINT: 130 } as const;
type HandledSignal = keyof typeof SIGNAL_EXIT_CODES;

let installed = false;
let exiting = false;

function otherListeners(event: string | symbol, own: (...args: never[]) => void): number {
  return process.listeners(event as 'exit').filter((listener) => listener !== own).length;
}

/** Records a fatal error on the active span (ending it) or on a span of its own. */
function recordFatal(error: unknown, spanName: string): void {
  try {
    const active = trace.getActiveSpan();
    const span: Span = active?.isRecording() === true ? active : trace.getTracer('faultline').startSpan(spanName);
    recordError(error, { span, handled: false });
    span.end();
  } catch { // eslint-disable-line faultline/no-blind-catch -- recording must never turn one crash into two
  }
}

/**
 * The flush gets the deadline less the reserves (shutdown-deadline.ts), so that spooling what is
 * left, printing the error, the `exit` handlers and the process teardown also fit inside
 * FAULTLINE_SHUTDOWN_TIMEOUT_MS. Starting this ending starts the shutdown clock.
 */
function flushThen(exit: () => void): void {
  if (exiting) return;
  exiting = true;
  const config = getRuntime().config;
  const deadline = beginShutdown(config.shutdownTimeoutMs, config.spoolDir !== undefined);
  runningExportWorker()?.announceShutdown(deadline.spoolAt);
  flush(exportBudgetMs(deadline))
    .catch(() => 'failed') // eslint-disable-line faultline/no-blind-catch -- a failed flush still exits: the crash is what is being reported
    .then(exit, exit);
}

/** The same budget for a flush that does not end the process (the app handles the signal itself). */
function flushBudget(): number {
  const { shutdownTimeoutMs, spoolDir } = getRuntime().config;
  return Math.max(0, shutdownTimeoutMs - teardownReserveMs(shutdownTimeoutMs) - (spoolDir === undefined ? 0 : spoolReserveMs(shutdownTimeoutMs)));
}

/**
 * Prints a fatal error the way Node does and exits with 1: the source line of the top stack frame
 * with a caret, the inspected error, the Node version. Node computes that excerpt from the error's
 * structured stack, which V8 discards once `.stack` has been read (recording reads it), so handing
 * the error back to Node would print an excerpt of Node's internals instead. Node points the caret
 * where the error was created, as this does: the output is Node's, byte for byte (tested against a
 * plain run for thrown, rethrown and rejected errors). Anything we cannot reproduce goes back to Node.
 */
function dieAsNodeWould(error: unknown, fromPromise: boolean): void {
  process.removeListener('uncaughtException', onUncaughtException);
  const printed = printFatalError(error);
  if (printed) {
    process.exit(1);
  }
  if (fromPromise || (typeof error === 'object' && error !== null)) {
    // Re-raising the app's own rejection value, whatever it is, is the point here.
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
    void Promise.reject(error);
    return;
  }
  process.stderr.write(`Uncaught ${inspect(error)}\n\nNode.js ${process.version}\n`);
  process.exit(1);
}

/**
 * Both uncaught exceptions and, in Node's default `throw` mode, unhandled rejections arrive here:
 * we never listen to 'unhandledRejection' while the app does not, because any listener there
 * turns Node's crash into a silent continue.
 */
function onUncaughtException(error: unknown, origin: string): void {
  const fromPromise = origin === 'unhandledRejection';
  recordFatal(error, fromPromise ? 'unhandled rejection' : 'uncaught exception');
  if (otherListeners('uncaughtException', onUncaughtException) > 0) return; // the app decides
  process.exitCode = 1;
  flushThen(() => {
    dieAsNodeWould(error, fromPromise);
  });
}

/** Runs beside the app's own 'unhandledRejection' handlers: records, and leaves the decision to them. */
function recordHandledRejection(reason: unknown): void {
  recordFatal(reason, 'unhandled rejection');
}

/** Follows the app's 'unhandledRejection' listeners: ours is there exactly while at least one of theirs is. */
function trackRejectionListeners(event: string | symbol, listener: unknown): void {
  if (event !== 'unhandledRejection' || listener === recordHandledRejection) return;
  queueMicrotask(() => {
    const theirs = otherListeners('unhandledRejection', recordHandledRejection);
    const ours = process.listeners('unhandledRejection').includes(recordHandledRejection);
    if (theirs > 0 && !ours) process.prependListener('unhandledRejection', recordHandledRejection);
    if (theirs === 0 && ours) process.removeListener('unhandledRejection', recordHandledRejection);
  });
}

function onSignal(signal: HandledSignal): void {
  if (otherListeners(signal, signalHandlers[signal]) > 0) {
    // The app shuts itself down; flushing now means its later process.exit() loses less.
    void flush(flushBudget());
    return;
  }
  if (exiting) {
    // A second Ctrl-C while flushing: the user wants out now.
    process.exit(SIGNAL_EXIT_CODES[signal]);
  }
  flushThen(() => {
    process.exit(SIGNAL_EXIT_CODES[signal]);
  });
}

const signalHandlers: Record<HandledSignal, () => void> = {
  SIGTERM: () => {
    onSignal('SIGTERM');
  },
  SIGINT: () => {
    onSignal('SIGINT');
  },
};

function onBeforeExit(): void {
  // The loop drained: flush, then exit even if a dead collector's retry timers would keep it alive.
  flushThen(() => {
    process.exit();
  });
}

/** Installs the process handlers once; `FAULTLINE_HANDLE_PROCESS_EVENTS=false` leaves the process alone. */
export function installLifecycle(): void {
  if (installed) return;
  installed = true;
  if (!getRuntime().config.handleProcessEvents) return;
  try {
    process.on('uncaughtException', onUncaughtException);
    process.on('newListener', trackRejectionListeners);
    process.on('removeListener', trackRejectionListeners);
    process.on('SIGTERM', signalHandlers.SIGTERM);
    process.on('SIGINT', signalHandlers.SIGINT);
    process.on('beforeExit', onBeforeExit);
  } catch (error) {
    warn(`could not install process handlers: ${String(error)}`);
  }
}

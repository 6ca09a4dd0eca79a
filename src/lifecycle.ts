import { trace, type Span } from '@opentelemetry/api';
import { inspect } from 'node:util';
import { recordError } from './errors/record-error.ts';
import { flush } from './sdk/start.ts';
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

/** Node's `--unhandled-rejections` mode, from the command line or NODE_OPTIONS. */
function unhandledRejectionsMode(): string {
  const flags = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
  for (const flag of flags) {
    const match = /^--unhandled-rejections=(\S+)$/.exec(flag);
    if (match?.[1] !== undefined) return match[1];
  }
  return 'throw';
}

/** Records a fatal error on the active span (ending it) or on a span of its own. */
function recordFatal(error: unknown, spanName: string): void {
  try {
    const active = trace.getActiveSpan();
    const span: Span = active?.isRecording() === true ? active : trace.getTracer('faultline').startSpan(spanName);
    recordError(error, { span, handled: false });
    span.end();
  } catch {
    // Recording must never turn one crash into two.
  }
}

function flushThen(exit: () => void): void {
  if (exiting) return;
  exiting = true;
  flush()
    .catch(() => 'failed')
    .then(exit, exit);
}

function removeHandlers(): void {
  process.removeListener('uncaughtException', onUncaughtException);
  process.removeListener('unhandledRejection', onUnhandledRejection);
}

/**
 * Hands the error back to Node so that it prints and exits exactly as without faultline. A rejected
 * promise with no handler left is Node's own fatal path for objects; primitives thrown synchronously
 * are printed the way Node prints them.
 */
function dieAsNodeWould(error: unknown, origin: 'uncaughtException' | 'unhandledRejection'): void {
  removeHandlers();
  if (origin === 'unhandledRejection' || (typeof error === 'object' && error !== null && process.listenerCount('unhandledRejection') === 0)) {
    void Promise.reject(error as Error);
    return;
  }
  process.stderr.write(`Uncaught ${inspect(error)}\n\nNode.js ${process.version}\n`);
  process.exit(1);
}

function onUncaughtException(error: unknown, origin: string): void {
  const fromPromise = origin === 'unhandledRejection';
  recordFatal(error, fromPromise ? 'unhandled rejection' : 'uncaught exception');
  if (otherListeners('uncaughtException', onUncaughtException) > 0) return; // the app decides
  process.exitCode = 1;
  flushThen(() => {
    dieAsNodeWould(error, fromPromise ? 'unhandledRejection' : 'uncaughtException');
  });
}

function onUnhandledRejection(reason: unknown): void {
  recordFatal(reason, 'unhandled rejection');
  if (otherListeners('unhandledRejection', onUnhandledRejection) > 0) return; // the app decides
  const mode = unhandledRejectionsMode();
  if (mode === 'warn' || mode === 'none') return;
  if (mode === 'warn-with-error-code') {
    process.exitCode = 1;
    return;
  }
  process.exitCode = 1;
  flushThen(() => {
    dieAsNodeWould(reason, 'unhandledRejection');
  });
}

function onSignal(signal: HandledSignal): void {
  if (otherListeners(signal, signalHandlers[signal]) > 0) {
    // The app shuts itself down; flushing now means its later process.exit() loses less.
    void flush();
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
    process.on('unhandledRejection', onUnhandledRejection);
    process.on('SIGTERM', signalHandlers.SIGTERM);
    process.on('SIGINT', signalHandlers.SIGINT);
    process.on('beforeExit', onBeforeExit);
  } catch (error) {
    warn(`could not install process handlers: ${String(error)}`);
  }
}

import { getRuntime } from '../runtime.ts';
import { warn } from '../warn.ts';
import { droppedItems } from './drops.ts';
import { EXPORT_SIGNALS, type ExportSignal } from './export-worker-protocol.ts';
import { runningExportWorker } from './export-worker-instance.ts';
import { beginShutdown } from './shutdown-deadline.ts';

/**
 * Delivery on `process.exit()`. Node then runs only the synchronous `exit` listeners, so at exit
 * every component hands what it holds to the export worker (runtime.exitHandOffs), and the main
 * thread blocks until the worker has delivered it, spooled it, or the shutdown deadline passed.
 *
 * Two places run it: an `exit` listener (a drained loop, and exits faultline itself makes), and
 * `process.reallyExit`, which `process.exit()` calls after the `exit` listeners, and which an
 * `exit` listener that calls `process.exit()` again reaches at once, skipping the listeners after
 * it. The second run hands over only what the app's own `exit` listeners produced meanwhile.
 */
let installed = false;
let running = false;
const summarized = new Set<ExportSignal>();

const ITEM_NAMES: Record<ExportSignal, string> = { traces: 'span(s)', metrics: 'metric point(s)', logs: 'log line(s)' };

export function handOffAtExit(): void {
  if (running) return;
  running = true;
  try {
    const config = getRuntime().config;
    const deadline = beginShutdown(config.shutdownTimeoutMs, config.spoolDir !== undefined);
    for (const handOff of getRuntime().exitHandOffs) {
      try {
        handOff();
      } catch { // eslint-disable-line faultline/no-blind-catch -- one component failing must not cost the others their telemetry
      }
    }
    runningExportWorker()?.flushAtExit(deadline.end, deadline.spoolAt);
    summarizeLosses();
  } catch { // eslint-disable-line faultline/no-blind-catch -- never turn an exit into a crash
  } finally {
    running = false;
  }
}

/** One line per signal that lost anything in the life of the process, so that no loss is silent. */
function summarizeLosses(): void {
  for (const signal of EXPORT_SIGNALS) {
    const dropped = droppedItems(signal);
    if (dropped === 0 || summarized.has(signal)) continue;
    summarized.add(signal);
    warn(`${dropped} ${ITEM_NAMES[signal]} were not exported (full buffer, failed export, spool or shutdown deadline); see faultline.telemetry.dropped`);
  }
}

type ReallyExit = (code?: number) => never;

export function installExitHandOff(): void {
  if (installed) return;
  installed = true;
  try {
    process.on('exit', handOffAtExit);
    const processWithExit = process as unknown as { reallyExit?: ReallyExit };
    const reallyExit = processWithExit.reallyExit;
    if (typeof reallyExit === 'function') {
      // Node's own process.exit() calls this after the `exit` listeners (signal-exit patches it too).
      processWithExit.reallyExit = function exitAfterHandOff(this: unknown, code?: number): never {
        handOffAtExit();
        return reallyExit.call(this, code);
      };
    }
  } catch (error) {
    warn(`could not install the exit hand-off: ${String(error)}`);
  }
}

/**
 * One deadline for every way the process ends (FAULTLINE_SHUTDOWN_TIMEOUT_MS from the moment the
 * first ending began: a signal, a crash, a drained loop or `process.exit()`), split in three:
 *
 *   begin ── exports ──▶ spoolAt ── spool what is left ──▶ end ── teardown ──▶ begin + timeout
 *
 * The reserve after `end` leaves room for what follows the flush (printing a crash's error, the
 * app's own `exit` listeners, the process teardown); the spool's, for writing the undelivered
 * telemetry to disk, and exists only when a spool is configured.
 */
export interface ShutdownDeadline {
  began: number;
  /** Until when exports are waited for (epoch ms). */
  spoolAt: number;
  /** When waiting ends, whatever is left (epoch ms). */
  end: number;
}

let current: ShutdownDeadline | undefined;

/**
 * The reserve after the flush: a third of the timeout, at most 150 ms. Most of it is Node's own
 * teardown after `process.reallyExit`, which joins every worker thread (ours: the export and log
 * workers) while each frees its isolate: 10-30 ms on a quiet host, 70-160 ms with the CPU busy.
 * A tenth of a 300 ms deadline (30 ms) was overrun by ~100 ms in CI.
 */
export function teardownReserveMs(timeoutMs: number): number {
  return Math.min(150, Math.floor(timeoutMs / 3));
}

/** Time kept for writing the spool: a quarter of the timeout, at most 250 ms. */
export function spoolReserveMs(timeoutMs: number): number {
  return Math.min(250, Math.floor(timeoutMs / 4));
}

/** Starts the shutdown clock (once per process) and returns its deadlines. */
export function beginShutdown(timeoutMs: number, hasSpool: boolean): ShutdownDeadline {
  if (current === undefined) {
    const began = Date.now();
    const end = began + Math.max(0, timeoutMs - teardownReserveMs(timeoutMs));
    current = { began, end, spoolAt: hasSpool ? Math.max(began, end - spoolReserveMs(timeoutMs)) : end };
  }
  return current;
}

/** Milliseconds left for exports: until `spoolAt`. */
export function exportBudgetMs(deadline: ShutdownDeadline): number {
  return Math.max(0, deadline.spoolAt - Date.now());
}

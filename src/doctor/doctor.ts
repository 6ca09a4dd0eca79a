/**
 * The doctor: why is telemetry not arriving? The checks behind `faultline doctor` (the command line,
 * run in the app's folder with the app's environment) and `FAULTLINE_DOCTOR=1` (the same report from
 * inside the running app, which alone can see what was really loaded, in what order, and which SDK
 * the global providers belong to).
 *
 * Every check ends in a status and one line; a failed check carries the fix in one more line. The
 * doctor only looks: it must never throw into the app, never delay its start-up, never keep its
 * process alive, and never change what faultline or the app does.
 */

/** `fail` makes the report fail (exit code 1); `warn` is a doubt worth reading that does not. */
export type CheckStatus = 'pass' | 'fail' | 'warn' | 'info' | 'skip';

export interface Check {
  /** Stable name, for scripts reading `--json` (e.g. `endpoint-traces`, `variable:OTEL_FOO`). */
  id: string;
  status: CheckStatus;
  /** What was found, in one line. */
  summary: string;
  /** What to do about it, in one line (fail and warn). */
  fix?: string;
  /** Facts behind the summary, for machines (only in `--json`). */
  data?: Record<string, unknown>;
}

/** Where the report comes from: the command line, or the running app (FAULTLINE_DOCTOR=1). */
export type DoctorMode = 'cli' | 'in-app';

export interface DoctorReport {
  mode: DoctorMode;
  ok: boolean;
  failed: number;
  checks: Check[];
}

export function makeReport(mode: DoctorMode, checks: Check[]): DoctorReport {
  const failed = checks.filter((check) => check.status === 'fail').length;
  return { mode, ok: failed === 0, failed, checks };
}

/** A check that could not run at all: its own failure must not take the report down with it. */
export function guarded(id: string, run: () => Check[]): Check[] {
  try {
    return run();
  } catch (error) {
    return [{ id, status: 'skip', summary: `not checked: ${error instanceof Error ? error.message : String(error)}` }];
  }
}

/** Said by every check the command line cannot make, and shown once in its header. */
export const IN_APP_ONLY = 'only the running app can tell: start it with FAULTLINE_DOCTOR=1';

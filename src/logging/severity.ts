/**
 * pino level number to OpenTelemetry SeverityNumber. The six standard levels map to the first
 * number of their OTel range (trace 1, debug 5, info 9, warn 13, error 17, fatal 21), as the log
 * data model recommends for a source with one severity per range; a custom level takes the range of
 * the standard level at or below it.
 */
const STANDARD: readonly (readonly [level: number, severity: number])[] = [
  [60, 21],
  [50, 17],
  [40, 13],
  [30, 9],
  [20, 5],
  [10, 1],
];

export function severityNumberForLevel(level: number): number {
  if (!Number.isFinite(level)) return 0;
  for (const [threshold, severity] of STANDARD) if (level >= threshold) return severity;
  return 1;
}

/** pino's own labels; custom levels are added by the loggers that define them. */
export const STANDARD_LEVEL_LABELS: Readonly<Record<number, string>> = {
  10: 'trace',
  20: 'debug',
  30: 'info',
  40: 'warn',
  50: 'error',
  60: 'fatal',
};

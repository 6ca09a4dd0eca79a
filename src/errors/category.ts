/**
 * The closed set of `error.category` values. Dashboards and alert rules group by it, so it stays
 * small and fixed: adding a value is a change to the telemetry contract.
 */
export const ERROR_CATEGORIES = [
  'validation',
  'not_found',
  'conflict',
  'unauthorized',
  'forbidden',
  'rate_limited',
  'dependency',
  'timeout',
  'cancelled',
  'internal',
] as const;

export type ErrorCategory = (typeof ERROR_CATEGORIES)[number];

const CATEGORY_SET: ReadonlySet<string> = new Set(ERROR_CATEGORIES);

export function isErrorCategory(value: unknown): value is ErrorCategory {
  return typeof value === 'string' && CATEGORY_SET.has(value);
}

/** What a rule decides about an error: its category, and whether trying again may succeed. */
export interface CategoryVerdict {
  readonly category: ErrorCategory;
  readonly retryable: boolean;
}

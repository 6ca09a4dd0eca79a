import { FAULTLINE_ERROR_CLASSES } from './analysis/toolkit.ts';
import type { RuleId } from './rules/index.ts';

// What `recommended` and `strict` turn on. Beside the plugin's rules, recommended turns on the
// rules ESLint and typescript-eslint already have for error handling, so that one config covers
// the seed's whole list (README: "From the seed's Ruff rules").

type Severity = 'error' | 'warn' | 'off';
type RuleEntry = Severity | [Severity, ...unknown[]];

/** `preserve-caught-error` (B904) checking faultline's classes and the app's own. */
export function preserveCaughtError(appErrorClasses: readonly string[] = []): RuleEntry {
  const names = [...new Set([...FAULTLINE_ERROR_CLASSES, ...appErrorClasses])];
  return ['error', { requireCatchParameter: true, errorClassNames: names }];
}

/** The existing core and typescript-eslint rules recommended turns on, by the seed rule each stands for. */
export const platformRules: Readonly<Record<string, RuleEntry>> = {
  'preserve-caught-error': preserveCaughtError(),
  'no-unsafe-finally': 'error',
  'no-useless-catch': 'error',
  'no-empty': 'error',
  '@typescript-eslint/only-throw-error': 'error',
  '@typescript-eslint/no-floating-promises': 'error',
  '@typescript-eslint/no-misused-promises': 'error',
  '@typescript-eslint/prefer-promise-reject-errors': 'error',
  '@typescript-eslint/return-await': ['error', 'error-handling-correctness-only'],
};

export const recommendedPluginRules: Readonly<Partial<Record<RuleId, RuleEntry>>> = {
  'only-coded-errors': 'error',
  'no-blind-catch': 'error',
  'no-swallowed-cancellation': 'error',
  'no-unbounded-metric-attributes': 'error',
  'log-error-object': 'error',
};

export const strictPluginRules: Readonly<Partial<Record<RuleId, RuleEntry>>> = {
  ...recommendedPluginRules,
  'no-long-error-messages': 'error',
};

export function namespaced(pluginRules: Readonly<Partial<Record<RuleId, RuleEntry>>>): Record<string, RuleEntry> {
  return Object.fromEntries(Object.entries(pluginRules).map(([id, entry]) => [`faultline/${id}`, entry]));
}

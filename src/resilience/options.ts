import { warn } from '../warn.ts';

// Options of the policies come from application code at start-up. A bad value is one warning and
// the default, never a throw: a typo in a retry setting must not take the service down.

/** The options object a JavaScript caller passed, or an empty one with a warning. */
export function optionsOf<T extends object>(kind: string, value: unknown): Partial<T> {
  if (typeof value === 'object' && value !== null) return value;
  warn(`${kind}: expected an options object, got ${describe(value)}; using the defaults`);
  return {};
}

/** The policy's name, or `unnamed` with a warning. */
export function policyName(kind: string, name: unknown): string {
  if (typeof name === 'string' && name.trim() !== '') return name;
  warn(`${kind}: options.name must be a non-empty string (it becomes resilience.policy); using "unnamed"`);
  return 'unnamed';
}

/** A whole number >= min, or the default with a warning. */
export function wholeNumber(kind: string, option: string, value: unknown, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (typeof value === 'number' && Number.isInteger(value) && value >= min) return value;
  warn(`${kind}: options.${option} must be a whole number >= ${String(min)}, got ${describe(value)}; using ${String(fallback)}`);
  return fallback;
}

/** A finite number >= min (and <= max), or the default with a warning. */
export function finiteNumber(kind: string, option: string, value: unknown, fallback: number, min: number, max = Infinity): number {
  if (value === undefined) return fallback;
  if (typeof value === 'number' && Number.isFinite(value) && value >= min && value <= max) return value;
  const range = max === Infinity ? `>= ${String(min)}` : `between ${String(min)} and ${String(max)}`;
  warn(`${kind}: options.${option} must be a number ${range}, got ${describe(value)}; using ${String(fallback)}`);
  return fallback;
}

/** One of the allowed strings, or the default with a warning. */
export function oneOf<const T extends string>(kind: string, option: string, value: unknown, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
  warn(`${kind}: options.${option} must be one of ${allowed.join(', ')}, got ${describe(value)}; using ${fallback}`);
  return fallback;
}

/** A function, or undefined with a warning when something else was given. */
export function optionalFunction<F extends (...args: never[]) => unknown>(kind: string, option: string, value: F | undefined): F | undefined {
  if (value === undefined || typeof value === 'function') return value;
  warn(`${kind}: options.${option} must be a function, got ${describe(value)}; ignoring it`);
  return undefined;
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.slice(0, 40));
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) return String(value);
  return typeof value;
}

/** The signal operations get when the caller gave none: never aborted. */
export const NEVER_ABORTED: AbortSignal = new AbortController().signal;

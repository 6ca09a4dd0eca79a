import { boundedCopy } from './bounded-copy.ts';
import { isErrorCategory, type ErrorCategory } from './category.ts';
import { DETAILS_LIMITS } from './limits.ts';
import { readProperty } from './safe-read.ts';

/**
 * Marks instances of AppError from any copy of faultline in the process. `instanceof` checks
 * this brand instead of the prototype chain, so an error thrown by one installed copy is still an
 * AppError to another (the pattern undici uses for its errors).
 */
export const APP_ERROR_BRAND = Symbol.for('faultline.AppError');

/** Structured context of an error, bounded in size when the error is built. */
export type ErrorDetails = Readonly<Record<string, unknown>>;

/** Options of every AppError constructor: the standard `cause` plus structured `details`. */
export interface AppErrorOptions extends ErrorOptions {
  /** Copied with caps on depth (4), keys (32), items (32) and string length (512); never throws. */
  details?: Record<string, unknown>;
}

export interface AppErrorInit<Code extends string = string> extends AppErrorOptions {
  code: Code;
  category: ErrorCategory;
  retryable?: boolean;
  httpStatus?: number;
}

function boundedDetails(details: unknown): ErrorDetails | undefined {
  if (details === undefined || details === null) return undefined;
  const copy = boundedCopy(details, DETAILS_LIMITS);
  if (typeof copy === 'object' && copy !== null && !Array.isArray(copy)) return Object.freeze(copy as Record<string, unknown>);
  return Object.freeze({ value: copy });
}

/**
 * Sets the fields of a new AppError, in the order the class declares them. For `defineError`
 * classes, which build their instances with `Reflect.construct(Error, …)` (see define-error.ts).
 */
export function initAppError(error: object, code: string, category: ErrorCategory, retryable: boolean, httpStatus: number | undefined, details: unknown): void {
  const fields = error as unknown as Record<string, unknown>;
  fields.code = code;
  fields.category = category;
  fields.retryable = retryable;
  fields.httpStatus = httpStatus;
  fields.details = boundedDetails(details);
}

/**
 * The root of faultline's error taxonomy: a stable `code`, a `category` from a closed set, whether
 * a retry may help, an optional HTTP status, the standard `cause` and bounded `details`.
 * Subclasses are made with `defineError`.
 */
export class AppError<Code extends string = string> extends Error {
  declare readonly [APP_ERROR_BRAND]: true;
  readonly code: Code;
  readonly category: ErrorCategory;
  readonly retryable: boolean;
  readonly httpStatus: number | undefined;
  readonly details: ErrorDetails | undefined;

  constructor(message: string, init: AppErrorInit<Code>) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.code = init.code;
    this.category = isErrorCategory(init.category) ? init.category : 'internal';
    this.retryable = init.retryable === true;
    this.httpStatus = init.httpStatus;
    this.details = boundedDetails(init.details);
  }

  /** Brand check for AppError itself; ordinary prototype check for classes extending it by hand. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (this !== AppError) return Function.prototype[Symbol.hasInstance].call(this, value);
    return isAppError(value);
  }
}

Object.defineProperty(AppError.prototype, APP_ERROR_BRAND, { value: true, enumerable: false });
Object.defineProperty(AppError.prototype, 'name', { value: 'AppError', writable: true, enumerable: false, configurable: true });

/** Whether a value is an AppError from any copy of faultline. Never throws. */
export function isAppError(value: unknown): value is AppError {
  return readProperty(value, APP_ERROR_BRAND) === true && typeof readProperty(value, 'code') === 'string';
}

/** Whether a value is an AppError with this code, e.g. `hasCode(err, 'CARD_DECLINED')`. */
export function hasCode<const Code extends string>(value: unknown, code: Code): value is AppError<Code> {
  return isAppError(value) && readProperty(value, 'code') === code;
}

import { AppError, hasCode, initAppError, type AppErrorOptions } from './app-error.ts';
import { isErrorCategory, type ErrorCategory } from './category.ts';
import { warn } from '../warn.ts';

export interface DefineErrorSpec<Code extends string> {
  /** Stable machine-readable code, UPPER_SNAKE_CASE; it becomes `error.type` in telemetry. */
  code: Code;
  category: ErrorCategory;
  httpStatus?: number;
  /** Whether retrying the failed operation may succeed; false unless said. */
  retryable?: boolean;
  /** Default message; with one, the message is optional when throwing. */
  message?: string;
  /** Class name; derived from the code when absent (`CARD_DECLINED` → `CardDeclinedError`). */
  name?: string;
}

/** A class made by `defineError`: `new Cls(message?, { cause, details })`, statics describe it. */
export interface DefinedError<Code extends string, Args extends unknown[]> {
  new (...args: Args): AppError<Code>;
  readonly prototype: AppError<Code>;
  readonly code: Code;
  readonly category: ErrorCategory;
  readonly httpStatus: number | undefined;
  readonly retryable: boolean;
  readonly defaultMessage: string | undefined;
  /** True for an AppError with this code from any copy of faultline. */
  [Symbol.hasInstance](value: unknown): value is AppError<Code>;
}

type WithDefaultMessage = [message?: string, options?: AppErrorOptions];
type WithoutDefaultMessage = [message: string, options?: AppErrorOptions];

const CODE_SHAPE = /^[A-Z][A-Z0-9_]{0,63}$/;
const defined = new Map<string, string>();

/** `CARD_DECLINED` → `CardDeclinedError`; `DATABASE_ERROR` → `DatabaseError`. */
export function errorNameFromCode(code: string): string {
  const words = code
    .split(/[^A-Za-z0-9]+/)
    .filter((word) => word !== '')
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1).toLowerCase());
  const base = words.join('');
  if (base === '') return 'AppError';
  return base.endsWith('Error') ? base : `${base}Error`;
}

function describe(spec: { code: string; category: string; httpStatus?: number; retryable?: boolean }): string {
  return `${spec.category}/${String(spec.httpStatus)}/${String(spec.retryable === true)}`;
}

/**
 * Makes an AppError subclass in one line, with a literal `code` type and a proper `name`:
 *
 *     const CardDeclined = defineError({ code: 'CARD_DECLINED', category: 'validation', httpStatus: 402 });
 *     throw new CardDeclined('declined', { cause, details: { orderId } });
 *
 * A bad spec never throws (definitions run at import time): it is reported on stderr and the
 * nearest valid value is used.
 */
export function defineError<const Code extends string>(spec: DefineErrorSpec<Code> & { message: string }): DefinedError<Code, WithDefaultMessage>;
export function defineError<const Code extends string>(spec: DefineErrorSpec<Code>): DefinedError<Code, WithoutDefaultMessage>;
export function defineError<const Code extends string>(spec: DefineErrorSpec<Code>): DefinedError<Code, WithDefaultMessage> {
  // Plain JavaScript callers may pass anything: check what the types promise.
  const untyped: Record<string, unknown> = { ...spec };
  const code = spec.code;
  if (typeof untyped.code !== 'string' || !CODE_SHAPE.test(code)) {
    warn(`defineError: code ${JSON.stringify(String(untyped.code)).slice(0, 80)} should be UPPER_SNAKE_CASE (letters, digits, _; at most 64)`);
  }
  let category: ErrorCategory = spec.category;
  if (!isErrorCategory(untyped.category)) {
    warn(`defineError(${code}): unknown category ${JSON.stringify(String(untyped.category)).slice(0, 40)}; using internal`);
    category = 'internal';
  }
  let httpStatus = spec.httpStatus;
  if (httpStatus !== undefined && !(Number.isInteger(httpStatus) && httpStatus >= 400 && httpStatus <= 599)) {
    warn(`defineError(${code}): httpStatus ${String(httpStatus)} is not an error status (400–599); ignoring it`);
    httpStatus = undefined;
  }
  const retryable = untyped.retryable === true;
  const defaultMessage = typeof untyped.message === 'string' ? untyped.message : undefined;
  const name = typeof untyped.name === 'string' && untyped.name !== '' ? untyped.name : errorNameFromCode(String(untyped.code));

  const signature = describe({ code, category, httpStatus, retryable });
  const previous = defined.get(code);
  if (previous !== undefined && previous !== signature) {
    warn(`defineError: code ${code} is defined twice with different settings (${previous} and ${signature}); instanceof cannot tell them apart`);
  }
  defined.set(code, signature);

  // Instances are made by calling Error's constructor for `new.target` directly rather than
  // through AppError's: V8 walks every constructor frame when it captures the stack, and one class
  // level less makes a defined error as cheap to build as a hand-written `class extends Error`.
  // The class is linked to AppError below, so instances and statics inherit as with `extends`.
  // eslint-disable-next-line @typescript-eslint/no-extraneous-class -- its instances are AppErrors (prototype linked below)
  class Defined {
    static readonly code: Code = code;
    static readonly category: ErrorCategory = category;
    static readonly httpStatus: number | undefined = httpStatus;
    static readonly retryable: boolean = retryable;
    static readonly defaultMessage: string | undefined = defaultMessage;

    constructor(message?: string, options?: AppErrorOptions) {
      // A copy, as `{ ...options, code, … }` was: own enumerable properties, each getter read once.
      const init: AppErrorOptions | undefined = options === undefined ? undefined : { ...options };
      const cause = init?.cause;
      const error = Reflect.construct(
        Error,
        [typeof message === 'string' ? message : (defaultMessage ?? code), cause === undefined ? undefined : { cause }],
        new.target,
      ) as object;
      initAppError(error, code, category, retryable, httpStatus, init?.details);
      return error;
    }

    /** Brand and code, so the check holds across copies of faultline; a hand-made subclass of this class gets the ordinary check. */
    static [Symbol.hasInstance](value: unknown): value is AppError<Code> {
      if (this !== Defined) return Function.prototype[Symbol.hasInstance].call(this, value);
      return hasCode(value, code);
    }
  }
  Object.setPrototypeOf(Defined, AppError);
  Object.setPrototypeOf(Defined.prototype, AppError.prototype);
  Object.defineProperty(Defined, 'name', { value: name });
  Object.defineProperty(Defined.prototype, 'name', { value: name, writable: true, enumerable: false, configurable: true });
  return Defined as unknown as DefinedError<Code, WithDefaultMessage>;
}

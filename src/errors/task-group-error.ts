import { APP_ERROR_BRAND, hasCode, initAppError, type AppError, type AppErrorOptions } from './app-error.ts';
import type { ErrorCategory } from './category.ts';
import { describeFacts } from './classify.ts';
import { MAX_AGGREGATE_CHILDREN } from './limits.ts';
import { memoFor } from './memo.ts';
import { readThrown } from './thrown.ts';

/** The code of a TaskGroupError. */
export const TASK_GROUP_FAILED = 'TASK_GROUP_FAILED';
const CODE = TASK_GROUP_FAILED;
const DEFAULT_MESSAGE = 'Tasks of a task group failed';

/** What a TaskGroupError's failures agree on, as classify judges an AggregateError: mixed means internal. */
function agreement(errors: readonly unknown[]): { category: ErrorCategory; retryable: boolean } {
  let category: ErrorCategory | undefined;
  let retryable = errors.length > 0;
  for (const error of errors.slice(0, MAX_AGGREGATE_CHILDREN)) {
    const verdict = describeFacts(readThrown(error), memoFor(error));
    if (category !== undefined && category !== verdict.category) return { category: 'internal', retryable: false };
    category = verdict.category;
    retryable &&= verdict.retryable;
  }
  return { category: category ?? 'internal', retryable };
}

/**
 * Every failure of a task group, in the order they happened (Python's ExceptionGroup for a
 * TaskGroup). An AggregateError and an AppError at once: `code` is `TASK_GROUP_FAILED`, and its
 * `category` and `retryable` are what its failures agree on (all `dependency` and retryable: the
 * group is too; mixed: `internal`), so an HTTP boundary answers for the group as it would for one
 * of them. `instanceof TaskGroupError` holds across copies of faultline (brand and code).
 *
 * recordError counts a TaskGroupError through its failures: each failure once (the task spans
 * already did), never the group itself, so recording it again where it is caught adds nothing.
 */
export class TaskGroupError extends AggregateError {
  static readonly code: typeof CODE = CODE;
  static readonly category: ErrorCategory = 'internal';
  static readonly httpStatus: number | undefined = undefined;
  static readonly retryable: boolean = false;
  static readonly defaultMessage: string | undefined = DEFAULT_MESSAGE;

  declare readonly [APP_ERROR_BRAND]: true;
  declare readonly code: typeof CODE;
  declare readonly category: ErrorCategory;
  declare readonly retryable: boolean;
  declare readonly httpStatus: number | undefined;
  declare readonly details: AppError['details'];

  constructor(errors: Iterable<unknown> = [], message?: string, options?: AppErrorOptions) {
    const init: AppErrorOptions | undefined = options === undefined ? undefined : { ...options };
    const cause = init?.cause;
    super(errors, typeof message === 'string' ? message : DEFAULT_MESSAGE, cause === undefined ? undefined : { cause });
    const { category, retryable } = agreement(this.errors as unknown[]);
    initAppError(this, CODE, category, retryable, undefined, init?.details);
  }

  /** Brand and code, so the check holds across copies of faultline; a subclass gets the ordinary check. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (this !== TaskGroupError) return Function.prototype[Symbol.hasInstance].call(this, value);
    return hasCode(value, CODE);
  }
}

Object.defineProperty(TaskGroupError.prototype, APP_ERROR_BRAND, { value: true, enumerable: false });
Object.defineProperty(TaskGroupError.prototype, 'name', { value: 'TaskGroupError', writable: true, enumerable: false, configurable: true });

/** Whether an error is a TaskGroupError from any copy of faultline. Never throws. */
export function isTaskGroupError(value: unknown): value is TaskGroupError {
  return hasCode(value, CODE);
}

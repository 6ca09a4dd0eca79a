import { APP_ERROR_BRAND } from './app-error.ts';
import { boundedCopy } from './bounded-copy.ts';
import { readDriverFacts, type DriverFacts } from './drivers/drivers.ts';
import { MAX_AGGREGATE_CHILDREN, MAX_CODE_LENGTH, MAX_STACK_INPUT } from './limits.ts';
import { constructorName, cut, hasProperty, isErrorLike, isObjectLike, readArray, readProperty, readString, safeString } from './safe-read.ts';

/** Raw message text read before redaction; the redacted result is cut again to the message cap. */
const RAW_MESSAGE_LENGTH = 8192;

/** What can be read safely from a thrown value. Strings here are capped but not yet redacted. */
export interface ThrownFacts {
  kind: 'error' | 'object' | 'primitive';
  name: string | undefined;
  constructorName: string | undefined;
  /** String `code` (numeric codes such as DOMException's legacy ones are ignored). */
  code: string | undefined;
  message: string;
  stack: string | undefined;
  hasCause: boolean;
  cause: unknown;
  /** AggregateError-style `errors`, at most 64. */
  children: unknown[] | undefined;
  /**
   * A SuppressedError's two errors (native in Node 24, or a polyfill's with the same name): `error`
   * was thrown while `suppressed` was already propagating (a failed disposer after a failed block).
   */
  suppression: { error: unknown; suppressed: unknown } | undefined;
  /** `status` / `statusCode` when an integer HTTP error status (400–599). */
  status: number | undefined;
  /** Category and retryable of a branded AppError (any copy of faultline). */
  appError: { category: unknown; retryable: unknown } | undefined;
  /** An explicit boolean `retryable` property on a non-AppError. */
  retryable: boolean | undefined;
  /** SQLSTATE and errno of a database server error (node-postgres, mysql2). */
  driver: DriverFacts | undefined;
}

function httpStatus(value: object): number | undefined {
  for (const key of ['status', 'statusCode']) {
    const status = readProperty(value, key);
    if (typeof status === 'number' && Number.isInteger(status) && status >= 400 && status <= 599) return status;
  }
  return undefined;
}

/** A short, bounded rendering of a non-error object thrown as-is. */
function preview(value: object): string {
  try {
    const copy = boundedCopy(value, { maxDepth: 2, maxKeys: 10, maxItems: 10, maxStringLength: 200, maxNodes: 50 });
    return typeof copy === 'string' ? copy : cut(JSON.stringify(copy), RAW_MESSAGE_LENGTH);
  } catch { // eslint-disable-line faultline/no-blind-catch -- a value from the app may throw from any read (getters, proxies)
    return `[object ${constructorName(value) ?? 'Object'}]`;
  }
}

export function readThrown(value: unknown): ThrownFacts {
  if (!isObjectLike(value) || typeof value === 'function') {
    return {
      kind: 'primitive',
      name: undefined,
      constructorName: undefined,
      code: undefined,
      message: safeString(value, RAW_MESSAGE_LENGTH),
      stack: undefined,
      hasCause: false,
      cause: undefined,
      children: undefined,
      suppression: undefined,
      status: undefined,
      appError: undefined,
      retryable: undefined,
      driver: undefined,
    };
  }
  const errorLike = isErrorLike(value);
  const brand = readProperty(value, APP_ERROR_BRAND) === true;
  const message = readString(value, 'message', RAW_MESSAGE_LENGTH);
  const retryable = readProperty(value, 'retryable');
  const code = readString(value, 'code', MAX_CODE_LENGTH);
  const name = readString(value, 'name', 256);
  return {
    kind: errorLike ? 'error' : 'object',
    name,
    constructorName: constructorName(value),
    code,
    message: message ?? (errorLike ? '' : preview(value)),
    stack: readString(value, 'stack', MAX_STACK_INPUT),
    hasCause: hasProperty(value, 'cause'),
    cause: readProperty(value, 'cause'),
    children: readArray(value, 'errors', MAX_AGGREGATE_CHILDREN),
    suppression: name === 'SuppressedError' && hasProperty(value, 'suppressed') ? { error: readProperty(value, 'error'), suppressed: readProperty(value, 'suppressed') } : undefined,
    status: httpStatus(value),
    appError: brand ? { category: readProperty(value, 'category'), retryable: readProperty(value, 'retryable') } : undefined,
    retryable: typeof retryable === 'boolean' ? retryable : undefined,
    driver: brand ? undefined : readDriverFacts(value, code),
  };
}

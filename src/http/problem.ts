import { isSpanContextValid, trace } from '@opentelemetry/api';
import { isAppError } from '../errors/app-error.ts';
import type { ErrorCategory } from '../errors/category.ts';
import { classify, type ErrorInfo } from '../errors/classify.ts';
import { redactText } from '../errors/redact.ts';
import { cut, readProperty } from '../errors/safe-read.ts';
import { issuesOf, type ValidationIssue } from '../validation/issues.ts';
import { warnOnce } from '../warn.ts';
import { carriesClientStatus, retryAfterFor, statusFor } from './status.ts';

// Not `import … from 'node:http'`: an ESM import of a builtin builds a facade that reads every export,
// and http's lazy WebSocket getters load undici: about 25 ms of every app's start-up.
const { STATUS_CODES } = process.getBuiltinModule('node:http');

/** The problem+json media type of RFC 9457. */
export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** An RFC 9457 problem details object, with faultline's extension members. */
export interface ProblemDetails {
  /** `about:blank` unless `typeBaseUrl` is set, then `<typeBaseUrl><code>`. */
  type: string;
  /** The status's reason phrase (`Service Unavailable`), or the error class's default message with `typeBaseUrl`. */
  title: string;
  status: number;
  /** What went wrong this time: the error's redacted message for client errors, a generic sentence for server faults. */
  detail: string;
  /** The request path, without its query string. */
  instance?: string;
  /** Stable machine-readable code: the AppError's code, or the category's catalog code for other errors. */
  code: string;
  /** The request's trace ID: quote it to find the trace, the logs and the error. */
  trace_id?: string;
  /** Validation issues (at most 20). */
  errors?: ValidationIssue[];
  [extension: string]: unknown;
}

/** What an adapter writes: status, headers and body. */
export interface HttpProblem {
  status: number;
  headers: Record<string, string>;
  body: ProblemDetails;
}

export interface ProblemOptions {
  /** Base of problem `type` URIs, e.g. `https://docs.example.com/errors/`; the code is appended. Default: `about:blank` types. */
  typeBaseUrl?: string;
  /** `Retry-After` for 429 and 503 when the error does not carry `retryAfterSeconds`. Default 5. */
  retryAfterSeconds?: number;
  /**
   * Adjusts the body, e.g. to add an extension member; return the problem to send. If it throws,
   * the default body is sent (and a warning printed once).
   */
  customize?: (problem: ProblemDetails, err: unknown, info: ErrorInfo) => ProblemDetails | undefined;
}

/** Facts about the request that the body depends on. */
export interface ProblemContext {
  /** Request path (the query is dropped). */
  instance?: string | undefined;
  /** Default: the active span's trace ID. */
  traceId?: string | undefined;
  /** The client went away: a cancellation is then 499 instead of 503. */
  clientClosed?: boolean;
}

const DEFAULT_RETRY_AFTER_SECONDS = 5;
const MAX_INSTANCE_LENGTH = 512;
const MAX_DETAIL_LENGTH = 1024;

/** Codes for errors that have none of their own; they are the catalog's codes for the category. */
const CATEGORY_CODE: Readonly<Record<ErrorCategory, string>> = Object.freeze({
  validation: 'VALIDATION_FAILED',
  not_found: 'NOT_FOUND',
  conflict: 'CONFLICT',
  unauthorized: 'UNAUTHORIZED',
  forbidden: 'FORBIDDEN',
  rate_limited: 'RATE_LIMITED',
  dependency: 'DEPENDENCY_FAILED',
  timeout: 'OPERATION_TIMEOUT',
  cancelled: 'CANCELLED',
  internal: 'INTERNAL_ERROR',
});

/** `detail` when the error's own message must not be shown. */
const GENERIC_DETAIL: Readonly<Record<ErrorCategory, string>> = Object.freeze({
  validation: 'The request is not valid.',
  not_found: 'The requested resource was not found.',
  conflict: 'The request conflicts with the current state of the resource.',
  unauthorized: 'Authentication is required.',
  forbidden: 'You are not allowed to do this.',
  rate_limited: 'Too many requests; retry later.',
  dependency: 'A service this request depends on is unavailable; retry later.',
  timeout: 'The request took too long to complete.',
  cancelled: 'The request was cancelled.',
  internal: 'An unexpected error occurred.',
});

function reasonPhrase(status: number): string {
  return STATUS_CODES[status] ?? (status === 499 ? 'Client Closed Request' : status < 500 ? 'Bad Request' : 'Internal Server Error');
}

/** An internal error's message can carry anything (SQL, paths, hostnames): it never reaches the client. */
function showsOwnMessage(err: unknown, info: ErrorInfo, status: number): boolean {
  if (info.category === 'internal') return false;
  if (isAppError(err)) return true;
  return status < 500 && carriesClientStatus(err);
}

function defaultMessageOf(err: unknown): string | undefined {
  const message = readProperty(readProperty(err, 'constructor'), 'defaultMessage');
  return typeof message === 'string' && message !== '' ? cut(redactText(message), 200) : undefined;
}

function activeTraceId(): string | undefined {
  try {
    const context = trace.getActiveSpan()?.spanContext();
    return context !== undefined && isSpanContextValid(context) ? context.traceId : undefined;
  } catch { // eslint-disable-line faultline/no-blind-catch -- no span context is no trace ID in the body, never a failed answer
    return undefined;
  }
}

function instanceOf(path: string | undefined): string | undefined {
  if (typeof path !== 'string' || path === '') return undefined;
  const queryAt = path.search(/[?#]/);
  return cut(redactText(queryAt === -1 ? path : path.slice(0, queryAt)), MAX_INSTANCE_LENGTH);
}

/** The default problem for an error already classified; `customize` is applied by the caller. */
export function buildProblem(err: unknown, info: ErrorInfo, context: ProblemContext, options: ProblemOptions): HttpProblem {
  const status = statusFor(err, info, context.clientClosed === true);
  const appError = isAppError(err);
  const code = appError ? cut(redactText(err.code), 64) : CATEGORY_CODE[info.category];
  const typeBase = options.typeBaseUrl;
  const typed = typeof typeBase === 'string' && typeBase !== '' && (appError || info.category !== 'internal');
  const title = typed ? (defaultMessageOf(err) ?? reasonPhrase(status)) : reasonPhrase(status);
  const detail = showsOwnMessage(err, info, status) && info.message !== '' ? cut(info.message, MAX_DETAIL_LENGTH) : GENERIC_DETAIL[info.category];
  const body: ProblemDetails = {
    type: typed ? `${typeBase}${encodeURIComponent(code)}` : 'about:blank',
    title,
    status,
    detail,
    code,
  };
  const instance = instanceOf(context.instance);
  if (instance !== undefined) body.instance = instance;
  const traceId = context.traceId ?? activeTraceId();
  if (traceId !== undefined) body.trace_id = traceId;
  if (info.category === 'validation') {
    const issues = issuesOf(err);
    if (issues.length > 0) body.errors = issues;
  }
  const headers: Record<string, string> = { 'content-type': PROBLEM_CONTENT_TYPE };
  const retryAfter = retryAfterFor(err, status, options.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS);
  if (retryAfter !== undefined) headers['retry-after'] = String(retryAfter);
  return { status, headers, body };
}

/** Runs the user's `customize`; a throw or a body that cannot be serialised keeps the default body. */
export function customized(problem: HttpProblem, err: unknown, info: ErrorInfo, options: ProblemOptions): HttpProblem {
  const customize = options.customize;
  if (typeof customize !== 'function') return problem;
  try {
    const copy: ProblemDetails = { ...problem.body };
    const body = customize(copy, err, info) ?? copy;
    JSON.stringify(body);
    return { ...problem, body };
  } catch (failure) {
    warnOnce('http-problem-customize', `the customize option of the HTTP error handler threw (${failure instanceof Error ? cut(failure.message, 200) : 'a non-Error'}); sending the default problem body`);
    return problem;
  }
}

/**
 * The HTTP answer for an error, without recording anything: status, headers (content type,
 * `Retry-After`) and an RFC 9457 body. For apps that render errors themselves; the error handlers
 * use the same rules. Never throws.
 */
export function problemFor(err: unknown, context: ProblemContext = {}, options: ProblemOptions = {}): HttpProblem {
  const info = classify(err);
  return customized(buildProblem(err, info, context, options), err, info, options);
}

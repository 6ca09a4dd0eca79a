import type { CategoryVerdict, ErrorCategory } from './category.ts';
import type { ErrorDescription, ErrorInfo } from './error-info.ts';
import { isErrorCategory } from './category.ts';
import { driverVerdict } from './drivers/drivers.ts';
import { fingerprint } from './fingerprint.ts';
import { memoFor, peekMemo, type ErrorMemo } from './memo.ts';
import { MAX_MESSAGE_LENGTH, MAX_TYPE_LENGTH } from './limits.ts';
import { activeRedactionPatterns, redactText } from './redact.ts';
import { cut, isObjectLike } from './safe-read.ts';
import { readThrown, type ThrownFacts } from './thrown.ts';

export type { ErrorDescription, ErrorInfo } from './error-info.ts';

export const OTHER_TYPE = '_OTHER';

type Rule = CategoryVerdict;

const rule = (category: ErrorCategory, retryable = false): Rule => ({ category, retryable });

/**
 * Well-known `code`s: Node system errors, Node's ERR_* codes, undici (fetch) and TLS codes, and
 * the few codes HTTP clients such as axios add. See docs/errors.md for the reasoning.
 */
export const KNOWN_CODES: ReadonlyMap<string, Rule> = new Map<string, Rule>([
  // The dependency did not answer or dropped the connection: try again later.
  ...['ECONNREFUSED', 'ECONNRESET', 'EAI_AGAIN', 'EPIPE', 'EHOSTUNREACH', 'EHOSTDOWN', 'ENETUNREACH', 'ENETDOWN', 'ENETRESET', 'ECONNABORTED']
    .map((code) => [code, rule('dependency', true)] as const),
  ...['UND_ERR_SOCKET', 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH', 'ERR_HTTP2_SESSION_ERROR', 'ERR_HTTP2_STREAM_ERROR', 'ERR_NETWORK']
    .map((code) => [code, rule('dependency', true)] as const),
  // The dependency is misconfigured or answered with something unusable: a retry will not help.
  ...['ENOTFOUND', 'EAI_NONAME', 'EAI_FAIL', 'EPROTO', 'CERT_HAS_EXPIRED', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN',
    'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'ERR_TLS_CERT_ALTNAME_INVALID', 'UND_ERR_RESPONSE_STATUS_CODE',
    'UND_ERR_HEADERS_OVERFLOW', 'UND_ERR_RES_EXCEEDED_MAX_SIZE', 'UND_ERR_REQ_RETRY', 'UND_ERR_RESPONSE', 'UND_ERR_PRX_TLS',
    'UND_ERR_HTTP_PARSER', 'ERR_BAD_RESPONSE', 'ERR_BAD_REQUEST']
    .map((code) => [code, rule('dependency')] as const),
  ...['ETIMEDOUT', 'ESOCKETTIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT',
    'ERR_SOCKET_CONNECTION_TIMEOUT', 'ERR_HTTP_REQUEST_TIMEOUT']
    .map((code) => [code, rule('timeout', true)] as const),
  ...['ABORT_ERR', 'ECANCELED', 'ERR_CANCELED', 'UND_ERR_ABORTED', 'UND_ERR_ABORT', 'ERR_STREAM_PREMATURE_CLOSE', 'ERR_HTTP2_STREAM_CANCEL']
    .map((code) => [code, rule('cancelled')] as const),
  ['ENOENT', rule('not_found')],
  ['EEXIST', rule('conflict')],
  ['ENOTEMPTY', rule('conflict')],
  // Local resources exhausted for the moment.
  ...['EMFILE', 'ENFILE', 'EBUSY', 'EAGAIN'].map((code) => [code, rule('internal', true)] as const),
]);

/** Class names that say what happened, from the platform and common libraries. */
const KNOWN_NAMES: ReadonlyMap<string, Rule> = new Map<string, Rule>([
  ['AbortError', rule('cancelled')],
  ['TimeoutError', rule('timeout', true)],
  ['NetworkError', rule('dependency', true)],
  ['ValidationError', rule('validation')],
  ['ZodError', rule('validation')],
  ['ValiError', rule('validation')],
  ['TraversalError', rule('validation')],
  ['NotFoundError', rule('not_found')],
  ['UnauthorizedError', rule('unauthorized')],
  ['ForbiddenError', rule('forbidden')],
  ['ConflictError', rule('conflict')],
  ['TooManyRequestsError', rule('rate_limited', true)],
]);

function statusRule(status: number): Rule {
  switch (status) {
    case 401:
      return rule('unauthorized');
    case 403:
      return rule('forbidden');
    case 404:
    case 410:
      return rule('not_found');
    case 409:
    case 412:
      return rule('conflict');
    case 408:
      return rule('timeout', true);
    case 429:
      return rule('rate_limited', true);
    case 499:
      return rule('cancelled');
    case 502:
    case 503:
      return rule('dependency', true);
    case 504:
      return rule('timeout', true);
    default:
      return status < 500 ? rule('validation') : rule('internal');
  }
}

/** Characters allowed in `error.type`; anything else becomes `_`. */
export function sanitizeType(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  const type = raw.slice(0, MAX_TYPE_LENGTH).replace(/[^A-Za-z0-9_.:-]/g, '_');
  return /[A-Za-z0-9]/.test(type) ? type : undefined;
}

function className(facts: ThrownFacts): string | undefined {
  const name = sanitizeType(facts.name);
  const ctor = sanitizeType(facts.constructorName);
  if (name !== undefined && name !== 'Error') return name;
  // `class PaymentError extends Error {}` without a `name` of its own still says PaymentError.
  if (ctor !== undefined && ctor !== 'Error' && ctor !== 'Object' && ctor !== 'Function') return ctor;
  return name ?? 'Error';
}

/** The `error.type` rule shared by classify, recordError and serializeError. */
export function typeOf(facts: ThrownFacts): string {
  const code = sanitizeType(facts.code);
  if (code !== undefined) return code;
  if (facts.kind === 'error') return className(facts) ?? OTHER_TYPE;
  return OTHER_TYPE;
}

/** Wrappers whose own type says nothing: undici's fetch rejects with `TypeError: fetch failed`. */
function isFetchWrapper(facts: ThrownFacts): boolean {
  return (
    facts.kind === 'error' &&
    facts.code === undefined &&
    facts.name === 'TypeError' &&
    (facts.message === 'fetch failed' || facts.message === 'terminated') &&
    isObjectLike(facts.cause)
  );
}

const MAX_NESTING = 4;
const MAX_JUDGED_CHILDREN = 16;

interface Judgement extends Rule {
  type: string;
  code: string | undefined;
  /** For wrappers: the cause's message, appended to the wrapper's. */
  innerMessage?: string;
}

function judge(facts: ThrownFacts, depth: number): Judgement {
  if (depth < MAX_NESTING && isFetchWrapper(facts)) {
    const inner = readThrown(facts.cause);
    const verdict = judge(inner, depth + 1);
    return { ...verdict, innerMessage: verdict.innerMessage === undefined ? inner.message : `${inner.message}: ${verdict.innerMessage}` };
  }
  const type = typeOf(facts);
  const code = facts.code;
  return { type, code, ...ruleFor(facts, depth) };
}

function ruleFor(facts: ThrownFacts, depth: number): Rule {
  if (facts.appError !== undefined) {
    const { category, retryable } = facts.appError;
    return { category: isErrorCategory(category) ? category : 'internal', retryable: retryable === true };
  }
  const explicit = facts.retryable;
  const withExplicit = (found: Rule): Rule => (explicit === undefined ? found : { category: found.category, retryable: explicit });
  if (facts.code !== undefined) {
    const known = KNOWN_CODES.get(facts.code);
    if (known !== undefined) return withExplicit(known);
    if (facts.code.startsWith('UND_ERR_') || facts.code.startsWith('HPE_')) return withExplicit(rule('dependency'));
  }
  // Before the class names: ioredis's "Command aborted due to connection close" is named AbortError.
  const fromDriver = driverVerdict(facts);
  if (fromDriver !== undefined) return withExplicit(fromDriver);
  const byName = facts.name === undefined ? undefined : KNOWN_NAMES.get(facts.name);
  if (byName !== undefined) return withExplicit(byName);
  if (facts.status !== undefined) return withExplicit(statusRule(facts.status));
  if (facts.children !== undefined && facts.children.length > 0 && depth < MAX_NESTING) {
    return withExplicit(childrenRule(facts.children, depth));
  }
  return withExplicit(rule('internal'));
}

/** An AggregateError is what its children agree on; mixed children make it internal. */
function childrenRule(children: unknown[], depth: number): Rule {
  let agreed: ErrorCategory | undefined;
  let retryable = true;
  for (const child of children.slice(0, MAX_JUDGED_CHILDREN)) {
    const verdict = judge(readThrown(child), depth + 1);
    if (agreed !== undefined && agreed !== verdict.category) return rule('internal');
    agreed = verdict.category;
    retryable &&= verdict.retryable;
  }
  return agreed === undefined ? rule('internal') : rule(agreed, retryable);
}

function describe(facts: ThrownFacts): ErrorDescription {
  const verdict = judge(facts, 0);
  const rawMessage = verdict.innerMessage === undefined ? facts.message : `${facts.message}: ${verdict.innerMessage}`;
  return {
    type: verdict.type,
    category: verdict.category,
    code: verdict.code === undefined ? undefined : redactText(verdict.code),
    retryable: verdict.retryable,
    message: cut(redactText(rawMessage), MAX_MESSAGE_LENGTH),
  };
}

function sameFacts(a: ThrownFacts, b: ThrownFacts): boolean {
  return (
    a.message === b.message &&
    a.code === b.code &&
    a.name === b.name &&
    a.kind === b.kind &&
    a.constructorName === b.constructorName &&
    a.status === b.status &&
    a.retryable === b.retryable &&
    a.driver?.sqlState === b.driver?.sqlState &&
    a.driver?.errno === b.driver?.errno &&
    (a.appError === undefined) === (b.appError === undefined) &&
    a.appError?.category === b.appError?.category &&
    a.appError?.retryable === b.appError?.retryable
  );
}

/**
 * describe(), remembered in the memo of the error object the facts were read from, and reused only
 * while every fact describe() reads is the same (strings compared with ===, a pointer comparison
 * when the error was not touched) and the redaction patterns are unchanged. Wrappers and
 * AggregateErrors are described from their inner errors too and are not remembered.
 */
function describeValue(facts: ThrownFacts, memo: ErrorMemo | undefined): Readonly<ErrorDescription> {
  if (memo === undefined || facts.children !== undefined || isFetchWrapper(facts)) return describe(facts);
  const patterns = activeRedactionPatterns();
  const described = memo.described;
  if (described?.patterns === patterns && sameFacts(described.facts, facts)) return described.description;
  const description = describe(facts);
  memo.described = { facts, patterns, description };
  return description;
}

function infoFromFacts(facts: ThrownFacts, memo: ErrorMemo | undefined): ErrorInfo {
  const description = describeValue(facts, memo);
  return { ...description, fingerprint: fingerprint(description.type, facts.stack, facts.message) };
}

const FALLBACK_INFO: ErrorInfo = Object.freeze({
  type: OTHER_TYPE,
  category: 'internal',
  code: undefined,
  retryable: false,
  fingerprint: '0000000000000000',
  message: '',
});

/**
 * Classifies any thrown value — Errors of any realm, DOMExceptions, Node system errors, fetch
 * failures, AggregateErrors, strings, plain objects, hostile Proxies — into bounded, redacted
 * ErrorInfo. Never throws; reads at most 64 KiB of stack and 8 KiB of message.
 */
export function classify(thrown: unknown): ErrorInfo {
  try {
    const memo = memoFor(thrown);
    const cached = memo?.info;
    if (cached !== undefined) return { ...cached };
    const info = infoFromFacts(readThrown(thrown), memo);
    if (memo !== undefined) rememberInfoIn(memo, info);
    return info;
  } catch { // eslint-disable-line faultline/no-blind-catch -- classify never throws: a hostile error gets the fallback info
    return { ...FALLBACK_INFO };
  }
}

/** The ErrorInfo computed earlier for this error object, if any. */
export function cachedInfo(thrown: unknown): ErrorInfo | undefined {
  // One error object is usually classified several times (the boundary records it, the logger
  // logs it, the problem body names it); reading it, parsing its stack and hashing the fingerprint
  // once is enough.
  return peekMemo(thrown)?.info;
}

/** Remembers an error object's ErrorInfo for later classify() calls. */
export function rememberInfo(thrown: unknown, info: ErrorInfo): void {
  const memo = memoFor(thrown);
  if (memo !== undefined) rememberInfoIn(memo, info);
}

/** rememberInfo() with the error's memo at hand. */
export function rememberInfoIn(memo: ErrorMemo, info: ErrorInfo): void {
  memo.info = Object.freeze({ ...info });
}

/**
 * classify() without the fingerprint, for the inner errors of a chain; `memo` is the memo of the
 * error the facts were read from. Never throws. The result is shared: do not modify it.
 */
export function describeFacts(facts: ThrownFacts, memo?: ErrorMemo): Readonly<ErrorDescription> {
  try {
    return describeValue(facts, memo);
  } catch { // eslint-disable-line faultline/no-blind-catch -- classify never throws: a hostile error gets the fallback description
    return { type: OTHER_TYPE, category: 'internal', code: undefined, retryable: false, message: '' };
  }
}

/** classify() for facts already read (recordError and serializeError read each value once), with the error's memo. */
export function classifyFacts(facts: ThrownFacts, memo?: ErrorMemo): ErrorInfo {
  try {
    return infoFromFacts(facts, memo);
  } catch { // eslint-disable-line faultline/no-blind-catch -- classify never throws: a hostile error gets the fallback info
    return { ...FALLBACK_INFO };
  }
}

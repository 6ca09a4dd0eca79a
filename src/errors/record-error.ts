import { SpanStatusCode, trace, type Attributes, type Counter, type Span } from '@opentelemetry/api';
import { getRuntime, type Runtime } from '../runtime.ts';
import {
  ATTR_ERROR_CATEGORY,
  ATTR_ERROR_HANDLED,
  ATTR_ERROR_TYPE,
  ATTR_EXCEPTION_CAUSE_DEPTH,
  ATTR_EXCEPTION_CODE,
  ATTR_EXCEPTION_FINGERPRINT,
  ATTR_EXCEPTION_INDEX,
  ATTR_EXCEPTION_MESSAGE,
  ATTR_EXCEPTION_NOTES,
  ATTR_EXCEPTION_PARENT,
  ATTR_EXCEPTION_RELATION,
  ATTR_EXCEPTION_RETRYABLE,
  ATTR_EXCEPTION_STACKTRACE,
  ATTR_EXCEPTION_TRUNCATED,
  ATTR_EXCEPTION_TYPE,
  ERROR_TYPE_VALUE_OTHER,
  EVENT_EXCEPTION,
} from '../semconv.ts';
import { warnOnce } from '../warn.ts';
import { classify, classifyFacts, describeFacts, rememberInfoIn, type ErrorDescription, type ErrorInfo } from './classify.ts';
import { memoFor, type ErrorMemo } from './memo.ts';
import { walkErrorTree } from './error-tree.ts';
import { MAX_EXTRA_ATTRIBUTES, MAX_STATUS_DESCRIPTION_LENGTH } from './limits.ts';
import { notesOf } from './notes.ts';
import { redactedStack, redactText } from './redact.ts';
import { cut, isObjectLike } from './safe-read.ts';
import { TASK_GROUP_FAILED } from './task-group-error.ts';
import { readThrown, type ThrownFacts } from './thrown.ts';
import { boundedLabel } from './bounded-label.ts';

export interface RecordErrorOptions {
  /** The span to record on; default: the active span. No span: only the counter. */
  span?: Span;
  /** Extra attributes for the outermost exception event (never for the metric). */
  attributes?: Attributes;
  /** False only for uncaught exceptions and unhandled rejections. Default true. */
  handled?: boolean;
  /** False leaves the span status alone (a 4xx answer is not a failed server span). Default true. */
  setStatus?: boolean;
  /**
   * True when the error was seen on its way through the app rather than recorded by it: a logger's
   * error line, a framework handing the error to the app's own handler. On a span whose status is
   * decided when it ends (the HTTP server span: the response's status decides) the status is then
   * left to that, unless `setStatus` says otherwise. Default false.
   */
  observed?: boolean;
  /**
   * False records on the span only, without counting and without marking the error as recorded:
   * for instrumentation spans (an HTTP client span seeing a failed call) whose error is counted
   * where the app handles it. Default true.
   */
  count?: boolean;
}

/**
 * Records an error: exception events on the span (the whole cause chain and AggregateError
 * children, bounded), status ERROR with `error.type`, and one count on `app.errors`. Returns the
 * error's ErrorInfo.
 *
 * An error object is recorded once: later calls with the same object (the logger after the
 * error middleware, say) return its ErrorInfo and record nothing. Thrown primitives cannot be
 * remembered and are recorded on every call. Without a started SDK this only classifies.
 * Never throws.
 */
export function recordError(err: unknown, options: RecordErrorOptions = {}): ErrorInfo {
  return recordUnlessRecorded(err, options) ?? classify(err);
}

/**
 * recordError() for callers that do not need the ErrorInfo of an error recorded before (the
 * logger): undefined for such an error instead of a fresh copy of its ErrorInfo. Never throws.
 */
export function recordUnlessRecorded(err: unknown, options: RecordErrorOptions = {}): ErrorInfo | undefined {
  let info: ErrorInfo | undefined;
  try {
    const runtime = getRuntime();
    const counting = options.count !== false;
    const remember = counting && isObjectLike(err);
    // A crash is always recorded, even when the same error was recorded as handled before it was
    // rethrown: `error.handled=false` is what the unhandled-error alert counts.
    if (remember && options.handled !== false && runtime.recorded.has(err)) return undefined;
    const span = spanFor(options);
    const counter = counting ? runtime.errorCounter : undefined;
    if (span === undefined && counter === undefined) return classify(err);

    const tree = walkErrorTree(err, runtime.config.maxCauseDepth, runtime.config.maxExceptionEvents);
    const outer = tree.nodes[0];
    const memo = memoFor(err);
    info = memo?.info ?? (outer === undefined ? classify(err) : classifyFacts(outer.facts, memo));
    if (memo !== undefined) rememberInfoIn(memo, info);
    if (span !== undefined) recordOnSpan(span, info, tree, runtime, options.setStatus ?? !(options.observed === true && statusDecidedAtEnd(span)), options, memo);
    if (counter !== undefined) {
      const handled = options.handled !== false;
      // A crash is one unhandled error, whatever it holds: the unhandled-error alert counts it.
      const members = handled && outer !== undefined ? compositeMembers(outer.facts) : undefined;
      if (members !== undefined && members.length > 0) countMembers(err, members, counter, runtime, new Set([err as object]), 0);
      else count(counter, info, runtime, handled);
    }
    if (remember) runtime.recorded.add(err);
    return info;
  } catch (failure) {
    warnOnce('record-error', `recordError failed and recorded nothing: ${failure instanceof Error ? failure.message : 'unknown failure'}`);
    return info ?? classify(err);
  }
}

function count(counter: Counter, info: ErrorDescription, runtime: Runtime, handled: boolean): void {
  counter.add(1, {
    [ATTR_ERROR_TYPE]: cappedType(info.type, runtime),
    [ATTR_ERROR_CATEGORY]: info.category,
    [ATTR_ERROR_HANDLED]: handled,
  });
}

/**
 * The failures a composite error stands for: a TaskGroupError's failures, a SuppressedError's
 * `error` and `suppressed`. A composite is counted through them (each once, skipping those already
 * recorded) and never itself: a group whose failures were counted on their task spans, or a failed
 * disposer whose failure was counted on its resource span, would otherwise be counted twice, under a
 * type that says nothing of what failed. Undefined for any other error.
 */
function compositeMembers(facts: ThrownFacts): unknown[] | undefined {
  if (facts.suppression !== undefined) return [facts.suppression.error, facts.suppression.suppressed].filter((member) => member !== undefined && member !== null);
  if (facts.appError !== undefined && facts.code === TASK_GROUP_FAILED) return facts.children ?? [];
  return undefined;
}

const MAX_COMPOSITE_NESTING = 8;

function countMembers(composite: unknown, members: unknown[], counter: Counter, runtime: Runtime, seen: Set<object>, depth: number): void {
  if (isObjectLike(composite)) runtime.recorded.add(composite);
  for (const member of members) {
    if (isObjectLike(member)) {
      if (seen.has(member) || runtime.recorded.has(member)) continue;
      seen.add(member);
    }
    const facts = readThrown(member);
    const nested = depth < MAX_COMPOSITE_NESTING ? compositeMembers(facts) : undefined;
    if (nested !== undefined && nested.length > 0) {
      countMembers(member, nested, counter, runtime, seen, depth + 1);
      continue;
    }
    count(counter, describeFacts(facts, memoFor(member)), runtime, true);
    if (isObjectLike(member)) runtime.recorded.add(member);
  }
}

/** Whether this error object was already recorded (by any copy of faultline). */
export function wasRecorded(err: unknown): boolean {
  try {
    return isObjectLike(err) && getRuntime().recorded.has(err);
  } catch { // eslint-disable-line faultline/no-blind-catch -- wasRecorded never throws: a hostile value counts as not recorded
    return false;
  }
}

/**
 * Set (to true) on spans whose status is decided when they end, as the HTTP server span's is by the
 * response's status: an error observed on them leaves the status to that.
 */
export const STATUS_DECIDED_AT_END = Symbol.for('faultline.span.statusDecidedAtEnd');

function statusDecidedAtEnd(span: Span): boolean {
  return (span as Span & { [STATUS_DECIDED_AT_END]?: unknown })[STATUS_DECIDED_AT_END] === true;
}

/** recordError's options for an error observed on its way (loggers, framework error paths); handled. */
export const OBSERVED: Readonly<RecordErrorOptions> = Object.freeze({ handled: true, observed: true });

function spanFor(options: RecordErrorOptions): Span | undefined {
  const span = options.span ?? trace.getActiveSpan();
  if (span === undefined) return undefined;
  return span.isRecording() ? span : undefined;
}

/**
 * An `error.type` value bounded the way `app.errors` bounds it (the same set of seen types, the
 * same cap, `_OTHER` beyond it), for other metrics that carry `error.type`. Never throws.
 */
export function boundedErrorType(type: string): string {
  try {
    return cappedType(type, getRuntime());
  } catch { // eslint-disable-line faultline/no-blind-catch -- a bounded label is all the caller needs; _OTHER is always safe
    return ERROR_TYPE_VALUE_OTHER;
  }
}

/** Types beyond `maxErrorTypes` distinct values count as `_OTHER` so the series stay bounded. */
function cappedType(type: string, runtime: Runtime): string {
  return boundedLabel(runtime.errorTypes, runtime.config.maxErrorTypes, type);
}

function recordOnSpan(
  span: Span,
  info: ErrorInfo,
  tree: ReturnType<typeof walkErrorTree>,
  runtime: Runtime,
  setStatus: boolean,
  options: RecordErrorOptions,
  outerMemo: ErrorMemo | undefined,
): void {
  tree.nodes.forEach((node, index) => {
    const memo = index === 0 ? outerMemo : memoFor(node.value);
    const nodeInfo: ErrorDescription = index === 0 ? info : describeFacts(node.facts, memo);
    const attributes: Attributes = index === 0 ? extraAttributes(options.attributes) : {};
    attributes[ATTR_EXCEPTION_TYPE] = nodeInfo.type;
    attributes[ATTR_EXCEPTION_MESSAGE] = nodeInfo.message;
    if (node.facts.stack !== undefined) attributes[ATTR_EXCEPTION_STACKTRACE] = redactedStack(node.facts.stack, runtime.config.maxStackFrames, memo);
    if (nodeInfo.code !== undefined) attributes[ATTR_EXCEPTION_CODE] = nodeInfo.code;
    const notes = notesOf(node.value);
    if (notes.length > 0) attributes[ATTR_EXCEPTION_NOTES] = notes.map((note) => redactText(note));
    attributes[ATTR_ERROR_CATEGORY] = nodeInfo.category;
    attributes[ATTR_EXCEPTION_RETRYABLE] = nodeInfo.retryable;
    attributes[ATTR_EXCEPTION_INDEX] = index;
    attributes[ATTR_EXCEPTION_CAUSE_DEPTH] = node.depth;
    if (node.parent !== undefined) {
      attributes[ATTR_EXCEPTION_PARENT] = node.parent;
      attributes[ATTR_EXCEPTION_RELATION] = node.relation;
    }
    if (index === 0) {
      attributes[ATTR_EXCEPTION_FINGERPRINT] = info.fingerprint;
      if (tree.truncated) attributes[ATTR_EXCEPTION_TRUNCATED] = true;
    }
    span.addEvent(EVENT_EXCEPTION, attributes);
  });
  if (setStatus) {
    span.setAttribute(ATTR_ERROR_TYPE, info.type);
    span.setStatus({ code: SpanStatusCode.ERROR, message: cut(`${info.type}: ${info.message}`, MAX_STATUS_DESCRIPTION_LENGTH) });
  }
}

/** Caller attributes: valid attribute values only, strings redacted, at most 32. */
function extraAttributes(extra: Attributes | undefined): Attributes {
  const out: Attributes = {};
  if (!isObjectLike(extra)) return out;
  let count = 0;
  try {
    for (const key in extra) {
      if (!Object.prototype.hasOwnProperty.call(extra, key)) continue;
      if (count >= MAX_EXTRA_ATTRIBUTES) break;
      const value = safeAttribute(extra[key]);
      if (value !== undefined) {
        out[key] = value;
        count += 1;
      }
    }
  } catch { // eslint-disable-line faultline/no-blind-catch -- a hostile attributes object keeps what was read
  }
  return out;
}

function safeAttribute(value: unknown): string | number | boolean | string[] | number[] | boolean[] | undefined {
  if (typeof value === 'string') return redactText(cut(value, 4096));
  if (typeof value === 'number' || typeof value === 'boolean') return value;
  if (Array.isArray(value)) {
    const items = value.slice(0, 64);
    if (items.every((item) => typeof item === 'string')) return items.map((item) => redactText(cut(item, 1024)));
    if (items.every((item) => typeof item === 'number')) return items;
    if (items.every((item) => typeof item === 'boolean')) return items;
  }
  return undefined;
}

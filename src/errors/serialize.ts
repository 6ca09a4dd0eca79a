import { getRuntime } from '../runtime.ts';
import type { ErrorCategory } from './category.ts';
import { describeFacts } from './classify.ts';
import { memoFor } from './memo.ts';
import { fingerprint } from './fingerprint.ts';
import { walkErrorTree } from './error-tree.ts';
import { notesOf } from './notes.ts';
import { redactedStack, redactText, redactValue } from './redact.ts';
import { readProperty } from './safe-read.ts';
import { APP_ERROR_BRAND } from './app-error.ts';

/** An error as it appears in a log line. Every string is redacted and capped. */
export interface SerializedError {
  type: string;
  code?: string;
  category: ErrorCategory;
  message: string;
  /** At most `maxStackFrames` frames. */
  stack?: string;
  notes?: string[];
  /** Grouping key, on the outermost error only. */
  fingerprint?: string;
  retryable: boolean;
  /** An AppError's `details`, redacted. */
  details?: unknown;
  cause?: SerializedError;
  /** AggregateError children. */
  errors?: SerializedError[];
  /** A SuppressedError's `error`: what was thrown while cleaning up. */
  error?: SerializedError;
  /** A SuppressedError's `suppressed`: the error that was propagating when `error` was thrown. */
  suppressed?: SerializedError;
  /** Present when the cause chain or children were cut by the depth or count cap. */
  truncated?: true;
}

/**
 * Turns any thrown value into a plain, redacted, bounded object for a log line (the logger uses it
 * as pino's `err` serializer). Cause chain, AggregateError children and a SuppressedError's two errors are followed as far as
 * `maxCauseDepth` and `maxExceptionEvents` allow; cycles stop the walk. Never throws.
 */
export function serializeError(err: unknown): SerializedError {
  try {
    const config = getRuntime().config;
    const tree = walkErrorTree(err, config.maxCauseDepth, config.maxExceptionEvents);
    const serialized = tree.nodes.map((node, index): SerializedError => {
      // Only the logged error needs a grouping key; its causes are grouped under it.
      const memo = memoFor(node.value);
      const info = describeFacts(node.facts, memo);
      const out: SerializedError = { type: info.type, category: info.category, message: info.message, retryable: info.retryable };
      if (index === 0) out.fingerprint = memo?.info?.fingerprint ?? fingerprint(info.type, node.facts.stack, node.facts.message);
      if (info.code !== undefined) out.code = info.code;
      if (node.facts.stack !== undefined) out.stack = redactedStack(node.facts.stack, config.maxStackFrames, memo);
      const notes = notesOf(node.value);
      if (notes.length > 0) out.notes = notes.map((note) => redactText(note));
      if (readProperty(node.value, APP_ERROR_BRAND) === true) {
        const details = readProperty(node.value, 'details');
        if (details !== undefined) out.details = redactValue(details);
      }
      return out;
    });
    tree.nodes.forEach((node, index) => {
      const self = serialized[index];
      const parent = node.parent === undefined ? undefined : serialized[node.parent];
      if (self === undefined || parent === undefined) return;
      if (node.relation === 'cause') parent.cause = self;
      else if (node.relation === 'error') parent.error = self;
      else if (node.relation === 'suppressed') parent.suppressed = self;
      else (parent.errors ??= []).push(self);
    });
    const root = serialized[0];
    if (root === undefined) return serializeFallback(err);
    if (tree.truncated) root.truncated = true;
    return root;
  } catch { // eslint-disable-line faultline/no-blind-catch -- serializeError never throws: a hostile error gets the fallback shape
    return serializeFallback(err);
  }
}

function serializeFallback(err: unknown): SerializedError {
  const type = '_OTHER';
  let message = '';
  try {
    message = redactText(typeof err === 'string' ? err.slice(0, 1024) : '');
  } catch { // eslint-disable-line faultline/no-blind-catch -- serializeError never throws: nothing readable is an empty message
  }
  return { type, category: 'internal', message, fingerprint: '0000000000000000', retryable: false };
}

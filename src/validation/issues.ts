import { REDACTED, redactText } from '../errors/redact.ts';
import { cut, readArray, readProperty, safeString } from '../errors/safe-read.ts';

/** One problem found in a payload, safe to show to the client that sent it and to export. */
export interface ValidationIssue {
  /** JSON Pointer (RFC 6901) to the offending value: `/card/number`, `/items/0/qty`; `''` is the whole payload. */
  path: string;
  /** The validator's machine-readable code (`invalid_format`, `too_small`, `pattern`, …), or `invalid`. */
  code: string;
  /** The validator's message with the offending value masked, redacted and capped. */
  message: string;
}

/** Issues kept per error: enough to fix a request, bounded for headers, spans and logs. */
export const MAX_ISSUES = 20;
const MAX_PATH_SEGMENTS = 16;
const MAX_PATH_LENGTH = 256;
const MAX_CODE_LENGTH = 64;
const MAX_ISSUE_MESSAGE_LENGTH = 256;
/** Raw strings shorter than this are masked only where the validator quotes them. */
const MIN_BARE_VALUE_LENGTH = 4;

function segmentKey(segment: unknown): unknown {
  // Standard Schema allows a bare key or `{ key }` (valibot's path items carry the input too).
  return typeof segment === 'object' && segment !== null ? readProperty(segment, 'key') : segment;
}

function keyText(key: unknown): string {
  if (typeof key === 'string') return key;
  if (typeof key === 'number') return String(key);
  if (typeof key === 'symbol') return key.description ?? 'symbol';
  return safeString(key, 64);
}

function pathKeys(issue: unknown): unknown[] {
  return (readArray(issue, 'path', MAX_PATH_SEGMENTS) ?? []).map(segmentKey);
}

/** RFC 6901: `~` becomes `~0`, `/` becomes `~1`. */
function toPointer(keys: unknown[]): string {
  const pointer = keys.map((key) => `/${keyText(key).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
  return redactText(cut(pointer, MAX_PATH_LENGTH));
}

function codeOf(issue: unknown): string {
  // zod and arktype call it `code`; valibot calls it `type` (`kind` is only schema/validation).
  for (const key of ['code', 'type']) {
    const value = readProperty(issue, key);
    if (typeof value === 'string' && value !== '') {
      const code = value.slice(0, MAX_CODE_LENGTH).replace(/[^A-Za-z0-9_.:-]/g, '_');
      if (/[A-Za-z0-9]/.test(code)) return code;
    }
  }
  return 'invalid';
}

function valueAt(payload: unknown, keys: unknown[]): unknown {
  let current = payload;
  for (const key of keys) {
    if (typeof key !== 'string' && typeof key !== 'number') return undefined;
    current = readProperty(current, key);
    if (current === undefined) return undefined;
  }
  return current;
}

/**
 * valibot (`Received "…"`) and arktype (`(was "…")`) quote the offending input in their messages;
 * a password that fails a length rule would leave the process in an error message. The value at
 * the issue's path is masked wherever it appears.
 */
function maskValue(message: string, value: unknown): string {
  if (typeof value !== 'string' || value === '') return message;
  let masked = message.split(JSON.stringify(value)).join(`"${REDACTED}"`);
  if (value.length >= MIN_BARE_VALUE_LENGTH) masked = masked.split(value).join(REDACTED);
  return masked;
}

export function normalizeIssue(issue: unknown, payload: unknown): ValidationIssue {
  const keys = pathKeys(issue);
  const raw = readProperty(issue, 'message');
  const message = typeof raw === 'string' ? raw : 'Invalid value';
  return {
    path: toPointer(keys),
    code: codeOf(issue),
    message: cut(redactText(maskValue(cut(message, 4 * MAX_ISSUE_MESSAGE_LENGTH), valueAt(payload, keys))), MAX_ISSUE_MESSAGE_LENGTH),
  };
}

/** The first MAX_ISSUES issues, normalised; `total` counts all of them. */
export function normalizeIssues(issues: unknown, payload: unknown): { issues: ValidationIssue[]; total: number } {
  const total = Array.isArray(issues) ? issues.length : 0;
  const kept = readArray({ issues }, 'issues', MAX_ISSUES) ?? [];
  return { issues: kept.map((issue) => normalizeIssue(issue, payload)), total };
}

/** Reads issues back from an error's `details.issues` (any AppError of the validation category). */
export function issuesOf(err: unknown): ValidationIssue[] {
  const items = readArray(readProperty(err, 'details'), 'issues', MAX_ISSUES) ?? [];
  const issues: ValidationIssue[] = [];
  for (const item of items) {
    const path = readProperty(item, 'path');
    const code = readProperty(item, 'code');
    const message = readProperty(item, 'message');
    if (typeof message !== 'string') continue;
    issues.push({
      path: typeof path === 'string' ? redactText(cut(path, MAX_PATH_LENGTH)) : '',
      code: typeof code === 'string' ? cut(code, MAX_CODE_LENGTH) : 'invalid',
      message: cut(redactText(message), MAX_ISSUE_MESSAGE_LENGTH),
    });
  }
  return issues;
}

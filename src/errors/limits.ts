// Size caps that keep error handling bounded in time and memory whatever is thrown. Caps that
// users tune (stack frames, cause depth, event count, error types) live in config.ts instead.

/** Longest message kept in ErrorInfo, exception events and log lines. */
export const MAX_MESSAGE_LENGTH = 1024;
/** Longest `error.type` / `exception.type`: it is a metric attribute. */
export const MAX_TYPE_LENGTH = 64;
/** Longest `code` kept. */
export const MAX_CODE_LENGTH = 64;
/** Longest span status description. */
export const MAX_STATUS_DESCRIPTION_LENGTH = 256;
/** Notes kept per error, and the longest note. */
export const MAX_NOTES = 16;
export const MAX_NOTE_LENGTH = 1024;
/** Only this much of a stack string is ever read. */
export const MAX_STACK_INPUT = 64 * 1024;
/** Longest single stack frame line kept. */
export const MAX_FRAME_LENGTH = 512;
/** Longest text redaction scans; the rest is cut off, never passed through unredacted. */
export const MAX_REDACT_INPUT = 64 * 1024;
/** AggregateError children looked at per error. */
export const MAX_AGGREGATE_CHILDREN = 64;
/** Extra attributes accepted by recordError. */
export const MAX_EXTRA_ATTRIBUTES = 32;

/** Bounds for a deep copy of unknown data. */
export interface CopyLimits {
  maxDepth: number;
  maxKeys: number;
  maxItems: number;
  maxStringLength: number;
  maxNodes: number;
}

/** `details` of an AppError: small, it rides on every log line of the error. */
export const DETAILS_LIMITS: CopyLimits = { maxDepth: 4, maxKeys: 32, maxItems: 32, maxStringLength: 512, maxNodes: 256 };

/** redactValue: generous enough for a log object, still bounded. */
export const REDACT_VALUE_LIMITS: CopyLimits = { maxDepth: 8, maxKeys: 100, maxItems: 100, maxStringLength: 8192, maxNodes: 2000 };

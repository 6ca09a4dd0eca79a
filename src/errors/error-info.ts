import type { ErrorCategory } from './category.ts';

// The result types of classify(), in a file of their own: the memo stores them and redaction reads
// the memo, so keeping them apart from classify.ts lets classify import both without a circle.

/** What faultline knows about a thrown value; every field is bounded and safe to export. */
export interface ErrorInfo {
  /**
   * `error.type`: the stable code where there is one (taxonomy codes, `ECONNREFUSED`), else the
   * class name, else `_OTHER`. At most 64 characters of `[A-Za-z0-9_.:-]`.
   */
  type: string;
  category: ErrorCategory;
  /** The value's string `code`, if any (capped, redacted). */
  code: string | undefined;
  retryable: boolean;
  /** Grouping key: 16 hex characters, equal for the same bug across processes and releases. */
  fingerprint: string;
  /** Redacted message, at most 1024 characters. */
  message: string;
}

/** ErrorInfo without the fingerprint, which costs a stack parse and a hash. */
export type ErrorDescription = Omit<ErrorInfo, 'fingerprint'>;

// The public API, exported by name. Every name here is documented in the README.

// Setup and lifecycle
export { start } from './start.ts';
export { flush, shutdown, isStarted } from './sdk/start.ts';
export { droppedTelemetry, DROPPED_METRIC } from './sdk/drops.ts';
export { loadConfig } from './config.ts';
export type { FaultlineConfig, StartOptions } from './config.ts';

// The error model
export { AppError, isAppError, hasCode, APP_ERROR_BRAND } from './errors/app-error.ts';
export type { AppErrorInit, AppErrorOptions, ErrorDetails } from './errors/app-error.ts';
export { defineError } from './errors/define-error.ts';
export type { DefineErrorSpec, DefinedError } from './errors/define-error.ts';
export { ERROR_CATEGORIES, isErrorCategory } from './errors/category.ts';
export type { ErrorCategory } from './errors/category.ts';
export {
  ValidationError,
  NotFound,
  Unauthorized,
  Forbidden,
  Conflict,
  RateLimited,
  DatabaseUnavailable,
  DatabaseConflict,
  DatabaseConstraint,
  DatabaseTransactionAborted,
  DatabaseTimeout,
  DatabaseError,
  OperationTimeout,
  Cancelled,
  CircuitOpen,
  DependencyFailed,
  InternalError,
} from './errors/catalog.ts';
export { addNote, notesOf } from './errors/notes.ts';
export { classify } from './errors/classify.ts';
export type { ErrorInfo } from './errors/classify.ts';
export { recordError, wasRecorded } from './errors/record-error.ts';
export type { RecordErrorOptions } from './errors/record-error.ts';
export { ERROR_COUNTER_NAME } from './errors/error-counter.ts';
export { serializeError } from './errors/serialize.ts';
export type { SerializedError } from './errors/serialize.ts';
export { redactText, redactValue, REDACTED, DEFAULT_REDACTION_PATTERNS } from './errors/redact.ts';
export type { RedactionPattern } from './errors/redact.ts';

// Logging
export { createLogger, installPinoCorrelation, droppedLogLines } from './logging/index.ts';
export type { CreateLoggerOptions } from './logging/index.ts';

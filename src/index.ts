// The public API, exported by name. Every name here is documented in the README.

// Setup and lifecycle
export { start } from './start.ts';
export { flush, shutdown, isStarted } from './sdk/start.ts';
export { droppedTelemetry, DROPPED_METRIC, spooledTelemetry, SPOOLED_METRIC } from './export/drops.ts';
export { ATTR_ENDED_AT_EXIT } from './export/open-spans.ts';
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
  BulkheadRejected,
  DependencyFailed,
  InternalError,
  TaskGroupClosed,
} from './errors/catalog.ts';
export { TaskGroupError } from './errors/task-group-error.ts';
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

// HTTP error handlers (RFC 9457 problem details)
export { problemFor, PROBLEM_CONTENT_TYPE } from './http/problem.ts';
export type { ProblemDetails, ProblemOptions, ProblemContext, HttpProblem } from './http/problem.ts';
export { CATEGORY_STATUS, CLIENT_CLOSED_REQUEST } from './http/status.ts';
export { handleHttpError, withErrorHandling } from './http/node-http.ts';
export type { ErrorOutcome } from './http/error-response.ts';
export { expressErrorHandler } from './http/express.ts';
export type { ExpressErrorMiddleware } from './http/express.ts';
export { fastifyErrorHandler, fastifyErrorPlugin } from './http/fastify.ts';
export type { FastifyErrorHandler, FastifyErrorPlugin, FastifyRequestLike, FastifyReplyLike } from './http/fastify.ts';

// PostgreSQL
export { translatePgError, withPgErrors, isPgError } from './db/postgres.ts';
export type { TranslatePgErrorOptions } from './db/postgres.ts';

// Boundary validation (Standard Schema)
export { parse, parseAsync } from './validation/parse.ts';
export type { ValidationIssue } from './validation/issues.ts';
export type { StandardSchemaV1, InferOutput } from './validation/standard-schema.ts';

// Structured concurrency: task groups, except* and cancellation
export { taskGroup } from './concurrency/task-group.ts';
export type { TaskGroup, TaskGroupOptions, SpawnOptions } from './concurrency/task-group.ts';
export { splitErrors } from './concurrency/split-errors.ts';
export type { ErrorMatch, SplitErrors } from './concurrency/split-errors.ts';
export { isCancellation } from './concurrency/cancellation.ts';

// Resources for `await using`: acquire, use, release, timed and watched for leaks
export { acquireResource } from './resources/resource.ts';
export type { Resource, ResourceOptions } from './resources/resource.ts';
export { acquirePgClient } from './resources/pg-client.ts';
export type { PgClientResource, PgClientOptions, PgClientBreak, PgClientOf, PgPoolLike, PgPoolClientLike } from './resources/pg-client.ts';

// Resilience policies: retry, timeout, bulkhead, fallback, circuit breaker, composition
export type { Policy, PolicyContext } from './resilience/policy.ts';
export type { ResilienceStrategy, ResilienceEventName, CircuitState } from './resilience/telemetry.ts';
export { retryPolicy } from './resilience/retry.ts';
export type { RetryOptions, RetryJitter } from './resilience/retry.ts';
export type { RetryBudgetOptions } from './resilience/retry-budget.ts';
export { timeoutPolicy } from './resilience/timeout.ts';
export type { TimeoutOptions } from './resilience/timeout.ts';
export { bulkheadPolicy } from './resilience/bulkhead.ts';
export type { BulkheadOptions, BulkheadPolicy } from './resilience/bulkhead.ts';
export { fallbackPolicy } from './resilience/fallback.ts';
export type { FallbackOptions, FallbackPolicy } from './resilience/fallback.ts';
export { composePolicies } from './resilience/compose.ts';
export type { FallbackOf } from './resilience/compose.ts';
export { circuitBreaker } from './resilience/circuit-breaker.ts';
export type { CircuitBreaker, CircuitBreakerOptions, FailureRateOptions, HalfOpenBackoff } from './resilience/circuit-breaker.ts';
export { redisBreakerStore } from './resilience/redis-breaker-store.ts';
export type { BreakerStore, RedisBreakerStoreOptions } from './resilience/redis-breaker-store.ts';
export type { RedisClientLike, NodeRedisClientLike, IoRedisClientLike } from './resilience/redis-connection.ts';

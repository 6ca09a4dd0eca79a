// Attribute, event and metric names used on the wire. Dashboards and alert rules depend on them.
//
// Stable semantic-convention names come from the package's main entry. Names that are still
// incubating are copied here as constants instead of importing `/incubating`, whose exports may
// change in any minor release. faultline's own names (not in the conventions) live here too, so
// every name that leaves the process is listed in one file.

export {
  ATTR_ERROR_TYPE,
  ATTR_EXCEPTION_MESSAGE,
  ATTR_EXCEPTION_STACKTRACE,
  ATTR_EXCEPTION_TYPE,
  ERROR_TYPE_VALUE_OTHER,
} from '@opentelemetry/semantic-conventions';

/** The span event name the conventions use for exceptions (`recordException` uses it too). */
export const EVENT_EXCEPTION = 'exception';

// Incubating in semantic-conventions 1.45 (copied, not imported).
export const ATTR_ERROR_MESSAGE = 'error.message';

// faultline's own names, documented in docs/errors.md.
export const ATTR_ERROR_CATEGORY = 'error.category';
export const ATTR_ERROR_HANDLED = 'error.handled';
export const ATTR_EXCEPTION_CODE = 'exception.code';
export const ATTR_EXCEPTION_NOTES = 'exception.notes';
export const ATTR_EXCEPTION_FINGERPRINT = 'exception.fingerprint';
export const ATTR_EXCEPTION_RETRYABLE = 'exception.retryable';
/** 0 for the error that was recorded, 1 for its cause or AggregateError child, and so on. */
export const ATTR_EXCEPTION_CAUSE_DEPTH = 'exception.cause_depth';
/** Position of this event among the exception events of one recording (0 = outermost). */
export const ATTR_EXCEPTION_INDEX = 'exception.index';
/** `exception.index` of the error this one hangs from. */
export const ATTR_EXCEPTION_PARENT = 'exception.parent';
/** How this error hangs from its parent: `cause`, `aggregate` (an AggregateError child), or a SuppressedError's `error` / `suppressed`. */
export const ATTR_EXCEPTION_RELATION = 'exception.relation';
/** Set on the outermost event when the cause chain was cut by the depth or event-count cap. */
export const ATTR_EXCEPTION_TRUNCATED = 'exception.truncated';

/** Counter of recorded errors; Prometheus shows it as `app_errors_total`. */
export const METRIC_APP_ERRORS = 'app.errors';

// Boundaries: HTTP error handlers and PostgreSQL error translation (src/http, src/db).
export {
  ATTR_DB_COLLECTION_NAME,
  ATTR_DB_RESPONSE_STATUS_CODE,
  ATTR_DB_SYSTEM_NAME,
  ATTR_HTTP_ROUTE,
  DB_SYSTEM_NAME_VALUE_POSTGRESQL,
} from '@opentelemetry/semantic-conventions';
/** The violated constraint's name (not in the conventions; the PostgreSQL driver reports it). */
export const ATTR_DB_POSTGRESQL_CONSTRAINT = 'db.postgresql.constraint';
/** The column a not-null or check violation is about (not in the conventions). */
export const ATTR_DB_POSTGRESQL_COLUMN = 'db.postgresql.column';

// Structured concurrency (src/concurrency): faultline's own names, no convention exists.
/** The group's `options.name`, on the group span and on each of its task spans. */
export const ATTR_TASK_GROUP_NAME = 'task_group.name';
/** `options.limit` of the group, when it has one. */
export const ATTR_TASK_GROUP_LIMIT = 'task_group.limit';
/** How many tasks the group started / saw fail / saw cancelled or never started (on the group span). */
export const ATTR_TASK_GROUP_TASKS = 'task_group.tasks';
export const ATTR_TASK_GROUP_FAILURES = 'task_group.failures';
export const ATTR_TASK_GROUP_CANCELLED_TASKS = 'task_group.cancelled_tasks';
/** True on a group span whose group was cancelled from outside (its `options.signal` aborted). */
export const ATTR_TASK_GROUP_CANCELLED = 'task_group.cancelled';
/** The task's `spawn(task, { name })`, on its span. */
export const ATTR_TASK_GROUP_TASK_NAME = 'task_group.task.name';
/** True on a task span whose task ended in a cancellation (not a failure). */
export const ATTR_TASK_GROUP_TASK_CANCELLED = 'task_group.task.cancelled';

// Resources (src/resources). Pool clients follow the database conventions (incubating in 1.45,
// copied): db.client.connection.wait_time / use_time with the pool name. Other resources get the
// same pair under faultline's own `app.resource.*` names, beside `app.errors`.
export const METRIC_DB_CLIENT_CONNECTION_WAIT_TIME = 'db.client.connection.wait_time';
export const METRIC_DB_CLIENT_CONNECTION_USE_TIME = 'db.client.connection.use_time';
export const ATTR_DB_CLIENT_CONNECTION_POOL_NAME = 'db.client.connection.pool.name';
/** Seconds an acquire waited for a resource (histogram). */
export const METRIC_RESOURCE_WAIT_TIME = 'app.resource.wait_time';
/** Seconds a resource was held, acquire to release (histogram). */
export const METRIC_RESOURCE_USE_TIME = 'app.resource.use_time';
/** Resources garbage-collected without being released (counter). */
export const METRIC_RESOURCE_LEAKS = 'app.resource.leaks';
/** The resource's name (a pool client's: its pool name), on its span and its metrics. */
export const ATTR_RESOURCE_NAME = 'app.resource.name';
/** True on a resource span ended because the resource was garbage-collected unreleased. */
export const ATTR_RESOURCE_LEAKED = 'app.resource.leaked';
/** On a pool client's span when the client was destroyed instead of returned: why (`session_ended`, …). */
export const ATTR_RESOURCE_DESTROYED = 'app.resource.destroyed';

// Resilience policies (src/resilience): faultline's own names. OpenTelemetry has no resilience
// convention yet (semantic-conventions#2355); Polly v8's telemetry is the model. Documented in
// docs/resilience.md; the dashboard row and the alert rules query them.
/** Counter of policy events: `resilience_events_total` in Prometheus. */
export const METRIC_RESILIENCE_EVENTS = 'resilience.events';
/** Histogram (s) of each attempt a policy made: `resilience_attempt_duration_seconds` in Prometheus. */
export const METRIC_RESILIENCE_ATTEMPT_DURATION = 'resilience.attempt.duration';
/** Gauge: 1 for a breaker's current state, 0 for the others: `resilience_circuit_state` in Prometheus. */
export const METRIC_RESILIENCE_CIRCUIT_STATE = 'resilience.circuit.state';
/** The name the user gave the policy (bounded: past a cap, `_OTHER`). */
export const ATTR_RESILIENCE_POLICY = 'resilience.policy';
/** retry, timeout, bulkhead, fallback or circuit_breaker. */
export const ATTR_RESILIENCE_STRATEGY = 'resilience.strategy';
/** What happened: retry, give_up, timeout, rejected, fallback, circuit_opened, circuit_half_opened, circuit_closed, store_unavailable. */
export const ATTR_RESILIENCE_EVENT = 'resilience.event';
/** The attempt number, 1 for the first call (on the attempt histogram and retry span events). */
export const ATTR_RESILIENCE_ATTEMPT = 'resilience.attempt';
/** How an attempt ended: success, failure, timeout or rejected. */
export const ATTR_RESILIENCE_OUTCOME = 'resilience.outcome';
/** A breaker state: closed, open or half_open. */
export const ATTR_RESILIENCE_CIRCUIT_STATE = 'resilience.circuit.state';
/** On a retry span event: the delay in milliseconds before the next attempt. */
export const ATTR_RESILIENCE_DELAY_MS = 'resilience.retry.delay_ms';
/** On a give_up span event: why a retryable failure was not retried (`attempts` or `budget`). */
export const ATTR_RESILIENCE_GIVE_UP_REASON = 'resilience.retry.give_up_reason';
/** On a timeout span event: the policy's timeout in milliseconds. */
export const ATTR_RESILIENCE_TIMEOUT_MS = 'resilience.timeout.timeout_ms';

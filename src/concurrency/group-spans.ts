import { context, trace, type Attributes, type Context, type Span, type Tracer } from '@opentelemetry/api';
import { recordError, wasRecorded } from '../errors/record-error.ts';
import {
  ATTR_TASK_GROUP_CANCELLED,
  ATTR_TASK_GROUP_CANCELLED_TASKS,
  ATTR_TASK_GROUP_FAILURES,
  ATTR_TASK_GROUP_LIMIT,
  ATTR_TASK_GROUP_NAME,
  ATTR_TASK_GROUP_TASK_CANCELLED,
  ATTR_TASK_GROUP_TASK_NAME,
  ATTR_TASK_GROUP_TASKS,
} from '../semconv.ts';

const SCOPE = 'faultline';

export interface GroupCounts {
  started: number;
  failed: number;
  cancelled: number;
}

/**
 * The spans of one task group: the group's, active while the body runs, and one per task, active
 * while the task runs and parented on the group's span (a task belongs to its group, whoever
 * spawned it). Failures go through recordError: once on the task span that saw them, and the
 * group span gets the TaskGroupError with all of them as exception events (recordError counts a
 * TaskGroupError through its failures, so nothing is counted twice). Never throws.
 */
export class GroupSpans {
  readonly #tracer: Tracer;
  readonly #span: Span;
  readonly #context: Context;
  readonly #name: string | undefined;

  constructor(name: string | undefined, limit: number | undefined) {
    const parent = context.active();
    const attributes: Attributes = {};
    if (name !== undefined) attributes[ATTR_TASK_GROUP_NAME] = name;
    if (limit !== undefined) attributes[ATTR_TASK_GROUP_LIMIT] = limit;
    this.#name = name;
    this.#tracer = trace.getTracer(SCOPE);
    this.#span = this.#tracer.startSpan(name === undefined ? 'taskGroup' : `taskGroup ${name}`, { attributes }, parent);
    this.#context = trace.setSpan(parent, this.#span);
  }

  /** Runs the body with the group span active; a synchronous throw propagates. */
  runBody<Group, Result>(body: (group: Group) => Result, group: Group): Result {
    return context.with(this.#context, body, undefined, group);
  }

  startTask(taskName: string | undefined): Span {
    const attributes: Attributes = {};
    if (this.#name !== undefined) attributes[ATTR_TASK_GROUP_NAME] = this.#name;
    if (taskName !== undefined) attributes[ATTR_TASK_GROUP_TASK_NAME] = taskName;
    const label = taskName ?? this.#name;
    try {
      return this.#tracer.startSpan(label === undefined ? 'task' : `task ${label}`, { attributes }, this.#context);
    } catch { // eslint-disable-line faultline/no-blind-catch -- the span still parents its tasks by its IDs
      return trace.wrapSpanContext(this.#span.spanContext());
    }
  }

  /** Runs a task with its span active; a synchronous throw propagates. */
  runTask<Result>(span: Span, task: (signal: AbortSignal) => Result, signal: AbortSignal): Result {
    return context.with(trace.setSpan(this.#context, span), task, undefined, signal);
  }

  taskSucceeded(span: Span): void {
    endQuietly(span);
  }

  taskCancelled(span: Span): void {
    try {
      span.setAttribute(ATTR_TASK_GROUP_TASK_CANCELLED, true);
    } catch { // eslint-disable-line faultline/no-blind-catch -- an attribute is a courtesy; the span still ends
    }
    endQuietly(span);
  }

  /**
   * A failure on the span of the task that saw it, counted once. An error recorded before (the
   * task recorded it itself, or it is a nested group's TaskGroupError) still marks this span
   * failed, with its events, but is not counted again.
   */
  taskFailed(span: Span, error: unknown): void {
    recordError(error, wasRecorded(error) ? { span, count: false } : { span });
    endQuietly(span);
  }

  /** Ends the group span; `failure` is the group's TaskGroupError, `cancelled` an outside abort. */
  end(counts: GroupCounts, outcome: { failure?: unknown; cancelled?: boolean }): void {
    try {
      this.#span.setAttributes({
        [ATTR_TASK_GROUP_TASKS]: counts.started,
        [ATTR_TASK_GROUP_FAILURES]: counts.failed,
        [ATTR_TASK_GROUP_CANCELLED_TASKS]: counts.cancelled,
      });
      if (outcome.cancelled === true) this.#span.setAttribute(ATTR_TASK_GROUP_CANCELLED, true);
    } catch { // eslint-disable-line faultline/no-blind-catch -- attributes are a courtesy; the failure is still recorded and the span ended
    }
    if (outcome.failure !== undefined) recordError(outcome.failure, { span: this.#span });
    endQuietly(this.#span);
  }
}

function endQuietly(span: Span): void {
  try {
    span.end();
  } catch { // eslint-disable-line faultline/no-blind-catch -- a span implementation that throws on end must not fail the group
  }
}

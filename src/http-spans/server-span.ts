import { randomFillSync } from 'node:crypto';
import {
  type Attributes,
  type AnyValue,
  type Context,
  diag,
  type Exception,
  type HrTime,
  type Link,
  type Span,
  type SpanContext,
  SpanKind,
  type SpanStatus,
  SpanStatusCode,
  type TimeInput,
  trace,
  TraceFlags,
} from '@opentelemetry/api';
import {
  AddAttributeDecision,
  addHrTimes,
  cleanAttributes,
  cleanSimpleAttributes,
  hrTime,
  type InstrumentationScope,
  isTimeInput,
  maybeAddAttribute,
  millisToHrTime,
  timeInputToHrTime,
} from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import { type ReadableSpan, type Sampler, SamplingDecision, type SpanProcessor, type TimedEvent } from '@opentelemetry/sdk-trace';
import { ATTR_EXCEPTION_MESSAGE, ATTR_EXCEPTION_STACKTRACE, ATTR_EXCEPTION_TYPE } from '@opentelemetry/semantic-conventions';
import { STATUS_DECIDED_AT_END } from '../errors/record-error.ts';

/** The SDK's span limits with every field set (its defaults, faultline's value length limit). */
export interface EffectiveSpanLimits {
  attributeValueLengthLimit: number;
  attributeCountLimit: number;
  linkCountLimit: number;
  eventCountLimit: number;
  attributePerEventCountLimit: number;
  attributePerLinkCountLimit: number;
}

export interface ServerSpanSettings {
  sampler: Sampler;
  processors: readonly SpanProcessor[];
  resource: Resource;
  scope: InstrumentationScope;
  limits: EffectiveSpanLimits;
  /**
   * Every processor has taken what it needs from a span by the end of `onEnd` (faultline's
   * encode-at-end queues do): the ended span then lets go of its attributes, events and links.
   */
  releaseEndedSpans?: boolean;
}

// What an ended span reads as once released. Whatever outlives a request while holding its async
// context (a timer armed inside it, say) holds its span too: light shells keep those from surviving
// young-generation collections in numbers (measured when a keep-alive socket's idle timer still held
// the last request's context: what survived each scavenge under load fell from ~220 KB to ~65 KB,
// and promotion to the old generation by 90%).
const RELEASED_ATTRIBUTES: Attributes = Object.freeze({});
const RELEASED_LINKS: Link[] = Object.freeze([]) as unknown as Link[];
const RELEASED_EVENTS: TimedEvent[] = Object.freeze([]) as unknown as TimedEvent[];
// The status keeps its code and lets go of its description: on a failed request that is the
// error's type and message, and dropping it cut what survived each of the main thread's scavenges
// under the bench's load from ~22 KB to ~10 KB, and what was promoted to the old generation from
// ~13 KB to ~2 KB (`cd bench && node gc.js faultline`).
const RELEASED_ERROR_STATUS: SpanStatus = Object.freeze({ code: SpanStatusCode.ERROR });

// Random IDs from a pool refilled by the CSPRNG: one system call per 4 KiB instead of per span.
const POOL_BYTES = 4096;
const pool = Buffer.allocUnsafe(POOL_BYTES);
let poolAt = POOL_BYTES;

function randomHex(bytes: number): string {
  for (;;) {
    if (poolAt + bytes > POOL_BYTES) {
      randomFillSync(pool);
      poolAt = 0;
    }
    const start = poolAt;
    poolAt += bytes;
    // All-zero IDs are invalid; draw again in that (astronomically rare) case.
    for (let i = start; i < poolAt; i += 1) if (pool[i] !== 0) return pool.toString('hex', start, poolAt);
  }
}

/**
 * The HTTP server span, made without the SDK's Tracer.
 *
 * One is started for every request, so its cost is paid per request: the SDK's path validates and
 * copies the attributes twice (for the sampler, then for the span), reads the clock three times and
 * draws IDs through Math.random. The attributes here are faultline's own and known to be valid; the
 * sampler, the span processors, the limits and the behaviour of every Span method are the SDK's
 * (attributes, events and links the app adds go through the same checks as on an SDK span).
 */
export class ServerSpan implements Span, ReadableSpan {
  readonly kind = SpanKind.SERVER;
  readonly parentSpanContext: SpanContext | undefined;
  readonly startTime: HrTime;
  endTime: HrTime = [0, 0];
  name: string;
  status: SpanStatus = { code: SpanStatusCode.UNSET };
  attributes: Attributes;
  links: Link[] = [];
  events: TimedEvent[] = [];
  readonly resource: Resource;
  readonly instrumentationScope: InstrumentationScope;
  droppedAttributesCount = 0;
  droppedEventsCount = 0;
  droppedLinksCount = 0;
  ended = false;
  #duration: HrTime = [0, 0];
  readonly #context: SpanContext;
  readonly #startedAt: number;
  readonly #settings: ServerSpanSettings;
  #attributeCount: number;

  constructor(settings: ServerSpanSettings, name: string, context: SpanContext, parent: SpanContext | undefined, attributes: Attributes) {
    this.#settings = settings;
    this.#context = context;
    this.name = name;
    this.parentSpanContext = parent;
    this.attributes = attributes;
    this.#attributeCount = Object.keys(attributes).length;
    this.resource = settings.resource;
    this.instrumentationScope = settings.scope;
    this.#startedAt = performance.now();
    this.startTime = hrTime(this.#startedAt);
  }

  spanContext(): SpanContext {
    return this.#context;
  }

  /** The response's status decides this span's status when it ends (http-spans.ts), not an error seen on the way. */
  get [STATUS_DECIDED_AT_END](): boolean {
    return true;
  }

  get duration(): HrTime {
    return this.#duration;
  }

  isRecording(): boolean {
    return !this.ended;
  }

  #endedWarning(): boolean {
    if (this.ended) diag.warn(`Cannot execute the operation on ended Span {traceId: ${this.#context.traceId}, spanId: ${this.#context.spanId}}`);
    return this.ended;
  }

  setAttribute(key: string, value: AnyValue): this {
    if (this.#endedWarning()) return this;
    const decision = maybeAddAttribute({ key, value, attributes: this.attributes, limits: this.#settings.limits, currentAttributesCount: this.#attributeCount });
    if (decision === AddAttributeDecision.DROP_LIMIT_REACHED) {
      this.droppedAttributesCount += 1;
      if (this.droppedAttributesCount === 1) diag.warn('Dropping extra attributes.');
    } else if (decision === AddAttributeDecision.ADD_NEW) this.#attributeCount += 1;
    return this;
  }

  setAttributes(attributes: Attributes): this {
    for (const key in attributes) {
      const value = attributes[key];
      if (Object.prototype.hasOwnProperty.call(attributes, key) && value !== undefined) this.setAttribute(key, value);
    }
    return this;
  }

  addEvent(name: string, attributesOrStartTime?: Attributes | TimeInput, startTime?: TimeInput): this {
    if (this.#endedWarning()) return this;
    const { eventCountLimit, attributePerEventCountLimit, attributeValueLengthLimit } = this.#settings.limits;
    if (eventCountLimit === 0) {
      this.droppedEventsCount += 1;
      return this;
    }
    if (this.events.length >= eventCountLimit) {
      this.events.shift();
      this.droppedEventsCount += 1;
    }
    let attributes = attributesOrStartTime as Attributes | undefined;
    let time = startTime;
    if (isTimeInput(attributesOrStartTime)) {
      if (!isTimeInput(startTime)) time = attributesOrStartTime;
      attributes = undefined;
    }
    this.events.push({ name, time: this.#time(time), ...cleanSimpleAttributes(attributes, { attributeCountLimit: attributePerEventCountLimit, attributeValueLengthLimit }) });
    return this;
  }

  addLink(link: Link): this {
    if (this.#endedWarning()) return this;
    const { linkCountLimit, attributePerLinkCountLimit, attributeValueLengthLimit } = this.#settings.limits;
    if (linkCountLimit === 0) {
      this.droppedLinksCount += 1;
      return this;
    }
    if (this.links.length >= linkCountLimit) {
      this.links.shift();
      this.droppedLinksCount += 1;
    }
    this.links.push({ context: link.context, ...cleanAttributes(link.attributes, { attributeCountLimit: attributePerLinkCountLimit, attributeValueLengthLimit }) });
    return this;
  }

  addLinks(links: Link[]): this {
    for (const link of links) this.addLink(link);
    return this;
  }

  setStatus(status: SpanStatus): this {
    if (this.#endedWarning()) return this;
    // As in the SDK: UNSET changes nothing, and OK is final.
    if (status.code === SpanStatusCode.UNSET || this.status.code === SpanStatusCode.OK) return this;
    this.status = status.code === SpanStatusCode.ERROR && typeof status.message === 'string' ? { code: status.code, message: status.message } : { code: status.code };
    return this;
  }

  updateName(name: string): this {
    if (this.#endedWarning()) return this;
    this.name = name;
    return this;
  }

  end(endTime?: TimeInput): void {
    if (this.ended) {
      diag.error(`${this.name} ${this.#context.traceId}-${this.#context.spanId} - You can only call end() on a span once.`);
      return;
    }
    this.endTime = this.#time(endTime);
    const seconds = this.endTime[0] - this.startTime[0];
    const nanos = this.endTime[1] - this.startTime[1];
    this.#duration = nanos < 0 ? [seconds - 1, nanos + 1e9] : [seconds, nanos];
    if (this.#duration[0] < 0) {
      this.endTime = [this.startTime[0], this.startTime[1]];
      this.#duration = [0, 0];
    }
    for (const processor of this.#settings.processors) (processor as { onEnding?: (span: Span) => void }).onEnding?.(this);
    this.ended = true;
    for (const processor of this.#settings.processors) processor.onEnd(this);
    if (this.#settings.releaseEndedSpans === true) {
      this.attributes = RELEASED_ATTRIBUTES;
      this.links = RELEASED_LINKS;
      this.events = RELEASED_EVENTS;
      if (this.status.code === SpanStatusCode.ERROR && this.status.message !== undefined) this.status = RELEASED_ERROR_STATUS;
    }
  }

  recordException(exception: Exception, time?: TimeInput): void {
    const attributes: Attributes = {};
    if (typeof exception === 'string') attributes[ATTR_EXCEPTION_MESSAGE] = exception;
    else if (typeof exception === 'object') {
      if (exception.code !== undefined) attributes[ATTR_EXCEPTION_TYPE] = String(exception.code);
      else if (exception.name !== undefined) attributes[ATTR_EXCEPTION_TYPE] = exception.name;
      if (exception.message !== undefined) attributes[ATTR_EXCEPTION_MESSAGE] = exception.message;
      if (exception.stack !== undefined) attributes[ATTR_EXCEPTION_STACKTRACE] = exception.stack;
    }
    if (attributes[ATTR_EXCEPTION_TYPE] !== undefined || attributes[ATTR_EXCEPTION_MESSAGE] !== undefined) this.addEvent('exception', attributes, time);
    else diag.warn('Failed to record an exception', exception);
  }

  /** The SDK's reading of a time input: small numbers are performance.now() values. */
  #time(input: TimeInput | undefined): HrTime {
    if (input === undefined) return addHrTimes(this.startTime, millisToHrTime(performance.now() - this.#startedAt));
    if (typeof input === 'number' && input <= performance.now()) return hrTime(input);
    return timeInputToHrTime(input);
  }
}

/**
 * Starts the server span for a request whose (possibly remote) parent is in `parent`, or a
 * non-recording span when the sampler says so; the processors see it as they see the SDK's spans.
 */
export function startServerSpan(settings: ServerSpanSettings, name: string, attributes: Attributes, parent: Context): Span {
  // The values are request data (path, user agent): long ones are cut as the SDK would cut them.
  const lengthLimit = settings.limits.attributeValueLengthLimit;
  for (const key in attributes) {
    const value = attributes[key];
    if (typeof value === 'string' && value.length > lengthLimit) attributes[key] = value.substring(0, lengthLimit);
  }
  const parentContext = trace.getSpanContext(parent);
  const validParent = parentContext !== undefined && trace.isSpanContextValid(parentContext) ? parentContext : undefined;
  const traceId = validParent?.traceId ?? randomHex(16);
  const spanId = randomHex(8);
  const sampling = settings.sampler.shouldSample(parent, traceId, name, SpanKind.SERVER, attributes, []);
  const traceState = sampling.traceState ?? validParent?.traceState;
  const traceFlags = sampling.decision === SamplingDecision.RECORD_AND_SAMPLED ? TraceFlags.SAMPLED : TraceFlags.NONE;
  const context: SpanContext = traceState === undefined ? { traceId, spanId, traceFlags } : { traceId, spanId, traceFlags, traceState };
  if (sampling.decision === SamplingDecision.NOT_RECORD) return trace.wrapSpanContext(context);
  if (sampling.attributes !== undefined) {
    const extra = cleanAttributes(sampling.attributes, settings.limits).attributes;
    if (extra !== undefined) Object.assign(attributes, extra);
  }
  const span = new ServerSpan(settings, name, context, validParent, attributes);
  for (const processor of settings.processors) processor.onStart(span, parent);
  return span;
}

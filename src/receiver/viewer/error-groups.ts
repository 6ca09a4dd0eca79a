import type { ReceivedSpan, ReceivedSpanEvent } from '../types.ts';
import { receivedMillis, receivedScalarText, receivedStrings, receivedText } from '../received-values.ts';

// Errors grouped by fingerprint, built from the exception events of the spans received. One
// occurrence is one recorded error: the outermost event of faultline's recordError (its
// `exception.index` is 0; the rest of the events are its causes and children), or any exception
// event without an index (the SDK's recordException, another library's). Events on CLIENT spans are
// left out: faultline's HTTP client spans record the failure of a call without counting it (it is
// counted where the app handles it), as instrumentations such as pg's record what the app then
// handles. So the groups count what `app.errors` counts.

const SPAN_KIND_CLIENT = 3;
const SPAN_KIND_SERVER = 2;
/** Buckets of the count-over-time sparkline; they always span the whole session (see Timeline). */
export const SPARKLINE_BUCKETS = 60;
const MAX_SERVICES_PER_GROUP = 16;

export interface Occurrence {
  traceId: string;
  spanId: string;
  service: string;
  /** `METHOD /route` of the span, or its name; the trace's server span gives a better one when kept. */
  route: string;
  /** Epoch ms of the exception event. */
  time: number;
  message: string;
}

export interface ErrorGroup {
  /** `exception.fingerprint`, or `type:<exception.type>` for events that carry none. */
  key: string;
  fingerprinted: boolean;
  type: string;
  code: string | undefined;
  category: string | undefined;
  count: number;
  firstSeen: number;
  lastSeen: number;
  services: Set<string>;
  /** Message and notes of the latest occurrence. */
  message: string;
  notes: string[];
  occurrences: Occurrence[];
  /** Count per sparkline bucket (see ErrorGroups.sparkline). */
  buckets: number[];
}

export interface ErrorGroupLimits {
  maxGroups: number;
  maxOccurrencesPerGroup: number;
}

export interface GroupFilter {
  service?: string;
  type?: string;
  category?: string;
}

export class ErrorGroups {
  readonly #groups = new Map<string, ErrorGroup>();
  readonly #limits: ErrorGroupLimits;
  /** Start of bucket 0, epoch ms; set by the first occurrence. */
  #origin: number | undefined;
  #bucketMs = 1000;
  #groupsLetGo = 0;
  #errorsLetGo = 0;

  constructor(limits: ErrorGroupLimits) {
    this.#limits = limits;
  }

  /** Takes the errors recorded on `spans`; returns whether any group changed. */
  add(spans: readonly ReceivedSpan[], now = Date.now()): boolean {
    let changed = false;
    for (const span of spans) {
      if (span.kind === SPAN_KIND_CLIENT) continue;
      for (const event of span.events) {
        if (event.name !== 'exception' || !isOutermost(event)) continue;
        this.#record(span, event, now);
        changed = true;
      }
    }
    return changed;
  }

  get(key: string): ErrorGroup | undefined {
    return this.#groups.get(key);
  }

  /** Groups that match the filter, the most recently seen first. */
  list(filter: GroupFilter = {}): ErrorGroup[] {
    const matching: ErrorGroup[] = [];
    for (const group of this.#groups.values()) {
      if (filter.service !== undefined && !group.services.has(filter.service)) continue;
      if (filter.type !== undefined && group.type !== filter.type) continue;
      if (filter.category !== undefined && group.category !== filter.category) continue;
      matching.push(group);
    }
    return matching.sort((a, b) => b.lastSeen - a.lastSeen);
  }

  /** The values each filter can take, over every kept group. */
  facets(): { services: string[]; types: string[]; categories: string[] } {
    const services = new Set<string>();
    const types = new Set<string>();
    const categories = new Set<string>();
    for (const group of this.#groups.values()) {
      for (const service of group.services) services.add(service);
      types.add(group.type);
      if (group.category !== undefined) categories.add(group.category);
    }
    const sorted = (values: Set<string>) => [...values].sort();
    return { services: sorted(services), types: sorted(types), categories: sorted(categories) };
  }

  /** Where bucket 0 starts and how wide each bucket is (epoch ms). */
  get sparkline(): { start: number | undefined; bucketMs: number; buckets: number } {
    return { start: this.#origin, bucketMs: this.#bucketMs, buckets: SPARKLINE_BUCKETS };
  }

  get stats(): { groups: number; groupsLetGo: number; errorsLetGo: number } {
    return { groups: this.#groups.size, groupsLetGo: this.#groupsLetGo, errorsLetGo: this.#errorsLetGo };
  }

  #record(span: ReceivedSpan, event: ReceivedSpanEvent, now: number): void {
    const attributes = event.attributes;
    const type = receivedText(attributes['exception.type']) ?? receivedText(span.attributes['error.type']) ?? '_OTHER';
    const fingerprint = receivedText(attributes['exception.fingerprint']);
    const key = fingerprint ?? `type:${type}`;
    const time = receivedMillis(event.timeUnixNano) ?? receivedMillis(span.endTimeUnixNano) ?? now;
    const service = receivedText(span.resource['service.name']) ?? '-';
    const message = receivedText(attributes['exception.message']) ?? '';
    const notes = receivedStrings(attributes['exception.notes']);
    let group = this.#groups.get(key);
    if (group === undefined) {
      group = {
        key,
        fingerprinted: fingerprint !== undefined,
        type,
        code: receivedScalarText(attributes['exception.code']),
        category: receivedText(attributes['error.category']),
        count: 0,
        firstSeen: time,
        lastSeen: time,
        services: new Set(),
        message,
        notes,
        occurrences: [],
        buckets: new Array<number>(SPARKLINE_BUCKETS).fill(0),
      };
    } else {
      // Re-inserted so that the Map's first entry is the group seen least recently.
      this.#groups.delete(key);
    }
    this.#groups.set(key, group);
    group.count += 1;
    group.firstSeen = Math.min(group.firstSeen, time);
    if (time >= group.lastSeen) {
      group.lastSeen = time;
      group.message = message;
      group.notes = notes;
    }
    if (group.services.size < MAX_SERVICES_PER_GROUP) group.services.add(service);
    group.occurrences.push({ traceId: span.traceId, spanId: span.spanId, service, route: routeOf(span), time, message });
    if (group.occurrences.length > this.#limits.maxOccurrencesPerGroup) group.occurrences.shift();
    const bucket = this.#bucketOf(time, now);
    group.buckets[bucket] = (group.buckets[bucket] ?? 0) + 1;
    while (this.#groups.size > this.#limits.maxGroups) {
      const oldest = this.#groups.values().next().value;
      if (oldest === undefined) break;
      this.#groups.delete(oldest.key);
      this.#groupsLetGo += 1;
      this.#errorsLetGo += oldest.count;
    }
  }

  /**
   * The sparkline's bucket for a time. The buckets cover the session from the first error on: when
   * a time falls past the last one, every bucket doubles in width (neighbours merged) until it fits,
   * so 60 numbers per group always show the whole session. Times from the future (a skewed clock)
   * count as now; times before the first error count in bucket 0.
   */
  #bucketOf(time: number, now: number): number {
    const at = Math.min(time, now);
    this.#origin ??= Math.floor(at / 1000) * 1000;
    let index = Math.floor((at - this.#origin) / this.#bucketMs);
    while (index >= SPARKLINE_BUCKETS) {
      this.#bucketMs *= 2;
      for (const group of this.#groups.values()) {
        const merged = new Array<number>(SPARKLINE_BUCKETS).fill(0);
        group.buckets.forEach((count, at) => {
          merged[Math.floor(at / 2)] = (merged[Math.floor(at / 2)] ?? 0) + count;
        });
        group.buckets = merged;
      }
      index = Math.floor((at - this.#origin) / this.#bucketMs);
    }
    return Math.max(0, index);
  }
}

/** The route of the nearest server span at or above `spanId` in the trace, else the span's own. */
export function occurrenceRoute(spans: readonly ReceivedSpan[], spanId: string, fallback: string): string {
  const byId = new Map(spans.map((span) => [span.spanId, span]));
  let current = byId.get(spanId);
  const seen = new Set<string>();
  while (current !== undefined && !seen.has(current.spanId)) {
    if (current.kind === SPAN_KIND_SERVER) return routeOf(current);
    seen.add(current.spanId);
    current = current.parentSpanId === undefined ? undefined : byId.get(current.parentSpanId);
  }
  return fallback;
}

function routeOf(span: ReceivedSpan): string {
  const method = receivedText(span.attributes['http.request.method']);
  const route = receivedText(span.attributes['http.route']);
  if (route !== undefined) return method === undefined ? route : `${method} ${route}`;
  return span.name;
}

function isOutermost(event: ReceivedSpanEvent): boolean {
  const index = event.attributes['exception.index'];
  return index === undefined || index === 0;
}


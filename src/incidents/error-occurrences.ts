import { receivedMillis, receivedScalarText, receivedStrings, receivedText, type ReceivedSpan, type ReceivedSpanEvent, type ReceivedValue } from '../receiver/index.ts';

// Recorded errors, found in spans and grouped by fingerprint, the way the viewer and `app.errors`
// count them: one occurrence is one recording (the outermost exception event, `exception.index` 0,
// with the events after it as its causes), or an exception event without an index (the SDK's
// recordException, another library's). Events on CLIENT spans are left out: a failed call is
// recorded there without being counted, and counted where the app handles it.
//
// Spans arrive in any order (a server span ends after its children), so the route and status of an
// occurrence are resolved once the whole file was read. Only what an incident needs is kept: a
// compact entry per span, and the full cause chain of a group's first and latest occurrences.

const SPAN_KIND_SERVER = 2;
const SPAN_KIND_CLIENT = 3;
const MAX_EXAMPLES = 5;

/** One exception event of a recording: the error itself (depth 0) or an error it hangs from. */
export interface ExceptionNode {
  type: string;
  code: string | undefined;
  message: string;
  stack: string | undefined;
  notes: string[];
  category: string | undefined;
  retryable: boolean | undefined;
  /** Index among the recording's events, 0 for the outermost error. */
  index: number;
  depth: number;
  parent: number | undefined;
  /** `cause`, `aggregate`, `error` or `suppressed` (SuppressedError members). */
  relation: string | undefined;
}

export interface Occurrence {
  traceId: string;
  spanId: string;
  service: string;
  /** Epoch ms of the exception event. */
  time: number;
  /** Kept for a group's first and latest occurrence only. */
  chain: ExceptionNode[] | undefined;
  /** Resolved after reading: `METHOD /route` of the nearest server span, else the span's name. */
  route: string;
  /** The nearest server span's response status, if it had one. */
  status: number | undefined;
  /** Whether the error was recorded on that server span itself (the boundary answered with it). */
  onServerSpan: boolean;
  /** How many spans up the trace's root is, as far as the file holds the trace (0: on the root). */
  rootDistance: number;
}

export interface ErrorGroup {
  /** `exception.fingerprint`, or `type:<exception.type>` for events without one. */
  key: string;
  fingerprint: string | undefined;
  type: string;
  count: number;
  firstSeen: number;
  lastSeen: number;
  first: Occurrence;
  latest: Occurrence;
  /** The first few distinct traces, then the latest. */
  examples: Occurrence[];
  /** Every occurrence's trace and span, for selecting by trace ID and for the counts. */
  occurrences: Occurrence[];
}

interface SpanFacts {
  parentSpanId: string | undefined;
  kind: number;
  route: string;
  status: number | undefined;
}

export class ErrorOccurrences {
  readonly #groups = new Map<string, ErrorGroup>();
  readonly #spans = new Map<string, SpanFacts>();

  add(spans: readonly ReceivedSpan[]): void {
    for (const span of spans) {
      this.#spans.set(`${span.traceId}:${span.spanId}`, {
        parentSpanId: span.parentSpanId,
        kind: span.kind,
        route: routeOf(span),
        status: statusOf(span),
      });
      if (span.kind === SPAN_KIND_CLIENT) continue;
      for (const recording of recordings(span.events)) this.#record(span, recording);
    }
  }

  /** Every group, the most frequent first; routes and statuses resolved. */
  groups(): ErrorGroup[] {
    const groups = [...this.#groups.values()];
    for (const group of groups) for (const occurrence of group.occurrences) this.#resolve(occurrence);
    return groups.sort((a, b) => b.count - a.count || b.lastSeen - a.lastSeen);
  }

  #record(span: ReceivedSpan, events: ReceivedSpanEvent[]): void {
    const chain = events.map(exceptionNode);
    const outer = chain[0];
    if (outer === undefined) return;
    const fingerprint = receivedText(events[0]?.attributes['exception.fingerprint']);
    const key = fingerprint ?? `type:${outer.type}`;
    const time = receivedMillis(events[0]?.timeUnixNano) ?? receivedMillis(span.endTimeUnixNano) ?? 0;
    const occurrence: Occurrence = {
      traceId: span.traceId,
      spanId: span.spanId,
      service: receivedText(span.resource['service.name']) ?? '-',
      time,
      chain: undefined,
      route: span.name,
      status: undefined,
      onServerSpan: false,
      rootDistance: 0,
    };
    let group = this.#groups.get(key);
    if (group === undefined) {
      occurrence.chain = chain;
      group = { key, fingerprint, type: outer.type, count: 0, firstSeen: time, lastSeen: time, first: occurrence, latest: occurrence, examples: [], occurrences: [] };
      this.#groups.set(key, group);
    }
    group.count += 1;
    group.occurrences.push(occurrence);
    if (time < group.firstSeen) {
      group.firstSeen = time;
      this.#replace(group, 'first', occurrence, chain);
    }
    if (time >= group.lastSeen) {
      group.lastSeen = time;
      this.#replace(group, 'latest', occurrence, chain);
    }
    if (group.examples.length < MAX_EXAMPLES && !group.examples.some((example) => example.traceId === occurrence.traceId)) group.examples.push(occurrence);
  }

  /** Keeps the chain of the group's first and latest occurrences only (stacks are the bulk). */
  #replace(group: ErrorGroup, which: 'first' | 'latest', occurrence: Occurrence, chain: ExceptionNode[]): void {
    const previous = group[which];
    occurrence.chain = chain;
    group[which] = occurrence;
    if (previous !== occurrence && previous !== group.first && previous !== group.latest) previous.chain = undefined;
  }

  #resolve(occurrence: Occurrence): void {
    let key = `${occurrence.traceId}:${occurrence.spanId}`;
    let facts = this.#spans.get(key);
    const seen = new Set<string>();
    let depth = 0;
    let server = false;
    while (facts !== undefined && !seen.has(key)) {
      if (depth === 0) occurrence.route = facts.route;
      if (facts.kind === SPAN_KIND_SERVER && !server) {
        server = true;
        occurrence.route = facts.route;
        occurrence.status = facts.status;
        occurrence.onServerSpan = depth === 0;
      }
      seen.add(key);
      if (facts.parentSpanId === undefined) break;
      const parent = this.#spans.get(`${occurrence.traceId}:${facts.parentSpanId}`);
      if (parent === undefined) break;
      key = `${occurrence.traceId}:${facts.parentSpanId}`;
      facts = parent;
      depth += 1;
    }
    occurrence.rootDistance = depth;
  }
}

/** The events of a span split into recordings: each starts at an outermost exception event. */
function recordings(events: readonly ReceivedSpanEvent[]): ReceivedSpanEvent[][] {
  const found: ReceivedSpanEvent[][] = [];
  let current: ReceivedSpanEvent[] | undefined;
  for (const event of events) {
    if (event.name !== 'exception') continue;
    const index = event.attributes['exception.index'];
    if (index === undefined || index === 0) {
      current = [event];
      found.push(current);
    } else {
      current?.push(event);
    }
  }
  return found;
}

function exceptionNode(event: ReceivedSpanEvent, position: number): ExceptionNode {
  const attributes = event.attributes;
  const retryable = attributes['exception.retryable'];
  return {
    type: receivedText(attributes['exception.type']) ?? '_OTHER',
    code: receivedScalarText(attributes['exception.code']),
    message: receivedText(attributes['exception.message']) ?? '',
    stack: receivedText(attributes['exception.stacktrace']),
    notes: receivedStrings(attributes['exception.notes']),
    category: receivedText(attributes['error.category']),
    retryable: typeof retryable === 'boolean' ? retryable : undefined,
    index: integer(attributes['exception.index']) ?? position,
    depth: integer(attributes['exception.cause_depth']) ?? (position === 0 ? 0 : 1),
    parent: integer(attributes['exception.parent']) ?? (position === 0 ? undefined : 0),
    relation: receivedText(attributes['exception.relation']) ?? (position === 0 ? undefined : 'cause'),
  };
}

function routeOf(span: ReceivedSpan): string {
  const method = receivedText(span.attributes['http.request.method']);
  const route = receivedText(span.attributes['http.route']);
  if (route !== undefined) return method === undefined ? route : `${method} ${route}`;
  return span.name;
}

function statusOf(span: ReceivedSpan): number | undefined {
  const status = span.attributes['http.response.status_code'];
  const value = typeof status === 'string' ? Number(status) : status;
  return typeof value === 'number' && Number.isInteger(value) ? value : undefined;
}

function integer(value: ReceivedValue | undefined): number | undefined {
  const number = typeof value === 'string' ? Number(value) : value;
  return typeof number === 'number' && Number.isSafeInteger(number) ? number : undefined;
}


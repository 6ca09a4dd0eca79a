import type { OtlpReceiver, ReceivedAttributes, ReceivedLogRecord, ReceivedSpan, ReceivedValue } from 'faultline/receiver';
import { clock, countsTable, type CountRow } from './counts-table.ts';
import { categoryColour, type Style } from './style.ts';

// The live feed, built only from what the services exported to the embedded OTLP receiver: each
// failed request's server span (type, category, status, message, notes, cause), the other spans of
// its trace, and the log lines that carry its trace ID. Counts come from the `app.errors` counter.

const SPAN_KIND_SERVER = 2;
const ERROR_COUNTER = 'app.errors';
const RESILIENCE_EVENTS = 'resilience.events';
/** The breaker's transitions, as the checkout counts them on resilience.events, and how the feed tells them. */
const BREAKER_TRANSITIONS: readonly [event: string, says: string][] = [
  ['circuit_opened', 'opened: charges fail fast with CIRCUIT_OPEN and get the fallback\'s deferred answer (202)'],
  ['circuit_half_opened', 'half-open: the next charge probes the gateway'],
  ['circuit_closed', 'closed: the probe went through, charges reach the gateway again'],
];
/** Log attributes that are noise in a one-line view (the error itself is in the header). */
const HIDDEN_LOG_FIELDS = new Set(['name', 'component', 'err', 'hostname', 'pid']);

/** A line the demo itself announces (an outage starting), placed among the errors by time. */
interface Announcement {
  kind: 'announcement';
  line: string;
  at: number;
  dueAt: number;
}

interface FeedEntry {
  kind: 'error';
  dueAt: number;
  traceId: string;
  spanId: string;
  type: string;
  category: string;
  status: number | undefined;
  operation: string;
  message: string;
  notes: string[];
  cause: string | undefined;
  at: number;
}

export interface TelemetryFeedOptions {
  /** service.name of the checkout: its server spans are the requests. */
  service: string;
  style: Style;
  write(line: string): void;
  /**
   * How long after it happened an error is printed: time for its trace's other spans and logs to
   * arrive. Announcements wait as long, so everything comes out in the order it happened.
   */
  holdMs?: number;
}

function text(value: ReceivedValue | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function serviceOf(resource: ReceivedAttributes): string {
  return text(resource['service.name']) ?? '-';
}

function shortValue(value: ReceivedValue): string {
  const shown = typeof value === 'string' ? value : JSON.stringify(value);
  return shown.length > 40 ? `${shown.slice(0, 39)}…` : shown;
}

function errorEntry(span: ReceivedSpan, holdMs: number): FeedEntry | undefined {
  const status = span.attributes['http.response.status_code'];
  // A request the policies saw through (a retried attempt, a fallback's answer) carries exception
  // events too, but it did not fail: only error answers are the feed's.
  if (typeof status === 'number' && status < 400) return undefined;
  const exceptions = span.events.filter((event) => event.name === 'exception');
  // The last recording is the failure the request ended with (earlier ones were retried attempts).
  const outerAt = exceptions.findLastIndex((event) => event.attributes['exception.index'] === 0);
  const outer = exceptions[outerAt] ?? exceptions[0];
  if (outer === undefined) return undefined;
  const firstCause = exceptions.slice(outerAt).find((event) => event.attributes['exception.index'] === 1);
  const method = text(span.attributes['http.request.method']) ?? '';
  const route = text(span.attributes['http.route']) ?? text(span.attributes['url.path']) ?? '';
  const notes = outer.attributes['exception.notes'];
  const causeType = text(firstCause?.attributes['exception.type']);
  const at = Number(BigInt(span.endTimeUnixNano) / 1_000_000n);
  return {
    kind: 'error',
    at,
    dueAt: at + holdMs,
    traceId: span.traceId,
    spanId: span.spanId,
    type: text(outer.attributes['exception.type']) ?? text(span.attributes['error.type']) ?? '_OTHER',
    category: text(outer.attributes['error.category']) ?? '-',
    status: typeof status === 'number' ? status : undefined,
    operation: `${method} ${route}`.trim(),
    message: text(outer.attributes['exception.message']) ?? '',
    notes: Array.isArray(notes) ? notes.filter((note): note is string => typeof note === 'string') : [],
    cause: causeType === undefined ? undefined : `${causeType}: ${text(firstCause?.attributes['exception.message']) ?? ''}`,
  };
}

export class TelemetryFeed {
  /** Trace IDs of every error span seen so far. */
  readonly errorTraces = new Set<string>();
  /** Trace IDs whose printed error came with at least one log line of the same trace. */
  readonly tracesWithLogs = new Set<string>();
  readonly #receiver: OtlpReceiver;
  readonly #options: Required<TelemetryFeedOptions>;
  readonly #pending: (FeedEntry | Announcement)[] = [];
  readonly #statusByType = new Map<string, number>();
  readonly #breakerCounts = new Map<string, number>();
  readonly #lastTransition = new Map<string, string>();

  constructor(receiver: OtlpReceiver, options: TelemetryFeedOptions) {
    this.#receiver = receiver;
    this.#options = { holdMs: 2000, ...options };
    receiver.on('spans', (spans) => {
      this.#take(spans);
    });
  }

  announce(line: string): void {
    const at = Date.now();
    this.#pending.push({ kind: 'announcement', line, at, dueAt: at + this.#options.holdMs });
  }

  /** Prints, in the order they happened, the errors and announcements whose hold time is over; all of them when `everything`. */
  printDue(everything = false): void {
    const now = Date.now();
    const due = this.#pending.filter((item) => everything || item.dueAt <= now).sort((a, b) => a.at - b.at);
    for (const item of due) {
      this.#pending.splice(this.#pending.indexOf(item), 1);
      const lines = item.kind === 'announcement' ? ['', item.line] : this.#render(item);
      for (const line of lines) this.#options.write(line);
    }
  }

  /**
   * Announces each transition of the breaker `policy` counted since the last call (from the
   * checkout's resilience.events counter: it is exported every second, so a line comes up to a
   * second after the transition).
   */
  noticeBreaker(policy: string): void {
    const { style } = this.#options;
    const pending = new Map<string, number>();
    for (const [event] of BREAKER_TRANSITIONS) {
      const key = `${policy}\u0000${event}`;
      const count = this.#receiver.latestSum(RESILIENCE_EVENTS, { 'resilience.policy': policy, 'resilience.event': event });
      pending.set(event, Math.max(0, count - (this.#breakerCounts.get(key) ?? 0)));
      this.#breakerCounts.set(key, Math.max(this.#breakerCounts.get(key) ?? 0, count));
    }
    // Several transitions between two exports come out in the order a breaker goes through them.
    for (;;) {
      const last = this.#lastTransition.get(policy);
      const order = last === 'circuit_opened' ? ['circuit_half_opened', 'circuit_opened', 'circuit_closed'] : last === 'circuit_half_opened' ? ['circuit_closed', 'circuit_opened', 'circuit_half_opened'] : ['circuit_opened', 'circuit_half_opened', 'circuit_closed'];
      const next = order.find((event) => (pending.get(event) ?? 0) > 0);
      if (next === undefined) break;
      pending.set(next, (pending.get(next) ?? 0) - 1);
      this.#lastTransition.set(policy, next);
      const says = BREAKER_TRANSITIONS.find(([event]) => event === next)?.[1] ?? next;
      this.announce(style.magenta(style.bold(`${clock(Date.now())}  ── breaker ${policy} ${says} ──`)));
    }
  }

  /** Failures the checkout's policies dealt with (each recorded once, though its request did not fail): retried attempts and fallback answers. */
  handledFailures(): { retried: number; answered: number } {
    return {
      retried: this.#receiver.latestSum(RESILIENCE_EVENTS, { 'resilience.event': 'retry' }),
      answered: this.#receiver.latestSum(RESILIENCE_EVENTS, { 'resilience.event': 'fallback' }),
    };
  }

  /** Per type: the current total of the `app.errors` counter, with the category it carries. */
  counts(): CountRow[] {
    const seen = new Map<string, CountRow>();
    for (const point of this.#receiver.metrics) {
      if (point.name !== ERROR_COUNTER) continue;
      const type = text(point.attributes['error.type']);
      const category = text(point.attributes['error.category']);
      if (type === undefined || seen.has(`${type}\u0000${category ?? ''}`)) continue;
      const subset: ReceivedAttributes = category === undefined ? { 'error.type': type } : { 'error.type': type, 'error.category': category };
      seen.set(`${type}\u0000${category ?? ''}`, { type, category, status: this.#statusByType.get(type), count: this.#receiver.latestSum(ERROR_COUNTER, subset) });
    }
    return [...seen.values()];
  }

  countsTable(): string[] {
    return countsTable(`errors by type · ${ERROR_COUNTER} counter · ${clock(Date.now())}`, this.counts(), this.#options.style);
  }

  #take(spans: readonly ReceivedSpan[]): void {
    for (const span of spans) {
      if (span.kind !== SPAN_KIND_SERVER || serviceOf(span.resource) !== this.#options.service) continue;
      const entry = errorEntry(span, this.#options.holdMs);
      if (entry === undefined || this.errorTraces.has(entry.traceId)) continue;
      this.errorTraces.add(entry.traceId);
      if (entry.status !== undefined) this.#statusByType.set(entry.type, entry.status);
      this.#pending.push(entry);
    }
  }

  #render(entry: FeedEntry): string[] {
    const { style } = this.#options;
    const colour = categoryColour(style, entry.category);
    const lines = [
      '',
      `${style.dim(clock(entry.at))}  ${colour(style.bold(entry.type.padEnd(22)))} ${entry.category.padEnd(11)} ${colour(String(entry.status ?? '-'))}  ${entry.operation}  ${style.dim('trace')} ${style.cyan(entry.traceId)}`,
      `    ${entry.message}`,
    ];
    for (const note of entry.notes) lines.push(`    ${style.dim('note:')} ${note}`);
    if (entry.cause !== undefined) lines.push(`    ${style.dim('cause:')} ${entry.cause}`);
    const traceSpans = this.#receiver.spans.filter((span) => span.traceId === entry.traceId);
    const services = [...new Set(traceSpans.map((span) => serviceOf(span.resource)))].sort((a, b) =>
      a === this.#options.service ? -1 : b === this.#options.service ? 1 : a.localeCompare(b),
    );
    lines.push(`    ${style.dim('spans:')} ${traceSpans.length} in this trace, from ${services.join(', ')}`);
    const logs = this.#receiver.logs
      .filter((log) => log.traceId === entry.traceId)
      .sort((a, b) => (BigInt(a.timeUnixNano) < BigInt(b.timeUnixNano) ? -1 : 1));
    if (logs.length > 0) this.tracesWithLogs.add(entry.traceId);
    for (const log of logs) lines.push(this.#logLine(log));
    return lines;
  }

  #logLine(log: ReceivedLogRecord): string {
    const { style } = this.#options;
    const severity = (log.severityText === '' ? `SEV${log.severityNumber}` : log.severityText).toUpperCase();
    const body = log.body === undefined ? '' : typeof log.body === 'string' ? log.body : JSON.stringify(log.body);
    const fields = Object.entries(log.attributes)
      .filter(([key, value]) => !HIDDEN_LOG_FIELDS.has(key) && (typeof value !== 'object' || value === null))
      .map(([key, value]) => `${key}=${shortValue(value)}`);
    const level = log.severityNumber >= 17 ? style.red(severity.padEnd(5)) : log.severityNumber >= 13 ? style.yellow(severity.padEnd(5)) : severity.padEnd(5);
    return `    ${style.dim('log')}  ${serviceOf(log.resource).padEnd(16)} ${level} ${body}${fields.length === 0 ? '' : `  ${style.dim(fields.join(' '))}`}`;
  }
}

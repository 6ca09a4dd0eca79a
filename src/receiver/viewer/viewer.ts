// The receiver's web viewer (`faultline-receiver --ui`): errors grouped by fingerprint, their
// occurrences, each trace as a waterfall with its exception events and log lines, `app.errors` by
// type over time, all live. This folder holds its server side (bounded stores built from what the
// receiver decodes, a read-only JSON API, server-sent events) and, in assets/, the page.
//
// It must never put received data into HTML (the page builds text nodes; the API answers JSON),
// never fetch anything from a network, never keep more than its limits (what it lets go is counted
// and shown), and never answer a request addressed to a host that is not this server.
import type http from 'node:http';
import type { ReceivedLogRecord, ReceivedMetricPoint, ReceivedSpan } from '../types.ts';
import { ErrorCounterSeries } from './error-counter-series.ts';
import { ErrorGroups, occurrenceRoute, SPARKLINE_BUCKETS, type ErrorGroup, type GroupFilter } from './error-groups.ts';
import { EventStream } from './event-stream.ts';
import { allowedHosts, hostAllowed, SECURITY_HEADERS, send, sendJson, sendText } from './http-guard.ts';
import { LogStore } from './log-store.ts';
import { loadAssets } from './static-assets.ts';
import { TraceStore } from './trace-store.ts';
import { traceSummary } from './trace-summary.ts';

export interface ViewerOptions {
  /** Traces kept (the most recently updated). Default 1000. */
  maxTraces?: number;
  /** Spans kept over all traces; the oldest traces go first. Default 20000. */
  maxSpans?: number;
  /** Log records kept (the newest). Default 10000. */
  maxLogRecords?: number;
}

export interface ViewerLimits {
  maxTraces: number;
  maxSpans: number;
  maxSpansPerTrace: number;
  maxLogRecords: number;
  maxErrorGroups: number;
  maxOccurrencesPerGroup: number;
}

export const DEFAULT_VIEWER_LIMITS: Readonly<ViewerLimits> = {
  maxTraces: 1000,
  maxSpans: 20_000,
  maxSpansPerTrace: 1000,
  maxLogRecords: 10_000,
  maxErrorGroups: 1000,
  maxOccurrencesPerGroup: 100,
};

const MAX_LIST = 500;

export class Viewer {
  readonly limits: ViewerLimits;
  readonly #traces: TraceStore;
  readonly #logs: LogStore;
  readonly #groups: ErrorGroups;
  readonly #counter = new ErrorCounterSeries();
  readonly #events: EventStream;
  readonly #startedAt = Date.now();
  #allowedHosts: Set<string> = allowedHosts('127.0.0.1');

  constructor(options: ViewerOptions = {}) {
    const maxSpans = limit(options.maxSpans, DEFAULT_VIEWER_LIMITS.maxSpans, 'maxSpans');
    this.limits = {
      ...DEFAULT_VIEWER_LIMITS,
      maxTraces: limit(options.maxTraces, DEFAULT_VIEWER_LIMITS.maxTraces, 'maxTraces'),
      maxSpans,
      maxSpansPerTrace: Math.min(maxSpans, DEFAULT_VIEWER_LIMITS.maxSpansPerTrace),
      maxLogRecords: limit(options.maxLogRecords, DEFAULT_VIEWER_LIMITS.maxLogRecords, 'maxLogRecords'),
    };
    this.#traces = new TraceStore(this.limits);
    this.#logs = new LogStore(this.limits.maxLogRecords);
    this.#groups = new ErrorGroups({ maxGroups: this.limits.maxErrorGroups, maxOccurrencesPerGroup: this.limits.maxOccurrencesPerGroup });
    this.#events = new EventStream(() => this.stats());
    // Read now, so that a broken install fails the start rather than the first page load.
    loadAssets();
  }

  /** The address the server listens on decides which Host headers are accepted. */
  listeningOn(address: string): void {
    this.#allowedHosts = allowedHosts(address);
  }

  takeSpans(spans: readonly ReceivedSpan[]): void {
    const now = Date.now();
    const traces = this.#traces.add(spans, now);
    const errors = this.#groups.add(spans, now);
    this.#events.notify({ traces, errors });
  }

  takeLogs(records: readonly ReceivedLogRecord[]): void {
    this.#events.notify({ traces: this.#logs.add(records), logs: true });
  }

  takeMetrics(points: readonly ReceivedMetricPoint[]): void {
    if (this.#counter.add(points)) this.#events.notify({ counter: true });
  }

  /** What is kept and what was let go, as the API and the page show it. */
  stats(): ViewerStats {
    const traces = this.#traces.stats;
    const logs = this.#logs.stats;
    const groups = this.#groups.stats;
    return {
      startedAt: this.#startedAt,
      limits: this.limits,
      kept: { traces: traces.traces, spans: traces.spans, logRecords: logs.records, errorGroups: groups.groups },
      letGo: { traces: traces.tracesLetGo, spans: traces.spansLetGo, logRecords: logs.letGo, errorGroups: groups.groupsLetGo, errors: groups.errorsLetGo },
      viewers: this.#events.clients,
    };
  }

  /** Answers a request for any path that is not an OTLP one. */
  handle(request: http.IncomingMessage, response: http.ServerResponse): void {
    if (!hostAllowed(request.headers.host, this.#allowedHosts)) {
      sendText(response, 403, 'forbidden: the viewer answers only requests addressed to this machine (Host header)');
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      sendText(response, 405, 'method not allowed: the viewer is read-only', { allow: 'GET, HEAD' });
      return;
    }
    const headOnly = request.method === 'HEAD';
    const url = new URL(request.url ?? '/', 'http://viewer.invalid');
    const path = url.pathname;
    if (path.startsWith('/api/')) {
      this.#api(request, response, path.slice('/api/'.length), url.searchParams, headOnly);
      return;
    }
    const asset = loadAssets().get(path);
    if (asset === undefined) {
      sendText(response, 404, `not found: ${path.slice(0, 200)}`);
      return;
    }
    send(response, 200, asset.contentType, asset.body, { 'cache-control': 'no-cache' }, headOnly);
  }

  close(): void {
    this.#events.close();
  }

  #api(request: http.IncomingMessage, response: http.ServerResponse, route: string, query: URLSearchParams, headOnly: boolean): void {
    const [resource = '', rawId, ...rest] = route.split('/');
    let id: string | undefined;
    try {
      id = rawId === undefined || rawId === '' ? undefined : decodeURIComponent(rawId);
    } catch { // eslint-disable-line faultline/no-blind-catch -- decodeURIComponent throws only URIError: a malformed id is the client's 400
      sendJson(response, 400, { error: 'malformed id in the path' }, headOnly);
      return;
    }
    if (rest.length > 0) {
      sendJson(response, 404, { error: `no such API path: /api/${route.slice(0, 200)}` }, headOnly);
      return;
    }
    const answered = this.#answerApi(request, response, resource, id, query, headOnly);
    if (!answered) sendJson(response, 404, { error: `no such API path: /api/${route.slice(0, 200)}` }, headOnly);
  }

  /** Answers a known API path; false for any other. */
  #answerApi(request: http.IncomingMessage, response: http.ServerResponse, resource: string, id: string | undefined, query: URLSearchParams, headOnly: boolean): boolean {
    if (resource === 'errors' && id !== undefined) {
      this.#errorGroup(response, id, headOnly);
      return true;
    }
    if (resource === 'traces' && id !== undefined) {
      this.#trace(response, id, headOnly);
      return true;
    }
    if (id !== undefined) return false;
    switch (resource) {
      case 'events':
        if (headOnly) return false;
        this.#events.open(request, response, { ...SECURITY_HEADERS });
        return true;
      case 'stats':
        sendJson(response, 200, this.stats(), headOnly);
        return true;
      case 'errors':
        sendJson(response, 200, this.#errorList(filterFrom(query)), headOnly);
        return true;
      case 'traces':
        sendJson(response, 200, this.#traceList(count(query.get('limit'), 100)), headOnly);
        return true;
      case 'logs':
        sendJson(response, 200, { logs: this.#logs.recent(count(query.get('limit'), 200)), stats: this.stats() }, headOnly);
        return true;
      case 'error-counter':
        sendJson(response, 200, this.#counter.snapshot(), headOnly);
        return true;
      default:
        return false;
    }
  }

  #errorList(filter: GroupFilter): unknown {
    return {
      groups: this.#groups.list(filter).map((group) => groupSummary(group)),
      sparkline: this.#groups.sparkline,
      facets: this.#groups.facets(),
      stats: this.stats(),
    };
  }

  #errorGroup(response: http.ServerResponse, key: string, headOnly: boolean): void {
    const group = this.#groups.get(key);
    if (group === undefined) {
      sendJson(response, 404, { error: 'no such error group (never received, or let go)' }, headOnly);
      return;
    }
    const occurrences = group.occurrences
      .map((occurrence) => {
        const trace = this.#traces.get(occurrence.traceId);
        return {
          ...occurrence,
          route: trace === undefined ? occurrence.route : occurrenceRoute(trace.spans, occurrence.spanId, occurrence.route),
          traceKept: trace !== undefined,
        };
      })
      .reverse();
    sendJson(response, 200, { group: { ...groupSummary(group), occurrences }, sparkline: this.#groups.sparkline, stats: this.stats() }, headOnly);
  }

  #traceList(limitTo: number): unknown {
    return { traces: this.#traces.recent(limitTo).map((trace) => traceSummary(trace.traceId, trace.spans)), stats: this.stats() };
  }

  #trace(response: http.ServerResponse, traceId: string, headOnly: boolean): void {
    const trace = this.#traces.get(traceId);
    const logs = this.#logs.forTrace(traceId);
    if (trace === undefined && logs.length === 0) {
      sendJson(response, 404, { error: 'no such trace (never received, or let go)' }, headOnly);
      return;
    }
    sendJson(response, 200, { traceId, spans: trace?.spans ?? [], spansLetGo: trace?.spansLetGo ?? 0, logs, stats: this.stats() }, headOnly);
  }
}

export interface ViewerStats {
  startedAt: number;
  limits: ViewerLimits;
  kept: { traces: number; spans: number; logRecords: number; errorGroups: number };
  letGo: { traces: number; spans: number; logRecords: number; errorGroups: number; errors: number };
  viewers: number;
}

function groupSummary(group: ErrorGroup): Record<string, unknown> {
  return {
    key: group.key,
    fingerprinted: group.fingerprinted,
    type: group.type,
    code: group.code ?? null,
    category: group.category ?? null,
    count: group.count,
    firstSeen: group.firstSeen,
    lastSeen: group.lastSeen,
    services: [...group.services].sort(),
    message: group.message,
    notes: group.notes,
    sparkline: group.buckets.slice(0, SPARKLINE_BUCKETS),
  };
}

function filterFrom(query: URLSearchParams): GroupFilter {
  const filter: GroupFilter = {};
  for (const key of ['service', 'type', 'category'] as const) {
    const value = query.get(key);
    if (value !== null && value !== '') filter[key] = value;
  }
  return filter;
}

function count(raw: string | null, fallback: number): number {
  const value = Number(raw ?? fallback);
  return Number.isInteger(value) && value > 0 ? Math.min(value, MAX_LIST) : fallback;
}

function limit(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) throw new TypeError(`${name} must be a positive integer, got ${String(value)}`); // eslint-disable-line faultline/only-coded-errors -- API misuse is a TypeError, as Node's own APIs throw
  return value;
}

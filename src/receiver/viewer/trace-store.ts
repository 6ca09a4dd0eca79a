import type { ReceivedSpan } from '../types.ts';

/** One kept trace: its spans as they arrived, up to the per-trace bound. */
export interface KeptTrace {
  traceId: string;
  spans: ReceivedSpan[];
  /** Spans of this trace not kept because it reached the per-trace bound. */
  spansLetGo: number;
  /** Epoch ms when the receiver last took in a span of it. */
  updatedAt: number;
}

export interface TraceStoreLimits {
  maxTraces: number;
  /** Over all traces; never below maxSpansPerTrace. */
  maxSpans: number;
  maxSpansPerTrace: number;
}

/**
 * The last `maxTraces` traces to receive a span, each with at most `maxSpansPerTrace` spans and
 * `maxSpans` in all (the least recently updated traces go first); what is let go is counted. A Map keeps insertion order, so re-inserting a trace on every update makes
 * the first key the least recently updated one: eviction is O(1).
 */
export class TraceStore {
  readonly #traces = new Map<string, KeptTrace>();
  readonly #limits: TraceStoreLimits;
  #spanCount = 0;
  #tracesLetGo = 0;
  #spansLetGo = 0;

  constructor(limits: TraceStoreLimits) {
    this.#limits = limits;
  }

  /** Takes spans in; returns the ids of the traces that changed. */
  add(spans: readonly ReceivedSpan[], now = Date.now()): Set<string> {
    const changed = new Set<string>();
    let trace: KeptTrace | undefined;
    for (const span of spans) {
      // A batch holds a trace's spans side by side: move the trace to the end once per run of them.
      if (trace?.traceId !== span.traceId) {
        trace = this.#traces.get(span.traceId);
        if (trace === undefined) {
          trace = { traceId: span.traceId, spans: [], spansLetGo: 0, updatedAt: now };
        } else {
          this.#traces.delete(span.traceId);
        }
        this.#traces.set(span.traceId, trace);
        trace.updatedAt = now;
        changed.add(span.traceId);
      }
      if (trace.spans.length >= this.#limits.maxSpansPerTrace) {
        trace.spansLetGo += 1;
        this.#spansLetGo += 1;
        continue;
      }
      trace.spans.push(span);
      this.#spanCount += 1;
    }
    while (this.#traces.size > this.#limits.maxTraces || this.#spanCount > this.#limits.maxSpans) {
      const oldest = this.#traces.values().next().value;
      if (oldest === undefined) break;
      this.#traces.delete(oldest.traceId);
      changed.delete(oldest.traceId);
      this.#tracesLetGo += 1;
      this.#spansLetGo += oldest.spans.length;
      this.#spanCount -= oldest.spans.length;
    }
    return changed;
  }

  get(traceId: string): KeptTrace | undefined {
    return this.#traces.get(traceId);
  }

  has(traceId: string): boolean {
    return this.#traces.has(traceId);
  }

  /** Most recently updated first, at most `limit`. */
  recent(limit: number): KeptTrace[] {
    const all = [...this.#traces.values()];
    return all.slice(Math.max(0, all.length - limit)).reverse();
  }

  get stats(): { traces: number; spans: number; tracesLetGo: number; spansLetGo: number } {
    return { traces: this.#traces.size, spans: this.#spanCount, tracesLetGo: this.#tracesLetGo, spansLetGo: this.#spansLetGo };
  }
}

import { seriesKey } from '../latest-sum.ts';
import type { ReceivedMetricPoint } from '../types.ts';
import { receivedMillis as millis, receivedText as text } from '../received-values.ts';

// `app.errors` by `error.type` over time, for the viewer's chart: after each export that carries the
// counter, the total per type (summed over services, categories and `error.handled`, each series at
// its latest cumulative value or the sum of its deltas, as receiver.latestSum counts).

const ERROR_COUNTER = 'app.errors';
const MAX_SAMPLES = 1000;
/** More series than any honest set of processes makes (100 types each by default); past it, new series are ignored. */
const MAX_SERIES = 20_000;

interface SeriesState {
  type: string;
  timeUnixNano: bigint;
  value: number;
}

interface Sample {
  time: number;
  totals: Map<string, number>;
}

export interface ErrorCounterSnapshot {
  /** Error types, in the order of `values`. */
  types: string[];
  /** Epoch ms of each sample. */
  times: number[];
  /** Per type, the counter's total at each sample (null before the type was first counted). */
  values: (number | null)[][];
  /** The current total per type. */
  totals: Record<string, number>;
  /** Series of app.errors not followed because there were too many. */
  seriesLetGo: number;
}

export class ErrorCounterSeries {
  readonly #series = new Map<string, SeriesState>();
  #samples: Sample[] = [];
  /** Samples closer together than this replace the previous one; doubles when the samples are thinned. */
  #minGapMs = 1000;
  #seriesLetGo = 0;

  /** Takes metric points in; returns whether the counter moved. */
  add(points: readonly ReceivedMetricPoint[]): boolean {
    let latest: number | undefined;
    for (const point of points) {
      if (point.name !== ERROR_COUNTER || point.value === undefined) continue;
      const key = seriesKey(point);
      const time = BigInt(point.timeUnixNano);
      const state = this.#series.get(key);
      if (state === undefined) {
        if (this.#series.size >= MAX_SERIES) {
          this.#seriesLetGo += 1;
          continue;
        }
        this.#series.set(key, { type: text(point.attributes['error.type']) ?? '_OTHER', timeUnixNano: time, value: point.value });
      } else if (point.temporality === 'delta') {
        state.value += point.value;
        if (time > state.timeUnixNano) state.timeUnixNano = time;
      } else if (time >= state.timeUnixNano) {
        state.value = point.value;
        state.timeUnixNano = time;
      }
      const at = millis(point.timeUnixNano);
      if (at !== undefined) latest = Math.max(latest ?? at, at);
    }
    if (latest === undefined) return false;
    this.#sample(latest);
    return true;
  }

  snapshot(): ErrorCounterSnapshot {
    const types = [...new Set([...this.#series.values()].map((state) => state.type))].sort();
    const current = this.#totals();
    return {
      types,
      times: this.#samples.map((sample) => sample.time),
      values: types.map((type) => this.#samples.map((sample) => sample.totals.get(type) ?? null)),
      totals: Object.fromEntries(types.map((type) => [type, current.get(type) ?? 0])),
      seriesLetGo: this.#seriesLetGo,
    };
  }

  #sample(time: number): void {
    const last = this.#samples.at(-1);
    // The chart's x axis must not go back: a late export is drawn at the latest time seen.
    const at = last === undefined ? time : Math.max(time, last.time);
    const sample = { time: at, totals: this.#totals() };
    if (last !== undefined && at - last.time < this.#minGapMs && this.#samples.length > 1) this.#samples[this.#samples.length - 1] = sample;
    else this.#samples.push(sample);
    if (this.#samples.length > MAX_SAMPLES) {
      // Totals are cumulative, so dropping every other sample loses resolution, not counts.
      this.#samples = this.#samples.filter((_, index, all) => index % 2 === 1 || index === all.length - 1);
      this.#minGapMs *= 2;
    }
  }

  #totals(): Map<string, number> {
    const totals = new Map<string, number>();
    for (const state of this.#series.values()) totals.set(state.type, (totals.get(state.type) ?? 0) + state.value);
    return totals;
  }
}

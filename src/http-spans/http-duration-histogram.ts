import { type Attributes, ValueType } from '@opentelemetry/api';
import { hrTime, type InstrumentationScope } from '@opentelemetry/core';
import { emptyResource } from '@opentelemetry/resources';
import { AggregationTemporality, type CollectionResult, DataPointType, type MetricData, type MetricProducer } from '@opentelemetry/sdk-metrics';
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_URL_SCHEME,
  METRIC_HTTP_SERVER_REQUEST_DURATION,
} from '@opentelemetry/semantic-conventions';

/** Bucket boundaries the HTTP semantic conventions advise for request durations, in seconds. */
export const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

/** Series beyond this many go to one overflow series, as the SDK's cardinality limit does. */
const MAX_SERIES = 2000;
const OVERFLOW_KEY = '\u0000overflow';

interface Series {
  readonly attributes: Attributes;
  readonly counts: number[];
  count: number;
  sum: number;
  min: number;
  max: number;
}

/**
 * `http.server.request.duration`, kept by faultline instead of through an SDK histogram and
 * handed to the metric readers as a MetricProducer.
 *
 * Every request records one value. Through the SDK that meant an attributes object, a hash of
 * its sorted keys and values, and a lookup in a generic hash map: a few microseconds per request,
 * a visible share of the overhead. The attributes here are a handful of bounded strings, so one
 * string key finds the series. Cumulative temporality, which faultline uses for every reader,
 * lets several readers share this one state.
 */
export class HttpDurationHistogram implements MetricProducer {
  readonly #scope: InstrumentationScope;
  readonly #series = new Map<string, Series>();
  readonly #startTime = hrTime();

  constructor(scope: InstrumentationScope) {
    this.#scope = scope;
  }

  record(seconds: number, method: string, scheme: string, status: number, route: string | undefined, errorType: string | undefined): void {
    if (!(seconds >= 0)) return;
    const key = `${method} ${status} ${scheme} ${errorType ?? ''} ${route ?? ''}`;
    let series = this.#series.get(key);
    if (series === undefined) {
      series = this.#series.size < MAX_SERIES ? this.#open(key, method, scheme, status, route, errorType) : this.#overflow();
    }
    series.count += 1;
    series.sum += seconds;
    if (seconds < series.min) series.min = seconds;
    if (seconds > series.max) series.max = seconds;
    // A value equal to a boundary belongs to that boundary's bucket (upper bounds are inclusive).
    let bucket = 0;
    while (bucket < DURATION_BUCKETS.length && (DURATION_BUCKETS[bucket] ?? Infinity) < seconds) bucket += 1;
    series.counts[bucket] = (series.counts[bucket] ?? 0) + 1;
  }

  #open(key: string, method: string, scheme: string, status: number, route: string | undefined, errorType: string | undefined): Series {
    const attributes: Attributes = { [ATTR_HTTP_REQUEST_METHOD]: method, [ATTR_URL_SCHEME]: scheme, [ATTR_HTTP_RESPONSE_STATUS_CODE]: status };
    // The route is a template (bounded); the raw path never becomes a metric attribute.
    if (route !== undefined) attributes[ATTR_HTTP_ROUTE] = route;
    if (errorType !== undefined) attributes[ATTR_ERROR_TYPE] = errorType;
    const series = newSeries(attributes);
    this.#series.set(key, series);
    return series;
  }

  #overflow(): Series {
    let series = this.#series.get(OVERFLOW_KEY);
    if (series === undefined) {
      series = newSeries({ 'otel.metric.overflow': true });
      this.#series.set(OVERFLOW_KEY, series);
    }
    return series;
  }

  collect(): Promise<CollectionResult> {
    // The reader keeps its own resource; only the scope metrics of a producer are merged in.
    return Promise.resolve({ resourceMetrics: { resource: emptyResource(), scopeMetrics: [{ scope: this.#scope, metrics: this.#metrics() }] }, errors: [] });
  }

  /** The same points, synchronously: what the exit path hands to the export worker. */
  collectNow(): { scope: InstrumentationScope; metrics: MetricData[] }[] {
    const metrics = this.#metrics();
    return metrics.length === 0 ? [] : [{ scope: this.#scope, metrics }];
  }

  #metrics(): MetricData[] {
    const endTime = hrTime();
    const dataPoints = [...this.#series.values()].map((series) => ({
      attributes: series.attributes,
      startTime: this.#startTime,
      endTime,
      value: {
        buckets: { boundaries: DURATION_BUCKETS, counts: [...series.counts] },
        count: series.count,
        sum: series.sum,
        min: series.min,
        max: series.max,
      },
    }));
    if (dataPoints.length === 0) return [];
    return [
      {
        descriptor: { name: METRIC_HTTP_SERVER_REQUEST_DURATION, description: 'Duration of HTTP server requests.', unit: 's', valueType: ValueType.DOUBLE },
        aggregationTemporality: AggregationTemporality.CUMULATIVE,
        dataPointType: DataPointType.HISTOGRAM as const,
        dataPoints,
      },
    ];
  }
}

function newSeries(attributes: Attributes): Series {
  return { attributes, counts: new Array<number>(DURATION_BUCKETS.length + 1).fill(0), count: 0, sum: 0, min: Infinity, max: -Infinity };
}

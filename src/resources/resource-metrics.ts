import { metrics, type Counter, type Histogram, type MeterProvider } from '@opentelemetry/api';
import {
  ATTR_DB_CLIENT_CONNECTION_POOL_NAME,
  ATTR_RESOURCE_NAME,
  METRIC_DB_CLIENT_CONNECTION_USE_TIME,
  METRIC_DB_CLIENT_CONNECTION_WAIT_TIME,
  METRIC_RESOURCE_LEAKS,
  METRIC_RESOURCE_USE_TIME,
  METRIC_RESOURCE_WAIT_TIME,
} from '../semconv.ts';
import { boundedLabel } from '../errors/bounded-label.ts';

const SCOPE = 'faultline';

/** The database conventions' advice for both connection histograms, used for every resource. */
const BUCKETS_SECONDS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10];

/** Resource and pool names are metric attributes: past this many distinct ones, `_OTHER`. */
const MAX_NAMES = 100;

/** Which pair of histograms a resource records into. */
export type ResourceMetricSet = 'resource' | 'db-connection';

interface Instruments {
  provider: MeterProvider;
  wait: Record<ResourceMetricSet, Histogram>;
  use: Record<ResourceMetricSet, Histogram>;
  leaks: Counter;
}

let instruments: Instruments | undefined;
const names = new Set<string>();

// The metrics API has no proxy provider: an instrument made before the SDK starts stays a no-op.
// Instruments are made from whichever provider is global when they are first needed, and again if
// that changes (start() after the first acquire).
function current(): Instruments {
  const provider = metrics.getMeterProvider();
  if (instruments?.provider === provider) return instruments;
  const meter = provider.getMeter(SCOPE);
  const histogram = (name: string, description: string): Histogram =>
    meter.createHistogram(name, { unit: 's', description, advice: { explicitBucketBoundaries: BUCKETS_SECONDS } });
  instruments = {
    provider,
    wait: {
      resource: histogram(METRIC_RESOURCE_WAIT_TIME, 'How long acquiring a resource waited, by app.resource.name.'),
      'db-connection': histogram(METRIC_DB_CLIENT_CONNECTION_WAIT_TIME, 'The time it took to obtain an open connection from the pool.'),
    },
    use: {
      resource: histogram(METRIC_RESOURCE_USE_TIME, 'How long a resource was held, acquire to release, by app.resource.name.'),
      'db-connection': histogram(METRIC_DB_CLIENT_CONNECTION_USE_TIME, 'The time between borrowing a connection and returning it to the pool.'),
    },
    leaks: meter.createCounter(METRIC_RESOURCE_LEAKS, {
      unit: '{resource}',
      description: 'Resources garbage-collected without being released, by app.resource.name.',
    }),
  };
  return instruments;
}

function bounded(name: string): string {
  return boundedLabel(names, MAX_NAMES, name);
}

function attributesFor(set: ResourceMetricSet, name: string): Record<string, string> {
  return set === 'resource' ? { [ATTR_RESOURCE_NAME]: bounded(name) } : { [ATTR_DB_CLIENT_CONNECTION_POOL_NAME]: bounded(name) };
}

/** Records how long an acquire waited. Never throws. */
export function recordWait(set: ResourceMetricSet, name: string, seconds: number): void {
  try {
    current().wait[set].record(seconds, attributesFor(set, name));
  } catch { // eslint-disable-line faultline/no-blind-catch -- metrics are a courtesy to the app, never a failure of it
  }
}

/** Records how long a resource was held. Never throws. */
export function recordUse(set: ResourceMetricSet, name: string, seconds: number): void {
  try {
    current().use[set].record(seconds, attributesFor(set, name));
  } catch { // eslint-disable-line faultline/no-blind-catch -- as above
  }
}

/** Counts a resource that was garbage-collected unreleased. Never throws. */
export function countLeak(name: string): void {
  try {
    current().leaks.add(1, { [ATTR_RESOURCE_NAME]: bounded(name) });
  } catch { // eslint-disable-line faultline/no-blind-catch -- as above
  }
}

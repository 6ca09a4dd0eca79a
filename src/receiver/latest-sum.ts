import { isDeepStrictEqual } from 'node:util';
import type { ReceivedAttributes, ReceivedMetricPoint, ReceivedValue } from './types.ts';

/**
 * The current total of a counter across its series: for each series (resource, scope and point
 * attributes) whose attributes include `attributesSubset`, its latest cumulative value, or the sum of
 * its deltas when exported with delta temporality; then the sum over those series. 0 when none match.
 *
 * Cumulative exports repeat the running total every interval, so summing every point would count a
 * value once per export: only the newest point of each series is current.
 */
export function latestSum(points: readonly ReceivedMetricPoint[], name: string, attributesSubset: ReceivedAttributes = {}): number {
  const latest = new Map<string, ReceivedMetricPoint>();
  const deltaTotals = new Map<string, number>();
  for (const point of points) {
    if (point.name !== name || point.value === undefined || !includes(point.attributes, attributesSubset)) continue;
    const series = seriesKey(point);
    if (point.temporality === 'delta') {
      deltaTotals.set(series, (deltaTotals.get(series) ?? 0) + point.value);
      continue;
    }
    const previous = latest.get(series);
    // Equal timestamps: the later arrival wins.
    if (previous === undefined || BigInt(point.timeUnixNano) >= BigInt(previous.timeUnixNano)) latest.set(series, point);
  }
  let total = 0;
  for (const point of latest.values()) total += point.value ?? 0;
  for (const delta of deltaTotals.values()) total += delta;
  return total;
}

export function includes(attributes: ReceivedAttributes, subset: ReceivedAttributes): boolean {
  return Object.entries(subset).every(([key, expected]) => Object.hasOwn(attributes, key) && isDeepStrictEqual(attributes[key], expected));
}

/** The identity of a point's series: resource, scope and point attributes, in any order. */
export function seriesKey(point: ReceivedMetricPoint): string {
  return JSON.stringify([canonical(point.resource), point.scope.name, point.scope.version, canonical(point.attributes)]);
}

// Attribute order is not part of a series' identity.
function canonical(value: ReceivedValue): ReceivedValue {
  if (Array.isArray(value)) return value.map(canonical);
  if (value === null || typeof value !== 'object') return value;
  return Object.keys(value)
    .sort()
    .map((key) => [key, canonical(value[key] ?? null)]);
}

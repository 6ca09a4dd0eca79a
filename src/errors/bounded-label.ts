import { ERROR_TYPE_VALUE_OTHER } from '../semconv.ts';

/**
 * A metric attribute value kept bounded: the first `max` distinct values seen pass through, any
 * later new one is `_OTHER`, so a metric's series stay bounded whatever the app passes in.
 */
export function boundedLabel(seen: Set<string>, max: number, value: string): string {
  if (seen.has(value)) return value;
  if (seen.size >= max) return ERROR_TYPE_VALUE_OTHER;
  seen.add(value);
  return value;
}

import { svg } from './dom.js';
import { clock } from './format.js';

/**
 * A group's count over time as bars, from the session's first error until now (the buckets widen
 * as the session grows: see error-groups.ts).
 * @param {number[]} counts
 * @param {import('./types.js').SparklineScale} scale
 * @param {{ width?: number, height?: number }} [size]
 */
export function sparkline(counts, scale, size = {}) {
  const width = size.width ?? 120;
  const height = size.height ?? 24;
  const start = scale.start ?? Date.now();
  const elapsed = Math.max(1, Math.floor((Date.now() - start) / scale.bucketMs) + 1);
  const shown = Math.min(counts.length, elapsed);
  const max = Math.max(1, ...counts.slice(0, shown));
  const bar = width / shown;
  const chart = svg('svg', { class: 'sparkline', width, height, viewBox: `0 0 ${width} ${height}`, role: 'img' });
  const total = counts.reduce((sum, count) => sum + count, 0);
  chart.append(svg('title', {}, `${total} in ${shown} buckets of ${Math.round(scale.bucketMs / 1000)} s since ${clock(start)}`));
  for (let index = 0; index < shown; index++) {
    const count = counts[index] ?? 0;
    if (count === 0) continue;
    const barHeight = Math.max(2, (count / max) * (height - 2));
    const from = start + index * scale.bucketMs;
    chart.append(
      svg(
        'rect',
        { x: (index * bar).toFixed(2), y: (height - barHeight).toFixed(2), width: Math.max(1, bar - 1).toFixed(2), height: barHeight.toFixed(2) },
        svg('title', {}, `${count} at ${clock(from)}–${clock(from + scale.bucketMs)}`),
      ),
    );
  }
  return chart;
}

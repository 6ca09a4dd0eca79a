import type { ReceivedSpan } from '../types.ts';
import { receivedMillis as millis, receivedText as text } from '../received-values.ts';

/** One row of the viewer's trace list. */
export interface TraceSummary {
  traceId: string;
  /** The root span's name (the earliest span whose parent is not in the trace). */
  name: string;
  service: string;
  services: string[];
  spanCount: number;
  /** Epoch ms of the earliest span start. */
  start: number | undefined;
  durationMs: number;
  /** Spans with status ERROR. */
  errorSpans: number;
  /** `exception.type` of the outermost exception events, in the order of their spans. */
  errorTypes: string[];
}

export function traceSummary(traceId: string, spans: readonly ReceivedSpan[]): TraceSummary {
  const ids = new Set(spans.map((span) => span.spanId));
  let root: ReceivedSpan | undefined;
  let startNs: bigint | undefined;
  let endNs: bigint | undefined;
  const services = new Set<string>();
  const errorTypes: string[] = [];
  let errorSpans = 0;
  for (const span of spans) {
    const start = BigInt(span.startTimeUnixNano);
    const end = BigInt(span.endTimeUnixNano);
    if (startNs === undefined || start < startNs) startNs = start;
    if (endNs === undefined || end > endNs) endNs = end;
    const isRoot = span.parentSpanId === undefined || !ids.has(span.parentSpanId);
    if (isRoot && (root === undefined || start < BigInt(root.startTimeUnixNano))) root = span;
    services.add(text(span.resource['service.name']) ?? '-');
    if (span.status.code === 2) errorSpans += 1;
    for (const event of span.events) {
      const index = event.attributes['exception.index'];
      if (event.name === 'exception' && (index === undefined || index === 0)) errorTypes.push(text(event.attributes['exception.type']) ?? '_OTHER');
    }
  }
  return {
    traceId,
    name: root?.name ?? '',
    service: text(root?.resource['service.name']) ?? '-',
    services: [...services].sort(),
    spanCount: spans.length,
    start: startNs === undefined ? undefined : millis(startNs.toString()),
    durationMs: startNs === undefined || endNs === undefined ? 0 : Number(endNs - startNs) / 1e6,
    errorSpans,
    errorTypes,
  };
}

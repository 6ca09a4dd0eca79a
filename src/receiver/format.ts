import type { ReceivedLogRecord, ReceivedMetricPoint, ReceivedSpan, ReceivedValue } from './types.ts';

// One compact line per item, for the receiver's CLI and live feeds: what a person scanning a
// terminal needs to spot an error and find its trace.

const SPAN_KINDS = ['UNSPECIFIED', 'INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'];
const STATUS_CODES = ['UNSET', 'OK', 'ERROR'];
const MAX_TEXT = 160;

export function formatSpanLine(span: ReceivedSpan): string {
  const durationMs = Number(BigInt(span.endTimeUnixNano) - BigInt(span.startTimeUnixNano)) / 1e6;
  const errorType = span.attributes['error.type'];
  const parts = [
    'span',
    serviceOf(span.resource),
    JSON.stringify(span.name),
    SPAN_KINDS[span.kind] ?? String(span.kind),
    STATUS_CODES[span.status.code] ?? String(span.status.code),
    `${durationMs.toFixed(1)}ms`,
    `trace=${span.traceId}`,
    `span=${span.spanId}`,
  ];
  if (errorType !== undefined) parts.push(`error.type=${text(errorType)}`);
  if (span.events.length > 0) parts.push(`events=${span.events.map((event) => event.name).join(',')}`);
  return parts.join(' ');
}

export function formatLogLine(log: ReceivedLogRecord): string {
  const severity = log.severityText === '' ? `SEV${log.severityNumber}` : log.severityText;
  const parts = ['log', serviceOf(log.resource), severity, log.body === undefined ? '-' : text(log.body)];
  if (log.traceId !== undefined) parts.push(`trace=${log.traceId}`);
  return parts.join(' ');
}

/** One line for a whole metrics export: every point is too many for a terminal. */
export function formatMetricBatchLine(points: readonly ReceivedMetricPoint[]): string {
  const services = [...new Set(points.map((point) => serviceOf(point.resource)))];
  const byName = new Map<string, ReceivedMetricPoint[]>();
  for (const point of points) byName.set(point.name, [...(byName.get(point.name) ?? []), point]);
  const summaries = [...byName].map(([name, series]) => {
    if (series.every((point) => point.value !== undefined)) {
      return `${name}=${series.reduce((total, point) => total + (point.value ?? 0), 0)}`;
    }
    return `${name}{count=${series.reduce((total, point) => total + (point.count ?? 0), 0)}}`;
  });
  return truncate(`metrics ${services.join(',') || '-'} ${points.length} points: ${summaries.join(' ')}`, MAX_TEXT * 2);
}

function serviceOf(resource: Record<string, ReceivedValue>): string {
  const name = resource['service.name'];
  return typeof name === 'string' && name !== '' ? name : '-';
}

function text(value: ReceivedValue): string {
  return truncate(typeof value === 'string' ? value : JSON.stringify(value), MAX_TEXT);
}

function truncate(value: string, max: number): string {
  const oneLine = value.replace(/\s+/g, ' ');
  return oneLine.length > max ? `${oneLine.slice(0, max - 1)}…` : oneLine;
}

// Loaded by the export worker (by URL, so that the export path knows nothing of pino): how one
// rendered pino line becomes an OpenTelemetry log record.
import type { MappedLogRecord } from '../export/otlp-log-encoder.ts';
import { pinoRecord } from './pino-record.ts';

/** The record of one JSON log line, or undefined when the line is not a JSON object. */
export function mapLogLine(line: string, messageKey: string, labels: Record<number, string>): MappedLogRecord | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch { // eslint-disable-line faultline/no-blind-catch -- what cannot be read is absent here
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  return pinoRecord(parsed as Record<string, unknown>, { messageKey, labels });
}

export { STANDARD_LEVEL_LABELS } from './severity.ts';

import { STANDARD_LEVEL_LABELS } from './severity.ts';

// A small human-readable form for a terminal, so local development needs no pino-pretty:
//   12:04:05.123 ERROR payment declined  order=42 trace=4bf92f35…
//       CardDeclined: card declined
//           at charge (/app/pay.js:10:5)
// Only stdout gets this form; the OTLP copy of the line is always the JSON one.

const COLORS: Record<string, string> = {
  trace: '\x1b[90m',
  debug: '\x1b[36m',
  info: '\x1b[32m',
  warn: '\x1b[33m',
  error: '\x1b[31m',
  fatal: '\x1b[35m',
};
const RESET = '\x1b[0m';
const DIM = '\x1b[2m';
const HIDDEN = new Set(['level', 'time', 'pid', 'hostname', 'trace_id', 'span_id', 'trace_flags']);

function clock(time: unknown): string {
  const date = typeof time === 'number' || typeof time === 'string' ? new Date(time) : new Date();
  return Number.isNaN(date.getTime()) ? String(time) : date.toISOString().slice(11, 23);
}

function inline(value: unknown): string {
  if (typeof value === 'string') return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
  // JSON.stringify returns undefined for undefined, functions and symbols.
  const json = JSON.stringify(value) as unknown;
  return typeof json === 'string' ? json : String(value);
}

function errorBlock(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const error = value as { type?: unknown; message?: unknown; stack?: unknown };
  if (typeof error.stack === 'string' && error.stack !== '') return error.stack;
  if (typeof error.message === 'string') return `${typeof error.type === 'string' ? error.type : 'Error'}: ${error.message}`;
  return undefined;
}

/** Renders one pino JSON line for a person; a line that is not JSON is passed through unchanged. */
export function prettyLine(line: string, messageKey = 'msg', errorKey = 'err', labels: Readonly<Record<number, string>> = STANDARD_LEVEL_LABELS): string {
  let record: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(line);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return line;
    record = parsed as Record<string, unknown>;
  } catch { // eslint-disable-line faultline/no-blind-catch -- a line that is not JSON is printed as it is
    return line;
  }
  const level = record.level;
  const label = typeof level === 'number' ? (labels[level] ?? String(level)) : typeof level === 'string' ? level : 'log';
  const color = COLORS[label] ?? '';
  const parts = [`${DIM}${clock(record.time)}${RESET}`, `${color}${label.toUpperCase().padEnd(5)}${RESET}`];
  const message = record[messageKey];
  if (message !== undefined) parts.push(typeof message === 'string' ? message : inline(message));
  const fields: string[] = [];
  let block: string | undefined;
  for (const [key, value] of Object.entries(record)) {
    if (HIDDEN.has(key) || key === messageKey) continue;
    if (key === errorKey) {
      block = errorBlock(value);
      if (block !== undefined) continue;
    }
    fields.push(`${key}=${inline(value)}`);
  }
  if (typeof record.trace_id === 'string') fields.push(`${DIM}trace=${record.trace_id.slice(0, 8)}…${RESET}`);
  let out = parts.join(' ');
  if (fields.length > 0) out += `  ${fields.join(' ')}`;
  if (block !== undefined) out += `\n${block.replace(/^/gm, '    ')}`;
  return `${out}\n`;
}

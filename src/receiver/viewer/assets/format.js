// Formatting of times, durations and received values for display (as text, always).

/** @param {number} n */
const two = (n) => String(n).padStart(2, '0');

/**
 * Local wall-clock time with milliseconds, and the date when it is not today.
 * @param {number | null | undefined} ms epoch milliseconds
 */
export function clock(ms) {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '–';
  const date = new Date(ms);
  const time = `${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}.${String(date.getMilliseconds()).padStart(3, '0')}`;
  const today = new Date();
  if (date.toDateString() === today.toDateString()) return time;
  return `${date.getFullYear()}-${two(date.getMonth() + 1)}-${two(date.getDate())} ${time}`;
}

/**
 * Local wall-clock time to the second.
 * @param {number} ms epoch milliseconds
 */
export function timeOfDay(ms) {
  const date = new Date(ms);
  return `${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}`;
}

/**
 * How long ago, roughly.
 * @param {number | null | undefined} ms epoch milliseconds
 */
export function ago(ms) {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '';
  const seconds = Math.round((Date.now() - ms) / 1000);
  if (seconds < 0) return 'in the future';
  if (seconds < 60) return `${seconds}s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m ago`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)}h ago`;
  return `${Math.floor(seconds / 86400)}d ago`;
}

/** @param {number} ms */
export function duration(ms) {
  if (!Number.isFinite(ms)) return '–';
  if (ms < 1) return `${(ms * 1000).toFixed(0)} µs`;
  if (ms < 1000) return `${ms < 10 ? ms.toFixed(2) : ms.toFixed(1)} ms`;
  return `${(ms / 1000).toFixed(2)} s`;
}

/**
 * A received value (string, number, boolean, array, key/value list) as one line of text.
 * @param {unknown} value
 */
export function valueText(value) {
  if (typeof value === 'string') return value;
  if (value === null || value === undefined) return 'null';
  return JSON.stringify(value) ?? String(value);
}

/**
 * Nanoseconds (a decimal string) as epoch milliseconds.
 * @param {string} unixNano
 */
export function nanosToMs(unixNano) {
  return /^\d+$/.test(unixNano) ? Number(BigInt(unixNano) / 1000n) / 1000 : NaN;
}

/**
 * A stable small number for a name, to pick its colour class.
 * @param {string} name
 * @param {number} count
 */
export function colourIndex(name, count) {
  let hash = 0;
  for (let index = 0; index < name.length; index++) hash = (hash * 31 + name.charCodeAt(index)) >>> 0;
  return hash % count;
}

export const SEVERITIES = /** @type {const} */ (['', 'TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL']);

/**
 * @param {number} severityNumber
 * @param {string} severityText
 */
export function severityOf(severityNumber, severityText) {
  if (severityText !== '') return severityText.toUpperCase();
  return SEVERITIES[Math.ceil(severityNumber / 4)] ?? `SEV${severityNumber}`;
}

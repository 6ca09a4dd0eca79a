// Small numeric and formatting helpers shared by the suites and the report.
import { URL } from 'node:url';

export function median(values) {
  const sorted = values.filter((value) => typeof value === 'number' && Number.isFinite(value)).sort((a, b) => a - b);
  if (sorted.length === 0) return undefined;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

export function shuffle(items) {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i -= 1) {
    const j = Math.floor(Math.random() * (i + 1));
    [copy[i], copy[j]] = [copy[j], copy[i]];
  }
  return copy;
}

export function fmt(value, digits = 0) {
  if (value === undefined || value === null || Number.isNaN(value)) return '–';
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function ratio(value, base, digits = 2) {
  if (value === undefined || base === undefined || base === 0) return '–';
  return `${(value / base).toFixed(digits)}×`;
}

export function mib(bytes, digits = 1) {
  return bytes === undefined ? '–' : (bytes / 2 ** 20).toFixed(digits);
}

export function verdict(pass) {
  if (pass === undefined) return 'n/a';
  return pass ? '**pass**' : '**miss**';
}

/** A markdown table from a header row and data rows. */
export function table(header, rows) {
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

const REPO_ROOT = new URL('../..', import.meta.url);

/** A line of a child's stderr fit for the report: repository paths made relative, other home paths elided, cut short. */
export function reportLine(line, max = 240) {
  const root = REPO_ROOT.pathname;
  const cleaned = line
    .replaceAll(REPO_ROOT.href, '')
    .replaceAll(root, '')
    .replace(/(?:file:\/\/)?\/(?:root|home\/[^/\s]+|tmp|work)\/[^\s)'"]*/g, '<path>');
  return cleaned.length > max ? `${cleaned.slice(0, max - 1)}…` : cleaned;
}

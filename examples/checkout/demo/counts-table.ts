import { categoryColour, type Style } from './style.ts';

export interface CountRow {
  type: string;
  category: string | undefined;
  status: number | undefined;
  count: number;
}

/** The running counts per error type, biggest first. */
export function countsTable(title: string, rows: readonly CountRow[], style: Style): string[] {
  const sorted = [...rows].sort((a, b) => b.count - a.count || a.type.localeCompare(b.type));
  const lines = [style.bold(title)];
  if (sorted.length === 0) {
    lines.push(style.dim('  no errors yet'));
    return lines;
  }
  // Counts read from HTTP answers have no category: leave the column out rather than fill it with dashes.
  const withCategory = sorted.some((row) => row.category !== undefined);
  const category = (text: string) => (withCategory ? `${text.padEnd(12)} ` : '');
  lines.push(style.dim(`  ${'type'.padEnd(24)} ${category('category')}${'status'.padEnd(6)} ${'count'.padStart(6)}`));
  for (const row of sorted) {
    const colour = categoryColour(style, row.category ?? (row.status !== undefined && row.status < 500 ? 'validation' : 'internal'));
    lines.push(`  ${colour(row.type.padEnd(24))} ${category(row.category ?? '-')}${String(row.status ?? '-').padEnd(6)} ${String(row.count).padStart(6)}`);
  }
  const total = sorted.reduce((sum, row) => sum + row.count, 0);
  lines.push(style.dim(`  ${'total'.padEnd(withCategory ? 44 : 31)} ${String(total).padStart(6)}`));
  return lines;
}

/** HH:MM:SS in local time. */
export function clock(epochMs: number): string {
  return new Date(epochMs).toTimeString().slice(0, 8);
}

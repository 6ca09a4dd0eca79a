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
  lines.push(style.dim(`  ${'type'.padEnd(24)} ${'category'.padEnd(12)} ${'status'.padEnd(6)} ${'count'.padStart(6)}`));
  for (const row of sorted) {
    const colour = categoryColour(style, row.category ?? '');
    lines.push(`  ${colour(row.type.padEnd(24))} ${(row.category ?? '-').padEnd(12)} ${String(row.status ?? '-').padEnd(6)} ${String(row.count).padStart(6)}`);
  }
  const total = sorted.reduce((sum, row) => sum + row.count, 0);
  lines.push(style.dim(`  ${'total'.padEnd(44)} ${String(total).padStart(6)}`));
  return lines;
}

export function clock(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(11, 19);
}

import type { CheckStatus, DoctorReport } from './doctor.ts';

const MARKS: Record<CheckStatus, string> = { pass: '✓', fail: '✗', warn: '!', info: '·', skip: '–' };

/** The report for people: one line per check (mark, id, what was found), the fix under each ✗ and !. */
export function formatReport(report: DoctorReport, heading: string): string {
  const width = Math.max(...report.checks.map((check) => check.id.length), 0);
  const lines = [heading];
  for (const check of report.checks) {
    lines.push(`  ${MARKS[check.status]} ${check.id.padEnd(width)}  ${check.summary}`);
    if (check.fix !== undefined && (check.status === 'fail' || check.status === 'warn')) lines.push(`  ${' '.repeat(width + 4)}fix: ${check.fix}`);
  }
  const warned = report.checks.filter((check) => check.status === 'warn').length;
  const counts = `${report.failed} of ${report.checks.length} checks failed${warned > 0 ? `, ${warned} to look at (!)` : ''}`;
  lines.push(report.ok ? `faultline doctor: no check failed${warned > 0 ? `; ${warned} to look at (!)` : ''}` : `faultline doctor: ${counts}`);
  return `${lines.join('\n')}\n`;
}

/** The report for machines: one JSON document. */
export function formatJson(report: DoctorReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

import { knownVariableNames } from '../config.ts';
import type { Check } from './doctor.ts';

type Env = Record<string, string | undefined>;

/**
 * Edits (insert, delete, substitute, swap two neighbours) from one name to the other: a swapped pair
 * (`ENDPIONT`) is one typo, not two.
 */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[] = new Array<number>(rows * cols).fill(0);
  const at = (i: number, j: number): number => d[i * cols + j] ?? 0;
  for (let i = 0; i < rows; i++) d[i * cols] = i;
  for (let j = 0; j < cols; j++) d[j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, at(i - 2, j - 2) + 1);
      d[i * cols + j] = best;
    }
  }
  return at(a.length, b.length);
}

/** The known name a typo most likely meant: at most 2 edits, 3 for long names; none if two are equally near. */
export function nearestName(name: string, known: readonly string[]): string | undefined {
  const limit = name.length >= 24 ? 3 : 2;
  let best: string | undefined;
  let bestDistance = Infinity;
  let tie = false;
  for (const candidate of known) {
    if (Math.abs(candidate.length - name.length) > limit) continue;
    const distance = editDistance(name, candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
      tie = false;
    } else if (distance === bestDistance && candidate !== best) {
      tie = true;
    }
  }
  return best !== undefined && bestDistance <= limit && !tie ? best : undefined;
}

const OURS = /^(OTEL|FAULTLINE)_/;

/**
 * Every `OTEL_*` / `FAULTLINE_*` variable set that faultline does not read. The known names are the
 * ones `loadConfig` reads, so this list cannot drift from the code. A near miss fails with a "did you
 * mean"; an unknown `FAULTLINE_*` fails (the namespace is ours); any other `OTEL_*` name is only
 * noted, since an instrumentation or another tool may read it.
 */
export function variableChecks(env: Env, known: readonly string[] = knownVariableNames()): Check[] {
  const knownSet = new Set(known);
  const checks: Check[] = [];
  let ours = 0;
  for (const name of Object.keys(env).sort()) {
    const upper = name.toUpperCase();
    if (!OURS.test(upper)) continue;
    ours += 1;
    if (knownSet.has(name)) continue;
    const id = `variable:${name}`;
    if (knownSet.has(upper)) {
      checks.push({ id, status: 'fail', summary: `${name} is not read: variable names are case-sensitive`, fix: `rename it to ${upper}`, data: { name, suggestion: upper } });
      continue;
    }
    const suggestion = nearestName(upper, known);
    if (suggestion !== undefined) {
      checks.push({ id, status: 'fail', summary: `${name} is not a variable faultline reads; did you mean ${suggestion}?`, fix: `rename it to ${suggestion}`, data: { name, suggestion } });
    } else if (/^FAULTLINE_/.test(upper)) {
      checks.push({ id, status: 'fail', summary: `${name} is not a faultline setting`, fix: "remove it; faultline's settings are listed in the README's configuration table", data: { name } });
    } else {
      checks.push({ id, status: 'warn', summary: `faultline does not read ${name} (an instrumentation or another tool may)`, fix: "remove it if it was meant for faultline; the variables it reads are in the README's configuration table", data: { name } });
    }
  }
  if (checks.length === 0) checks.push({ id: 'variables', status: 'pass', summary: ours === 0 ? 'no OTEL_* or FAULTLINE_* variable set (defaults apply)' : `the ${ours} OTEL_*/FAULTLINE_* variable(s) set are all ones faultline reads` });
  return checks;
}

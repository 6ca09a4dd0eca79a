// The targets of a run, from its results: what run.js puts at the top of RESULTS.md and history.js
// compares between landings. Each suite stores or derives its own.
import { outageTargets } from '../suites/outage.js';
import { crashTargets } from '../suites/crash-trials.js';

export function targetsOf(results) {
  const list = [];
  if (results.http !== undefined) list.push(...results.http.targets);
  if (results.errors !== undefined) list.push(results.errors.target);
  if (results.logging !== undefined) list.push(...(results.logging.targets ?? [results.logging.target]));
  if (results.outage !== undefined || results.exits !== undefined) list.push(...outageTargets(results.outage, results.exits));
  if (results.crash !== undefined) list.push(...crashTargets(results.crash));
  if (results.doctor !== undefined) list.push(results.doctor.target);
  if (results.lint !== undefined) list.push(results.lint.target);
  return list;
}

// `faultline incident`: from captured telemetry to a postmortem and a regression test, and a check
// that every incident stays guarded (a lint rule, a regression test or an alert rule). It only
// reads telemetry files and the repository, and writes the files it was asked for, all or none.
// It must never run the app's code, reach the network, or leave a half-written file behind.

import { readdirSync } from 'node:fs';

/** Bad input to an incident command: one line on stderr and exit code 2. */
export class IncidentInputError extends Error {
  readonly code = 'INCIDENT_INPUT_INVALID';

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'IncidentInputError';
  }
}

/** `INC-7`: the form the eslint-plugin's `incident()` helper and the file names use. */
export const INCIDENT_ID = /^INC-([1-9][0-9]{0,8})$/;

const INCIDENT_FILE = /^(INC-[1-9][0-9]{0,8})\.md$/;

/** The incident IDs with a file in `dir`, in numeric order (none when the folder does not exist yet). */
export function incidentIds(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new IncidentInputError(`cannot read the incidents folder ${dir}: ${(error as Error).message}`, { cause: error });
  }
  return names
    .map((name) => INCIDENT_FILE.exec(name)?.[1])
    .filter((id): id is string => id !== undefined)
    .sort((a, b) => incidentNumber(a) - incidentNumber(b));
}

export function incidentNumber(id: string): number {
  return Number(INCIDENT_ID.exec(id)?.[1] ?? Number.NaN);
}

/** One past the highest incident number in `dir` (INC-1 in an empty folder). */
export function nextIncidentId(dir: string): string {
  const numbers = incidentIds(dir).map(incidentNumber);
  return `INC-${numbers.length === 0 ? 1 : Math.max(...numbers) + 1}`;
}

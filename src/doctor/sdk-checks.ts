import { fileURLToPath } from 'node:url';
import type { FaultlineConfig } from '../config.ts';
import { runningTelemetry, type RunningTelemetry } from '../sdk/start.ts';
import { guarded, type Check } from './doctor.ts';
import type { InAppState } from './in-app.ts';
import { logSendersCheck } from './log-senders.ts';
import { packageRootOf, readPackageJson } from './package-copies.ts';
import { otherCopiesCheck, providersCheck, type ApiCopyEntry } from './providers.ts';

// The in-app checks that read the running SDK. Imported only when faultline is enabled, where the
// SDK's modules are loaded anyway: a disabled faultline never loads them for the doctor's sake.

/** The version of the API copy faultline itself imports. */
function ownApiVersion(): string | undefined {
  try {
    const root = packageRootOf(fileURLToPath(import.meta.resolve('@opentelemetry/api')), '@opentelemetry/api');
    return root === undefined ? undefined : readPackageJson(root)?.version;
  } catch { // eslint-disable-line faultline/no-blind-catch -- what cannot be read is absent here
    return undefined;
  }
}

export function running(): RunningTelemetry | undefined {
  return runningTelemetry();
}

/** Whose providers are global, and how many senders ship the log lines. */
export function sdkChecks(state: InAppState, config: FaultlineConfig, telemetry: RunningTelemetry | undefined): Check[] {
  if (telemetry === undefined) return [{ id: 'providers', status: 'skip', summary: "faultline's SDK has not finished starting: its providers cannot be compared yet" }];
  return [
    ...guarded('providers', () => [providersCheck(telemetry, state.diagnostics, ownApiVersion())]),
    ...guarded('log-senders', () => [logSendersCheck(config, { loggers: state.loggers, observer: state.observer, instrumentations: telemetry.instrumentations })]),
  ];
}

export async function otherApiCopiesCheck(telemetry: RunningTelemetry | undefined, others: readonly ApiCopyEntry[]): Promise<Check | undefined> {
  try {
    return await otherCopiesCheck(telemetry, others);
  } catch { // eslint-disable-line faultline/no-blind-catch -- what cannot be read is absent here
    return undefined;
  }
}

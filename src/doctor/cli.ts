import path from 'node:path';
import { parseArgs } from 'node:util';
import { collectConfigProblems, loadConfig, type FaultlineConfig } from '../config.ts';
import { IN_APP_ONLY, makeReport, type Check } from './doctor.ts';
import { endpointChecks } from './endpoint.ts';
import { entryCheck } from './entry.ts';
import { formatJson, formatReport } from './format.ts';
import { installedCopies, instrumentationPackageChecks, resolvablePackage } from './installed-packages.ts';
import { apiVersionCheck, copiesCheck, readPackageJson, type PackageCopy } from './package-copies.ts';
import { findStartCommand, startCommandCheck } from './start-command.ts';
import { configurationChecks, nodeCheck, serviceCheck } from './settings.ts';
import { variableChecks } from './variables.ts';

export const DOCTOR_USAGE = `usage: faultline doctor [--json] [--entry <file>] [--timeout <ms>]

Run in the app's folder, with the app's environment: checks the OTEL_* / FAULTLINE_* variables, the
sampler and exporters, each OTLP endpoint (one empty export request per signal), the start script's
preload, and the copies of @opentelemetry/api and faultline installed. What the app really loads
(load order, copies loaded, global providers, log senders) only the running app can tell: start it
with FAULTLINE_DOCTOR=1 for the same report from inside.

  --json           print the report as JSON
  --entry <file>   the app's entry script (default: from the start script, else package.json main)
  --timeout <ms>   how long to wait for each endpoint (default 5000)

Exit code: 0 when no check failed, 1 when one did, 2 for bad arguments.
`;

const DEFAULT_TIMEOUT_MS = 5000;

/** A bad command line: one line on stderr and exit code 2. */
class UsageError extends Error {
  readonly code = 'USAGE_ERROR';
}

interface Options {
  json: boolean;
  entry: string | undefined;
  timeoutMs: number;
  help: boolean;
}

function options(args: string[]): Options {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        json: { type: 'boolean', default: false },
        entry: { type: 'string' },
        timeout: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const timeoutMs = values.timeout === undefined ? DEFAULT_TIMEOUT_MS : Number(values.timeout);
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > 120_000) throw new UsageError(`--timeout takes milliseconds from 1 to 120000, not ${JSON.stringify(values.timeout)}`);
  return { json: values.json, entry: values.entry, timeoutMs, help: values.help };
}

/** The configured name, or what the app itself would be called without one (not this command's). */
function serviceAttributes(config: FaultlineConfig, env: Record<string, string | undefined>, entry: string | undefined): Record<string, string> {
  const named = (env.OTEL_SERVICE_NAME?.trim() ?? '') !== '' || config.resourceAttributes['service.name'] !== undefined;
  const fallback = `unknown_service:${entry === undefined ? 'node' : path.basename(entry).replace(/\.[cm]?[jt]s$/, '')}`;
  return { ...config.resourceAttributes, 'service.name': named ? config.serviceName : fallback };
}

/** The API copy faultline will register the providers through: the one its installed copy resolves. */
function registeringApi(cwd: string, faultlines: readonly PackageCopy[]): string | undefined {
  const from = faultlines[0]?.root ?? cwd;
  const api = resolvablePackage(from, '@opentelemetry/api') ?? resolvablePackage(cwd, '@opentelemetry/api');
  return api === undefined ? undefined : readPackageJson(api)?.version;
}

/** Every check the command line can make, in the order of the in-app report. */
export async function doctorChecks(cwd: string, env: Record<string, string | undefined>, entryOption: string | undefined, timeoutMs: number): Promise<Check[]> {
  const { value: config, problems } = collectConfigProblems(() => loadConfig(env));
  const start = findStartCommand(readPackageJson(cwd), entryOption);
  const entry = start.entry === undefined ? undefined : path.resolve(cwd, start.entry);
  const installed = installedCopies(cwd, ['@opentelemetry/api', 'faultline']);
  const registeredApi = registeringApi(cwd, installed.get('faultline') ?? []);
  const apiVersion = apiVersionCheck(registeredApi);
  return [
    nodeCheck(),
    entryCheck(entry, start.source),
    startCommandCheck(start, env.NODE_OPTIONS, cwd),
    ...instrumentationPackageChecks(config, cwd),
    { id: 'load-order', status: 'skip', summary: `whether the app's modules loaded after faultline's hook: ${IN_APP_ONLY}` },
    copiesCheck({
      id: 'api-copies',
      name: '@opentelemetry/api',
      copies: installed.get('@opentelemetry/api') ?? [],
      where: 'installed',
      registeredApi,
      cwd,
      missing: { status: 'fail', summary: '@opentelemetry/api is not installed', fix: "npm install @opentelemetry/api (faultline's peer dependency)" },
    }),
    ...(apiVersion === undefined ? [] : [apiVersion]),
    copiesCheck({
      id: 'faultline-copies',
      name: 'faultline',
      copies: installed.get('faultline') ?? [],
      where: 'installed',
      cwd,
      missing: { status: 'fail', summary: `faultline is not installed in ${cwd}`, fix: "run the doctor in the app's folder, after npm install faultline" },
    }),
    { id: 'providers', status: 'skip', summary: `whether the global providers are faultline's: ${IN_APP_ONLY}` },
    { id: 'log-senders', status: 'skip', summary: `whether log lines are shipped twice: ${IN_APP_ONLY}` },
    ...configurationChecks(config, problems, env),
    ...variableChecks(env),
    serviceCheck(serviceAttributes(config, env, entry)),
    ...(await endpointChecks(config, env, { timeoutMs, unref: false })),
  ];
}

/** `faultline doctor`: prints the report and returns the exit code. */
export async function main(args: string[]): Promise<number> {
  let parsed: Options;
  try {
    parsed = options(args);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`faultline doctor: ${error.message} (faultline doctor --help)\n`);
    return 2;
  }
  if (parsed.help) {
    process.stdout.write(DOCTOR_USAGE);
    return 0;
  }
  const cwd = process.cwd();
  const report = makeReport('cli', await doctorChecks(cwd, process.env, parsed.entry, parsed.timeoutMs));
  const heading = `faultline doctor: checks from the command line in ${cwd} (configuration, endpoints, node_modules); what the app really loads, ${IN_APP_ONLY}`;
  process.stdout.write(parsed.json ? formatJson(report) : formatReport(report, heading));
  return report.ok ? 0 : 1;
}

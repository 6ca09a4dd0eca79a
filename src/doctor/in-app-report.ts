import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { collectConfigProblems, loadConfig, type ConfigProblem, type FaultlineConfig, type Signal } from '../config.ts';
import { getRuntime } from '../runtime.ts';
import type { RunningTelemetry } from '../sdk/start.ts';
import { guarded, makeReport, type Check } from './doctor.ts';
import { endpointCheck, noOtlpCheck, otlpSignals, probeSignal } from './endpoint.ts';
import { entryCheck } from './entry.ts';
import { formatReport } from './format.ts';
import type { InAppState } from './in-app.ts';
import { instrumentedModuleChecks, preloadCheck } from './load-order.ts';
import { apiVersionCheck, copiesCheck, copiesOf, isInside, packageRootOf, readPackageJson, realPath, registeredApiVersion, type PackageCopy } from './package-copies.ts';
import type { ApiCopyEntry } from './providers.ts';
import { configurationChecks, nodeCheck, serviceCheck } from './settings.ts';
import { variableChecks } from './variables.ts';

// The in-app report, made from what in-app.ts watched, and loaded after start-up. The checks that
// read the running SDK live in sdk-checks.ts, imported only when faultline is enabled.

type SdkChecks = typeof import('./sdk-checks.ts');

const requireCache = createRequire(import.meta.url).cache;
let sdk: SdkChecks | undefined;

/** The effective configuration (start() options included), and what did not parse in the environment. */
function configuration(): { config: FaultlineConfig; problems: ConfigProblem[] } {
  const { problems } = collectConfigProblems(() => loadConfig(process.env));
  return { config: getRuntime().config, problems };
}

/** Loads the SDK checks (when enabled) and runs the endpoint checks, keeping each outcome as it arrives. */
export async function prepare(state: InAppState, timeoutMs: number): Promise<void> {
  const { config } = configuration();
  const loading = config.disabled ? Promise.resolve() : import('./sdk-checks.ts').then((module) => (sdk = module));
  const probing = otlpSignals(config).map(async (signal) => {
    state.probing.set(signal, performance.now());
    state.outcomes.set(signal, await probeSignal(signal, config.otlp[signal], { timeoutMs, unref: true }));
  });
  await Promise.all([loading, ...probing]);
}

function endpointChecks(state: InAppState, config: FaultlineConfig): Check[] {
  const signals = otlpSignals(config);
  if (signals.length === 0) return [noOtlpCheck(config)];
  return signals.map((signal: Signal): Check => {
    const outcome = state.outcomes.get(signal);
    if (outcome !== undefined) return endpointCheck(outcome, process.env);
    const since = state.probing.get(signal);
    const waited = since === undefined ? 'before the check was due' : `${Math.round(performance.now() - since)} ms into the check, with no answer yet`;
    return { id: `endpoint-${signal}`, status: 'skip', summary: `${signal} → ${config.otlp[signal].url}: not checked, the app exited ${waited}; npx faultline doctor checks it without the app` };
  });
}

interface LoadedFile {
  file: string;
  importedBy?: string;
  url?: string;
}

/** Every loaded copy of a package: what the app resolved by name, the CommonJS cache, and faultline's own. */
const FAULTLINE_ROOT = packageRootOf(fileURLToPath(import.meta.url), 'faultline');

/** Who imported a copy, as the reader knows them: the app's file, or "faultline" for faultline's own modules. */
function importer(parentURL: string | undefined): string | undefined {
  if (parentURL?.startsWith('file:') !== true) return undefined;
  const file = fileURLToPath(parentURL);
  // The loader-hook libraries resolve on behalf of whoever required the module: not an importer.
  if (/[\\/]node_modules[\\/](require|import)-in-the-middle[\\/]/.test(file)) return undefined;
  return FAULTLINE_ROOT !== undefined && isInside(realPath(file), FAULTLINE_ROOT) && !/[\\/]node_modules[\\/]/.test(path.relative(FAULTLINE_ROOT, file)) ? 'faultline' : file;
}

function loadedCopies(state: InAppState, name: string, own: string | undefined, ownImporter?: string): { copies: PackageCopy[]; entries: ApiCopyEntry[] } {
  // faultline's own copy first, so that the report names it first.
  const files: LoadedFile[] = own === undefined ? [] : [{ file: own, importedBy: ownImporter }];
  for (const resolution of state.observer?.of(name) ?? []) {
    if (!resolution.url.startsWith('file:')) continue;
    files.push({ file: fileURLToPath(resolution.url), importedBy: importer(resolution.parentURL), url: resolution.url });
  }
  const marker = `/node_modules/${name}/`;
  for (const file of Object.keys(requireCache)) if (file.replaceAll('\\', '/').includes(marker)) files.push({ file });
  const copies = copiesOf(name, files);
  const entries = copies.map((copy): ApiCopyEntry => {
    const first = files.find((item) => isInside(realPath(item.file), copy.root));
    return first?.url !== undefined ? { copy, url: first.url } : { copy, file: first?.file };
  });
  return { copies, entries };
}

function ownApiFile(): string | undefined {
  try {
    return fileURLToPath(import.meta.resolve('@opentelemetry/api'));
  } catch { // eslint-disable-line faultline/no-blind-catch -- what cannot be read is absent here
    return undefined;
  }
}

function copyChecks(state: InAppState): { checks: Check[]; otherApis: ApiCopyEntry[] } {
  const ownApi = ownApiFile();
  const api = loadedCopies(state, '@opentelemetry/api', ownApi, 'faultline');
  const faultline = loadedCopies(state, 'faultline', fileURLToPath(import.meta.url));
  const ownFile = ownApi === undefined ? undefined : realPath(ownApi);
  const otherApis = api.entries.filter((entry) => ownFile === undefined || !isInside(ownFile, entry.copy.root));
  const unseen = state.observer === undefined ? ' (this Node has no module.registerHooks: only CommonJS copies are seen)' : '';
  const ownRoot = ownApi === undefined ? undefined : packageRootOf(ownApi, '@opentelemetry/api');
  const apiVersion = apiVersionCheck(ownRoot === undefined ? undefined : readPackageJson(ownRoot)?.version);
  const checks = [
    ...(apiVersion === undefined ? [] : [apiVersion]),
    copiesCheck({ id: 'api-copies', name: '@opentelemetry/api', copies: api.copies, where: 'loaded', registeredApi: registeredApiVersion(), missing: { status: 'info', summary: `@opentelemetry/api is not loaded${unseen}` } }),
    copiesCheck({ id: 'faultline-copies', name: 'faultline', copies: faultline.copies, where: 'loaded', missing: { status: 'info', summary: 'faultline is not loaded from a package folder' } }),
  ];
  return { checks, otherApis };
}

function serviceFrom(config: FaultlineConfig, telemetry: RunningTelemetry | undefined): Check {
  if (telemetry === undefined) return serviceCheck({ ...config.resourceAttributes, 'service.name': config.serviceName });
  // telemetry.sdk.* are the SDK's own constants: not worth a place on the line.
  const attributes = Object.fromEntries(Object.entries(telemetry.resource.attributes).filter(([key]) => !key.startsWith('telemetry.sdk.')));
  const given = new Set(['service.name', ...Object.keys(config.resourceAttributes)]);
  const detected = Object.keys(attributes).filter((key) => !given.has(key));
  return serviceCheck(attributes, detected);
}

function entryFrom(state: InAppState): Check {
  const entry = state.facts.entry;
  if (entry === undefined) return entryCheck(undefined, 'process.argv');
  return entryCheck(entry, 'process.argv', requireCache[entry] === undefined ? 'esm' : 'commonjs');
}

/** Every check that needs no round trip: all the exit report can still make. */
function localChecks(state: InAppState): { checks: Check[]; otherApis: ApiCopyEntry[]; telemetry: RunningTelemetry | undefined } {
  const { config, problems } = configuration();
  const telemetry = sdk?.running();
  const copies = copyChecks(state);
  const checks: Check[] = [
    nodeCheck(),
    ...guarded('entry', () => [entryFrom(state)]),
    preloadCheck(state.facts),
    ...guarded('load-order', () => instrumentedModuleChecks(state.facts, config, telemetry, state.observer)),
    ...copies.checks,
    ...(sdk === undefined ? [{ id: 'providers', status: 'skip', summary: 'faultline is turned off: no provider of its own to look for' } satisfies Check] : sdk.sdkChecks(state, config, telemetry)),
    ...configurationChecks(config, problems, process.env),
    ...variableChecks(process.env),
    ...guarded('service', () => [serviceFrom(config, telemetry)]),
  ];
  return { checks, otherApis: copies.otherApis, telemetry };
}

function heading(state: InAppState, suffix = ''): string {
  const elapsed = ((performance.now() - state.startedAt) / 1000).toFixed(1);
  return `faultline doctor: report from inside the app (pid ${process.pid}, ${elapsed} s after faultline started${suffix}); it sees what the app loaded, its providers and its log senders`;
}

export async function fullReport(state: InAppState): Promise<string> {
  const { checks, otherApis, telemetry } = localChecks(state);
  const other = await sdk?.otherApiCopiesCheck(telemetry, otherApis);
  if (other !== undefined) checks.splice(checks.findIndex((check) => check.id === 'providers') + 1, 0, other);
  checks.push(...endpointChecks(state, getRuntime().config));
  return formatReport(makeReport('in-app', checks), heading(state));
}

/** At exit, synchronously: everything but the endpoints and the other API copies' view. */
export function reportAtExit(state: InAppState): string {
  if (sdk === undefined && !getRuntime().config.disabled && getRuntime().started) {
    // Already loaded by the ES module loader (the SDK is running): require returns the same modules.
    sdk = createRequire(import.meta.url)(`./sdk-checks${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`) as SdkChecks;
  }
  const { checks } = localChecks(state);
  checks.push(...endpointChecks(state, getRuntime().config));
  return formatReport(makeReport('in-app', checks), heading(state, ', at exit'));
}

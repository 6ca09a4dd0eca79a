import { createRequire } from 'node:module';
import { logs, metrics, trace } from '@opentelemetry/api';
import type { RunningTelemetry } from '../sdk/start.ts';
import type { Check } from './doctor.ts';
import { apiCanRead, registeredApiVersion, shown, type PackageCopy } from './package-copies.ts';

const FIX = "remove the app's own OpenTelemetry SDK setup (NodeSDK.start(), provider.register(), an @opentelemetry/*/register preload): faultline is the SDK";

/** The provider itself, or a proxy (the API's ProxyTracerProvider) whose delegate it is. */
function isOurs(provider: unknown, ours: object): boolean {
  if (provider === ours) return true;
  const proxy = provider as { getDelegate?: () => unknown; _delegate?: unknown } | undefined;
  return typeof proxy?.getDelegate === 'function' ? proxy.getDelegate() === ours : proxy?._delegate === ours;
}

function nameOf(provider: unknown): string {
  const proxy = provider as { getDelegate?: () => unknown } | undefined;
  const inner = typeof proxy?.getDelegate === 'function' ? proxy.getDelegate() : provider;
  const name = (inner as { constructor?: { name?: unknown } } | undefined)?.constructor?.name;
  // Bundled SDKs rename their classes (`TracerProvider$1`): the suffix means nothing to the reader.
  return typeof name === 'string' && name !== '' ? name.replace(/\$\d+$/, '') : 'an unknown provider';
}

interface ApiView {
  trace?: { getTracerProvider(): unknown };
  metrics?: { getMeterProvider(): unknown };
  logs?: { getLoggerProvider(): unknown };
}

/** Which of the three global providers, seen through one copy of the API, are not faultline's. */
function foreignProviders(api: ApiView, running: RunningTelemetry): string[] {
  const foreign: string[] = [];
  if (api.trace !== undefined && !isOurs(api.trace.getTracerProvider(), running.tracerProvider)) foreign.push(`tracer (${nameOf(api.trace.getTracerProvider())})`);
  if (api.metrics !== undefined && !isOurs(api.metrics.getMeterProvider(), running.meterProvider)) foreign.push(`meter (${nameOf(api.metrics.getMeterProvider())})`);
  // Versions of the API before 1.10 have no logs API; @opentelemetry/api-logs is another package.
  if (api.logs !== undefined && !isOurs(api.logs.getLoggerProvider(), running.loggerProvider)) foreign.push(`logger (${nameOf(api.logs.getLoggerProvider())})`);
  return foreign;
}

/**
 * Are the global tracer, meter and logger providers faultline's? Seen through faultline's copy of
 * the API, plus what the API said when someone else tried to register: a second SDK started after
 * faultline is refused ("duplicate registration") and keeps exporting its own spans on its own.
 */
export function providersCheck(running: RunningTelemetry | undefined, diagnostics: readonly string[], ownApiVersion?: string): Check {
  if (running === undefined) return { id: 'providers', status: 'skip', summary: "faultline's SDK is not running: no provider of its own to look for" };
  const registry = registeredApiVersion();
  if (ownApiVersion !== undefined && registry !== undefined && registry !== ownApiVersion) {
    // The API registers only into a registry of its own version, and reads one of its major and at least its minor.
    const reads = apiCanRead(ownApiVersion, registry);
    return {
      id: 'providers',
      status: 'fail',
      summary: `the API's global registry belongs to @opentelemetry/api ${registry}, registered before faultline started: faultline's ${ownApiVersion} can ${reads ? 'read it but not register its providers there' : 'neither register its providers there nor read them'}`,
      fix: 'make the app use one copy of @opentelemetry/api (npm ls @opentelemetry/api, align versions, npm dedupe), and start faultline before anything else touches the API',
      data: { registry, ownApiVersion },
    };
  }
  const foreign = foreignProviders({ trace, metrics, logs }, running);
  if (foreign.length > 0) {
    return { id: 'providers', status: 'fail', summary: `the global ${foreign.join(', ')} provider is not faultline's: another SDK registered first, and faultline's was refused`, fix: FIX, data: { foreign } };
  }
  const refused = [...new Set(diagnostics.flatMap((text) => /duplicate registration of API: (\w+)/.exec(text)?.[1] ?? []))];
  if (refused.length > 0) {
    return {
      id: 'providers',
      status: 'fail',
      summary: `a second OpenTelemetry SDK tried to register (${refused.join(', ')}) and the API refused it: what the app records through it goes only to its own exporters`,
      fix: FIX,
      data: { refused },
    };
  }
  return { id: 'providers', status: 'pass', summary: "the global tracer, meter and logger providers are faultline's" };
}

/** How the app reaches another copy of the API: by the URL it imported, or by the file it required. */
export interface ApiCopyEntry {
  copy: PackageCopy;
  url?: string;
  file?: string;
}

/** Does each other loaded copy of the API see faultline's providers? It does not when its version differs. */
export async function otherCopiesCheck(running: RunningTelemetry | undefined, others: readonly ApiCopyEntry[]): Promise<Check | undefined> {
  if (running === undefined || others.length === 0) return undefined;
  const blind: string[] = [];
  for (const { copy, url, file } of others) {
    let api: ApiView | undefined;
    try {
      // Already loaded by the app: importing it again returns the same module and runs nothing.
      if (url !== undefined) api = (await import(url)) as ApiView;
      else if (file !== undefined) api = createRequire(file)(file) as ApiView;
    } catch { // eslint-disable-line faultline/no-blind-catch -- an API copy that cannot be loaded is reported as such
      api = undefined;
    }
    if (api === undefined) continue;
    const foreign = foreignProviders(api, running);
    if (foreign.length > 0) blind.push(`${copy.version} at ${shown(copy.root)} sees no ${foreign.map((item) => item.split(' ')[0]).join('/')} provider of faultline's`);
  }
  if (blind.length === 0) return { id: 'providers:other-api-copies', status: 'pass', summary: "the other loaded copies of @opentelemetry/api see faultline's providers" };
  return {
    id: 'providers:other-api-copies',
    status: 'fail',
    summary: `@opentelemetry/api ${blind.join('; ')}: spans and metrics the app makes through it are dropped`,
    fix: 'make the app use one copy of @opentelemetry/api (npm ls @opentelemetry/api, align versions, npm dedupe)',
    data: { blind },
  };
}

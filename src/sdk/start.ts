import { context, diag, DiagLogLevel, logs, metrics, propagation, trace, type TextMapPropagator } from '@opentelemetry/api';
import { CompositePropagator, type InstrumentationScope, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import { LoggerProvider } from '@opentelemetry/sdk-logs';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { AlwaysOffSampler, AlwaysOnSampler, ParentBasedSampler, type Sampler, TraceIdRatioBasedSampler, TracerProvider } from '@opentelemetry/sdk-trace';
import { type FaultlineConfig, loadConfig, type StartOptions } from '../config.ts';
import { withinDeadline } from '../deadline.ts';
import { createErrorCounter, errorCounterView } from '../errors/error-counter.ts';
import { getRuntime } from '../runtime.ts';
import { warn, warnOnce } from '../warn.ts';
import { EnterableContextManager } from '../http-spans/context-manager.ts';
import { observeDrops } from '../export/drops.ts';
import { installExitHandOff } from '../export/exit-hand-off.ts';
import { getExportWorker, runningExportWorker } from '../export/export-worker-instance.ts';
import { createLogProcessors, createMetricReaders, createSpanProcessors } from '../export/exporters.ts';
import { collectMetricsNow, countPoints, pointValues, prepareMetricsAtExit } from '../export/metrics-at-exit.ts';
import { OpenSpans } from '../export/open-spans.ts';
import { QueuedSpanProcessor, processorsConsumeSpansAtEnd } from '../export/span-processor.ts';
import { spoolHasShippableFiles } from '../export/spool-files.ts';
import { handOffSpans } from '../export/worker-exporters.ts';
import { QueuedLogRecordProcessor } from '../export/log-processor.ts';
import { enableFetchSpans } from '../http-spans/fetch-spans.ts';
import { HttpDurationHistogram } from '../http-spans/http-duration-histogram.ts';
import type { EffectiveSpanLimits } from '../http-spans/server-span.ts';
import { enableHttpSpans } from '../http-spans/http-spans.ts';
import { enableFastifyErrorCapture } from '../framework-errors/fastify-error-channel.ts';
import { enablePatchingInstrumentations } from './instrumentations.ts';
import { buildResource } from './resource.ts';
import { publishSdkDiagnostic } from './sdk-diagnostics.ts';

const SCOPE = 'faultline';

interface Running {
  config: FaultlineConfig;
  tracerProvider: TracerProvider;
  meterProvider: MeterProvider;
  loggerProvider: LoggerProvider;
  resource: Resource;
  /** Patching instrumentations enabled (pg, and the app's own packages named in the config). */
  instrumentations: string[];
  disable: (() => void)[];
  shutdown?: Promise<void>;
}

/** What the running SDK is made of, for the doctor's in-app checks. */
export type RunningTelemetry = Pick<Running, 'config' | 'tracerProvider' | 'meterProvider' | 'loggerProvider' | 'resource' | 'instrumentations'>;

let running: Running | undefined;
let starting: Promise<void> | undefined;

function sampler(config: FaultlineConfig): Sampler {
  const ratio = new TraceIdRatioBasedSampler(config.sampler.ratio);
  switch (config.sampler.name) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return ratio;
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: ratio });
    default:
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
  }
}

function propagator(config: FaultlineConfig): TextMapPropagator {
  const propagators: TextMapPropagator[] = [];
  if (config.propagators.includes('tracecontext')) propagators.push(new W3CTraceContextPropagator());
  if (config.propagators.includes('baggage')) propagators.push(new W3CBaggagePropagator());
  return new CompositePropagator({ propagators });
}

/** The SDK's global error handler logs exceptions as JSON (`{"stack":…}`): keep the first line. */
function readable(message: string): string {
  if (!message.startsWith('{')) return message;
  try {
    const parsed = JSON.parse(message) as { message?: unknown; stack?: unknown };
    const text = typeof parsed.stack === 'string' ? parsed.stack : typeof parsed.message === 'string' ? parsed.message : message;
    return text.split('\n')[0] ?? text;
  } catch { // eslint-disable-line faultline/no-blind-catch -- an SDK diagnostic that is not JSON is printed as it is
    return message;
  }
}

/** SDK diagnostics reach stderr once per distinct message, instead of never (the SDK default) or on every export. */
function installDiagnostics(config: FaultlineConfig): void {
  // ERROR by default: the SDK's warnings are mostly about conditions faultline already reports
  // (drops) and would otherwise change what the app prints on stderr.
  const level = config.diagLogLevel.toUpperCase();
  const levels: Record<string, DiagLogLevel> = {
    NONE: DiagLogLevel.NONE,
    ERROR: DiagLogLevel.ERROR,
    WARN: DiagLogLevel.WARN,
    INFO: DiagLogLevel.INFO,
    DEBUG: DiagLogLevel.DEBUG,
    VERBOSE: DiagLogLevel.VERBOSE,
    ALL: DiagLogLevel.ALL,
  };
  const diagLevel = levels[level] ?? DiagLogLevel.ERROR;
  const report = (message: string, ...args: unknown[]): void => {
    const text = [readable(message), ...args.map((arg) => (arg instanceof Error ? arg.message : readable(String(arg))))].join(' ').slice(0, 300);
    publishSdkDiagnostic(text);
    warnOnce(`diag:${text.slice(0, 80)}`, `OpenTelemetry SDK: ${text}`);
  };
  diag.setLogger({ error: report, warn: report, info: report, debug: report, verbose: report }, { logLevel: diagLevel, suppressOverrideMessage: true });
}

async function startSdk(config: FaultlineConfig): Promise<void> {
  installDiagnostics(config);
  const resource = buildResource(config);
  // host.id is read asynchronously; settle it before the first export reads the attributes.
  await resource.waitForAsyncAttributes?.();

  const contextManager = new EnterableContextManager();
  contextManager.enable();
  context.setGlobalContextManager(contextManager);
  propagation.setGlobalPropagator(propagator(config));

  // The SDK's defaults, spelled out: the HTTP server spans are made outside the SDK's Tracer
  // (server-span.ts) and must apply exactly the same limits.
  const spanLimits: EffectiveSpanLimits = {
    attributeValueLengthLimit: config.attributeValueLengthLimit,
    attributeCountLimit: 128,
    linkCountLimit: 128,
    eventCountLimit: 128,
    attributePerEventCountLimit: 128,
    attributePerLinkCountLimit: 128,
  };
  const spanSampler = sampler(config);
  // First, so that a span is tracked before anything else sees it start, and forgotten at its end.
  const openSpans = new OpenSpans();
  const spanProcessors = [openSpans, ...createSpanProcessors(config)];
  const tracerProvider = new TracerProvider({ resource, sampler: spanSampler, spanLimits, spanProcessors });
  trace.setGlobalTracerProvider(tracerProvider);

  const httpDuration = new HttpDurationHistogram({ name: SCOPE });
  const { readers: metricReaders, workerReaders } = await createMetricReaders(config, [httpDuration]);
  if (workerReaders.length > 0) await prepareMetricsAtExit();
  const meterProvider = new MeterProvider({
    resource,
    readers: metricReaders,
    // Backstop behind the per-process error.type cap in recordError: the SDK itself never keeps
    // more series for app.errors than types x categories x handled.
    views: [errorCounterView(config.maxErrorTypes)],
  });
  metrics.setGlobalMeterProvider(meterProvider);
  const meter = meterProvider.getMeter(SCOPE);
  observeDrops(meter);

  const logProcessors = createLogProcessors(config);
  const loggerProvider = new LoggerProvider({
    resource,
    logRecordLimits: { attributeValueLengthLimit: config.attributeValueLengthLimit },
    processors: logProcessors,
  });
  logs.setGlobalLoggerProvider(loggerProvider);

  const runtime = getRuntime();
  runtime.config = config;
  runtime.errorCounter = createErrorCounter(meter);

  const tracer = tracerProvider.getTracer(SCOPE);
  const enabled = config.enabledInstrumentations.filter((name) => !config.disabledInstrumentations.includes(name));
  const disable: (() => void)[] = [];
  if (enabled.includes('http')) {
    // The tracer's own scope object, so that server and client spans share one ScopeSpans group.
    const serverSpans = {
      sampler: spanSampler,
      processors: spanProcessors,
      resource,
      scope: (tracer as unknown as { instrumentationScope?: InstrumentationScope }).instrumentationScope ?? { name: SCOPE },
      limits: spanLimits,
      releaseEndedSpans: processorsConsumeSpansAtEnd(spanProcessors),
    };
    const httpSpans = enableHttpSpans(tracer, serverSpans, contextManager, metricReaders.length > 0 ? httpDuration : undefined);
    disable.push(() => {
      httpSpans.disable();
    });
  }
  if (enabled.includes('undici') || enabled.includes('fetch')) {
    const fetchSpans = enableFetchSpans(tracer);
    disable.push(() => {
      fetchSpans.disable();
    });
  }
  if (enabled.includes('fastify')) disable.push(enableFastifyErrorCapture());
  const patching = await enablePatchingInstrumentations(enabled);
  disable.push(() => {
    patching.disable();
  });

  const lastValuesAtExit: string[] = [];
  runtime.exitHandOffs.add(() => {
    // Open spans end first, so that they are in the queues handed over next.
    openSpans.endAll();
    for (const processor of spanProcessors) if (processor instanceof QueuedSpanProcessor) processor.handOffAll(handOffSpans);
    // Logs-API records are exported from this thread (not the worker's): at exit they are counted, never silently lost.
    for (const processor of logProcessors) if (processor instanceof QueuedLogRecordProcessor) processor.dropAllAtExit();
    workerReaders.forEach((reader, index) => {
      const scopeMetrics = collectMetricsNow(reader, [httpDuration]);
      if (scopeMetrics === undefined || scopeMetrics.length === 0) return;
      // The hand-off runs again after the app's own `exit` listeners: the same cumulative points
      // need not be sent twice, only ones those listeners changed.
      const values = pointValues(scopeMetrics);
      if (values === lastValuesAtExit[index]) return;
      lastValuesAtExit[index] = values;
      getExportWorker()?.postMetrics(scopeMetrics, countPoints(scopeMetrics));
    });
  });
  // FAULTLINE_HANDLE_PROCESS_EVENTS=false: no process handlers at all; the app calls shutdown().
  if (config.handleProcessEvents) installExitHandOff();
  // The export worker boots on its own thread while the app starts, so that the first export (or
  // an early exit) does not wait for it; nothing here waits for it either.
  setImmediate(() => {
    getExportWorker();
  }).unref();
  if (config.spoolDir !== undefined && config.spoolShip) shipSpoolLater(config.spoolDir);

  running = { config, tracerProvider, meterProvider, loggerProvider, resource, instrumentations: patching.names, disable };
  runtime.started = true;
}

/** What an earlier process spooled is shipped a moment after start-up, off the app's thread, never delaying it. */
const SPOOL_SHIP_DELAY_MS = 1000;

function shipSpoolLater(dir: string): void {
  setTimeout(() => {
    if (spoolHasShippableFiles(dir)) getExportWorker()?.shipSpool();
  }, SPOOL_SHIP_DELAY_MS).unref();
}

/**
 * Starts OpenTelemetry from the standard OTEL_* variables (and FAULTLINE_* settings), with `options`
 * taking precedence. Idempotent, and never throws: a failure is one stderr line and a no-op.
 */
export function startTelemetry(options: StartOptions = {}): Promise<void> {
  if (starting !== undefined) return starting;
  starting = (async () => {
    try {
      const runtime = getRuntime();
      if (runtime.started) return; // another copy of faultline already started the SDK
      const config = loadConfig(process.env, options);
      runtime.config = config;
      if (config.disabled) return;
      await startSdk(config);
    } catch (error) {
      warn(`telemetry disabled, setup failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  })();
  return starting;
}

/** The running SDK's providers, resource and instrumentations; undefined before start or when disabled. */
export function runningTelemetry(): RunningTelemetry | undefined {
  return running;
}

/** True once `start()` has set up the SDK in this process. */
export function isStarted(): boolean {
  return running !== undefined;
}

/**
 * Flushes every signal and the registered flush hooks (log shipper), then waits for the export
 * worker to deliver what it was handed; resolves by the deadline at the latest.
 */
export async function flush(timeoutMs = getRuntime().config.shutdownTimeoutMs): Promise<'done' | 'timeout' | 'failed'> {
  const began = Date.now();
  const work: Promise<unknown>[] = [];
  for (const hook of getRuntime().flushHooks) work.push(Promise.resolve().then(() => hook(timeoutMs)));
  if (running !== undefined) {
    work.push(running.tracerProvider.forceFlush(), running.meterProvider.forceFlush(), running.loggerProvider.forceFlush());
  }
  const handedOver = Promise.all(work).then(() => runningExportWorker()?.flush(Math.max(0, timeoutMs - (Date.now() - began))));
  return withinDeadline(handedOver, timeoutMs);
}

/**
 * Flushes and shuts the SDK down within the deadline (FAULTLINE_SHUTDOWN_TIMEOUT_MS, default 2 s).
 * Idempotent: every caller gets the same promise. Never rejects.
 */
export function shutdown(timeoutMs?: number): Promise<void> {
  const current = running;
  if (current === undefined) return Promise.resolve();
  current.shutdown ??= (async () => {
    const deadline = timeoutMs ?? current.config.shutdownTimeoutMs;
    const began = Date.now();
    // Span and log batches go first so the metric export after them includes the drop counts.
    await flush(deadline);
    for (const disable of current.disable) disable();
    const remaining = Math.max(0, deadline - (Date.now() - began));
    await withinDeadline(
      Promise.allSettled([current.tracerProvider.shutdown(), current.meterProvider.shutdown(), current.loggerProvider.shutdown()]),
      remaining,
    );
  })();
  return current.shutdown;
}

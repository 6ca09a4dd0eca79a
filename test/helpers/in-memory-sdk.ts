import { afterEach, beforeEach } from 'node:test';
import { context, metrics, trace, type Tracer } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { AggregationTemporality, MeterProvider, MetricReader, type CollectionResult } from '@opentelemetry/sdk-metrics';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { createErrorCounter, errorCounterView } from '../../src/errors/error-counter.ts';
import { getRuntime } from '../../src/runtime.ts';

/** A metric reader that collects on demand, cumulative, as faultline's readers are. */
export class CollectingReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

export interface InMemorySdk {
  exporter: InMemorySpanExporter;
  tracerProvider: TracerProvider;
  tracer: Tracer;
  /** The metrics recorded since the current test began (app.errors among them). */
  collect(): Promise<CollectionResult>;
}

/**
 * In-process recording for unit tests: spans go to an in-memory exporter (global tracer provider,
 * AsyncLocalStorage context), and before each test recordError gets a fresh `app.errors` counter,
 * removed after it. With `globalMeterProvider`, one meter provider serves the whole file and is the
 * global one, for code that makes its instruments from the API (its metrics add up across tests).
 */
export function useInMemorySdk(scope: string, options: { globalMeterProvider?: boolean } = {}): InMemorySdk {
  const runtime = getRuntime();
  const exporter = new InMemorySpanExporter();
  const tracerProvider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(tracerProvider);
  const fresh = (): { reader: CollectingReader; meterProvider: MeterProvider } => {
    const reader = new CollectingReader();
    return { reader, meterProvider: new MeterProvider({ readers: [reader], views: [errorCounterView()] }) };
  };
  const shared = options.globalMeterProvider === true ? fresh() : undefined;
  if (shared !== undefined) metrics.setGlobalMeterProvider(shared.meterProvider);
  let current = shared ?? fresh();
  beforeEach(() => {
    exporter.reset();
    current = shared ?? fresh();
    runtime.errorCounter = createErrorCounter(current.meterProvider.getMeter('faultline'));
    runtime.errorTypes.clear();
  });
  afterEach(async () => {
    runtime.errorCounter = undefined;
    if (shared === undefined) await current.meterProvider.shutdown();
  });
  return { exporter, tracerProvider, tracer: tracerProvider.getTracer(scope), collect: () => current.reader.collect() };
}

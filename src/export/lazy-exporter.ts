import { ExportResultCode, type ExportResult } from '@opentelemetry/core';

interface Exporter<Payload> {
  export(payload: Payload, done: (result: ExportResult) => void): void;
  shutdown(): Promise<void>;
  forceFlush?(): Promise<void>;
}

/**
 * An OTLP exporter whose module graph is imported at its first export instead of at start-up.
 *
 * The exporters pull in otlp-exporter-base and otlp-transformer, some sixty modules that nothing
 * needs before the first batch is due (a second after start for spans, a minute for metrics),
 * while every millisecond of the preload delays the app's own start.
 */
export class LazyExporter<Payload> implements Exporter<Payload> {
  readonly #load: () => Promise<Exporter<Payload>>;
  #loading: Promise<Exporter<Payload>> | undefined;
  #loaded: Exporter<Payload> | undefined;

  constructor(load: () => Promise<Exporter<Payload>>) {
    this.#load = load;
  }

  #exporter(): Promise<Exporter<Payload>> {
    this.#loading ??= this.#load().then((exporter) => {
      this.#loaded = exporter;
      return exporter;
    });
    return this.#loading;
  }

  export(payload: Payload, done: (result: ExportResult) => void): void {
    if (this.#loaded !== undefined) {
      this.#loaded.export(payload, done);
      return;
    }
    this.#exporter().then(
      (exporter) => {
        exporter.export(payload, done);
      },
      (error: unknown) => {
        done({ code: ExportResultCode.FAILED, error: error instanceof Error ? error : new Error(String(error)) });
      },
    );
  }

  async forceFlush(): Promise<void> {
    if (this.#loading !== undefined) await (await this.#loading).forceFlush?.();
  }

  async shutdown(): Promise<void> {
    if (this.#loading !== undefined) await (await this.#loading).shutdown();
  }
}

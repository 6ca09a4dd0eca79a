import type { FaultlineConfig } from '../config.ts';
import { logShipperStarted, logsGoToOtlp } from '../logging/log-shipper.ts';
import { FAULTLINE_LOGGER } from '../logging/pino-correlation.ts';
import type { Check } from './doctor.ts';
import type { ModuleObserver } from './module-observer.ts';

/** pino keeps a logger's destination under a private symbol; each copy of pino has its own. */
function streamOf(logger: object): unknown {
  let holder: object | null = logger;
  while (holder !== null) {
    const key = Object.getOwnPropertySymbols(holder).find((symbol) => symbol.description === 'pino.stream');
    if (key !== undefined) return (holder as Record<symbol, unknown>)[key];
    holder = Object.getPrototypeOf(holder) as object | null;
  }
  return undefined;
}

/** instrumentation-pino's log sending wraps the logger's stream in a multistream with an OTelPinoStream. */
function sendsThroughInstrumentation(logger: object): boolean {
  const streams = (streamOf(logger) as { streams?: unknown } | undefined)?.streams;
  if (!Array.isArray(streams)) return false;
  return streams.some((entry: unknown) => (entry as { stream?: { constructor?: { name?: unknown } } } | null)?.stream?.constructor?.name === 'OTelPinoStream');
}

export interface LogSenderFacts {
  /** pino loggers seen writing a line (through pino's `tracing:pino_asJson` channel). */
  loggers: Iterable<object>;
  observer: ModuleObserver | undefined;
  /** Patching instrumentations faultline enabled (it builds instrumentation-pino with log sending on). */
  instrumentations: readonly string[];
}

/**
 * Are log lines shipped over OTLP more than once? createLogger ships every line from faultline's
 * worker; @opentelemetry/instrumentation-pino's log sending would ship the same lines again
 * through the global logger provider, and a pino-opentelemetry-transport target is a second sender
 * with its own resource and endpoint.
 */
export function logSendersCheck(config: FaultlineConfig, facts: LogSenderFacts): Check {
  const id = 'log-senders';
  const loggers = [...facts.loggers];
  const createLoggerSeen = loggers.some((logger) => (logger as Record<symbol, unknown>)[FAULTLINE_LOGGER] === true);
  const faultlineShips = logsGoToOtlp(config) && (createLoggerSeen || logShipperStarted());
  const instrumentationSends = loggers.some(sendsThroughInstrumentation) || facts.instrumentations.includes('pino');
  const instrumentationLoaded = (facts.observer?.of('@opentelemetry/instrumentation-pino').length ?? 0) > 0;
  const transport = (facts.observer?.of('pino-opentelemetry-transport').length ?? 0) > 0;
  const data = { faultlineShips, instrumentationSends, instrumentationLoaded, transport, loggersSeen: loggers.length };
  const dropInstrumentation = 'remove pino from OTEL_NODE_ENABLED_INSTRUMENTATIONS (createLogger adds the trace fields itself), or construct PinoInstrumentation with { disableLogSending: true }';
  if (faultlineShips && instrumentationSends) {
    return { id, status: 'fail', summary: "createLogger lines are shipped twice: by faultline's log worker and by @opentelemetry/instrumentation-pino's log sending", fix: dropInstrumentation, data };
  }
  if (faultlineShips && transport) {
    return {
      id,
      status: 'fail',
      summary: 'two log senders: createLogger ships every line over OTLP, and a pino transport targets pino-opentelemetry-transport too',
      fix: 'log through createLogger only (it ships over OTLP already) and drop the pino-opentelemetry-transport target',
      data,
    };
  }
  if (transport && instrumentationSends) {
    return { id, status: 'fail', summary: "pino-opentelemetry-transport and instrumentation-pino's log sending both ship the same lines", fix: 'construct PinoInstrumentation with { disableLogSending: true }, or use createLogger instead of both', data };
  }
  if (faultlineShips && instrumentationLoaded) {
    return { id, status: 'warn', summary: '@opentelemetry/instrumentation-pino is loaded beside createLogger: unless its log sending is off, lines are shipped twice', fix: dropInstrumentation, data };
  }
  if (faultlineShips) return { id, status: 'pass', summary: "one log sender: createLogger, through faultline's log worker", data };
  if (transport || instrumentationSends) return { id, status: 'pass', summary: `one log sender: ${transport ? 'pino-opentelemetry-transport' : "instrumentation-pino's log sending"}`, data };
  return { id, status: 'info', summary: 'no logger has shipped a line over OTLP yet', data };
}

// How each mode defines, records and logs the typed error. Each kit is what a user of that tool would
// write in an Express error middleware; everything else in the app is shared.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

function plainErrorClass() {
  // The same shape as faultline's defineError class: a code, a message, details.
  return class OrderRejectedError extends Error {
    constructor(message, options = {}) {
      super(message, { cause: options.cause });
      this.name = 'OrderRejectedError';
      this.code = 'ORDER_REJECTED';
      this.details = options.details;
    }
  };
}

function plainLogger() {
  // Loaded with require() so that the peers' pino instrumentation (which hooks require) can correlate
  // and ship these lines as it would in most apps; an ESM import of pino goes unseen by it.
  const pino = require('pino');
  // Synchronous writes to /dev/null: the cost of formatting a line without a terminal or pipe in the way.
  return pino({ level: 'info' }, pino.destination({ dest: '/dev/null', sync: true }));
}

function logFields(error, request) {
  return { err: error, orderId: request.params?.id, path: request.path };
}

/** The OpenTelemetry API copy that the peer's own SDK registered its providers with. */
function peerApi(sdkPackage) {
  const sdkRequire = createRequire(require.resolve(sdkPackage));
  return sdkRequire('@opentelemetry/api');
}

const kits = {
  async none() {
    const logger = plainLogger();
    return {
      OrderRejected: plainErrorClass(),
      recordAndLog(error, request) {
        logger.error(logFields(error, request), 'order failed');
      },
    };
  },

  async faultline() {
    const { faultlineApi } = await import('../lib/faultline-api.js');
    const faultline = await faultlineApi();
    const OrderRejected = faultline.defineError({ code: 'ORDER_REJECTED', category: 'conflict', httpStatus: 409 });
    // The local copy of each line goes to /dev/null like the other modes' pino; the OTLP copy ships.
    const pino = require('pino');
    const logger = faultline.createLogger({ destination: pino.destination({ dest: '/dev/null', sync: true }) });
    return {
      OrderRejected,
      recordAndLog(error, request) {
        faultline.recordError(error);
        // Recorded already: the logger sees the same error object and does not count it twice.
        logger.error(logFields(error, request), 'order failed');
      },
      dropReport: () => faultline.droppedTelemetry(),
    };
  },

  // The preload alone: the app keeps its own error middleware and plain pino, as before faultline.
  async 'faultline-own'() {
    return kits.none();
  },

  async 'otel-auto'() {
    return otelKit('@opentelemetry/sdk-node');
  },

  async 'otel-auto-limited'() {
    return otelKit('@opentelemetry/sdk-node');
  },

  async edot() {
    return otelKit('@elastic/opentelemetry-node');
  },

  async 'edot-limited'() {
    return otelKit('@elastic/opentelemetry-node');
  },

  async sentry() {
    const Sentry = await import('@sentry/node');
    const logger = plainLogger();
    return {
      OrderRejected: plainErrorClass(),
      recordAndLog(error, request) {
        Sentry.captureException(error);
        logger.error(logFields(error, request), 'order failed');
      },
    };
  },
};

async function otelKit(sdkPackage) {
  const api = peerApi(sdkPackage);
  const logger = plainLogger();
  return {
    OrderRejected: plainErrorClass(),
    recordAndLog(error, request) {
      const span = api.trace.getActiveSpan();
      span?.recordException(error);
      span?.setStatus({ code: api.SpanStatusCode.ERROR, message: error.message });
      logger.error(logFields(error, request), 'order failed');
    },
  };
}

export async function loadKit(mode) {
  const kit = kits[mode];
  if (kit === undefined) throw new Error(`unknown BENCH_MODE ${JSON.stringify(mode)}; expected one of ${Object.keys(kits).join(', ')}`);
  return kit();
}

// Logging: createLogger (pino + OTLP export from a worker thread) and trace fields for plain pino().
export { createLogger } from './create-logger.ts';
export type { CreateLoggerOptions } from './create-logger.ts';
export { installPinoCorrelation } from './pino-correlation.ts';
export { droppedLogLines } from './log-shipper.ts';

// The public API, exported by name. Every name here is documented in the README.
export { start } from './start.ts';
export { flush, shutdown, isStarted } from './sdk/start.ts';
export { droppedTelemetry, DROPPED_METRIC } from './sdk/drops.ts';
export { loadConfig } from './config.ts';
export type { FaultlineConfig, StartOptions } from './config.ts';

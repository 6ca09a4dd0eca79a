import type { StartOptions } from './config.ts';
import { installLifecycle } from './lifecycle.ts';
import { installPinoCorrelation } from './logging/pino-correlation.ts';
import { getRuntime } from './runtime.ts';
import { startTelemetry } from './sdk/start.ts';

/**
 * Starts faultline from code, for apps that prefer it to `--import faultline/register`: the SDK from
 * the same OTEL_* / FAULTLINE_* variables (`options` win), trace fields for plain pino loggers, then
 * the lifecycle handlers. Idempotent, never throws. Call it before the modules you want
 * instrumented are imported.
 */
export async function start(options: StartOptions = {}): Promise<void> {
  // FAULTLINE_DOCTOR for apps that start faultline from code (a no-op when the preload began it).
  const doctor = (options.doctor ?? getRuntime().config.doctor) ? await import('./doctor/in-app.ts') : undefined;
  doctor?.beginInAppDoctor('start()');
  await startTelemetry(options);
  doctor?.watchAppModules();
  if (getRuntime().config.disabled) return;
  installPinoCorrelation();
  installLifecycle();
}

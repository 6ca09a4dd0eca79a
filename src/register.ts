/**
 * `node --import faultline/register app.js`: starts OpenTelemetry from the OTEL_* variables and
 * installs the lifecycle handlers before the app's first module loads. Top-level await makes Node
 * wait for the SDK and the loader hooks before it evaluates the app.
 */
import { isMainThread } from 'node:worker_threads';
import { loadConfig } from './config.ts';
import { getRuntime } from './runtime.ts';
import { warn } from './warn.ts';

// Under NODE_OPTIONS=--import faultline/register Node also preloads this into every worker thread
// (a pino transport, say): one SDK per process is the app's, started here on the main thread.
if (isMainThread) {
  const config = loadConfig(process.env);
  // FAULTLINE_DOCTOR: begins before the SDK and its loader hooks, so that the report can tell what
  // loaded before them; start() then has it watch the app's modules.
  const doctor = config.doctor ? await import('./doctor/in-app.ts') : undefined;
  doctor?.beginInAppDoctor('preload');
  if (config.disabled) {
    // OTEL_SDK_DISABLED / FAULTLINE_DISABLED: the app pays nothing for the preload. The SDK's module
    // graph (~250 files, ~90 ms before the app's first line) is not even loaded.
    getRuntime().config = config;
  } else {
    try {
      const { start } = await import('./start.ts');
      await start();
    } catch (error) {
      // start() never throws: this is its modules failing to load (an @opentelemetry/api older
      // than the peer range lacks exports they import). The app runs on without telemetry.
      warn(`telemetry disabled, setup failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  // start() has it watch already; here for the paths that do not get there.
  doctor?.watchAppModules();
}

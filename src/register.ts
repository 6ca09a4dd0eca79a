/**
 * `node --import faultline/register app.js`: starts OpenTelemetry from the OTEL_* variables and
 * installs the lifecycle handlers before the app's first module loads. Top-level await makes Node
 * wait for the SDK and the loader hooks before it evaluates the app.
 */
import { start } from './start.ts';

await start();

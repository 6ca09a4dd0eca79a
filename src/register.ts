/**
 * `node --import faultline/register app.js`: starts OpenTelemetry from the OTEL_* variables and
 * installs the lifecycle handlers before the app's first module loads. Top-level await makes Node
 * wait for the SDK and the loader hooks before it evaluates the app.
 */
import { isMainThread } from 'node:worker_threads';
import { start } from './start.ts';

// Under NODE_OPTIONS=--import faultline/register Node also preloads this into every worker thread
// (a pino transport, say): one SDK per process is the app's, started here on the main thread.
if (isMainThread) await start();

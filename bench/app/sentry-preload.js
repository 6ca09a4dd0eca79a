// `--import ./app/sentry-preload.js`: Sentry's documented ESM set-up (init before the app loads), with
// tracing on and the DSN pointing at the bench's local envelope sink so nothing leaves the machine.
import * as Sentry from '@sentry/node';
import process from 'node:process';

Sentry.init({
  dsn: process.env.SENTRY_DSN,
  tracesSampleRate: 1,
  environment: 'bench',
  release: 'bench',
  // No outbound calls other than to the DSN: no spotlight sidecar, no remote config.
  spotlight: false,
});

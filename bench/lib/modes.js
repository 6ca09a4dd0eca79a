// How the app is started in each mode: the preload and the environment. Every exporter points at the
// bench's collector on loopback; nothing may reach the internet.

export const HTTP_MODES = ['none', 'faultline', 'faultline-own', 'otel-auto', 'otel-auto-limited', 'edot', 'edot-limited', 'sentry'];

// The app does not use pg, but inside this repository pg resolves from the root's dev dependencies,
// and faultline would load its pg instrumentation and loader hooks as for an app that does (about
// 45 ms of start-up, nothing per request). Name the app's real set instead: express is the app's
// (faultline hooks only its error path: no spans).
const FAULTLINE_INSTRUMENTATIONS = 'http,undici,express';
// The peers' like-for-like rows (issue 21): the same spans as faultline's row (their express
// instrumentation would add a span per middleware, so it stays out), plus pino's, which is how the
// peers do what faultline's logger does here: trace fields on each error line and the line shipped
// as an OTLP log record. Without it they would do less work than faultline, not the same.
const LIMITED_PEER_INSTRUMENTATIONS = 'http,undici,pino';

export const MODE_LABELS = {
  none: 'no instrumentation',
  faultline: 'faultline (`--import faultline/register`)',
  'faultline-own': 'faultline, the app\'s own error middleware (no faultline API)',
  'otel-auto': '`@opentelemetry/auto-instrumentations-node/register`',
  'otel-auto-limited': `auto-instrumentations register, limited: \`OTEL_NODE_ENABLED_INSTRUMENTATIONS=${LIMITED_PEER_INSTRUMENTATIONS}\``,
  edot: 'Elastic EDOT Node (`@elastic/opentelemetry-node`)',
  'edot-limited': `EDOT, limited: \`${LIMITED_PEER_INSTRUMENTATIONS}\`, \`ELASTIC_OTEL_NODE_ENABLE_LOG_SENDING=true\``,
  sentry: '`@sentry/node` (tracing on)',
};

const PRELOADS = {
  none: [],
  faultline: ['--import', 'faultline/register'],
  'faultline-own': ['--import', 'faultline/register'],
  'otel-auto': ['--import', '@opentelemetry/auto-instrumentations-node/register'],
  'otel-auto-limited': ['--import', '@opentelemetry/auto-instrumentations-node/register'],
  edot: ['--import', '@elastic/opentelemetry-node'],
  'edot-limited': ['--import', '@elastic/opentelemetry-node'],
  sentry: ['--import', './app/sentry-preload.js'],
};

/** Variables that keep every mode's SDK on loopback and its output out of the measurement. */
function otelEnv(otlpUrl) {
  return {
    OTEL_SERVICE_NAME: 'bench-app',
    OTEL_EXPORTER_OTLP_ENDPOINT: otlpUrl,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
    OTEL_TRACES_EXPORTER: 'otlp',
    OTEL_METRICS_EXPORTER: 'otlp',
    OTEL_LOGS_EXPORTER: 'otlp',
    // Cloud metadata detectors probe link-local addresses (169.254.169.254) and GCP's metadata host.
    OTEL_NODE_RESOURCE_DETECTORS: 'env,host,os,process',
    OTEL_LOG_LEVEL: 'error',
  };
}

/**
 * @param {string} mode
 * @param {{ otlpUrl: string, sentryPort: number }} collector
 * @returns {{ args: string[], env: Record<string, string> }}
 */
export function modeLaunch(mode, collector) {
  const preload = PRELOADS[mode];
  if (preload === undefined) throw new Error(`unknown mode ${mode}`);
  const env = { BENCH_MODE: mode };
  if (mode !== 'none' && mode !== 'sentry') Object.assign(env, otelEnv(collector.otlpUrl));
  if (mode === 'faultline' || mode === 'faultline-own') env.OTEL_NODE_ENABLED_INSTRUMENTATIONS = FAULTLINE_INSTRUMENTATIONS;
  if (mode.endsWith('-limited')) env.OTEL_NODE_ENABLED_INSTRUMENTATIONS = LIMITED_PEER_INSTRUMENTATIONS;
  if (mode === 'edot' || mode === 'edot-limited') {
    // EDOT's OpAMP central configuration stays off without an endpoint; say so explicitly anyway.
    env.ELASTIC_OTEL_OPAMP_ENDPOINT = '';
  }
  // EDOT only adds trace fields to pino lines unless log sending is opted into; faultline ships them.
  if (mode === 'edot-limited') env.ELASTIC_OTEL_NODE_ENABLE_LOG_SENDING = 'true';
  if (mode === 'sentry') env.SENTRY_DSN = `http://public@127.0.0.1:${collector.sentryPort}/1`;
  return { args: preload, env };
}

/** `ENV=value,ENV=value` (the overrides part of an ab.js / gc.js argument) as an object. */
export function parseEnvOverrides(text) {
  return Object.fromEntries(
    text
      .split(',')
      .filter(Boolean)
      .map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]),
  );
}

/**
 * Splits `NODE_ARGS='--flag --other'` out of a configuration's environment: node command-line
 * flags (V8 flags included, which NODE_OPTIONS refuses) for the app's command line.
 */
export function withoutNodeArgs(env) {
  const { NODE_ARGS: nodeArgs = '', ...rest } = env;
  return { nodeArgs: nodeArgs.split(' ').filter(Boolean), env: rest };
}

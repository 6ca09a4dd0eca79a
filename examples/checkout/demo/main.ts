import { setTimeout as sleep } from 'node:timers/promises';
import { startReceiver, type OtlpReceiver } from 'faultline/receiver';
import { parseOptions, USAGE, UsageError, type DemoOptions } from './options.ts';
import { startOutageRelay, type OutageRelay } from './outage-relay.ts';
import { checkPostgres, postgresTarget } from './postgres.ts';
import { clock } from './counts-table.ts';
import { checkRedaction } from './redaction-check.ts';
import { ResponseFeed } from './response-feed.ts';
import { ServiceFailed, startService, type RunningService } from './services.ts';
import { colourWanted, createStyle, type Style } from './style.ts';
import { TelemetryFeed } from './telemetry-feed.ts';
import { Traffic, type Exchange } from './traffic.ts';

// The demo, start to end: check PostgreSQL, start the receiver (or pick the Collector), start the
// payment gateway and the checkout under the preload, drive traffic with a database outage and then
// a payment gateway outage in the middle (the checkout's breaker opens, probes and closes), print
// the feed, and on the way out stop everything in order and print a summary.

const GATEWAY_TIMEOUT_MS = 1000;
/** The checkout's payment breaker: open → half-open after this (short, so the demo shows it recover). */
const BREAKER_HALF_OPEN_MS = 1000;
const BREAKER_NAME = 'payment-gateway';
const OUTAGE_EVERY_MS = 60_000;
/** Between the database coming back and the gateway going away. */
const GATEWAY_OUTAGE_GAP_MS = 1500;
/** After the gateway is back: time for a probe to close the breaker before a short run ends. */
const BREAKER_RECOVERY_MS = 3500;

function print(line = ''): void {
  process.stdout.write(`${line}\n`);
}

function fail(message: string): number {
  process.stderr.write(`demo: ${message}\n`);
  return 1;
}

/** The services' environment: with the embedded receiver, fast exports to it and nothing else. */
function telemetryEnv(options: DemoOptions, receiver: OtlpReceiver | undefined): NodeJS.ProcessEnv {
  if (receiver === undefined) return { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: options.otlpEndpoint };
  // A shell's OTEL_* settings (another endpoint, an exporter turned off, a sampler) would empty the feed.
  const kept = Object.entries(process.env).filter(([key]) => !key.startsWith('OTEL_') || key === 'OTEL_SERVICE_NAME' || key === 'OTEL_RESOURCE_ATTRIBUTES');
  return {
    ...Object.fromEntries(kept),
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_BSP_SCHEDULE_DELAY: '200',
    OTEL_BLRP_SCHEDULE_DELAY: '200',
    OTEL_METRIC_EXPORT_INTERVAL: '1000',
  };
}

/** When the database goes away, for how long, and how often (every minute until stopped). */
function outagePlan(durationMs: number | undefined): { firstAtMs: number; lengthMs: number } {
  if (durationMs === undefined) return { firstAtMs: 20_000, lengthMs: 6000 };
  return { firstAtMs: Math.min(20_000, durationMs * 0.4), lengthMs: Math.min(6000, Math.max(1500, durationMs * 0.2)) };
}

async function runOutages(
  relay: OutageRelay,
  gatewayRelay: OutageRelay,
  traffic: Traffic,
  durationMs: number | undefined,
  startedAt: number,
  signal: AbortSignal,
  announce: (line: string) => void,
  onOutageOver: () => void,
  style: Style,
): Promise<void> {
  const { firstAtMs, lengthMs } = outagePlan(durationMs);
  // After the first round, so that a short run shows every other failure too.
  await traffic.firstRoundDone(signal);
  let nextAt = startedAt + firstAtMs;
  while (!signal.aborted) {
    await sleep(Math.max(0, nextAt - Date.now()), undefined, { signal });
    relay.setDown(true);
    announce(style.red(style.bold(`${clock(Date.now())}  ── database outage: connections to PostgreSQL are cut for ${(lengthMs / 1000).toFixed(1)} s ──`)));
    try {
      await sleep(lengthMs, undefined, { signal });
    } finally {
      relay.setDown(false);
      announce(style.green(style.bold(`${clock(Date.now())}  ── database back ──`)));
    }
    await sleep(GATEWAY_OUTAGE_GAP_MS, undefined, { signal });
    const gatewayLengthMs = Math.max(3000, lengthMs);
    gatewayRelay.setDown(true);
    announce(style.red(style.bold(`${clock(Date.now())}  ── payment gateway outage: connections to the gateway are cut for ${(gatewayLengthMs / 1000).toFixed(1)} s ──`)));
    try {
      await sleep(gatewayLengthMs, undefined, { signal });
    } finally {
      gatewayRelay.setDown(false);
      announce(style.green(style.bold(`${clock(Date.now())}  ── payment gateway back ──`)));
    }
    await sleep(BREAKER_RECOVERY_MS, undefined, { signal });
    onOutageOver();
    nextAt += OUTAGE_EVERY_MS;
  }
}

/**
 * Resolves on SIGINT/SIGTERM, or once the duration is over and the first outage has run (a short
 * run on a slow machine runs a little longer rather than miss the outage, but never more than
 * 30 s longer).
 */
function waitForStop(durationMs: number | undefined, firstOutageOver: Promise<void>): { stopped: Promise<string>; signals: () => void } {
  let resolveStop: (reason: string) => void = () => undefined;
  const stopped = new Promise<string>((resolve) => {
    resolveStop = resolve;
  });
  let count = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    count += 1;
    // A second Ctrl-C: out now (the services are killed on exit).
    if (count > 1) process.exit(130);
    resolveStop(signal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  if (durationMs !== undefined) {
    void Promise.all([sleep(durationMs), firstOutageOver]).then(() => {
      resolveStop('duration');
    });
    setTimeout(() => {
      resolveStop('duration');
    }, durationMs + 30_000).unref();
  }
  return {
    stopped,
    signals: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

export async function main(argv: readonly string[]): Promise<number> {
  let options: DemoOptions;
  try {
    options = parseOptions(argv, process.env);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`demo: ${err.message}\n${USAGE}\n`);
    return 2;
  }
  if (options.help) {
    print(USAGE);
    return 0;
  }
  const style = createStyle(colourWanted(process.stdout, process.env));

  let target;
  try {
    target = postgresTarget(process.env);
  } catch { // eslint-disable-line faultline/no-blind-catch -- postgresTarget only fails on a malformed DATABASE_URL, which fail() reports
    return fail('DATABASE_URL is not a valid URL (expected postgres://user:password@host:port/database)');
  }
  const unreachable = await checkPostgres(target);
  if (unreachable !== undefined) {
    return fail(`cannot connect to PostgreSQL at ${target.display} (${unreachable}) — start it or set DATABASE_URL`);
  }

  let receiver: OtlpReceiver | undefined;
  try {
    receiver = options.otlpEndpoint === undefined ? await startReceiver({ ui: true, ...(options.savePath === undefined ? {} : { save: options.savePath }) }) : undefined;
  } catch (err) {
    process.stderr.write(`demo: ${(err as Error).message}\n`);
    return 2;
  }
  const relay = await startOutageRelay(target.socket);
  let gatewayRelay: OutageRelay | undefined;
  const env = telemetryEnv(options, receiver);
  const checkoutName = env.OTEL_SERVICE_NAME?.trim() || 'checkout';
  const durationMs = options.durationSeconds === undefined ? undefined : options.durationSeconds * 1000;
  const services: RunningService[] = [];
  const cleanUp = async () => {
    await Promise.all(services.map((service) => service.stop()));
    await Promise.all([relay.close(), gatewayRelay?.close(), receiver?.close()]);
  };

  try {
    services.push(
      await startService('payment-gateway', 'payment-gateway.ts', 'payment gateway listening', {
        ...env,
        OTEL_SERVICE_NAME: 'payment-gateway',
        PORT: '0',
        // Random failures only in a long run: a short one stays deterministic.
        GATEWAY_RANDOM_FAILURE_RATE: durationMs === undefined ? '0.02' : '0',
      }),
    );
    // The checkout reaches the gateway through a relay too, which the demo cuts for the gateway outage.
    const gatewayUrl = new URL(services[0]?.url ?? '');
    gatewayRelay = await startOutageRelay({ host: gatewayUrl.hostname, port: Number(gatewayUrl.port) });
    services.push(
      await startService(checkoutName, 'server.ts', 'checkout listening', {
        ...env,
        OTEL_SERVICE_NAME: checkoutName,
        PORT: '0',
        HOST: '127.0.0.1',
        CHECKOUT_FRAMEWORK: options.framework,
        DATABASE_URL: target.connectionStringVia(relay.port),
        PAYMENT_GATEWAY_URL: `http://127.0.0.1:${gatewayRelay.port}`,
        GATEWAY_TIMEOUT_MS: String(GATEWAY_TIMEOUT_MS),
        BREAKER_HALF_OPEN_MS: String(BREAKER_HALF_OPEN_MS),
      }),
    );
  } catch (err) {
    await cleanUp();
    if (err instanceof ServiceFailed) return fail(err.message);
    throw err;
  }
  const [gateway, checkout] = services as [RunningService, RunningService];
  const gatewayCut: OutageRelay = gatewayRelay;

  print(style.bold(`faultline demo · the checkout example on ${options.framework === 'express' ? 'Express 5' : 'Fastify 5'}, under node --import faultline/register`));
  print(`  checkout          ${checkout.url}   (POST /orders, POST /orders/:id/charges)`);
  print(`  payment gateway   ${gateway.url}   (fake; answers by card number), through a relay the demo cuts for an outage`);
  print(`  payments          retry > breaker ${BREAKER_NAME} (${process.env.REDIS_URL === undefined || process.env.REDIS_URL === '' ? 'local' : 'shared through REDIS_URL'}) > timeout, and a fallback while the breaker is open`);
  print(`  PostgreSQL        ${target.display}, through a relay the demo cuts for the outages`);
  print(
    receiver === undefined
      ? `  telemetry         OTLP to ${options.otlpEndpoint ?? ''} (the feed below shows the answers; spans and logs are in your backend)`
      : `  telemetry         embedded OTLP receiver at ${receiver.url}`,
  );
  if (receiver?.viewerUrl !== undefined) print(`  viewer            ${style.bold(receiver.viewerUrl)}   (open it: errors by fingerprint, each trace with its logs, live)`);
  if (receiver?.savePath !== undefined) print(`  saving            every export request to ${receiver.savePath} (OTLP/JSON, one per line)`);
  print(`  traffic           ${options.rate} scenarios/s ${durationMs === undefined ? 'until Ctrl-C' : `for ${options.durationSeconds ?? 0} s`}`);

  const write = (line: string) => {
    print(line);
  };
  const telemetryFeed = receiver === undefined ? undefined : new TelemetryFeed(receiver, { service: checkoutName, style, write });
  const responseFeed = receiver === undefined ? new ResponseFeed({ style, write }) : undefined;
  const feed = telemetryFeed ?? responseFeed;
  const countsTable = () => feed?.countsTable() ?? [];
  const announce = (line: string) => {
    feed?.announce(line);
  };

  const traffic = new Traffic({
    baseUrl: checkout.url,
    rate: options.rate,
    onExchange: (exchange: Exchange) => {
      responseFeed?.add(exchange);
    },
  });
  const startedAt = Date.now();
  let outageOver: () => void = () => undefined;
  const firstOutageOver = new Promise<void>((resolve) => {
    outageOver = resolve;
  });
  const { stopped, signals } = waitForStop(durationMs, firstOutageOver);
  const outages = new AbortController();
  const outageRun = runOutages(relay, gatewayCut, traffic, durationMs, startedAt, outages.signal, announce, outageOver, style).catch(() => undefined); // eslint-disable-line faultline/no-blind-catch -- the outage loop ends by its own abort or a failed relay; the demo goes on either way
  const countsEveryMs = durationMs === undefined ? 10_000 : Math.min(10_000, Math.max(3000, durationMs / 3));
  let countsDueAt = startedAt + countsEveryMs;
  const ticker = setInterval(() => {
    telemetryFeed?.noticeBreaker(BREAKER_NAME);
    telemetryFeed?.printDue();
    if (Date.now() >= countsDueAt) {
      countsDueAt += countsEveryMs;
      print();
      for (const line of countsTable()) print(line);
    }
  }, 250);
  traffic.start();

  const reason = await stopped;
  announce(
    style.dim(
      `${clock(Date.now())}  ── ${reason === 'duration' ? 'time is up' : `${reason} (again to quit at once)`}: stopping the traffic, then the services ──`,
    ),
  );
  outages.abort();
  await outageRun;
  await traffic.stop();
  const elapsedMs = Date.now() - startedAt;
  // Each service flushes its spans, logs and metrics on SIGTERM before it exits.
  const exitCodes = await Promise.all(services.map((service) => service.stop()));
  const failed = traffic.exchanges.filter((exchange) => exchange.status === 0 || exchange.status >= 400);
  const failedTraces = failed.map((exchange) => exchange.traceId).filter((id): id is string => id !== undefined);
  if (telemetryFeed !== undefined && receiver !== undefined) {
    await receiver
      .waitFor(() => failedTraces.every((id) => telemetryFeed.errorTraces.has(id)), { timeoutMs: 10_000, description: 'the error spans of every failed request' })
      .catch(() => undefined); // eslint-disable-line faultline/no-blind-catch -- waitFor rejects only on its timeout; the counts below show what arrived
  }
  clearInterval(ticker);
  telemetryFeed?.noticeBreaker(BREAKER_NAME);
  telemetryFeed?.printDue(true);
  signals();

  print();
  print(style.bold('── summary ──'));
  const ok = traffic.exchanges.length - failed.length;
  print(`  ${(elapsedMs / 1000).toFixed(1)} s of traffic: ${traffic.exchanges.length} requests, ${ok} succeeded, ${failed.length} failed`);
  for (const line of countsTable()) print(`  ${line}`);
  const problems: string[] = [];
  const crashed = exitCodes.filter((code) => code !== 0);
  if (crashed.length > 0) problems.push(`a service exited with code ${crashed.join(', ')}`);
  if (telemetryFeed !== undefined && receiver !== undefined) {
    const arrived = failedTraces.filter((id) => telemetryFeed.errorTraces.has(id)).length;
    const counted = telemetryFeed.counts().reduce((sum, row) => sum + row.count, 0);
    const withLogs = failedTraces.filter((id) => telemetryFeed.tracesWithLogs.has(id)).length;
    const redaction = checkRedaction(receiver);
    print(`  error spans: ${arrived} of ${failed.length} failed requests arrived as an error span with its trace ID`);
    const handled = telemetryFeed.handledFailures();
    const expected = failed.length + handled.retried + handled.answered;
    print(
      `  counted once: the app.errors counter totals ${counted} for ${failed.length} failed requests and ${handled.retried + handled.answered} failures the policies dealt with (${handled.retried} retried, ${handled.answered} answered by the fallback)`,
    );
    print(`  correlated logs: ${withLogs} of ${arrived} errors came with log lines of their own trace`);
    print(`  redaction: ${redaction.unredacted} card numbers in ${redaction.spans} spans and ${redaction.logs} log records; ${redaction.masked} masked as [REDACTED:card]`);
    if (arrived < failed.length) problems.push(`${failed.length - arrived} failed requests never arrived as error spans`);
    if (counted !== expected) problems.push(`app.errors counted ${counted} errors for ${failed.length} failed requests and ${expected - failed.length} failures the policies dealt with`);
    if (redaction.unredacted > 0) problems.push(`${redaction.unredacted} card numbers left the services unredacted`);
  } else {
    print(`  telemetry went to ${options.otlpEndpoint ?? ''}: look the trace IDs above up in your backend (with the compose stack: Grafana, Tempo, then the trace's logs in Loki)`);
  }
  await Promise.all([relay.close(), gatewayCut.close()]);
  if (durationMs === undefined && receiver?.viewerUrl !== undefined) await keepViewerOpen(receiver.viewerUrl);
  await receiver?.close();
  for (const problem of problems) process.stderr.write(`demo: ${problem}\n`);
  return problems.length === 0 ? 0 : 1;
}

/** A run stopped by Ctrl-C ends on the viewer: it stays up, with everything the run sent, until the next one. */
async function keepViewerOpen(url: string): Promise<void> {
  print();
  print(`  the viewer stays up at ${url} with everything this run sent; Ctrl-C to quit`);
  await new Promise<void>((resolve) => {
    const done = () => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolve();
    };
    process.on('SIGINT', done);
    process.on('SIGTERM', done);
  });
}

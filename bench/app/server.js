// The service under test: Express 5, one route, and every tenth request throws a typed error that the
// error middleware records and logs. Only the telemetry kit (how an error is defined, recorded and
// logged) differs between modes; routing, handlers and responses are the same everywhere.
//
//   BENCH_MODE=none|faultline|faultline-own|otel-auto[-limited]|edot[-limited]|sentry PORT=3000 [BENCH_FAIL_EVERY=10] node [--import <preload>] app/server.js
import express from 'express';
import { loadKit } from './kit.js';
import process from 'node:process';
import v8 from 'node:v8';

const mode = process.env.BENCH_MODE ?? 'none';
const port = Number(process.env.PORT ?? 3000);
// Every how many order requests one fails (0: none fails, to time the path of a request that succeeds).
const failEvery = Number(process.env.BENCH_FAIL_EVERY ?? 10);
const kit = await loadKit(mode);

const app = express();
let served = 0;

app.get('/health', (_request, response) => {
  response.json({ ok: true, mode });
});

// How many order requests the app answered, and how many requests of any kind it was sent (the
// harness's own /health, /memory and /stats too), for accounting spans against requests.
let handled = 0;
app.get('/stats', (_request, response) => {
  response.json({ served, handled });
});

// Where the main thread's memory is: RSS moves with V8's heap sizing as much as with what is kept.
app.get('/memory', (_request, response) => {
  const spaces = Object.fromEntries(v8.getHeapSpaceStatistics().map((space) => [space.space_name, { size: space.space_size, used: space.space_used_size }]));
  const { rss, external, arrayBuffers } = process.memoryUsage();
  response.json({ rss, external, arrayBuffers, young: spaces.new_space?.size ?? 0, old: spaces.old_space?.size ?? 0, oldUsed: spaces.old_space?.used ?? 0 });
});

app.get('/orders/:id', (request, response) => {
  served += 1;
  if (failEvery > 0 && served % failEvery === 0) {
    throw new kit.OrderRejected(`order ${request.params.id} was rejected by the pricing rules`, { details: { orderId: request.params.id } });
  }
  response.json({ id: request.params.id, status: 'accepted', total: 42.5 });
});

// Express 5 passes synchronous throws and rejected promises to the error middleware (four parameters).
// eslint-disable-next-line no-unused-vars
app.use((error, request, response, _next) => {
  kit.recordAndLog(error, request);
  response.status(500).json({ error: error.code ?? 'INTERNAL', message: 'the order could not be placed' });
});


const server = app.listen(port, '127.0.0.1', () => {
  process.send?.({ type: 'listening', port });
});
// Before Express's own listener, so that a /stats request counts itself in its answer.
server.prependListener('request', () => {
  handled += 1;
});

// Drops are printed where the harness can read them; `exit` still fires after faultline's SIGTERM flush.
if (kit.dropReport !== undefined) {
  process.on('exit', () => {
    process.stderr.write(`BENCH_DROPS ${JSON.stringify(kit.dropReport())}\n`);
  });
}

// Profiling runs only: SIGUSR2 starts the CPU profiler (after start-up and warm-up), SIGINT writes the
// profile to BENCH_PROFILE and exits.
if (process.env.BENCH_PROFILE !== undefined) {
  const { Session } = await import('node:inspector/promises');
  const { writeFileSync } = await import('node:fs');
  const session = new Session();
  session.connect();
  process.on('SIGUSR2', () => {
    void session.post('Profiler.enable').then(() => session.post('Profiler.start'));
  });
  process.once('SIGINT', () => {
    void session.post('Profiler.stop').then(({ profile }) => {
      writeFileSync(process.env.BENCH_PROFILE, JSON.stringify(profile));
      process.exit(0);
    });
  });
}

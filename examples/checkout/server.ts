import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger, shutdown } from 'faultline';
import { createCheckout } from './checkout.ts';
import { createDatabase } from './database.ts';
import { expressApp } from './express-app.ts';
import { fastifyApp } from './fastify-app.ts';
import { createGatewayClient } from './gateway-client.ts';
import { migrate } from './orders.ts';
import { createPaymentPipeline } from './payment-pipeline.ts';
import { startGateway, type RunningGateway } from './payment-gateway.ts';

// The checkout service. Run it under the preload, which gives it spans, the `app.errors` counter
// and OTLP export without any setup code here:
//
//   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \
//     node --import faultline/register examples/checkout/server.ts
//
// Settings: PORT (8080; 0 picks a free one), HOST (127.0.0.1), CHECKOUT_FRAMEWORK (express or
// fastify), DATABASE_URL (or the PG* variables), PAYMENT_GATEWAY_URL (default: a fake gateway
// started in this process), GATEWAY_TIMEOUT_MS (2000), BREAKER_HALF_OPEN_MS (5000), REDIS_URL (the
// payment gateway's breaker is then shared by every instance through that Redis).

const log = createLogger({ name: 'checkout' });

const framework = process.env.CHECKOUT_FRAMEWORK ?? 'express';
if (framework !== 'express' && framework !== 'fastify') {
  console.error(`checkout: CHECKOUT_FRAMEWORK must be express or fastify, not ${JSON.stringify(framework)}`);
  process.exit(2);
}
const port = Number(process.env.PORT ?? 8080);
const host = process.env.HOST ?? '127.0.0.1';
const gatewayTimeoutMs = Number(process.env.GATEWAY_TIMEOUT_MS ?? 2000);
const halfOpenAfterMs = Number(process.env.BREAKER_HALF_OPEN_MS ?? 5000);
const redisUrl = process.env.REDIS_URL === undefined || process.env.REDIS_URL === '' ? undefined : process.env.REDIS_URL;

const db = createDatabase(process.env.DATABASE_URL, log);
await migrate(db);

let ownGateway: RunningGateway | undefined;
let gatewayUrl = process.env.PAYMENT_GATEWAY_URL;
if (gatewayUrl === undefined) {
  ownGateway = await startGateway({ logger: log.child({ component: 'payment-gateway' }) });
  gatewayUrl = ownGateway.url;
}

const payments = createPaymentPipeline({
  gateway: createGatewayClient({ url: gatewayUrl }),
  timeoutMs: gatewayTimeoutMs,
  halfOpenAfterMs,
  ...(redisUrl === undefined ? {} : { redisUrl }),
});
const checkout = createCheckout(db, payments, log);

let closeServer: () => Promise<void>;
let address: AddressInfo;
if (framework === 'fastify') {
  const app = await fastifyApp(checkout);
  await app.listen({ port, host });
  address = app.server.address() as AddressInfo;
  closeServer = () => app.close();
} else {
  const server: Server = await new Promise((resolve, reject) => {
    const listening = expressApp(checkout).listen(port, host, (error?: Error) => {
      if (error === undefined) resolve(listening);
      else reject(error);
    });
  });
  address = server.address() as AddressInfo;
  closeServer = () =>
    new Promise((resolve) => {
      server.close(() => {
        resolve();
      });
      server.closeIdleConnections();
    });
}
log.info({ url: `http://${address.address}:${address.port}`, framework, gateway: gatewayUrl, breaker: redisUrl === undefined ? 'local' : 'shared through Redis' }, 'checkout listening');

// Stop taking requests, let the ones in flight finish, close the pool, then flush the telemetry.
// With a SIGTERM handler of the app's own, faultline flushes and leaves the exit to the app.
let stopping = false;
function stop(signal: string): void {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, 'checkout stopping');
  setTimeout(() => process.exit(1), 10_000).unref();
  void (async () => {
    await closeServer();
    await payments.close();
    await ownGateway?.close();
    await db.end();
    await shutdown();
    process.exit(0);
  })();
}
process.once('SIGTERM', () => {
  stop('SIGTERM');
});
process.once('SIGINT', () => {
  stop('SIGINT');
});

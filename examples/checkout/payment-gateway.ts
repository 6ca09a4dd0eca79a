import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger, shutdown } from 'faultline';
import type { Logger } from 'pino';
import { cardDigits, TEST_CARDS } from './test-cards.ts';

// A fake card payment gateway: a tiny HTTP service the checkout calls with fetch, so the traces
// show a client span, W3C trace-context propagation and (when it runs under the preload as its
// own process) a second service in the same trace. Its answers depend on the card number, like a
// provider's sandbox: see test-cards.ts.

export type GatewayOutcome = 'approved' | 'declined' | 'insufficient_funds' | 'fraudulent' | 'error' | 'hang';

export interface GatewayOptions {
  port?: number;
  host?: string;
  /** Share (0–1) of otherwise approved charges that fail anyway at random, as under real load. */
  randomFailureRate?: number;
  logger?: Logger;
}

export interface RunningGateway {
  url: string;
  close(): Promise<void>;
}

const BY_CARD: ReadonlyMap<string, GatewayOutcome> = new Map([
  [cardDigits(TEST_CARDS.declined), 'declined'],
  [cardDigits(TEST_CARDS.insufficientFunds), 'insufficient_funds'],
  [cardDigits(TEST_CARDS.fraud), 'fraudulent'],
  [cardDigits(TEST_CARDS.gatewayFails), 'error'],
  [cardDigits(TEST_CARDS.gatewayHangs), 'hang'],
]);

const RANDOM_FAILURES: readonly GatewayOutcome[] = ['declined', 'insufficient_funds', 'fraudulent', 'error', 'hang'];

export function outcomeFor(cardNumber: string, randomFailureRate: number): GatewayOutcome {
  const fixed = BY_CARD.get(cardDigits(cardNumber));
  if (fixed !== undefined) return fixed;
  if (Math.random() < randomFailureRate) return RANDOM_FAILURES[Math.floor(Math.random() * RANDOM_FAILURES.length)] ?? 'declined';
  return 'approved';
}

const MESSAGES: Readonly<Record<GatewayOutcome, string>> = {
  approved: 'charge approved',
  declined: 'charge declined by the issuer',
  insufficient_funds: 'charge declined: insufficient funds',
  fraudulent: 'charge blocked by the risk check',
  error: 'charge failed inside the gateway',
  hang: 'charge held without an answer',
};

function send(response: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}

async function readJson(request: http.IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch (err) {
    // A body that is not JSON is answered 400 by the caller; anything else is a bug to surface.
    if (err instanceof SyntaxError) return undefined;
    throw err;
  }
}

function cardNumberOf(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const card = (body as { card?: unknown }).card;
  if (typeof card !== 'object' || card === null) return undefined;
  const number = (card as { number?: unknown }).number;
  return typeof number === 'string' ? number : undefined;
}

let chargeCount = 0;

export async function startGateway(options: GatewayOptions = {}): Promise<RunningGateway> {
  const log = options.logger ?? createLogger({ name: 'payment-gateway' });
  const randomFailureRate = options.randomFailureRate ?? 0;
  const hanging = new Set<http.ServerResponse>();

  const server = http.createServer((request, response) => {
    if (request.method !== 'POST' || request.url !== '/v1/charges') {
      send(response, 404, { error: { type: 'invalid_request_error', code: 'not_found' } });
      return;
    }
    void readJson(request).then((body) => {
      const number = cardNumberOf(body);
      if (number === undefined) {
        send(response, 400, { error: { type: 'invalid_request_error', code: 'card_missing' } });
        return;
      }
      const outcome = outcomeFor(number, randomFailureRate);
      log.info({ outcome }, MESSAGES[outcome]);
      switch (outcome) {
        case 'approved':
          chargeCount += 1;
          send(response, 201, { id: `ch_${Date.now().toString(36)}${chargeCount.toString(36)}`, status: 'succeeded' });
          return;
        case 'error':
          send(response, 500, { error: { type: 'api_error', code: 'processing_error' } });
          return;
        case 'hang':
          // Never answers: the caller's deadline is what ends this request.
          hanging.add(response);
          response.once('close', () => hanging.delete(response));
          return;
        default:
          send(response, 402, { error: { type: 'card_error', code: 'card_declined', decline_code: outcome === 'declined' ? 'generic_decline' : outcome } });
      }
    }).catch((err: unknown) => {
      // Usually the caller went away mid-request: nobody is left to answer.
      log.warn({ err }, 'charge request failed before an answer');
      response.destroy();
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://${address.address}:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const response of hanging) response.destroy();
        server.close(() => {
          resolve();
        });
        server.closeAllConnections();
      }),
  };
}

// Run on its own: `node --import faultline/register examples/checkout/payment-gateway.ts`.
if (import.meta.main) {
  const log = createLogger({ name: 'payment-gateway' });
  const gateway = await startGateway({
    port: Number(process.env.PORT ?? 0),
    randomFailureRate: Number(process.env.GATEWAY_RANDOM_FAILURE_RATE ?? 0),
    logger: log,
  });
  log.info({ url: gateway.url }, 'payment gateway listening');
  // With a SIGTERM handler of the app's own, faultline flushes and leaves the exit to the app.
  process.once('SIGTERM', () => {
    void gateway
      .close()
      .then(() => shutdown())
      .then(() => {
        process.exit(0);
      });
  });
}

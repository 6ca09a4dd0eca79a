import { randomUUID } from 'node:crypto';
import { TEST_CARDS, type TestCard } from '../test-cards.ts';

// What the demo does to the checkout: scenarios of one to three requests, each ending in a
// success or in one failure of the taxonomy. The first round runs every scenario once, in order,
// so a short run shows each kind; after that they are drawn at random, mostly good charges.

export interface Exchange {
  scenario: string;
  method: string;
  /** The route template, e.g. `/orders/:id/charges`. */
  route: string;
  /** 0 when no answer came (connection refused, timeout). */
  status: number;
  /** From a problem+json answer. */
  code?: string;
  traceId?: string;
  detail?: string;
  at: number;
}

type Call = (method: string, route: string, path: string, body?: unknown) => Promise<{ status: number; body: unknown }>;

const EXPIRY = '12/34';
const CVC = '123';

function card(kind: TestCard): { card: { number: string; expiry: string; cvc: string } } {
  return { card: { number: TEST_CARDS[kind], expiry: EXPIRY, cvc: CVC } };
}

async function newOrder(call: Call): Promise<string | undefined> {
  const amountCents = 500 + Math.floor(Math.random() * 20_000);
  const { status, body } = await call('POST', '/orders', '/orders', { amountCents, currency: 'EUR' });
  const id = (body as { id?: unknown } | undefined)?.id;
  return status === 201 && typeof id === 'string' ? id : undefined;
}

async function orderAndCharge(call: Call, kind: TestCard): Promise<void> {
  const id = await newOrder(call);
  if (id !== undefined) await call('POST', '/orders/:id/charges', `/orders/${id}/charges`, card(kind));
}

export const SCENARIOS = {
  'good charge': (call: Call) => orderAndCharge(call, 'approved'),
  'declined card': (call: Call) => orderAndCharge(call, 'declined'),
  'suspected fraud': (call: Call) => orderAndCharge(call, 'fraud'),
  'malformed request': async (call: Call) => {
    const id = await newOrder(call);
    // A mistyped card number and a missing CVC: the issues come back in the problem body.
    if (id !== undefined) await call('POST', '/orders/:id/charges', `/orders/${id}/charges`, { card: { number: '4242 4242 4242', expiry: '13/99' } });
  },
  'gateway timeout': (call: Call) => orderAndCharge(call, 'gatewayHangs'),
  'unknown order': async (call: Call) => {
    await call('POST', '/orders/:id/charges', `/orders/${randomUUID()}/charges`, card('approved'));
  },
  'paid twice': async (call: Call) => {
    const id = await newOrder(call);
    if (id === undefined) return;
    const first = await call('POST', '/orders/:id/charges', `/orders/${id}/charges`, card('approvedMastercard'));
    if (first.status === 201) await call('POST', '/orders/:id/charges', `/orders/${id}/charges`, card('approvedMastercard'));
  },
  'gateway error': (call: Call) => orderAndCharge(call, 'gatewayFails'),
  'insufficient funds': (call: Call) => orderAndCharge(call, 'insufficientFunds'),
} as const;

export type ScenarioName = keyof typeof SCENARIOS;

const FIRST_ROUND = Object.keys(SCENARIOS) as ScenarioName[];

/** Random draws after the first round: mostly good charges, like real traffic. */
const WEIGHTS: readonly [ScenarioName, number][] = [
  ['good charge', 10],
  ['declined card', 2],
  ['insufficient funds', 1],
  ['suspected fraud', 1],
  ['malformed request', 1],
  ['gateway timeout', 1],
  ['gateway error', 1],
  ['unknown order', 1],
  ['paid twice', 1],
];

function draw(): ScenarioName {
  const total = WEIGHTS.reduce((sum, [, weight]) => sum + weight, 0);
  let pick = Math.random() * total;
  for (const [name, weight] of WEIGHTS) {
    pick -= weight;
    if (pick < 0) return name;
  }
  return 'good charge';
}

export interface TrafficOptions {
  baseUrl: string;
  /** Scenarios started per second. */
  rate: number;
  onExchange(exchange: Exchange): void;
}

export class Traffic {
  readonly exchanges: Exchange[] = [];
  readonly #options: TrafficOptions;
  readonly #inFlight = new Set<Promise<void>>();
  readonly #firstRound: Promise<void>[] = [];
  #timer: NodeJS.Timeout | undefined;
  #started = 0;

  constructor(options: TrafficOptions) {
    this.#options = options;
  }

  start(): void {
    this.#launch();
    this.#timer = setInterval(() => {
      this.#launch();
    }, 1000 / this.#options.rate);
  }

  /** Resolves when every scenario of the first round has finished, or early once `signal` aborts. */
  async firstRoundDone(signal: AbortSignal): Promise<void> {
    while (this.#firstRound.length < FIRST_ROUND.length && !signal.aborted) await new Promise((resolve) => setTimeout(resolve, 50));
    await Promise.all(this.#firstRound);
  }

  /** Starts nothing more and waits for the scenarios under way. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await Promise.all(this.#inFlight);
  }

  #launch(): void {
    const name = FIRST_ROUND[this.#started] ?? draw();
    this.#started += 1;
    const run = SCENARIOS[name]((method, route, path, body) => this.#call(name, method, route, path, body)).catch(() => undefined); // eslint-disable-line faultline/no-blind-catch -- each exchange records its own failure in #call; the scenario promise only tells when it ended
    if (this.#firstRound.length < FIRST_ROUND.length) this.#firstRound.push(run);
    this.#inFlight.add(run);
    void run.finally(() => this.#inFlight.delete(run));
  }

  async #call(scenario: string, method: string, route: string, path: string, body: unknown): Promise<{ status: number; body: unknown }> {
    const exchange: Exchange = { scenario, method, route, status: 0, at: Date.now() };
    let answer: unknown;
    try {
      const response = await fetch(new URL(path, this.#options.baseUrl), {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(15_000),
      });
      exchange.status = response.status;
      answer = await response.json().catch(() => undefined); // eslint-disable-line faultline/no-blind-catch -- an answer without a JSON body is shown as such
      const problem = answer as { code?: unknown; trace_id?: unknown; detail?: unknown } | undefined;
      if (response.status >= 400 && problem !== undefined) {
        if (typeof problem.code === 'string') exchange.code = problem.code;
        if (typeof problem.trace_id === 'string') exchange.traceId = problem.trace_id;
        if (typeof problem.detail === 'string') exchange.detail = problem.detail;
      }
    } catch (err) {
      exchange.detail = err instanceof Error ? err.message : String(err);
    }
    this.exchanges.push(exchange);
    this.#options.onExchange(exchange);
    return { status: exchange.status, body: answer };
  }
}

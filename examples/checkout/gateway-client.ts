import { CardDeclined, FraudSuspected, GatewayFailed } from './errors.ts';

// The checkout's side of the payment gateway: one fetch, and every way it can go wrong turned into
// one error of the taxonomy (the original kept as `cause`). The deadline, retries, the breaker and
// the fallback are the payment pipeline's (payment-pipeline.ts): the fetch gets its signal.

export interface GatewayCharge {
  amountCents: number;
  currency: string;
  card: { number: string; expiry: string; cvc: string };
  /** Our order id, so the gateway's records point back to it. */
  reference: string;
}

export interface GatewayClientOptions {
  url: string;
}

interface GatewayAnswer {
  id?: unknown;
  error?: { code?: unknown; decline_code?: unknown };
}

export function createGatewayClient(options: GatewayClientOptions) {
  const endpoint = new URL('/v1/charges', options.url);

  async function call(charge: GatewayCharge, signal: AbortSignal): Promise<{ status: number; answer: GatewayAnswer }> {
    try {
      const response = await fetch(endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(charge),
        signal,
      });
      return { status: response.status, answer: (await response.json()) as GatewayAnswer };
    } catch (err) {
      // The pipeline's timeout (an OperationTimeout) or the caller's cancellation: theirs, passed on.
      if (signal.aborted) throw signal.reason;
      throw new GatewayFailed('The payment gateway could not be reached', { cause: err });
    }
  }

  return {
    /** Charges the card; resolves with the gateway's charge id or throws a taxonomy error. */
    async charge(charge: GatewayCharge, signal: AbortSignal): Promise<string> {
      const { status, answer } = await call(charge, signal);
      if (status === 201 && typeof answer.id === 'string') return answer.id;
      const declineCode = typeof answer.error?.decline_code === 'string' ? answer.error.decline_code : undefined;
      if (status === 402 && declineCode === 'fraudulent') {
        throw new FraudSuspected(undefined, { details: { declineCode } });
      }
      if (status === 402) {
        throw new CardDeclined(`The card was declined (${declineCode ?? 'no reason given'})`, { details: { declineCode } });
      }
      throw new GatewayFailed(`The payment gateway answered ${status}`, { details: { status } });
    },
  };
}

export type GatewayClient = ReturnType<typeof createGatewayClient>;

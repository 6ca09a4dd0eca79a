import { circuitBreaker, CircuitOpen, composePolicies, fallbackPolicy, redisBreakerStore, retryPolicy, timeoutPolicy } from 'faultline';
import type { GatewayCharge, GatewayClient } from './gateway-client.ts';

// How the checkout calls its payment gateway: through faultline's resilience policies, outermost
// first. Each attempt has a deadline (timeout); timeouts and gateway failures count toward the
// breaker, which opens after a few in a row and then refuses at once (CircuitOpen) instead of
// making every customer wait for a dead gateway; the retry tries a retryable failure once more (a
// declined card is not retryable, so never); and while the breaker is open the fallback answers
// "deferred": the order stays unpaid, and the client is told when to try again. With REDIS_URL the
// breaker's state is shared by every instance of the checkout.

export interface PaymentPipelineOptions {
  gateway: GatewayClient;
  /** Deadline of each attempt, in milliseconds. */
  timeoutMs: number;
  /** Open → half-open after this long, in milliseconds. */
  halfOpenAfterMs: number;
  /** Share the breaker's state through this Redis. */
  redisUrl?: string;
}

/** The gateway charged the card, or the breaker is open and the charge was not attempted. */
export type PaymentOutcome = { charged: true; gatewayChargeId: string } | { charged: false; retryAfterSeconds: number };

export function createPaymentPipeline(options: PaymentPipelineOptions) {
  const store = options.redisUrl === undefined ? undefined : redisBreakerStore({ url: options.redisUrl, prefix: 'checkout:breaker:' });
  const breaker = circuitBreaker({
    name: 'payment-gateway',
    consecutiveFailures: 4,
    halfOpenAfter: { initialMs: options.halfOpenAfterMs, multiplier: 1.5, maxMs: options.halfOpenAfterMs * 4 },
    ...(store === undefined ? {} : { store }),
  });
  const retryAfterSeconds = Math.max(1, Math.ceil(options.halfOpenAfterMs / 1000));
  const pipeline = composePolicies(
    fallbackPolicy({
      name: 'payment-fallback',
      shouldHandle: (error) => error instanceof CircuitOpen,
      fallback: (): PaymentOutcome => ({ charged: false, retryAfterSeconds }),
    }),
    // An open breaker is not worth a second attempt now: the fallback answers it.
    retryPolicy({ name: 'payment-retry', maxAttempts: 2, initialDelayMs: 100, shouldRetry: (error, info) => info.retryable && !(error instanceof CircuitOpen) }),
    breaker,
    timeoutPolicy({ name: 'payment-timeout', timeoutMs: options.timeoutMs }),
  );

  return {
    breaker,
    /** Charges through the pipeline; throws the taxonomy error of a failure the policies passed on. */
    charge(charge: GatewayCharge, signal?: AbortSignal): Promise<PaymentOutcome> {
      return pipeline.execute(async (context): Promise<PaymentOutcome> => ({ charged: true, gatewayChargeId: await options.gateway.charge(charge, context.signal) }), signal);
    },
    async close(): Promise<void> {
      breaker.dispose();
      await store?.close();
    },
  };
}

export type PaymentPipeline = ReturnType<typeof createPaymentPipeline>;

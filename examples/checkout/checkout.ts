import { addNote, classify, DatabaseConflict, parse, type ErrorCategory } from 'faultline';
import type { Logger } from 'pino';
import type { Database } from './database.ts';
import { OrderAlreadyPaid, OrderNotFound } from './errors.ts';
import type { PaymentPipeline } from './payment-pipeline.ts';
import { findOrder, insertOrder, nextAttempt, recordFailedCharge, recordPaidCharge, type Order } from './orders.ts';
import { ChargeRequest, CreateOrderRequest, OrderId } from './schemas.ts';

// What the checkout does, independent of the HTTP framework: create an order, charge a card for
// it. Errors are thrown as they are; the framework's faultline error handler turns each into the
// right status and a problem+json body, and records it once on the request's span.

export type Charge =
  | { orderId: string; attempt: number; gatewayChargeId: string; status: 'succeeded' }
  /** The payment gateway's breaker is open: the card was not charged, the order stays unpaid (HTTP 202). */
  | { orderId: string; attempt: number; status: 'deferred'; retryAfterSeconds: number };

/** Failures that are the service's problem are logged as errors; the client's as warnings. */
const SERVER_SIDE: ReadonlySet<ErrorCategory> = new Set(['dependency', 'timeout', 'internal', 'cancelled']);

export function createCheckout(db: Database, payments: PaymentPipeline, log: Logger) {
  /** Context on the error (notes ride along on the span and in the log line), then one log line. */
  function failed(err: unknown, action: string, note: string | undefined, fields: Record<string, unknown> = {}): never {
    if (note !== undefined) addNote(err, note);
    const info = classify(err);
    const level = SERVER_SIDE.has(info.category) ? 'error' : 'warn';
    log[level]({ err, ...fields }, `${action} failed: ${info.type}`);
    throw err;
  }

  return {
    async createOrder(body: unknown): Promise<Order> {
      try {
        const input = parse(CreateOrderRequest, body);
        const order = await insertOrder(db, input);
        log.info({ orderId: order.id, amountCents: order.amountCents, currency: order.currency }, 'order created');
        return order;
      } catch (err) {
        return failed(err, 'create order', undefined);
      }
    },

    async getOrder(rawId: unknown): Promise<Order> {
      const id = parse(OrderId, rawId);
      const order = await findOrder(db, id);
      if (order === undefined) throw new OrderNotFound(undefined, { details: { orderId: id } });
      return order;
    },

    async chargeOrder(rawId: unknown, body: unknown): Promise<Charge> {
      let attempt = 0;
      const orderId = typeof rawId === 'string' ? rawId : String(rawId);
      try {
        const id = parse(OrderId, rawId);
        const request = parse(ChargeRequest, body);
        const order = await findOrder(db, id);
        if (order === undefined) throw new OrderNotFound(undefined, { details: { orderId: id } });
        if (order.status === 'paid') throw new OrderAlreadyPaid(undefined, { details: { orderId: id } });
        attempt = await nextAttempt(db, id);
        const record = { orderId: id, attempt, cardLast4: request.card.number.slice(-4) };
        // Logging the whole card number is a mistake apps make; faultline masks it before the line leaves.
        log.info({ orderId: id, attempt, amountCents: order.amountCents, card: request.card.number }, 'charge attempt');

        let outcome;
        try {
          outcome = await payments.charge({ amountCents: order.amountCents, currency: order.currency, card: request.card, reference: id });
        } catch (err) {
          await recordFailedCharge(db, record, classify(err).type).catch((writeError: unknown) => {
            log.warn({ err: writeError, orderId: id }, 'could not store the failed charge');
          });
          throw err;
        }
        if (!outcome.charged) {
          await recordFailedCharge(db, record, 'CIRCUIT_OPEN');
          log.warn({ orderId: id, attempt, retryAfterSeconds: outcome.retryAfterSeconds }, 'charge deferred: the payment gateway breaker is open');
          return { orderId: id, attempt, status: 'deferred', retryAfterSeconds: outcome.retryAfterSeconds };
        }
        const { gatewayChargeId } = outcome;
        try {
          await recordPaidCharge(db, record, gatewayChargeId);
        } catch (err) {
          // Two requests paid the same order at once: the unique index kept the second one out.
          if (err instanceof DatabaseConflict) throw new OrderAlreadyPaid(undefined, { cause: err, details: { orderId: id } });
          throw err;
        }
        log.info({ orderId: id, attempt, gatewayChargeId }, 'charge succeeded');
        return { orderId: id, attempt, gatewayChargeId, status: 'succeeded' };
      } catch (err) {
        if (attempt === 0) return failed(err, 'charge', `order ${orderId}`, { orderId });
        return failed(err, 'charge', `order ${orderId}, attempt ${attempt}`, { orderId, attempt });
      }
    },
  };
}

export type Checkout = ReturnType<typeof createCheckout>;

import { defineError } from 'faultline';

// The checkout's own failures. Each code becomes `error.type` on spans, in the `app.errors`
// counter and in logs, so dashboards and alerts can tell a declined card (the customer's problem)
// from a gateway that stopped answering (ours). Database outages and malformed requests use
// faultline's catalog (`DatabaseUnavailable`, `ValidationError`) through `withPgErrors` and `parse`;
// a gateway past its deadline is the timeout policy's `OperationTimeout`, a gateway whose breaker is
// open the breaker's `CircuitOpen`.

/** The issuer refused the card: nothing is wrong with the service. */
export const CardDeclined = defineError({
  code: 'CARD_DECLINED',
  category: 'validation',
  httpStatus: 402,
  message: 'The card was declined',
});

/** The gateway's risk check blocked the payment. */
export const FraudSuspected = defineError({
  code: 'FRAUD_SUSPECTED',
  category: 'forbidden',
  httpStatus: 403,
  message: 'The payment was blocked as suspected fraud',
});

/** The gateway could not be reached or answered with something we do not understand. */
export const GatewayFailed = defineError({
  code: 'GATEWAY_FAILED',
  category: 'dependency',
  httpStatus: 502,
  retryable: true,
  message: 'The payment gateway failed',
});

export const OrderNotFound = defineError({
  code: 'ORDER_NOT_FOUND',
  category: 'not_found',
  httpStatus: 404,
  message: 'No such order',
});

/** A second charge for an order that is paid: refused before the card is touched. */
export const OrderAlreadyPaid = defineError({
  code: 'ORDER_ALREADY_PAID',
  category: 'conflict',
  httpStatus: 409,
  message: 'The order is already paid',
});

import express from 'express';
import { expressErrorHandler } from 'faultline';
import type { Checkout } from './checkout.ts';

/** The checkout on Express 5, which passes a rejected async handler's error to the error middleware. */
export function expressApp(checkout: Checkout): express.Express {
  const app = express();
  app.use(express.json({ limit: '16kb' }));

  app.post('/orders', async (req, res) => {
    res.status(201).json(await checkout.createOrder(req.body));
  });
  app.get('/orders/:id', async (req, res) => {
    res.json(await checkout.getOrder(req.params.id));
  });
  app.post('/orders/:id/charges', async (req, res) => {
    const charge = await checkout.chargeOrder(req.params.id, req.body);
    // 202: the breaker was open, the card was not charged; the body says when to try again.
    res.status(charge.status === 'deferred' ? 202 : 201).json(charge);
  });

  // Last: every error above (and a malformed JSON body) gets its status and a problem+json body.
  app.use(expressErrorHandler());
  return app;
}

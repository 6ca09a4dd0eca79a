import Fastify, { type FastifyInstance } from 'fastify';
import { fastifyErrorPlugin } from 'faultline';
import type { Checkout } from './checkout.ts';

/** The same checkout on Fastify 5. */
export async function fastifyApp(checkout: Checkout): Promise<FastifyInstance> {
  const app = Fastify({ bodyLimit: 16 * 1024 });
  // The error handler, plus `http.route` on every server span.
  await app.register(fastifyErrorPlugin());

  app.post('/orders', async (request, reply) => {
    return reply.code(201).send(await checkout.createOrder(request.body));
  });
  app.get<{ Params: { id: string } }>('/orders/:id', async (request) => checkout.getOrder(request.params.id));
  app.post<{ Params: { id: string } }>('/orders/:id/charges', async (request, reply) => {
    const charge = await checkout.chargeOrder(request.params.id, request.body);
    // 202: the breaker was open, the card was not charged; the body says when to try again.
    return reply.code(charge.status === 'deferred' ? 202 : 201).send(charge);
  });
  return app;
}

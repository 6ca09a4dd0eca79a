import { z } from 'zod';

// Request shapes, checked at the HTTP boundary with faultline's `parse` (any Standard Schema
// works: zod, valibot, arktype). A failure is a ValidationError: 400 with the list of issues.

export const OrderId = z.uuid({ error: 'an order id is a UUID' });

export const CreateOrderRequest = z.object({
  amountCents: z.number().int().positive().max(1_000_000),
  currency: z.enum(['EUR', 'USD', 'GBP']),
});

export const ChargeRequest = z.object({
  card: z.object({
    number: z
      .string()
      .transform((value) => value.replace(/[ -]/g, ''))
      .pipe(z.string().regex(/^\d{12,19}$/, { error: 'a card number has 12 to 19 digits' })),
    expiry: z.string().regex(/^(0[1-9]|1[0-2])\/\d{2}$/, { error: 'expiry is MM/YY' }),
    cvc: z.string().regex(/^\d{3,4}$/, { error: 'a CVC has 3 or 4 digits' }),
  }),
});

export type CreateOrderInput = z.infer<typeof CreateOrderRequest>;
export type ChargeInput = z.infer<typeof ChargeRequest>;

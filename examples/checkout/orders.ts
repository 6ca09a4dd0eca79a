import { InternalError } from 'faultline';
import type { PoolClient } from 'pg';
import type { Database } from './database.ts';
import type { CreateOrderInput } from './schemas.ts';

// The checkout's tables and queries. Its own schema keeps it clear of anything else in the database.

export const SCHEMA = 'faultline_checkout';

const MIGRATION = `
  create schema if not exists ${SCHEMA};
  create table if not exists ${SCHEMA}.orders (
    id uuid primary key default gen_random_uuid(),
    amount_cents integer not null check (amount_cents > 0),
    currency char(3) not null,
    status text not null default 'pending' check (status in ('pending', 'paid')),
    created_at timestamptz not null default now()
  );
  create table if not exists ${SCHEMA}.charges (
    id bigint generated always as identity primary key,
    order_id uuid not null references ${SCHEMA}.orders (id),
    attempt integer not null,
    status text not null check (status in ('succeeded', 'failed')),
    card_last4 char(4) not null,
    gateway_charge_id text,
    failure_code text,
    created_at timestamptz not null default now()
  );
  -- At most one successful charge per order, even when two requests race.
  create unique index if not exists charges_one_success_per_order
    on ${SCHEMA}.charges (order_id) where status = 'succeeded';
`;

export interface Order {
  id: string;
  amountCents: number;
  currency: string;
  status: 'pending' | 'paid';
}

interface OrderRow {
  id: string;
  amount_cents: number;
  currency: string;
  status: 'pending' | 'paid';
}

function toOrder(row: OrderRow): Order {
  return { id: row.id, amountCents: row.amount_cents, currency: row.currency, status: row.status };
}

/**
 * Runs `work` in a transaction. A connection whose rollback fails is broken (the server went away)
 * and is destroyed instead of going back to the pool.
 */
async function inTransaction(db: Database, work: (client: PoolClient) => Promise<void>): Promise<void> {
  const client = await db.connect();
  // A connection that breaks while checked out rejects the query under way and is also emitted as
  // 'error' on the client, which pg-pool listens to only while the client is idle: unheard, that
  // event would crash the process. The failing query already carries the error.
  const ignoreBrokenConnection = () => undefined;
  client.on('error', ignoreBrokenConnection);
  let broken = false;
  try {
    await client.query('begin');
    await work(client);
    await client.query('commit');
  } catch (err) {
    broken = !(await client.query('rollback').then(
      () => true,
      () => false, // eslint-disable-line faultline/no-blind-catch -- a failed rollback only says the connection is broken; the original error is rethrown below
    ));
    throw err;
  } finally {
    client.off('error', ignoreBrokenConnection);
    client.release(broken);
  }
}

/** Creates the schema and tables if needed; an advisory lock keeps two starting instances from racing. */
export async function migrate(db: Database): Promise<void> {
  await inTransaction(db, async (client) => {
    await client.query('select pg_advisory_xact_lock(hashtext($1))', [`${SCHEMA}.migrate`]);
    await client.query(MIGRATION);
  });
}

export async function insertOrder(db: Database, input: CreateOrderInput): Promise<Order> {
  const result = await db.query<OrderRow>(
    `insert into ${SCHEMA}.orders (amount_cents, currency) values ($1, $2) returning id, amount_cents, currency, status`,
    [input.amountCents, input.currency],
  );
  const row = result.rows[0];
  if (row === undefined) throw new InternalError('insert returned no row');
  return toOrder(row);
}

export async function findOrder(db: Database, id: string): Promise<Order | undefined> {
  const result = await db.query<OrderRow>(`select id, amount_cents, currency, status from ${SCHEMA}.orders where id = $1`, [id]);
  const row = result.rows[0];
  return row === undefined ? undefined : toOrder(row);
}

export async function nextAttempt(db: Database, orderId: string): Promise<number> {
  const result = await db.query<{ attempt: number }>(`select count(*)::int + 1 as attempt from ${SCHEMA}.charges where order_id = $1`, [orderId]);
  return result.rows[0]?.attempt ?? 1;
}

export interface ChargeRecord {
  orderId: string;
  attempt: number;
  cardLast4: string;
}

export async function recordFailedCharge(db: Database, charge: ChargeRecord, failureCode: string): Promise<void> {
  await db.query(`insert into ${SCHEMA}.charges (order_id, attempt, status, card_last4, failure_code) values ($1, $2, 'failed', $3, $4)`, [
    charge.orderId,
    charge.attempt,
    charge.cardLast4,
    failureCode,
  ]);
}

/** Stores the successful charge and marks the order paid, in one transaction. */
export async function recordPaidCharge(db: Database, charge: ChargeRecord, gatewayChargeId: string): Promise<void> {
  await inTransaction(db, async (client) => {
    await client.query(`insert into ${SCHEMA}.charges (order_id, attempt, status, card_last4, gateway_charge_id) values ($1, $2, 'succeeded', $3, $4)`, [
      charge.orderId,
      charge.attempt,
      charge.cardLast4,
      gatewayChargeId,
    ]);
    await client.query(`update ${SCHEMA}.orders set status = 'paid' where id = $1`, [charge.orderId]);
  });
}

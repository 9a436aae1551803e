/** Orders, refunds and the outbox. */
import type { Kysely, Selectable } from 'kysely';
import type { DialectName } from '../db/connect.js';
import type { Trx } from '../db/dialect.js';
import type { Database, OutboxTable, PayOrderTable, RefundTable } from '../db/schema.js';
import { isDuplicateKeyError } from '../db/dialect.js';
import { newId } from '../lib/ids.js';

export type OrderRow = Selectable<PayOrderTable>;
export type RefundRow = Selectable<RefundTable>;
export type OutboxRow = Selectable<OutboxTable>;
type Q = Kysely<Database> | Trx;

export function findOrderById(db: Q, id: number): Promise<OrderRow | undefined> {
  return db.selectFrom('pay_order').selectAll().where('id', '=', id).executeTakeFirst();
}

export function findOrderByOutTradeNo(db: Q, outTradeNo: string): Promise<OrderRow | undefined> {
  return db.selectFrom('pay_order').selectAll().where('out_trade_no', '=', outTradeNo).executeTakeFirst();
}

export function findOrderByClientId(db: Q, terminalId: number, clientOrderId: string): Promise<OrderRow | undefined> {
  return db
    .selectFrom('pay_order')
    .selectAll()
    .where('terminal_id', '=', terminalId)
    .where('client_order_id', '=', clientOrderId)
    .executeTakeFirst();
}

/** The order row, locked for the rest of the transaction on MySQL (SQLite's writer lock already serialises). */
export async function lockOrder(
  trx: Trx,
  dialect: DialectName,
  by: { outTradeNo: string } | { id: number },
): Promise<OrderRow | undefined> {
  let q = trx.selectFrom('pay_order').selectAll();
  q = 'outTradeNo' in by ? q.where('out_trade_no', '=', by.outTradeNo) : q.where('id', '=', by.id);
  if (dialect === 'mysql') q = q.forUpdate();
  return q.executeTakeFirst();
}

export async function insertOrder(db: Q, row: OrderRow): Promise<void> {
  await db.insertInto('pay_order').values(row).execute();
}

export async function updateOrder(db: Q, id: number, patch: Partial<Omit<OrderRow, 'id'>>): Promise<void> {
  await db.updateTable('pay_order').set(patch).where('id', '=', id).execute();
}

/** WeChat orders still pending that were placed before `placedBefore` (the recovery job's work list). */
export function pendingWechatOrders(db: Q, placedBefore: number, limit: number, afterId = 0): Promise<OrderRow[]> {
  return db
    .selectFrom('pay_order')
    .selectAll()
    .where('status', '=', 'pending')
    .where('payment_method', 'in', ['wechat_native', 'wechat_jsapi', 'wechat_code'])
    .where('placed_at', '<', placedBefore)
    .where('id', '>', afterId)
    .orderBy('id')
    .limit(limit)
    .execute();
}

export function findRefundByNo(db: Q, outRefundNo: string): Promise<RefundRow | undefined> {
  return db.selectFrom('refund').selectAll().where('out_refund_no', '=', outRefundNo).executeTakeFirst();
}

export function refundsOfOrder(db: Q, orderId: number): Promise<RefundRow[]> {
  return db.selectFrom('refund').selectAll().where('order_id', '=', orderId).orderBy('created_at').execute();
}

export async function insertRefund(db: Q, row: RefundRow): Promise<void> {
  await db.insertInto('refund').values(row).execute();
}

export async function updateRefund(db: Q, id: number, patch: Partial<Omit<RefundRow, 'id'>>): Promise<void> {
  await db.updateTable('refund').set(patch).where('id', '=', id).execute();
}

/** Queues a message; a second message with the same dedupe key is dropped (a replayed settlement). */
export async function enqueueOutbox(db: Q, msg: { dedupeKey: string; kind: string; payload: unknown; now: number }): Promise<boolean> {
  try {
    await db
      .insertInto('outbox')
      .values({
        id: newId(),
        dedupe_key: msg.dedupeKey,
        kind: msg.kind,
        payload: JSON.stringify(msg.payload),
        status: 'pending',
        attempts: 0,
        next_attempt_at: msg.now,
        last_error: null,
        created_at: msg.now,
        done_at: null,
      })
      .execute();
    return true;
  } catch (e) {
    if (isDuplicateKeyError(e)) return false;
    throw e;
  }
}

export function dueOutbox(db: Q, now: number, limit: number): Promise<OutboxRow[]> {
  return db
    .selectFrom('outbox')
    .selectAll()
    .where('status', '=', 'pending')
    .where('next_attempt_at', '<=', now)
    .orderBy('next_attempt_at')
    .limit(limit)
    .execute();
}

/** Claims one message for `until` (compare-and-set on its attempt count): false when another worker has it. */
export async function claimOutbox(db: Q, row: OutboxRow, until: number): Promise<boolean> {
  const res = await db
    .updateTable('outbox')
    .set({ next_attempt_at: until, attempts: row.attempts + 1 })
    .where('id', '=', row.id)
    .where('status', '=', 'pending')
    .where('attempts', '=', row.attempts)
    .executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}

export async function finishOutbox(db: Q, id: number, patch: Partial<Omit<OutboxRow, 'id'>>): Promise<void> {
  await db.updateTable('outbox').set(patch).where('id', '=', id).execute();
}

export async function outboxDepth(db: Q): Promise<number> {
  const row = await db
    .selectFrom('outbox')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('status', '=', 'pending')
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

export async function pendingOrderCount(db: Q): Promise<number> {
  const row = await db
    .selectFrom('pay_order')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('status', '=', 'pending')
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

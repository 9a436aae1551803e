/**
 * The member's answer to "how likely are you to recommend us?" (0–10), asked by the mini-program
 * after a purchase. One answer per order, or per China day without one: a repeat of the same answer
 * replays it, a different one is IDEMPOTENCY_CONFLICT. The answer carries the order's brand and
 * store so the NPS report can be filtered like the others.
 */
import { JifenError, NPS_ASK_DAYS, chinaDate, toIsoUtc } from '@jifen/shared';
import type { NpsPendingResponse, NpsRequest, NpsResponse } from '@jifen/shared';
import type { Db } from '../db/connect.js';
import { isDuplicateKeyError } from '../db/dialect.js';
import { newId } from '../lib/ids.js';
import type { MemberRow } from '../repositories/member.repository.js';
import { findOrderById } from '../repositories/order.repository.js';
import { PAID_STATUSES } from '../repositories/report.repository.js';
import * as nps from '../repositories/report-nps.repository.js';
import type { NpsRow } from '../repositories/report-nps.repository.js';

function present(row: NpsRow, replayed: boolean): NpsResponse {
  return { id: row.id, score: row.score, orderId: row.order_id, replayed };
}

const orderAnswerKey = (memberId: number, orderId: number) => `${memberId}:order:${orderId}`;

/**
 * The purchase the member card asks about: the latest paid order of the last NPS_ASK_DAYS days that
 * has no answer yet, so a purchase at a till (the member code scanned) is asked about too. Only the
 * newest few are looked at: an older unrated one is not worth asking about any more.
 */
export async function pendingNps(deps: { db: Db; now: () => number }, member: MemberRow): Promise<NpsPendingResponse> {
  const db = deps.db.kysely;
  const since = deps.now() - NPS_ASK_DAYS * 86_400_000;
  const orders = await nps.recentPaidOrders(db, member.id, since, PAID_STATUSES, 5);
  const answered = await nps.answeredKeys(
    db,
    orders.map((o) => orderAnswerKey(member.id, o.id)),
  );
  const open = orders.find((o) => !answered.has(orderAnswerKey(member.id, o.id)));
  return {
    order: open
      ? { orderId: open.id, storeName: open.store_name, placedAt: toIsoUtc(Number(open.placed_at)), amountFen: Number(open.amount_fen) }
      : null,
  };
}

/** Throws ORDER_NOT_FOUND (not the member's paid order), IDEMPOTENCY_CONFLICT (answered otherwise). */
export async function recordNps(deps: { db: Db; now: () => number }, member: MemberRow, req: NpsRequest): Promise<NpsResponse> {
  const db = deps.db.kysely;
  const now = deps.now();
  let brandId = 0;
  let storeId = 0;
  if (req.orderId !== undefined) {
    const order = await findOrderById(db, req.orderId);
    if (!order || order.member_id !== member.id || !(PAID_STATUSES as readonly string[]).includes(order.status))
      throw new JifenError('ORDER_NOT_FOUND', `order ${req.orderId} is not one of your purchases`, 'orderId');
    brandId = order.brand_id;
    storeId = order.store_id;
  }
  const answerKey = req.orderId !== undefined ? orderAnswerKey(member.id, req.orderId) : `${member.id}:day:${chinaDate(toIsoUtc(now))}`;
  const comment = req.comment ? req.comment : null;
  const replay = (existing: NpsRow): NpsResponse => {
    if (existing.score !== req.score || existing.comment !== comment)
      throw new JifenError('IDEMPOTENCY_CONFLICT', 'this purchase (or today) has already been rated differently');
    return present(existing, true);
  };
  const existing = await nps.findNpsByKey(db, answerKey);
  if (existing) return replay(existing);
  const row: NpsRow = {
    id: newId(),
    member_id: member.id,
    order_id: req.orderId ?? null,
    brand_id: brandId,
    store_id: storeId,
    score: req.score,
    comment,
    answer_key: answerKey,
    created_at: now,
  };
  try {
    await nps.insertNps(db, row);
  } catch (e) {
    if (!isDuplicateKeyError(e)) throw e;
    const twin = await nps.findNpsByKey(db, answerKey);
    if (!twin) throw e;
    return replay(twin);
  }
  return present(row, false);
}

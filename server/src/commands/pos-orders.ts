/**
 * Orders as the till handles them after creating them: the cashier cancels a QR order the shopper
 * will not pay, and finds the order behind a receipt to refund it.
 */
import { JifenError, maskPhone, toIsoUtc } from '@jifen/shared';
import type { OrderLine, PosOrderDetail, PosOrderView, PosPaymentMethod } from '@jifen/shared';
import { RECEIPT_CODE_PREFIX, ORDER_CODE_PREFIX } from '../lib/codes.js';
import { findAccount, findMemberById } from '../repositories/member.repository.js';
import * as orders from '../repositories/order.repository.js';
import type { OrderRow } from '../repositories/order.repository.js';
import { closeOrder, presentOrder, settleOrderPaid } from './orders.js';
import type { PaymentDeps } from './orders.js';
import { loadProgram, tierName } from './programs.js';
import type { TerminalRef } from './pos-shifts.js';

/** An order of this till's store. Throws ORDER_NOT_FOUND (also for another store's orders). */
export async function storeOrder(deps: PaymentDeps, terminal: TerminalRef, orderId: number): Promise<OrderRow> {
  const order = await orders.findOrderById(deps.db.kysely, orderId);
  if (!order || order.store_id !== terminal.storeId) throw new JifenError('ORDER_NOT_FOUND', `order ${orderId} not found`);
  return order;
}

/**
 * The cashier gives up on a WeChat order the shopper has not paid: it is closed at WeChat first (so
 * it can no longer be paid), then here, and points held for it are given back. Already closed: the
 * same answer again. Paid meanwhile — found by asking WeChat before and after closing — it is settled
 * and the answer is ORDER_NOT_PAYABLE, so the till completes the sale instead.
 * Throws ORDER_NOT_FOUND, ORDER_NOT_PAYABLE, VALIDATION_FAILED (a payment-code order, which ends by
 * itself), UNAVAILABLE (WeChat could not be asked; nothing changed).
 */
export async function cancelPosOrder(deps: PaymentDeps, terminal: TerminalRef, orderId: number): Promise<PosOrderView> {
  const order = await storeOrder(deps, terminal, orderId);
  if (order.status === 'closed') return presentOrder(order);
  if (order.status !== 'pending') throw new JifenError('ORDER_NOT_PAYABLE', `the order is ${order.status}: it cannot be cancelled`);
  if (order.payment_method === 'wechat_code')
    throw new JifenError('VALIDATION_FAILED', 'a payment-code order is settled or reversed by its own request');
  const wx = deps.wxpay;
  const atWechat = wx !== null && (order.payment_method === 'wechat_native' || order.prepay_id !== null);
  if (atWechat) {
    const paid = async (): Promise<boolean> => {
      const tx = await wx.client.queryByOutTradeNo(order.out_trade_no);
      if (tx?.trade_state !== 'SUCCESS') return false;
      await settleOrderPaid(deps, { outTradeNo: order.out_trade_no, tx, source: 'query' });
      return true;
    };
    const paidError = new JifenError('ORDER_NOT_PAYABLE', 'the shopper has just paid this order');
    try {
      if (await paid()) throw paidError;
      await wx.client.close(order.out_trade_no);
    } catch (e) {
      if (e === paidError) throw e;
      // Closing a paid order fails at WeChat: look once more before calling it a failure.
      if (await paid().catch(() => false)) throw paidError;
      deps.logger.warn({ outTradeNo: order.out_trade_no, err: (e as Error).message }, 'cancel: WeChat could not close the order');
      throw new JifenError('UNAVAILABLE', 'WeChat Pay could not close the order now: try again');
    }
  }
  await closeOrder(deps, order.id, 'cancelled');
  const after = (await orders.findOrderById(deps.db.kysely, order.id))!;
  // Paid in the instant between WeChat's close and ours (a notification settled it first).
  if (after.status !== 'closed') throw new JifenError('ORDER_NOT_PAYABLE', `the order is ${after.status}`);
  return presentOrder(after);
}

/** 32 characters, JF and hex: how newOutTradeNo makes them (printed on every receipt). */
const OUT_TRADE_NO = /^JF[0-9A-F]{30}$/;

/**
 * The order behind a receipt, for the refund screen: by its JFR1 receipt code (accepted after the
 * claim window: refunds outlive claims), its JFO1 order code, or the printed order number.
 * Throws ORDER_NOT_FOUND (also another store's order), CODE_FORGED.
 */
export async function findReceiptOrder(deps: PaymentDeps, terminal: TerminalRef, code: string): Promise<PosOrderDetail> {
  const text = code.trim();
  let order: OrderRow | undefined;
  if (text.startsWith(`${RECEIPT_CODE_PREFIX}.`))
    order = await orders.findOrderById(deps.db.kysely, deps.codes.openReceiptCode(text).orderId);
  else if (text.startsWith(`${ORDER_CODE_PREFIX}.`)) order = await orders.findOrderById(deps.db.kysely, deps.codes.verifyOrderCode(text));
  else if (OUT_TRADE_NO.test(text.toUpperCase())) order = await orders.findOrderByOutTradeNo(deps.db.kysely, text.toUpperCase());
  if (!order || order.store_id !== terminal.storeId)
    throw new JifenError('ORDER_NOT_FOUND', `no order of this store matches ${text}`, 'code');

  // What requestRefund counts against the order: every refund but a closed one (an abnormal one may still pay out).
  const live = (await orders.refundsOfOrder(deps.db.kysely, order.id)).filter((r) => r.status !== 'closed');
  const refundedLines = new Map<string, number>();
  for (const r of live)
    for (const l of r.lines ? (JSON.parse(r.lines) as { sku: string; qty: number }[]) : [])
      refundedLines.set(l.sku, (refundedLines.get(l.sku) ?? 0) + l.qty);
  let member: PosOrderDetail['member'];
  if (order.member_id !== null) {
    const m = await findMemberById(deps.db.kysely, order.member_id);
    const program = await loadProgram(deps.db.kysely, order.program_id);
    const account = await findAccount(deps.db.kysely, order.member_id, order.program_id);
    const phone = m?.phone_enc ? deps.cipher.decrypt(m.phone_enc) : null;
    member = {
      maskedPhone: phone ? maskPhone(phone) : '',
      ...(program && account ? { tierName: tierName(program, account.tier_code) } : {}),
    };
  }
  const lines = (JSON.parse(order.lines) as OrderLine[]).map((l) => ({
    sku: l.sku,
    name: l.name,
    qty: l.qty,
    unitPriceFen: l.unitPriceFen,
    ...(l.category ? { category: l.category } : {}),
  }));
  return {
    ...presentOrder(order),
    paymentMethod: order.payment_method as PosPaymentMethod,
    lines,
    refundedFen: live.reduce((s, r) => s + r.amount_fen, 0),
    refundedLines: [...refundedLines].map(([sku, qty]) => ({ sku, qty })),
    ...(member ? { member } : {}),
    placedAt: toIsoUtc(order.placed_at),
  };
}

/**
 * Sales and refunds → the JSON receipt models the printer module renders (devices/receipt.ts does the
 * layout). Pure: the tests check what a receipt says without a printer.
 */
import type { JsonReceiptPayment, JsonRefundSlip, JsonSaleReceipt } from '../ipc-contract.js';
import type { CreateOrderRequest, MemberView, OrderDetail, OrderView, PosPaymentMethod, RefundView } from '../shared/pos-api.js';
import { lineAmountFen } from '../shared/money.js';

export interface ReceiptContext {
  store: { name: string; address?: string };
  terminalLabel: string;
  cashierName: string;
}

/** A receipt code's expiry: `JFR1.<order id, base 36>.<expiry ms, base 36>.<mac>`; null when it does not parse. */
export function receiptCodeExpiry(code: string): Date | null {
  const parts = code.split('.');
  if (parts.length !== 4 || parts[0] !== 'JFR1') return null;
  const ms = parseInt(parts[2] ?? '', 36);
  return Number.isSafeInteger(ms) && ms > 0 ? new Date(ms) : null;
}

/** The order id inside a receipt code (no signature check: the server checks it). */
export function receiptCodeOrderId(code: string): number | null {
  const parts = code.trim().split('.');
  if (parts.length !== 4 || parts[0] !== 'JFR1' || !/^[0-9a-z]{1,11}$/.test(parts[1] ?? '')) return null;
  const id = parseInt(parts[1] ?? '', 36);
  return Number.isSafeInteger(id) && id > 0 ? id : null;
}

export interface SaleReceiptInput {
  ctx: ReceiptContext;
  request: CreateOrderRequest;
  /** null: journaled offline (the order number printed is the client order id). */
  order: OrderView | null;
  member: MemberView | null;
  time: Date;
  deviceTime: boolean;
  method: PosPaymentMethod;
  tenderedFen: number | null;
}

export function saleReceipt(input: SaleReceiptInput): JsonSaleReceipt {
  const { ctx, request, order, member } = input;
  const subtotalFen = request.lines.reduce((s, l) => s + lineAmountFen(l), 0);
  const payableFen = order?.payableFen ?? subtotalFen;
  const pointsFen = subtotalFen - payableFen;
  const receipt: JsonSaleReceipt = {
    kind: 'sale',
    store: ctx.store,
    terminalId: ctx.terminalLabel,
    cashierName: ctx.cashierName,
    orderNo: order?.outTradeNo ?? request.clientOrderId,
    time: input.time.toISOString(),
    deviceTime: input.deviceTime,
    lines: request.lines.map((l) => ({ name: l.name, qty: l.qty, unitPriceFen: l.unitPriceFen, amountFen: lineAmountFen(l) })),
    subtotalFen,
    totalFen: payableFen,
    payments: [],
  };
  if (order && order.pointsPaid > 0) receipt.pointsPaid = { points: order.pointsPaid, amountFen: pointsFen };
  if (input.method === 'cash') {
    const tendered = input.tenderedFen ?? payableFen;
    receipt.payments.push({ method: 'cash', amountFen: payableFen, tenderedFen: tendered, changeFen: tendered - payableFen });
  } else {
    receipt.payments.push({ method: 'wechat_pay', amountFen: payableFen });
  }
  if (member) {
    receipt.member = { phone: member.maskedPhone, ...(member.unverified ? {} : { tierName: member.tier.name }) };
    if (order) {
      const earned = order.status === 'paid' ? order.pointsEarned : order.pointsPreview;
      receipt.points = { earned };
      if (!member.unverified) receipt.points.balance = Math.max(0, member.available - order.pointsPaid);
    }
    if (member.tierProgress && !member.unverified) receipt.tierProgress = member.tierProgress;
  }
  if (order?.receiptCode) {
    const expiresAt = receiptCodeExpiry(order.receiptCode) ?? new Date(input.time.getTime() + 7 * 86_400_000);
    receipt.claim = { code: order.receiptCode, expiresAt: expiresAt.toISOString() };
  }
  return receipt;
}

export interface RefundSlipInput {
  ctx: ReceiptContext;
  order: OrderDetail;
  refund: RefundView;
  lines: { sku: string; qty: number }[];
  reason: string;
  time: Date;
  deviceTime: boolean;
}

export function refundSlip(input: RefundSlipInput): JsonRefundSlip {
  const { ctx, order, refund } = input;
  const lines = input.lines.flatMap((pick) => {
    const line = order.lines.find((l) => l.sku === pick.sku);
    return line ? [{ name: line.name, qty: pick.qty, unitPriceFen: line.unitPriceFen, amountFen: line.unitPriceFen * pick.qty }] : [];
  });
  const slip: JsonRefundSlip = {
    kind: 'refund',
    store: ctx.store,
    terminalId: ctx.terminalLabel,
    cashierName: ctx.cashierName,
    orderNo: refund.outRefundNo,
    originalOrderNo: order.outTradeNo,
    time: input.time.toISOString(),
    deviceTime: input.deviceTime,
    lines,
    refundTotalFen: refund.amountFen,
    reason: input.reason,
    payments: refund.wechatFen > 0 ? [refundPayment(order.paymentMethod, refund.wechatFen)] : [],
  };
  if (order.member)
    slip.member = { phone: order.member.maskedPhone, ...(order.member.tierName ? { tierName: order.member.tierName } : {}) };
  if (refund.pointsReversed) slip.pointsReversed = refund.pointsReversed;
  if (refund.pointsReturned) slip.pointsReturned = refund.pointsReturned;
  return slip;
}

/** The money part goes back the way it came (a refund slip prints no tendered/change for cash). */
function refundPayment(method: PosPaymentMethod, amountFen: number): JsonReceiptPayment {
  return method === 'cash' ? { method: 'cash', amountFen, tenderedFen: amountFen, changeFen: 0 } : { method: 'wechat_pay', amountFen };
}

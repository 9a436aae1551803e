/**
 * Paying inside the mini-program: the shopper opens a kiosk order from its QR (JFO1.…) or a link,
 * sees what it earns them, and pays with JSAPI. Paying makes a registered shopper the order's member
 * (when it has none), so settlement credits them; the result comes from settlement, never the client.
 */
import { JifenError, toIsoUtc } from '@jifen/shared';
import type { MemberOrderView, MemberPayResponse, OrderLine } from '@jifen/shared';
import { assignMemberIfNone, findOrderWithStore } from '../repositories/member-order.repository.js';
import { quotePurchase } from './earning.js';
import { startJsapiPayment } from './orders.js';
import type { PaymentDeps } from './orders.js';
import type { MemberSession } from './member-session.js';

/** A path segment naming an order: its id, or the JFO1 code the kiosk shows. Throws CODE_UNKNOWN, CODE_FORGED. */
export function orderIdFrom(deps: Pick<PaymentDeps, 'codes'>, ref: string): number {
  if (/^\d{1,16}$/.test(ref)) {
    const id = Number(ref);
    if (Number.isSafeInteger(id) && id > 0) return id;
  }
  return deps.codes.verifyOrderCode(ref);
}

async function visibleOrder(deps: PaymentDeps, session: MemberSession, orderId: number) {
  const order = await findOrderWithStore(deps.db.kysely, orderId);
  // A shopper sees orders made to be paid in the mini-program, and their own orders; nothing else.
  const own = session.member !== null && order?.member_id === session.member.id;
  if (!order || (order.payment_method !== 'wechat_jsapi' && !own)) throw new JifenError('ORDER_NOT_FOUND', `order ${orderId} not found`);
  return order;
}

/** The order as the paying shopper sees it. Throws ORDER_NOT_FOUND. */
export async function memberOrderView(deps: PaymentDeps, session: MemberSession, orderId: number): Promise<MemberOrderView> {
  const order = await visibleOrder(deps, session, orderId);
  const lines = JSON.parse(order.lines) as OrderLine[];
  let preview = 0;
  const me = session.member;
  // The points go to the order's member, or to whoever pays it when it has none.
  if (order.status === 'pending' && me && (order.member_id === null || order.member_id === me.id)) {
    const now = deps.now();
    const quote = await quotePurchase(
      deps.db.kysely,
      {
        memberId: me.id,
        programId: order.program_id,
        brandId: order.brand_id,
        brandCode: order.brand_code,
        storeCode: order.store_code,
        placedAt: order.placed_at,
        lines,
        pointsPaidFen: order.points_paid_fen,
      },
      now,
      order.rule_set_id,
      { member: me },
    );
    preview = quote.result.points;
  }
  return {
    orderId: order.id,
    storeName: order.store_name,
    status: order.status,
    amountFen: order.amount_fen,
    payableFen: order.payable_fen,
    lines: lines.map((l) => ({ name: l.name, qty: l.qty, unitPriceFen: l.unitPriceFen })),
    pointsPreview: order.status === 'pending' ? preview : order.points_earned,
    pointsEarned: order.points_earned,
    expiresAt: toIsoUtc(order.expires_at),
  };
}

/**
 * Starts (or resumes) the JSAPI payment of an order for the session's WeChat user.
 * Throws ORDER_NOT_FOUND, ORDER_NOT_PAYABLE, PAYMENTS_NOT_CONFIGURED, PAYMENT_FAILED.
 */
export async function payMemberOrder(deps: PaymentDeps, session: MemberSession, orderId: number): Promise<MemberPayResponse> {
  const order = await visibleOrder(deps, session, orderId);
  if (order.payment_method !== 'wechat_jsapi' || order.status !== 'pending')
    throw new JifenError('ORDER_NOT_PAYABLE', 'this order cannot be paid in the mini-program (paid, closed or another payment method)');
  if (order.payer_openid && order.payer_openid !== session.openid)
    throw new JifenError('ORDER_NOT_PAYABLE', 'another shopper is already paying this order');
  if (session.member && order.member_id === null) await assignMemberIfNone(deps.db.kysely, order.id, session.member.id, deps.now());
  return startJsapiPayment(deps, { orderId: order.id, openid: session.openid });
}

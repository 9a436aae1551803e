/**
 * Paying a kiosk order inside the mini-program, through real HTTP and the WeChat simulator: the
 * kiosk shows a JFO1 order code, the shopper opens it, pays with JSAPI, WeChat notifies, and the
 * points go to the shopper — the result read from the server, never from the client callback.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MemberOrderView, MemberPayResponse, PosOrderView } from '@jifen/shared';
import { startPaymentRig } from '../../../test-support/payments.js';
import type { PaymentRig } from '../../../test-support/payments.js';
import { errorCode, login, publishRules, signUp, waitFor } from './test-helpers.js';

let rig: PaymentRig;
const db = () => rig.s.testDb.db;
let phone = 13300000000;
const nextPhone = () => String(++phone);

beforeAll(async () => {
  rig = await startPaymentRig();
  await publishRules(rig);
});
afterAll(async () => rig.close());

async function account(memberId: number) {
  return db()
    .kysely.selectFrom('account')
    .innerJoin('program', 'program.id', 'account.program_id')
    .select(['account.available', 'account.pending'])
    .where('account.member_id', '=', memberId)
    .where('program.code', '=', 'JIFEN')
    .executeTakeFirstOrThrow();
}

describe('paying a kiosk order in the mini-program', () => {
  it('order QR → JSAPI payment → WeChat notifies → the points are the shopper’s', async () => {
    const order = await rig.order({ method: 'wechat_jsapi' });
    expect(order.status).toBe('pending');
    const code = (order as PosOrderView & { orderCode?: string }).orderCode;
    expect(code).toBe(`JFO1.${order.orderId}.${code?.split('.')[2]}`);
    expect(code).toMatch(/^JFO1\.\d+\.[0-9a-f]{20}$/);

    const kai = await signUp(rig, 'kai', nextPhone());
    const before = await account(kai.member.id);
    const view = await kai.call('GET', `/api/member/orders/${encodeURIComponent(code!)}`);
    expect(view.status).toBe(200);
    expect(view.body).toMatchObject({
      orderId: order.orderId,
      storeName: '鲜果坊 南京西路店',
      status: 'pending',
      amountFen: 12800,
      payableFen: 12800,
      lines: [{ name: '鲜榨橙汁礼盒', qty: 1, unitPriceFen: 12800 }],
      pointsPreview: 128,
      pointsEarned: 0,
    } satisfies Partial<MemberOrderView>);

    const pay = await kai.call('POST', `/api/member/orders/${order.orderId}/pay`);
    expect(pay.status).toBe(200);
    const params = pay.body as MemberPayResponse;
    expect(params).toMatchObject({ signType: 'RSA', outTradeNo: order.outTradeNo });
    expect(params.package).toMatch(/^prepay_id=/);
    expect(params.timeStamp).toMatch(/^\d{10}$/);
    expect(params.paySign.length).toBeGreaterThan(100);
    // Paying made the shopper the order's member; paying again resumes the same prepay.
    const row = await db()
      .kysely.selectFrom('pay_order')
      .select(['member_id', 'payer_openid'])
      .where('id', '=', order.orderId)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ member_id: kai.member.id, payer_openid: kai.openid });
    const again = (await kai.call('POST', `/api/member/orders/${order.orderId}/pay`)).body as MemberPayResponse;
    expect(again.package).toBe(params.package);

    rig.sim.pay(order.outTradeNo);
    const paid = await waitFor(async () => {
      const v = (await kai.call('GET', `/api/member/orders/${order.orderId}`)).body as MemberOrderView;
      return v.status === 'paid' ? v : null;
    });
    expect(paid).toMatchObject({ status: 'paid', pointsEarned: 128, pointsPreview: 128 });
    expect((await account(kai.member.id)).pending).toBe(before.pending + 128);
    const kiosk = (await rig.s.request('GET', `/api/pos/orders/${order.orderId}`, undefined, rig.till)).body as PosOrderView;
    expect(kiosk).toMatchObject({ status: 'paid', memberId: kai.member.id, pointsEarned: 128 });
    expect(kiosk.receiptCode).toBeUndefined();
  });

  it('a second shopper cannot take over an order being paid (409 ORDER_NOT_PAYABLE)', async () => {
    const order = await rig.order({ method: 'wechat_jsapi' });
    const lin = await signUp(rig, 'lin', nextPhone());
    expect((await lin.call('POST', `/api/member/orders/${order.orderId}/pay`)).status).toBe(200);
    const max = await signUp(rig, 'max', nextPhone());
    const res = await max.call('POST', `/api/member/orders/${order.orderId}/pay`);
    expect([res.status, errorCode(res)]).toEqual([409, 'ORDER_NOT_PAYABLE']);
    const row = await db().kysely.selectFrom('pay_order').select('member_id').where('id', '=', order.orderId).executeTakeFirstOrThrow();
    expect(row.member_id).toBe(lin.member.id);
  });

  it('a shopper who has not registered can still pay; the sale then prints a receipt code to claim later', async () => {
    const order = await rig.order({ method: 'wechat_jsapi' });
    const guest = await login(rig, 'guest');
    const view = (await guest.call('GET', `/api/member/orders/${order.orderId}`)).body as MemberOrderView;
    expect(view.pointsPreview).toBe(0);
    expect((await guest.call('POST', `/api/member/orders/${order.orderId}/pay`)).status).toBe(200);
    rig.sim.pay(order.outTradeNo);
    const kiosk = await waitFor(async () => {
      const v = (await rig.s.request('GET', `/api/pos/orders/${order.orderId}`, undefined, rig.till)).body as PosOrderView;
      return v.status === 'paid' ? v : null;
    });
    expect(kiosk.memberId).toBeNull();
    expect(kiosk.receiptCode).toMatch(/^JFR1\./);
  });

  it('forged codes, other payment methods and paid orders are refused', async () => {
    const nia = await signUp(rig, 'nia', nextPhone());
    const jsapi = await rig.order({ method: 'wechat_jsapi' });
    const code = (jsapi as PosOrderView & { orderCode?: string }).orderCode!;
    const forged = await nia.call('GET', `/api/member/orders/${encodeURIComponent(`JFO1.${jsapi.orderId + 1}.${code.split('.')[2]}`)}`);
    expect([forged.status, errorCode(forged)]).toEqual([400, 'CODE_FORGED']);
    // A Native QR order of someone else is not the mini-program's to see.
    const native = await rig.order({ method: 'wechat_native' });
    expect(errorCode(await nia.call('GET', `/api/member/orders/${native.orderId}`))).toBe('ORDER_NOT_FOUND');
    expect(errorCode(await nia.call('POST', `/api/member/orders/${native.orderId}/pay`))).toBe('ORDER_NOT_FOUND');
    const cash = await rig.order({ method: 'cash' });
    expect(errorCode(await nia.call('POST', `/api/member/orders/${cash.orderId}/pay`))).toBe('ORDER_NOT_FOUND');
    expect(errorCode(await nia.call('GET', '/api/member/orders/not-an-order'))).toBe('CODE_UNKNOWN');
    const noToken = await rig.s.request('GET', `/api/member/orders/${jsapi.orderId}`);
    expect(noToken.status).toBe(401);
  });
});

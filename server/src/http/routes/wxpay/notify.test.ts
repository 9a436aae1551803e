/**
 * Settlement through WeChat Pay, against the simulator: notifications that must settle exactly once
 * whatever WeChat (or an attacker) sends, and the recovery paths when notifications go missing.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PosOrderView } from '@jifen/shared';
import { publishRuleSet } from '../../../commands/earning.js';
import { registerMember } from '../../../commands/members.js';
import { drainOutbox, reconcileDay, syncPendingPayments, syncProcessingRefunds } from '../../../jobs/payment-jobs.js';
import { findOrderById } from '../../../repositories/order.repository.js';
import { startPaymentRig } from '../../../test-support/payments.js';
import type { PaymentRig } from '../../../test-support/payments.js';
import { DEFAULT_MERCHANT, DEFAULT_PLATFORM, buildEnvelope, loadDefaultKeys, signResponse } from '../../../wechat/testing/simulator.js';

let rig: PaymentRig;
const MEMBER_PHONE = '13900139000';

beforeAll(async () => {
  rig = await startPaymentRig();
  // Plain rules (1 point per yuan, nothing else) so the expected points do not depend on the weekday.
  const program = await rig.s.testDb.db.kysely.selectFrom('program').select('id').where('code', '=', 'JIFEN').executeTakeFirstOrThrow();
  await publishRuleSet(rig.s.testDb.db, {
    programId: program.id,
    rules: { baseRate: 1 },
    effectiveFrom: Date.now() - 60_000,
    actor: 'test',
    now: Date.now(),
  });
});
afterAll(async () => rig.close());

async function orderRow(id: number) {
  return (await findOrderById(rig.s.testDb.db.kysely, id))!;
}

async function memberPoints(phone = MEMBER_PHONE) {
  const { findMember } = await import('../../../commands/members.js');
  const m = await findMember(rig.s.server.services, { phone });
  const a = await rig.s.testDb.db.kysely
    .selectFrom('account')
    .select(['available', 'pending'])
    .where('member_id', '=', m!.id)
    .executeTakeFirstOrThrow();
  return a;
}

async function earnEntries(order: PosOrderView) {
  return rig.s.testDb.db.kysely
    .selectFrom('ledger_entry')
    .select(['id', 'points', 'pending_delta'])
    .where('order_ref', '=', order.outTradeNo)
    .where('kind', '=', 'earn')
    .execute();
}

async function waitFor<T>(fn: () => Promise<T | undefined | null | false>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}

const paid = (order: PosOrderView) =>
  waitFor(async () => ((await orderRow(order.orderId)).status === 'paid' ? orderRow(order.orderId) : null));

/** Posts a hand-made notification to the server: the attacker's (or a broken proxy's) view. */
async function postNotification(opts: {
  plaintext: Record<string, unknown>;
  timestamp?: number;
  serial?: string;
  tamper?: (body: string) => string;
  apiV3Key?: string;
  probe?: boolean;
}) {
  const keys = loadDefaultKeys();
  const { body } = buildEnvelope({
    id: `EV-${Date.now()}-${Math.random()}`,
    createTime: '2026-11-22T10:00:00+08:00',
    eventType: 'TRANSACTION.SUCCESS',
    summary: '支付成功',
    originalType: 'transaction',
    associatedData: 'transaction',
    plaintext: JSON.stringify(opts.plaintext),
    apiV3Key: opts.apiV3Key ?? DEFAULT_MERCHANT.apiV3Key,
  });
  const headers = signResponse({
    body,
    privateKey: keys.platformPrivateKeyPem,
    serial: opts.serial ?? DEFAULT_PLATFORM.publicKeyId,
    timestamp: opts.timestamp ?? Math.floor(Date.now() / 1000),
    probe: opts.probe,
  });
  const res = await fetch(`${rig.s.url}/api/wxpay/notify/payment`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: opts.tamper ? opts.tamper(body) : body,
  });
  return res.status;
}

function plaintextFor(order: PosOrderView, patch: Record<string, unknown> = {}) {
  return {
    mchid: DEFAULT_MERCHANT.mchid,
    appid: DEFAULT_MERCHANT.appid,
    out_trade_no: order.outTradeNo,
    transaction_id: `42000${Date.now()}${Math.floor(Math.random() * 1e9)}`.slice(0, 28),
    trade_type: 'NATIVE',
    trade_state: 'SUCCESS',
    trade_state_desc: '支付成功',
    bank_type: 'OTHERS',
    attach: '',
    success_time: '2026-11-22T10:00:00+08:00',
    payer: { openid: 'o-forged' },
    amount: { total: order.payableFen, payer_total: order.payableFen, currency: 'CNY', payer_currency: 'CNY' },
    ...patch,
  };
}

describe('payment notifications', () => {
  it('a Native QR order paid by the shopper settles once: paid, points pending for the member', async () => {
    const before = await memberPoints();
    const order = await rig.order({ phone: MEMBER_PHONE });
    expect(order.codeUrl).toMatch(/^weixin:\/\//);
    rig.sim.pay(order.outTradeNo, { openid: 'o-member-native' });
    const row = await paid(order);
    expect(row.points_earned).toBe(128);
    expect((await memberPoints()).pending - before.pending).toBe(128);
    expect(await earnEntries(order)).toHaveLength(1);
  });

  it('50 concurrent copies of one notification credit the points once', async () => {
    const order = await rig.order({ phone: MEMBER_PHONE });
    rig.sim.setFaults({ duplicates: 50 }, order.outTradeNo);
    rig.sim.pay(order.outTradeNo, { openid: 'o-dup' });
    await rig.sim.waitForDeliveries({ outTradeNo: order.outTradeNo }, 50, 20_000);
    await paid(order);
    const deliveries = rig.sim.deliveries({ outTradeNo: order.outTradeNo });
    expect(deliveries.filter((d) => d.success).length).toBe(50);
    expect(new Set(deliveries.map((d) => d.headers['wechatpay-nonce'] ?? d.headers['Wechatpay-Nonce'])).size).toBe(50);
    expect(await earnEntries(order)).toHaveLength(1);
  });

  it('the first three deliveries failing: settled once, on a retry', async () => {
    let seen = 0;
    const proxy = createServer((req, res) => {
      seen += 1;
      if (seen <= 3) {
        req.resume();
        res.writeHead(500, { 'content-type': 'application/json' }).end('{"code":"FAIL","message":"down"}');
        return;
      }
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        void fetch(`${rig.s.url}${req.url}`, {
          method: 'POST',
          headers: req.headers as Record<string, string>,
          body: Buffer.concat(chunks),
        }).then((r) => res.writeHead(r.status).end());
      });
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', () => r()));
    const wx = rig.s.server.services.wxpay!;
    const realBase = wx.notifyBase;
    wx.notifyBase = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    try {
      const order = await rig.order({ phone: MEMBER_PHONE });
      rig.sim.pay(order.outTradeNo, { openid: 'o-retry' });
      await paid(order);
      const d = rig.sim.deliveries({ outTradeNo: order.outTradeNo });
      expect(d.slice(0, 3).every((x) => !x.success)).toBe(true);
      expect(await earnEntries(order)).toHaveLength(1);
    } finally {
      wx.notifyBase = realBase;
      proxy.close();
    }
  });

  it('a signature probe is refused (4xx); the correctly signed redelivery settles', async () => {
    const order = await rig.order({ phone: MEMBER_PHONE });
    rig.sim.setFaults({ probe: true }, order.outTradeNo);
    rig.sim.pay(order.outTradeNo, { openid: 'o-probe' });
    await paid(order);
    // The order commits before the simulator has read the 204: wait for its record of the answer.
    const d = await waitFor(async () => {
      const all = rig.sim.deliveries({ outTradeNo: order.outTradeNo });
      return all.some((x) => x.success) ? all : null;
    });
    expect(d[0]).toMatchObject({ probe: true, success: false });
    expect(d[0]!.status).toBeGreaterThanOrEqual(400);
    expect(d[0]!.status).toBeLessThan(500);
    expect(d.some((x) => !x.probe && x.success)).toBe(true);
  });

  it('a body whose re-serialisation differs from its bytes still verifies (raw-body trap)', async () => {
    const order = await rig.order({ phone: MEMBER_PHONE });
    rig.sim.setFaults({ rawBodyTrap: true }, order.outTradeNo);
    rig.sim.pay(order.outTradeNo, { openid: 'o-trap' });
    await paid(order);
    const body = rig.sim.deliveries({ outTradeNo: order.outTradeNo })[0]!.body;
    expect(JSON.stringify(JSON.parse(body))).not.toBe(body);
  });

  it('a WeChat coupon never earns: points on what the shopper paid', async () => {
    const order = await rig.order({ phone: MEMBER_PHONE, amountFen: 10000 });
    rig.sim.pay(order.outTradeNo, { openid: 'o-coupon', couponFen: 3000 });
    const row = await paid(order);
    expect(row).toMatchObject({ payer_total_fen: 7000, coupon_fen: 3000, points_earned: 70 });
  });

  it('points on payment: no member code shown, the payer’s openid finds the member', async () => {
    const { id } = await registerMember(
      { db: rig.s.testDb.db, cipher: rig.s.server.services.cipher },
      { phone: '13600136000', openid: 'o-known-shopper', grantBonuses: false },
    );
    const order = await rig.order();
    rig.sim.pay(order.outTradeNo, { openid: 'o-known-shopper' });
    const row = await paid(order);
    expect(row).toMatchObject({ member_id: id, points_earned: 128 });
    const outbox = await rig.s.testDb.db.kysely
      .selectFrom('outbox')
      .selectAll()
      .where('dedupe_key', '=', `points-arrived:${order.orderId}`)
      .execute();
    expect(outbox).toHaveLength(1);
  });

  describe('forged or damaged notifications are refused and write nothing', () => {
    let order: PosOrderView;
    beforeAll(async () => {
      order = await rig.order({ phone: MEMBER_PHONE });
    });

    it.each([
      [
        'tampered ciphertext',
        { tamper: (b: string) => b.replace(/"ciphertext":"(.)/, (_m, c: string) => `"ciphertext":"${c === 'A' ? 'B' : 'A'}`) },
        401,
      ],
      ['a stale timestamp', { timestamp: Math.floor(Date.now() / 1000) - 301 }, 401],
      ['an unknown serial', { serial: 'PUB_KEY_ID_0000000000000000000000000000000000' }, 401],
      ['a signature probe', { probe: true }, 401],
      ['the wrong APIv3 key', { apiV3Key: 'ThisIsNotTheMerchantsApiV3Key!!!' }, 401],
    ])('%s', async (_name, opts, status) => {
      expect(await postNotification({ plaintext: plaintextFor(order), ...opts })).toBe(status);
      expect((await orderRow(order.orderId)).status).toBe('pending');
      expect(await earnEntries(order)).toHaveLength(0);
    });

    it('a wrong amount', async () => {
      expect(
        await postNotification({
          plaintext: plaintextFor(order, { amount: { total: order.payableFen - 1, payer_total: order.payableFen - 1 } }),
        }),
      ).toBe(400);
      expect((await orderRow(order.orderId)).status).toBe('pending');
    });

    it('a wrong mchid', async () => {
      expect(await postNotification({ plaintext: plaintextFor(order, { mchid: '1999999999' }) })).toBe(400);
      expect((await orderRow(order.orderId)).status).toBe('pending');
      expect(await earnEntries(order)).toHaveLength(0);
    });

    it('an unknown order', async () => {
      expect(await postNotification({ plaintext: plaintextFor({ ...order, outTradeNo: 'JFNOSUCHORDER00000001' }) })).toBe(404);
    });
  });
});

describe('recovery', () => {
  it('a lost notification is recovered by the payment sync job', async () => {
    const order = await rig.order({ phone: MEMBER_PHONE });
    rig.sim.setFaults({ lose: true }, order.outTradeNo);
    rig.sim.pay(order.outTradeNo, { openid: 'o-lost' });
    await new Promise((r) => setTimeout(r, 100));
    expect((await orderRow(order.orderId)).status).toBe('pending');
    const summary = await syncPendingPayments(rig.s.server.services.paymentDeps(), 0);
    expect(summary.settled).toBeGreaterThanOrEqual(1);
    expect((await orderRow(order.orderId)).status).toBe('paid');
    expect(await earnEntries(order)).toHaveLength(1);
  });

  it('an unpaid order past its expiry is closed at WeChat and here, and its held points go back', async () => {
    const member = await import('../../../commands/members.js').then((m) => m.findMember(rig.s.server.services, { phone: MEMBER_PHONE }));
    await rig.s.request(
      'POST',
      `/api/admin/members/${member!.id}/adjustments`,
      { points: 500, reason: '测试', idempotencyKey: 'expire-close-fund' },
      rig.admin,
    );
    const before = await memberPoints();
    const order = await rig.order({ phone: MEMBER_PHONE, redeemPoints: 300 });
    expect((await memberPoints()).available).toBe(before.available - 300);
    await rig.s.testDb.db.kysely
      .updateTable('pay_order')
      .set({ expires_at: Date.now() - 1, placed_at: Date.now() - 20 * 60_000 })
      .where('id', '=', order.orderId)
      .execute();
    const summary = await syncPendingPayments(rig.s.server.services.paymentDeps(), 60_000);
    expect(summary.closed).toBeGreaterThanOrEqual(1);
    expect((await orderRow(order.orderId)).status).toBe('closed');
    expect(rig.sim.order(order.outTradeNo)?.trade_state).toBe('CLOSED');
    expect((await memberPoints()).available).toBe(before.available);
  });

  it('a refund whose notification was lost is settled by the refund sync job', async () => {
    const order = await rig.order({ phone: MEMBER_PHONE });
    rig.sim.pay(order.outTradeNo, { openid: 'o-refund-lost' });
    await paid(order);
    const no = `rf-${order.orderId}-lost`;
    rig.sim.setFaults({ lose: true }, no);
    await rig.s.request('POST', `/api/pos/orders/${order.orderId}/refunds`, { outRefundNo: no, reason: '退货' }, rig.till);
    await new Promise((r) => setTimeout(r, 200));
    const row = () =>
      rig.s.testDb.db.kysely.selectFrom('refund').select('status').where('out_refund_no', '=', no).executeTakeFirstOrThrow();
    expect((await row()).status).toBe('processing');
    const r = await syncProcessingRefunds(rig.s.server.services.paymentDeps(), 0);
    expect(r.settled).toBeGreaterThanOrEqual(1);
    expect((await row()).status).toBe('success');
    expect((await orderRow(order.orderId)).status).toBe('refunded');
  });

  it('reconciliation settles what WeChat was paid but Jifen missed, and flags what Jifen has that WeChat does not', async () => {
    const missed = await rig.order({ phone: MEMBER_PHONE });
    rig.sim.setFaults({ lose: true }, missed.outTradeNo);
    rig.sim.pay(missed.outTradeNo, { openid: 'o-recon' });
    const ghost = await rig.order({ phone: MEMBER_PHONE });
    await rig.s.testDb.db.kysely
      .updateTable('pay_order')
      .set({ status: 'paid', paid_at: Date.now(), transaction_id: '4200000000000000000000000001' })
      .where('id', '=', ghost.orderId)
      .execute();
    const today = new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 10);
    const report = await reconcileDay(rig.s.server.services.paymentDeps(), rig.s.server.services.wxpay!.client, today);
    expect(report.settledNow).toContain(missed.outTradeNo);
    expect(report.flagged.some((f) => f.startsWith(ghost.outTradeNo))).toBe(true);
    expect((await orderRow(ghost.orderId)).flag).toBe('NOT_IN_WECHAT_BILL');
    expect((await orderRow(missed.orderId)).status).toBe('paid');
    const again = await reconcileDay(rig.s.server.services.paymentDeps(), rig.s.server.services.wxpay!.client, today);
    expect(again.settledNow).toEqual([]);
  });

  it('the outbox sends "points arrived" once the shopper subscribed, and gives up on 43101 otherwise', async () => {
    const deps = rig.s.server.services.paymentDeps();
    // An openid WeChat issued (through a login), so the message API knows the shopper.
    const openid = rig.sim.openidForCode('outbox-login-code');
    await registerMember(
      { db: rig.s.testDb.db, cipher: rig.s.server.services.cipher },
      { phone: '13500135000', openid, grantBonuses: false },
    );
    rig.sim.subscribe(openid, 'jifen-points-arrived', 1);
    const statusOf = async (orderId: number) =>
      await rig.s.testDb.db.kysely
        .selectFrom('outbox')
        .select(['status', 'last_error'])
        .where('dedupe_key', '=', `points-arrived:${orderId}`)
        .executeTakeFirstOrThrow();
    const first = await rig.order();
    rig.sim.pay(first.outTradeNo, { openid });
    await paid(first);
    const r = await drainOutbox(deps, rig.s.server.services.mp);
    expect(r.sent).toBe(1);
    expect((await statusOf(first.orderId)).status).toBe('sent');
    expect(rig.sim.sentMessages().filter((m) => JSON.stringify(m).includes(openid))).toHaveLength(1);
    // The one subscription is used up: WeChat answers 43101 and the message is given up, not retried.
    const second = await rig.order();
    rig.sim.pay(second.outTradeNo, { openid });
    await paid(second);
    await drainOutbox(deps, rig.s.server.services.mp);
    expect(await statusOf(second.orderId)).toMatchObject({ status: 'gave_up' });
    expect(rig.sim.sentMessages().filter((m) => JSON.stringify(m).includes(openid))).toHaveLength(1);
  });
});

describe('refunds through WeChat', () => {
  it('a partial refund reverses points in proportion once WeChat reports REFUND.SUCCESS; a full one reverses the rest', async () => {
    const order = await rig.order({ phone: MEMBER_PHONE, amountFen: 20000 });
    rig.sim.pay(order.outTradeNo, { openid: 'o-refund' });
    await paid(order);
    const before = await memberPoints();
    const r1 = await rig.s.request(
      'POST',
      `/api/pos/orders/${order.orderId}/refunds`,
      { outRefundNo: `rf-${order.orderId}-a`, amountFen: 5000, reason: '部分退货' },
      rig.till,
    );
    expect(r1.status).toBe(201);
    await waitFor(
      async () =>
        (
          await rig.s.testDb.db.kysely
            .selectFrom('refund')
            .select('status')
            .where('out_refund_no', '=', `rf-${order.orderId}-a`)
            .executeTakeFirst()
        )?.status === 'success',
    );
    expect(before.pending - (await memberPoints()).pending).toBe(50);
    await rig.s.request(
      'POST',
      `/api/pos/orders/${order.orderId}/refunds`,
      { outRefundNo: `rf-${order.orderId}-b`, reason: '整单退货' },
      rig.till,
    );
    await waitFor(async () => (await orderRow(order.orderId)).status === 'refunded');
    expect(before.pending - (await memberPoints()).pending).toBe(200);
  });

  it('ABNORMAL leaves the points alone', async () => {
    rig.sim.configure({ refundDelayMs: 60_000 });
    try {
      const order = await rig.order({ phone: MEMBER_PHONE });
      rig.sim.pay(order.outTradeNo, { openid: 'o-abnormal' });
      await paid(order);
      const before = await memberPoints();
      const no = `rf-${order.orderId}-x`;
      await rig.s.request('POST', `/api/pos/orders/${order.orderId}/refunds`, { outRefundNo: no, reason: '退货' }, rig.till);
      rig.sim.refundOutcome(no, 'ABNORMAL');
      await waitFor(
        async () =>
          (await rig.s.testDb.db.kysely.selectFrom('refund').select('status').where('out_refund_no', '=', no).executeTakeFirst())
            ?.status === 'abnormal',
      );
      expect((await memberPoints()).pending).toBe(before.pending);
      expect((await orderRow(order.orderId)).status).toBe('paid');
    } finally {
      rig.sim.configure({ refundDelayMs: 20 });
    }
  });
});

describe('JSAPI (paying inside the mini-program)', () => {
  it('gives Taro.requestPayment a paySign made with the merchant key; the notification settles it', async () => {
    const { startJsapiPayment } = await import('../../../commands/orders.js');
    const { createVerify } = await import('node:crypto');
    const order = await rig.order({ method: 'wechat_jsapi', phone: MEMBER_PHONE });
    expect(order.status).toBe('pending');
    const params = await startJsapiPayment(rig.s.server.services.paymentDeps(), { orderId: order.orderId, openid: 'o-jsapi' });
    expect(params).toMatchObject({ signType: 'RSA', package: expect.stringMatching(/^prepay_id=/) });
    const message = `${DEFAULT_MERCHANT.appid}\n${params.timeStamp}\n${params.nonceStr}\n${params.package}\n`;
    expect(createVerify('RSA-SHA256').update(message).verify(loadDefaultKeys().merchantCertificatePem, params.paySign, 'base64')).toBe(
      true,
    );
    // Opening it again (the shopper came back) reuses the prepay; another shopper cannot take it over.
    expect((await startJsapiPayment(rig.s.server.services.paymentDeps(), { orderId: order.orderId, openid: 'o-jsapi' })).package).toBe(
      params.package,
    );
    await expect(
      startJsapiPayment(rig.s.server.services.paymentDeps(), { orderId: order.orderId, openid: 'o-other' }),
    ).rejects.toMatchObject({ code: 'ORDER_NOT_PAYABLE' });
    rig.sim.pay(order.outTradeNo, { openid: 'o-jsapi' });
    const row = await paid(order);
    expect(row.points_earned).toBe(128);
    await expect(
      startJsapiPayment(rig.s.server.services.paymentDeps(), { orderId: order.orderId, openid: 'o-jsapi' }),
    ).rejects.toMatchObject({ code: 'ORDER_NOT_PAYABLE' });
  });
});

describe('payment codes (付款码)', () => {
  it('USERPAYING, then success: the till waits and the order is paid', async () => {
    rig.sim.micropayScenario('134567890123456789', 'USERPAYING_THEN_SUCCESS', 'o-code-1');
    const order = await rig.order({ method: 'wechat_code', authCode: '134567890123456789', phone: MEMBER_PHONE });
    expect(order.status).toBe('paid');
    expect(order.pointsEarned).toBe(128);
  });

  it('an expired code is refused and the order closed', async () => {
    rig.sim.micropayScenario('134567890123456780', 'AUTHCODEEXPIRE');
    const res = await rig.s.request(
      'POST',
      '/api/pos/orders',
      {
        clientOrderId: 'code-expired-0001',
        lines: [{ sku: 'A', name: '橙汁', qty: 1, unitPriceFen: 1000 }],
        payment: { method: 'wechat_code', authCode: '134567890123456780' },
      },
      rig.till,
    );
    expect(res.status).toBe(402);
  });

  it('no answer in time: the payment is reversed and the held points go back', async () => {
    await rig.s.request(
      'POST',
      `/api/admin/members/${(await import('../../../commands/members.js').then((m) => m.findMember(rig.s.server.services, { phone: MEMBER_PHONE })))!.id}/adjustments`,
      { points: 2000, reason: '测试', idempotencyKey: 'code-forever-fund' },
      rig.admin,
    );
    const before = await memberPoints();
    rig.sim.micropayScenario('134567890123456781', 'USERPAYING_FOREVER');
    const res = await rig.s.request(
      'POST',
      '/api/pos/orders',
      {
        clientOrderId: 'code-forever-0001',
        lines: [{ sku: 'A', name: '橙汁', qty: 1, unitPriceFen: 10000 }],
        member: { phone: MEMBER_PHONE },
        redeemPoints: 1000,
        payment: { method: 'wechat_code', authCode: '134567890123456781' },
      },
      rig.till,
    );
    expect(res.status).toBe(402);
    expect((await memberPoints()).available).toBe(before.available);
  });
});

/**
 * Payment notifications (§3, §8): content, signatures, retries, and every fault a merchant must survive.
 * A small in-test HTTP server plays the merchant (testkit.ts).
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  DEFAULT_MERCHANT,
  DEFAULT_PLATFORM,
  RETRY_SCHEDULE_MS,
  loadDefaultKeys,
  startWechatSimulator,
  verifyNotificationSignature,
  type WechatSimulator,
  type WechatSimulatorOptions,
} from './index.js';
import { clientFor, startTestMerchant, uniqueNo, type Answer, type Received, type TestMerchant } from './testkit.js';

let sim: WechatSimulator | undefined;
let merchant: TestMerchant | undefined;

afterEach(async () => {
  await merchant?.close();
  await sim?.close();
  merchant = undefined;
  sim = undefined;
});

async function setup(
  options: WechatSimulatorOptions = {},
  answer?: (r: Received) => Answer,
): Promise<{ sim: WechatSimulator; merchant: TestMerchant }> {
  sim = await startWechatSimulator({ port: 0, timeFactor: 0.001, ...options });
  merchant = await startTestMerchant(sim, answer);
  return { sim, merchant };
}

async function createOrder(s: WechatSimulator, notifyUrl: string, total = 1000, no = uniqueNo()): Promise<string> {
  const res = await clientFor(s).request('POST', '/v3/pay/transactions/native', {
    appid: DEFAULT_MERCHANT.appid,
    mchid: DEFAULT_MERCHANT.mchid,
    description: '会员积分-门店消费',
    out_trade_no: no,
    notify_url: notifyUrl,
    amount: { total, currency: 'CNY' },
  });
  expect(res.status).toBe(200);
  return no;
}

describe('TRANSACTION.SUCCESS', () => {
  it('arrives signed and encrypted, in the observed envelope, with the observed headers', async () => {
    const { sim, merchant } = await setup();
    const no = await createOrder(sim, merchant.notifyUrl, 1234);
    const { transaction, eventId } = sim.pay(no, { openid: 'oShopper0000000000000000001' });
    const [got] = await merchant.waitFor(1);
    expect(got?.verified).toEqual({ ok: true, serial: DEFAULT_PLATFORM.certificateSerial });
    expect(got?.headers).toMatchObject({
      'content-type': 'application/json',
      'user-agent': 'Mozilla/4.0',
      accept: '*/*',
      'wechatpay-signature-type': 'WECHATPAY2-SHA256-RSA2048',
      'wechatpay-nonce': expect.stringMatching(/^[0-9A-Za-z]{32}$/),
      'wechatpay-timestamp': expect.stringMatching(/^\d{10}$/),
    });
    const envelope = JSON.parse(got?.body ?? '{}') as Record<string, unknown>;
    expect(Object.keys(envelope)).toEqual(['id', 'create_time', 'resource_type', 'event_type', 'summary', 'resource']);
    expect(envelope).toMatchObject({
      id: eventId,
      create_time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00$/),
      resource_type: 'encrypt-resource',
      event_type: 'TRANSACTION.SUCCESS',
      summary: '支付成功',
      resource: {
        original_type: 'transaction',
        algorithm: 'AEAD_AES_256_GCM',
        associated_data: 'transaction',
        nonce: expect.stringMatching(/^\w{12}$/),
      },
    });
    // Raw UTF-8 Chinese in the body, and the decrypted resource is exactly the transaction.
    expect(got?.body).toContain('"summary":"支付成功"');
    expect(got?.resource).toEqual(transaction);
    expect(got?.resource).toMatchObject({
      trade_state: 'SUCCESS',
      trade_state_desc: '支付成功',
      amount: { total: 1234, payer_total: 1234 },
    });
    await sim.waitForEvent({ outTradeNo: no }, 'delivered');
    expect(sim.deliveries({ outTradeNo: no })).toEqual([
      expect.objectContaining({ status: 204, success: true, round: 0, timedOut: false, url: merchant.notifyUrl }),
    ]);
  });

  it('a coupon makes payer_total < total, with a promotion_detail entry', async () => {
    const { sim, merchant } = await setup();
    const no = await createOrder(sim, merchant.notifyUrl, 1000);
    sim.pay(no, { couponFen: 300 });
    const [got] = await merchant.waitFor(1);
    expect(got?.resource).toMatchObject({
      amount: { total: 1000, payer_total: 700 },
      promotion_detail: [expect.objectContaining({ amount: 300, type: 'NOCASH', merchant_contribute: 300, currency: 'CNY' })],
    });
  });

  it('duplicates: N concurrent copies of one event, each freshly signed', async () => {
    const { sim, merchant } = await setup();
    const no = await createOrder(sim, merchant.notifyUrl);
    sim.setFaults({ duplicates: 4 }, no);
    sim.pay(no);
    const got = await merchant.waitFor(4);
    expect(new Set(got.map((r) => r.eventId)).size).toBe(1);
    expect(new Set(got.map((r) => r.headers['wechatpay-nonce'])).size).toBe(4);
    expect(new Set(got.map((r) => r.headers['wechatpay-signature'])).size).toBe(4);
    expect(new Set(got.map((r) => r.body)).size).toBe(1);
    expect(got.every((r) => r.verified.ok)).toBe(true);
    expect(sim.deliveries({ outTradeNo: no }).map((d) => [d.round, d.copy])).toEqual([
      [0, 0],
      [0, 1],
      [0, 2],
      [0, 3],
    ]);
  });

  it('a 500 from the merchant triggers retries on the (compressed) schedule, each with a fresh signature', async () => {
    const factor = 0.01;
    const { sim, merchant } = await setup({ timeFactor: factor }, (r) => ({ status: r.n <= 3 ? 500 : 200 }));
    const no = await createOrder(sim, merchant.notifyUrl);
    sim.pay(no);
    await sim.waitForEvent({ outTradeNo: no }, 'delivered');
    const deliveries = sim.deliveries({ outTradeNo: no });
    expect(deliveries.map((d) => [d.round, d.status, d.success])).toEqual([
      [0, 500, false],
      [1, 500, false],
      [2, 500, false],
      [3, 200, true],
    ]);
    const arrivals = merchant.received.map((r) => r.receivedAt);
    for (let i = 1; i < arrivals.length; i++) {
      const expected = (RETRY_SCHEDULE_MS[i - 1] ?? 0) * factor;
      expect((arrivals[i] ?? 0) - (arrivals[i - 1] ?? 0)).toBeGreaterThanOrEqual(expected - 5);
    }
    expect(new Set(merchant.received.map((r) => r.headers['wechatpay-nonce'])).size).toBe(4);
    expect(new Set(merchant.received.map((r) => r.eventId)).size).toBe(1);
  });

  it('gives up after the 15 scheduled retries', async () => {
    const { sim, merchant } = await setup({ timeFactor: 0.00001 }, () => ({ status: 503 }));
    const no = await createOrder(sim, merchant.notifyUrl);
    sim.pay(no);
    await sim.waitForEvent({ outTradeNo: no }, 'abandoned', 15_000);
    expect(sim.deliveries({ outTradeNo: no })).toHaveLength(1 + RETRY_SCHEDULE_MS.length);
    expect(RETRY_SCHEDULE_MS.reduce((a, b) => a + b, 0)).toBe((24 * 60 + 4) * 60_000);
  });

  it('an answer after the time limit counts as a failure even when it is a 2xx', async () => {
    const { sim, merchant } = await setup({ deliveryTimeoutMs: 150 }, (r) => (r.n === 1 ? { status: 200, delayMs: 400 } : { status: 204 }));
    const no = await createOrder(sim, merchant.notifyUrl);
    sim.pay(no);
    await sim.waitForEvent({ outTradeNo: no }, 'delivered');
    const first = sim.deliveries({ outTradeNo: no })[0];
    expect(first).toMatchObject({ timedOut: true, success: false });
    // The late 200 still shows up in the log once it arrives.
    await sim.waitForDeliveries({ outTradeNo: no }, 2);
    await new Promise((r) => setTimeout(r, 400));
    expect(sim.deliveries({ outTradeNo: no })[0]).toMatchObject({ status: 200, timedOut: true, success: false, pending: false });
    expect(sim.deliveries({ outTradeNo: no })[1]).toMatchObject({ status: 204, success: true, round: 1 });
  });

  it('probe: the first delivery carries WECHATPAY/SIGNTEST/, a correctly signed redelivery follows the refusal', async () => {
    const { sim, merchant } = await setup();
    const no = await createOrder(sim, merchant.notifyUrl);
    sim.setFaults({ probe: true }, no);
    sim.pay(no);
    await sim.waitForEvent({ outTradeNo: no }, 'delivered');
    const [probe, real] = merchant.received;
    expect(probe?.headers['wechatpay-signature']).toMatch(/^WECHATPAY\/SIGNTEST\//);
    expect(probe?.verified).toEqual({ ok: false, reason: 'probe' });
    expect(real?.verified.ok).toBe(true);
    expect(real?.body).toBe(probe?.body);
    expect(sim.deliveries({ outTradeNo: no }).map((d) => [d.probe, d.status])).toEqual([
      [true, 401],
      [false, 204],
    ]);
  });

  it('lose: no delivery ever, but the order query says SUCCESS', async () => {
    const { sim, merchant } = await setup();
    const no = await createOrder(sim, merchant.notifyUrl);
    sim.setFaults({ lose: true }, no);
    sim.pay(no);
    await new Promise((r) => setTimeout(r, 300));
    expect(merchant.received).toHaveLength(0);
    expect(sim.deliveries({ outTradeNo: no })).toHaveLength(0);
    expect(sim.events({ outTradeNo: no })[0]?.state).toBe('lost');
    const q = await clientFor(sim).request('GET', `/v3/pay/transactions/out-trade-no/${no}?mchid=${DEFAULT_MERCHANT.mchid}`);
    expect(q.json).toMatchObject({ trade_state: 'SUCCESS' });
  });

  it('delay and repeats: the first delivery waits, and a delivered event is sent again on the schedule', async () => {
    const { sim, merchant } = await setup();
    const no = await createOrder(sim, merchant.notifyUrl);
    sim.setFaults({ delayMs: 250, repeats: 2 });
    const paidAt = Date.now();
    sim.pay(no);
    const got = await merchant.waitFor(3);
    expect((got[0]?.receivedAt ?? 0) - paidAt).toBeGreaterThanOrEqual(240);
    expect(new Set(got.map((r) => r.eventId)).size).toBe(1);
    const log = await sim.waitForDeliveries({ outTradeNo: no }, 3);
    expect(log.map((d) => [d.round, d.success])).toEqual([
      [0, true],
      [1, true],
      [2, true],
    ]);
  });

  it('beforeResponse: the notification reaches the merchant before the create-order answer', async () => {
    const { sim, merchant } = await setup();
    const no = uniqueNo();
    sim.setFaults({ beforeResponse: { openid: 'oEarlyBird00000000000000001', couponFen: 100 } }, no);
    await createOrder(sim, merchant.notifyUrl, 500, no);
    // By the time the create answer is here, the merchant has already been told about the payment.
    expect(merchant.received).toHaveLength(1);
    expect(merchant.received[0]?.resource).toMatchObject({
      out_trade_no: no,
      payer: { openid: 'oEarlyBird00000000000000001' },
      amount: { payer_total: 400 },
    });
  });

  it('mixed key mode: notifications signed by both the certificate and the public key', async () => {
    const { sim, merchant } = await setup({ keyMode: 'mixed', publicKeyShare: 0.5 });
    const no = await createOrder(sim, merchant.notifyUrl);
    sim.setFaults({ duplicates: 4 }, no);
    sim.pay(no);
    const got = await merchant.waitFor(4);
    const serials = got.map((r) => String(r.headers['wechatpay-serial']));
    expect(new Set(serials)).toEqual(new Set([DEFAULT_PLATFORM.certificateSerial, DEFAULT_PLATFORM.publicKeyId]));
    const keys = loadDefaultKeys();
    for (const r of got) {
      // Each verifies with the key its Wechatpay-Serial names, and only with that key set.
      const byCert = verifyNotificationSignature({
        headers: r.headers,
        body: r.body,
        keys: { [DEFAULT_PLATFORM.certificateSerial]: keys.platformCertificatePem },
      });
      const byPub = verifyNotificationSignature({
        headers: r.headers,
        body: r.body,
        keys: { [DEFAULT_PLATFORM.publicKeyId]: keys.platformPublicKeyPem },
      });
      expect(byCert.ok !== byPub.ok).toBe(true);
    }
  });

  it('rawBodyTrap: the signature only verifies over the raw bytes', async () => {
    const { sim, merchant } = await setup({ rawBodyTrap: true });
    const no = await createOrder(sim, merchant.notifyUrl);
    sim.pay(no);
    const [got] = await merchant.waitFor(1);
    const body = got?.body ?? '';
    expect(got?.verified.ok).toBe(true);
    expect(JSON.stringify(JSON.parse(body))).not.toBe(body);
    const naive = verifyNotificationSignature({
      headers: got?.headers ?? {},
      body: JSON.stringify(JSON.parse(body)),
      keys: sim.platformVerificationKeys(),
    });
    expect(naive).toEqual({ ok: false, reason: 'bad-signature' });
  });

  it('deliveries are visible and faults settable over the HTTP control API', async () => {
    const { sim, merchant } = await setup();
    const no = await createOrder(sim, merchant.notifyUrl);
    const post = (path: string, body: unknown): Promise<Response> =>
      fetch(`${sim.url}/__control/${path}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      });
    expect((await post('faults', { key: no, faults: { duplicates: 2 } })).status).toBe(200);
    const paid = (await (await post('pay', { outTradeNo: no, couponFen: 10 })).json()) as {
      transaction: { amount: { payer_total: number } };
    };
    expect(paid.transaction.amount.payer_total).toBe(990);
    await merchant.waitFor(2);
    const evt = await fetch(`${sim.url}/__control/wait-event?outTradeNo=${no}&state=delivered`);
    expect(evt.status).toBe(200);
    const log = (await (await fetch(`${sim.url}/__control/deliveries?outTradeNo=${no}`)).json()) as unknown[];
    expect(log).toHaveLength(2);
    expect((await post('pay', { outTradeNo: 'NOSUCHORDER' })).status).toBe(404);
    expect((await post('faults', { faults: { duplicates: -1 } })).status).toBe(400);
  });
});

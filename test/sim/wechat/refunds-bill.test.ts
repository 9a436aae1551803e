/**
 * Refunds (§4) with their REFUND.* notifications, and the trade bill used for reconciliation.
 */
import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import {
  BILL_COLUMNS,
  DEFAULT_MERCHANT,
  parseTradeBill,
  startWechatSimulator,
  type WechatSimulator,
  type WechatSimulatorOptions,
} from './index.js';
import { clientFor, startTestMerchant, uniqueNo, type TestMerchant } from './testkit.js';

let sim: WechatSimulator | undefined;
let merchant: TestMerchant | undefined;

afterEach(async () => {
  await merchant?.close();
  await sim?.close();
  merchant = undefined;
  sim = undefined;
});

async function setup(options: WechatSimulatorOptions = {}): Promise<{ sim: WechatSimulator; merchant: TestMerchant }> {
  sim = await startWechatSimulator({ port: 0, timeFactor: 0.001, refund: { delayMs: 30 }, ...options });
  merchant = await startTestMerchant(sim);
  return { sim, merchant };
}

async function paidOrder(
  s: WechatSimulator,
  notifyUrl: string,
  total: number,
  couponFen = 0,
): Promise<{ no: string; transactionId: string }> {
  const no = uniqueNo();
  const res = await clientFor(s).request('POST', '/v3/pay/transactions/native', {
    appid: DEFAULT_MERCHANT.appid,
    mchid: DEFAULT_MERCHANT.mchid,
    description: '门店消费',
    out_trade_no: no,
    notify_url: notifyUrl,
    amount: { total },
  });
  expect(res.status).toBe(200);
  const { transaction } = s.pay(no, { couponFen });
  return { no, transactionId: transaction.transaction_id ?? '' };
}

function refundBody(outTradeNo: string, outRefundNo: string, refund: number, total: number, notifyUrl?: string): Record<string, unknown> {
  return {
    out_trade_no: outTradeNo,
    out_refund_no: outRefundNo,
    reason: '顾客退货',
    ...(notifyUrl ? { notify_url: notifyUrl } : {}),
    amount: { refund, total, currency: 'CNY' },
  };
}

describe('refunds', () => {
  it('PROCESSING at once, SUCCESS later with a REFUND.SUCCESS notification; idempotent on out_refund_no', async () => {
    const { sim, merchant } = await setup();
    const client = clientFor(sim);
    const { no, transactionId } = await paidOrder(sim, merchant.notifyUrl, 1000);
    await merchant.waitFor(1);
    const rno = uniqueNo('RF');
    const created = await client.request(
      'POST',
      '/v3/refund/domestic/refunds',
      refundBody(no, rno, 400, 1000, `${merchant.url}/refund-notify`),
    );
    expect(created.status).toBe(200);
    expect(created.verified?.ok).toBe(true);
    expect(created.json).toMatchObject({
      out_refund_no: rno,
      out_trade_no: no,
      transaction_id: transactionId,
      refund_id: expect.stringMatching(/^\d{29}$/),
      status: 'PROCESSING',
      channel: 'ORIGINAL',
      amount: { total: 1000, refund: 400, payer_total: 1000, payer_refund: 400, currency: 'CNY' },
    });
    expect(created.json).not.toHaveProperty('success_time');
    const again = await client.request(
      'POST',
      '/v3/refund/domestic/refunds',
      refundBody(no, rno, 400, 1000, `${merchant.url}/refund-notify`),
    );
    expect((again.json as { refund_id: string }).refund_id).toBe((created.json as { refund_id: string }).refund_id);
    const conflicting = await client.request(
      'POST',
      '/v3/refund/domestic/refunds',
      refundBody(no, rno, 300, 1000, `${merchant.url}/refund-notify`),
    );
    expect(conflicting.status).toBe(400);

    const [, refundNote] = await merchant.waitFor(2);
    expect(refundNote?.eventType).toBe('REFUND.SUCCESS');
    expect(refundNote?.verified.ok).toBe(true);
    expect(JSON.parse(refundNote?.body ?? '{}')).toMatchObject({
      summary: '退款成功',
      resource: { original_type: 'refund', associated_data: 'refund' },
    });
    expect(refundNote?.resource).toMatchObject({
      mchid: DEFAULT_MERCHANT.mchid,
      out_trade_no: no,
      transaction_id: transactionId,
      out_refund_no: rno,
      refund_status: 'SUCCESS',
      success_time: expect.stringMatching(/\+08:00$/),
      amount: { total: 1000, refund: 400, payer_total: 1000, payer_refund: 400 },
    });
    const queried = await client.request('GET', `/v3/refund/domestic/refunds/${rno}`);
    expect(queried.json).toMatchObject({ status: 'SUCCESS', success_time: expect.any(String) });
    const order = await client.request('GET', `/v3/pay/transactions/out-trade-no/${no}?mchid=${DEFAULT_MERCHANT.mchid}`);
    expect(order.json).toMatchObject({ trade_state: 'REFUND' });
  });

  it('the sum of refunds may not exceed the total (403 NOT_ENOUGH); a CLOSED refund gives its amount back', async () => {
    const { sim, merchant } = await setup({ refund: { autoOutcome: 'none' } });
    const client = clientFor(sim);
    const { no } = await paidOrder(sim, merchant.notifyUrl, 1000);
    const first = uniqueNo('RF');
    expect((await client.request('POST', '/v3/refund/domestic/refunds', refundBody(no, first, 700, 1000))).status).toBe(200);
    const tooMuch = await client.request('POST', '/v3/refund/domestic/refunds', refundBody(no, uniqueNo('RF'), 301, 1000));
    expect(tooMuch.status).toBe(403);
    expect(tooMuch.json).toMatchObject({ code: 'NOT_ENOUGH' });
    expect(tooMuch.verified?.ok).toBe(true);
    sim.refundOutcome(first, 'CLOSED');
    expect((await client.request('POST', '/v3/refund/domestic/refunds', refundBody(no, uniqueNo('RF'), 1000, 1000))).status).toBe(200);
  });

  it('refundOutcome: ABNORMAL now, or CLOSED decided in advance; REFUND.* sent to the request notify_url', async () => {
    const { sim, merchant } = await setup({ refund: { autoOutcome: 'none', delayMs: 20 } });
    const client = clientFor(sim);
    const { no } = await paidOrder(sim, merchant.notifyUrl, 1000);
    await merchant.waitFor(1);
    const a = uniqueNo('RF');
    await client.request('POST', '/v3/refund/domestic/refunds', refundBody(no, a, 100, 1000, merchant.notifyUrl));
    expect(sim.refund(a)?.status).toBe('PROCESSING');
    sim.refundOutcome(a, 'ABNORMAL');
    const b = uniqueNo('RF');
    sim.refundOutcome(b, 'CLOSED');
    await client.request('POST', '/v3/refund/domestic/refunds', refundBody(no, b, 100, 1000, merchant.notifyUrl));
    const got = await merchant.waitFor(3);
    expect(got.slice(1).map((r) => [r.eventType, r.resource?.['out_refund_no'], r.resource?.['refund_status']])).toEqual([
      ['REFUND.ABNORMAL', a, 'ABNORMAL'],
      ['REFUND.CLOSED', b, 'CLOSED'],
    ]);
    expect(() => sim?.refundOutcome(a, 'SUCCESS')).toThrow(/already ended/);
  });

  it('refuses unknown and unpaid orders, and unknown refunds', async () => {
    const { sim } = await setup();
    const client = clientFor(sim);
    const unknown = await client.request('POST', '/v3/refund/domestic/refunds', refundBody('NOSUCHORDER1', uniqueNo('RF'), 1, 1));
    expect(unknown.status).toBe(404);
    expect(unknown.json).toMatchObject({ code: 'RESOURCE_NOT_EXISTS' });
    const no = uniqueNo();
    await client.request('POST', '/v3/pay/transactions/native', {
      appid: DEFAULT_MERCHANT.appid,
      mchid: DEFAULT_MERCHANT.mchid,
      description: 'x',
      out_trade_no: no,
      notify_url: 'https://jifen.example.com/n',
      amount: { total: 5 },
    });
    expect((await client.request('POST', '/v3/refund/domestic/refunds', refundBody(no, uniqueNo('RF'), 1, 5))).status).toBe(400);
    const missing = await client.request('GET', '/v3/refund/domestic/refunds/NOSUCHREFUND');
    expect(missing.status).toBe(404);
    expect(missing.json).toMatchObject({ code: 'RESOURCE_NOT_EXISTS' });
  });
});

describe('trade bill', () => {
  const CHINA = 8 * 3600e3;
  const today = (): string => new Date(Date.now() + CHINA).toISOString().slice(0, 10);
  const yesterday = (): string => new Date(Date.now() + CHINA - 86_400_000).toISOString().slice(0, 10);

  it("matches the day's paid orders, refunds and injected trades, in WeChat's format", async () => {
    const { sim, merchant } = await setup();
    const client = clientFor(sim);
    const a = await paidOrder(sim, merchant.notifyUrl, 1990);
    const b = await paidOrder(sim, merchant.notifyUrl, 1000, 200);
    const injected = sim.injectTrade({ totalFen: 500, description: '收银台离线单' });
    const rno = uniqueNo('RF');
    await client.request('POST', '/v3/refund/domestic/refunds', refundBody(a.no, rno, 990, 1990));
    await new Promise((r) => setTimeout(r, 100));
    expect(sim.refund(rno)?.status).toBe('SUCCESS');

    const res = await client.request('GET', `/v3/bill/tradebill?bill_date=${today()}&bill_type=ALL`);
    expect(res.status).toBe(200);
    expect(res.verified?.ok).toBe(true);
    const info = res.json as { hash_type: string; hash_value: string; download_url: string };
    expect(info.hash_type).toBe('SHA1');
    expect(info.download_url.startsWith(`${sim.url}/v3/billdownload/file?token=`)).toBe(true);
    const file = await client.download(info.download_url);
    expect(file.status).toBe(200);
    expect(createHash('sha1').update(file.body).digest('hex')).toBe(info.hash_value);

    const text = file.body.toString('utf8');
    const lines = text.split('\r\n');
    expect(lines[0]).toBe(BILL_COLUMNS.join(','));
    expect(lines[0]).toBe(
      '交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注',
    );
    for (const row of lines.slice(1, 5)) expect(row.split(',').every((f) => f.startsWith('`'))).toBe(true);
    expect(lines[5]).toBe('总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额');

    const bill = parseTradeBill(text);
    expect(bill.rows.map((r) => [r.商户订单号, r.交易状态])).toEqual([
      [a.no, 'SUCCESS'],
      [b.no, 'SUCCESS'],
      [injected.out_trade_no, 'SUCCESS'],
      [a.no, 'REFUND'],
    ]);
    expect(bill.rows[0]).toMatchObject({
      微信订单号: a.transactionId,
      商户号: DEFAULT_MERCHANT.mchid,
      公众账号ID: DEFAULT_MERCHANT.appid,
      交易类型: 'NATIVE',
      应结订单金额: '19.90',
      订单金额: '19.90',
      手续费: '0.12',
      费率: '0.60%',
    });
    expect(bill.rows[1]).toMatchObject({ 应结订单金额: '8.00', 代金券金额: '2.00', 订单金额: '10.00', 手续费: '0.05' });
    expect(bill.rows[2]).toMatchObject({ 商品名称: '收银台离线单', 应结订单金额: '5.00', 微信订单号: injected.transaction_id });
    expect(bill.rows[3]).toMatchObject({
      商户退款单号: rno,
      退款金额: '9.90',
      申请退款金额: '9.90',
      退款状态: 'SUCCESS',
      应结订单金额: '0.00',
      手续费: '-0.06',
    });
    expect(bill.summary).toEqual({
      总交易单数: '4',
      应结订单总金额: '32.90',
      退款总金额: '9.90',
      充值券退款总金额: '0.00',
      手续费总金额: '0.14',
      订单总金额: '34.90',
      申请退款总金额: '9.90',
    });

    const success = parseTradeBill(
      (
        await client.download(
          ((await client.request('GET', `/v3/bill/tradebill?bill_date=${today()}&bill_type=SUCCESS`)).json as typeof info).download_url,
        )
      ).body.toString('utf8'),
    );
    expect(success.rows).toHaveLength(3);
  });

  it('serves gzip on request, bills by China-time day, and reports days without trades', async () => {
    const { sim } = await setup();
    const client = clientFor(sim);
    const old = sim.injectTrade({ totalFen: 12345, successTime: `${yesterday()}T23:59:59+08:00` });
    const res = await client.request('GET', `/v3/bill/tradebill?bill_date=${yesterday()}&bill_type=ALL&tar_type=GZIP`);
    const info = res.json as { hash_value: string; download_url: string };
    const file = await client.download(info.download_url);
    expect(createHash('sha1').update(file.body).digest('hex')).toBe(info.hash_value);
    const bill = parseTradeBill(gunzipSync(file.body).toString('utf8'));
    expect(bill.rows.map((r) => [r.商户订单号, r.交易时间, r.订单金额])).toEqual([[old.out_trade_no, `${yesterday()} 23:59:59`, '123.45']]);

    const none = await client.request('GET', `/v3/bill/tradebill?bill_date=${today()}&bill_type=ALL`);
    expect(none.status).toBe(400);
    expect(none.json).toMatchObject({ code: 'NO_STATEMENT_EXIST' });
    const bad = await client.request('GET', '/v3/bill/tradebill?bill_date=20240101');
    expect(bad.json).toMatchObject({ code: 'PARAM_ERROR' });
    const unauth = await fetch(info.download_url);
    expect(unauth.status).toBe(401);
  });
});

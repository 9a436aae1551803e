import { X509Certificate, generateKeyPairSync, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WxApiError, WxProtocolError, WxSignatureError, WxTransportError, WxUnverifiedApiError } from './errors.js';
import { createNotificationVerifier } from './notify-verifier.js';
import { createWxPayClient, type JifenWxPayClient } from './pay-client.js';
import {
  chinaDate,
  simPayConfig,
  startReceiver,
  startTamperProxy,
  uniqueNo,
  type ClientKeyMode,
  type Receiver,
} from './testing/harness.js';
import {
  DEFAULT_PLATFORM,
  KEY_FILES,
  createSelfSignedCertificate,
  startWechatSimulator,
  type WechatSimulator,
} from './testing/simulator.js';

let sim: WechatSimulator;
let receiver: Receiver;
const clients: JifenWxPayClient[] = [];

async function clientFor(mode: ClientKeyMode, baseUrl?: string): Promise<JifenWxPayClient> {
  const cfg = simPayConfig(sim, mode);
  const client = await createWxPayClient(baseUrl ? { ...cfg, baseUrl } : cfg, { timeoutMs: 5000 });
  clients.push(client);
  return client;
}

const order = (no: string, totalFen = 1000) => ({
  outTradeNo: no,
  description: 'Jifen 测试商品',
  totalFen,
  notifyUrl: receiver.notifyUrl,
  attach: 'store=1',
});

beforeAll(async () => {
  sim = await startWechatSimulator({ port: 0, timeFactor: 0.001, refund: { autoOutcome: 'none' } });
  receiver = await startReceiver();
});

afterEach(() => {
  sim.configure({ keyMode: 'certificate' });
});

afterAll(async () => {
  for (const c of clients) c.stop();
  await receiver.close();
  await sim.close();
});

describe('orders against the simulator', () => {
  it('native: NOTPAY before the shopper pays, SUCCESS after, payer_total < total with a coupon; by transaction id too', async () => {
    const client = await clientFor('certificate');
    const no = uniqueNo('NAT');
    const { codeUrl } = await client.createNative(order(no, 1000));
    expect(codeUrl).toMatch(/^weixin:\/\/wxpay\/bizpayurl\?pr=/);

    const before = await client.queryByOutTradeNo(no);
    expect(before).toMatchObject({ out_trade_no: no, trade_state: 'NOTPAY', mchid: client.mchid, appid: client.appid });
    expect(before?.transaction_id).toBeUndefined();

    sim.pay(no, { couponFen: 300 });
    const after = await client.queryByOutTradeNo(no);
    expect(after).toMatchObject({
      trade_state: 'SUCCESS',
      trade_type: 'NATIVE',
      attach: 'store=1',
      amount: { total: 1000, payer_total: 700 },
    });
    expect(after?.transaction_id).toMatch(/^\d{28}$/);
    expect(after?.success_time).toMatch(/\+08:00$/);

    const byId = await client.queryByTransactionId(after?.transaction_id ?? '');
    expect(byId?.out_trade_no).toBe(no);
  });

  it('jsapi: prepay_id, pay params signed with the merchant key, paid by that openid', async () => {
    const client = await clientFor('certificate');
    const no = uniqueNo('JSA');
    const openid = sim.openidForCode('alice');
    const { prepayId } = await client.createJsapi({ ...order(no, 2500), openid });
    expect(prepayId).toMatch(/^wx/);

    const p = client.jsapiPayParams(prepayId);
    expect(p).toMatchObject({ package: `prepay_id=${prepayId}`, signType: 'RSA' });
    expect(p.timeStamp).toMatch(/^\d{10}$/);
    expect(p.nonceStr).toMatch(/^[0-9A-Za-z]{32}$/);
    const merchantPublic = new X509Certificate(readFileSync(KEY_FILES.merchantCertificate)).publicKey;
    const message = Buffer.from(`${client.appid}\n${p.timeStamp}\n${p.nonceStr}\n${p.package}\n`);
    expect(verify('RSA-SHA256', message, merchantPublic, Buffer.from(p.paySign, 'base64'))).toBe(true);

    sim.pay(no);
    expect(await client.queryByOutTradeNo(no)).toMatchObject({ trade_state: 'SUCCESS', trade_type: 'JSAPI', payer: { openid } });
  });

  it('unknown order → null (404 ORDER_NOT_EXIST); other refusals → WxApiError with status and code', async () => {
    const client = await clientFor('certificate');
    expect(await client.queryByOutTradeNo(uniqueNo('NONE'))).toBeNull();
    expect(await client.queryByTransactionId('4200000000000000000000000000')).toBeNull();
    const err = await client.close(uniqueNo('NONE')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WxApiError);
    expect(err).toMatchObject({ status: 404, code: 'ORDER_NOT_EXIST' });

    const no = uniqueNo('DUP');
    await client.createNative(order(no, 100));
    const conflict = await client.createNative(order(no, 200)).catch((e: unknown) => e);
    expect(conflict).toMatchObject({ status: 400, code: 'INVALID_REQUEST' });
  });

  it('close: an unpaid order becomes CLOSED (204 answer, signature over the empty body checked); a paid one cannot be closed', async () => {
    const client = await clientFor('certificate');
    const no = uniqueNo('CLO');
    await client.createNative(order(no));
    await client.close(no);
    expect((await client.queryByOutTradeNo(no))?.trade_state).toBe('CLOSED');

    const paid = uniqueNo('CLP');
    await client.createNative(order(paid));
    sim.pay(paid);
    await expect(client.close(paid)).rejects.toMatchObject({ status: 400, code: 'ORDERPAID' });
  });

  it('refund + queryRefund (PROCESSING → SUCCESS), unknown refund → null', async () => {
    const client = await clientFor('certificate');
    const no = uniqueNo('REF');
    await client.createNative(order(no, 1000));
    sim.pay(no, { couponFen: 100 });
    const outRefundNo = uniqueNo('RFD');
    const refund = await client.refund({
      outTradeNo: no,
      outRefundNo,
      refundFen: 400,
      totalFen: 1000,
      reason: '退货',
      notifyUrl: receiver.notifyUrl,
    });
    expect(refund).toMatchObject({
      out_refund_no: outRefundNo,
      out_trade_no: no,
      status: 'PROCESSING',
      amount: { total: 1000, refund: 400 },
    });
    expect(refund.refund_id).toBeTruthy();

    sim.refundOutcome(outRefundNo, 'SUCCESS');
    expect(await client.queryRefund(outRefundNo)).toMatchObject({ status: 'SUCCESS', amount: { refund: 400 } });
    expect(await client.queryRefund(uniqueNo('NORF'))).toBeNull();
    await expect(
      client.refund({ outTradeNo: no, outRefundNo: uniqueNo('RFX'), refundFen: 10_000, totalFen: 1000, notifyUrl: receiver.notifyUrl }),
    ).rejects.toMatchObject({ status: 403, code: 'NOT_ENOUGH' });
  });

  it("tradeBill: today's rows match what was paid and refunded (fen, coupon, ids); a day without trades → []", async () => {
    const client = await clientFor('certificate');
    const a = uniqueNo('BLA');
    const b = uniqueNo('BLB');
    await client.createNative(order(a, 1234));
    await client.createNative(order(b, 500));
    const paidA = sim.pay(a, { couponFen: 34 }).transaction;
    const paidB = sim.pay(b).transaction;
    const rf = uniqueNo('BLR');
    await client.refund({ outTradeNo: b, outRefundNo: rf, refundFen: 200, totalFen: 500, notifyUrl: receiver.notifyUrl });
    sim.refundOutcome(rf, 'SUCCESS');

    const rows = await client.tradeBill(chinaDate(sim.now()));
    const rowA = rows.find((r) => r.outTradeNo === a);
    expect(rowA).toMatchObject({
      tradeState: 'SUCCESS',
      tradeType: 'NATIVE',
      totalFen: 1234,
      couponFen: 34,
      refundFen: 0,
      refundId: '',
      outRefundNo: '',
    });
    expect(rowA?.transactionId).toBe(paidA.transaction_id);
    expect(rowA?.openid).toBe(paidA['payer'] && (paidA['payer'] as { openid: string }).openid);
    expect(rowA?.tradeTime).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
    const rowsB = rows.filter((r) => r.outTradeNo === b);
    expect(rowsB.map((r) => r.tradeState).sort()).toEqual(['REFUND', 'SUCCESS']);
    expect(rowsB.find((r) => r.tradeState === 'REFUND')).toMatchObject({
      outRefundNo: rf,
      refundFen: 200,
      refundState: 'SUCCESS',
      transactionId: paidB.transaction_id,
    });

    expect(await client.tradeBill(chinaDate(sim.now() - 30 * 86_400_000))).toEqual([]);
    await expect(client.tradeBill('2026/01/01')).rejects.toThrow(RangeError);
  });

  it('tradeBill: a file whose bytes do not match the signed SHA1 is refused', async () => {
    const proxy = await startTamperProxy(sim.url, (a, path) =>
      path.startsWith('/v3/billdownload/file') ? { ...a, body: Buffer.from(a.body.toString('utf8').replace(/`12\.34/g, '`99.99')) } : a,
    );
    try {
      const client = await clientFor('certificate', proxy.url);
      const no = uniqueNo('BLT');
      await client.createNative(order(no, 1234));
      sim.pay(no);
      await expect(client.tradeBill(chinaDate(sim.now()))).rejects.toThrow(WxProtocolError);
    } finally {
      await proxy.close();
    }
  });
});

describe('every answer is verified', () => {
  it('probe signatures on answers (WECHATPAY/SIGNTEST/) are rejected as probes', async () => {
    const client = await clientFor('certificate');
    const no = uniqueNo('PRB');
    sim.probeResponses(1);
    const err = await client.createNative(order(no)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WxSignatureError);
    expect(err).toMatchObject({ reason: 'probe' });
    // A retry with identical parameters is re-entrant at WeChat and now verifies.
    await expect(client.createNative(order(no))).resolves.toMatchObject({ codeUrl: expect.stringMatching(/^weixin:/) });
  });

  const tampers: [string, (a: { status: number; headers: Record<string, string>; body: Buffer }) => typeof a, string][] = [
    ['a changed body', (a) => ({ ...a, body: Buffer.from(a.body.toString().replace('NOTPAY', 'SUCCESS')) }), 'bad_signature'],
    ['one extra space', (a) => ({ ...a, body: Buffer.concat([a.body, Buffer.from(' ')]) }), 'bad_signature'],
    [
      'an unknown serial',
      (a) => ({ ...a, headers: { ...a.headers, 'wechatpay-serial': 'FFFF0000FFFF0000FFFF0000FFFF0000FFFF0000' } }),
      'unknown_serial',
    ],
    [
      'a timestamp 301 s old',
      (a) => ({ ...a, headers: { ...a.headers, 'wechatpay-timestamp': String(Number(a.headers['wechatpay-timestamp']) - 301) } }),
      'stale_timestamp',
    ],
    [
      'no signature headers',
      (a) => {
        const { 'wechatpay-signature': _s, 'wechatpay-serial': _n, ...headers } = a.headers;
        return { ...a, headers };
      },
      'missing_headers',
    ],
  ];

  it.each(tampers)('a man in the middle sending %s is rejected', async (_what, tamper, reason) => {
    const client = await clientFor('certificate');
    const no = uniqueNo('MIT');
    await client.createNative(order(no));
    const proxy = await startTamperProxy(sim.url, (a, path) => (path.includes(no) ? tamper(a) : a));
    try {
      const viaProxy = await clientFor('certificate', proxy.url);
      const err = await viaProxy.queryByOutTradeNo(no).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(WxSignatureError);
      expect(err).toMatchObject({ reason });
    } finally {
      await proxy.close();
    }
  });

  it('a forged error answer with a bad signature is not taken as "order does not exist"', async () => {
    const client = await clientFor('certificate');
    const no = uniqueNo('F04');
    await client.createNative(order(no));
    const proxy = await startTamperProxy(sim.url, (a, path) =>
      path.includes(no) ? { ...a, status: 404, body: Buffer.from('{"code":"ORDER_NOT_EXIST","message":"订单不存在"}') } : a,
    );
    try {
      const viaProxy = await clientFor('certificate', proxy.url);
      await expect(viaProxy.queryByOutTradeNo(no)).rejects.toBeInstanceOf(WxSignatureError);
    } finally {
      await proxy.close();
    }
  });

  it('an UNSIGNED "order does not exist" is an error, not null (only a signed 404 is believed)', async () => {
    const client = await clientFor('certificate');
    const no = uniqueNo('U04');
    await client.createNative(order(no));
    const proxy = await startTamperProxy(sim.url, (a, path) =>
      path.includes(no)
        ? {
            status: 404,
            headers: { 'content-type': 'application/json' },
            body: Buffer.from('{"code":"ORDER_NOT_EXIST","message":"订单不存在"}'),
          }
        : a,
    );
    try {
      const viaProxy = await clientFor('certificate', proxy.url);
      const err = await viaProxy.queryByOutTradeNo(no).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(WxUnverifiedApiError);
      expect(err).toMatchObject({ status: 404, code: 'ORDER_NOT_EXIST' });
    } finally {
      await proxy.close();
    }
  });
});

describe('timeouts', () => {
  it('a WeChat that never answers → WxTransportError after the timeout (v3), UNKNOWN for micropay', async () => {
    const sockets = new Set<Socket>();
    const silent = createServer(() => undefined);
    silent.on('connection', (s) => sockets.add(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    try {
      const cfg = { ...simPayConfig(sim, 'both'), baseUrl: `http://127.0.0.1:${(silent.address() as AddressInfo).port}` };
      const stuck = await createWxPayClient(cfg, { timeoutMs: 200, micropayTimeoutMs: 300, certificateDownload: 'off' });
      const started = Date.now();
      await expect(stuck.queryByOutTradeNo('JF-TIMEOUT-1')).rejects.toBeInstanceOf(WxTransportError);
      expect(Date.now() - started).toBeLessThan(3000);
      expect(
        await stuck.micropay({
          outTradeNo: 'JF-TIMEOUT-2',
          authCode: '134567890123456789',
          totalFen: 1,
          description: 'x',
          clientIp: '127.0.0.1',
        }),
      ).toMatchObject({
        state: 'UNKNOWN',
      });
    } finally {
      for (const s of sockets) s.destroy();
      silent.close();
    }
  });
});

describe('platform key modes', () => {
  it('certificate mode: certificates come from /v3/certificates (decrypted, the answer itself verified)', async () => {
    const client = await clientFor('certificate');
    expect(client.platformKeys.serials()).toEqual([DEFAULT_PLATFORM.certificateSerial]);
    expect(await client.queryByOutTradeNo(uniqueNo('CM'))).toBeNull();
  });

  it('a tampered /v3/certificates answer stops the start (no key could be trusted)', async () => {
    const proxy = await startTamperProxy(sim.url, (a) => ({
      ...a,
      body: Buffer.from(a.body.toString().replace(/"ciphertext":"(.)/, (_m, c: string) => `"ciphertext":"${c === 'A' ? 'B' : 'A'}`)),
    }));
    try {
      await expect(createWxPayClient({ ...simPayConfig(sim, 'certificate'), baseUrl: proxy.url })).rejects.toThrow(
        /decrypt|signature|trusted/,
      );
    } finally {
      await proxy.close();
    }
  });

  it('public-key mode: answers signed with PUB_KEY_ID verify; a certificate-signed answer is refused (serial unknown)', async () => {
    sim.configure({ keyMode: 'publicKey' });
    const client = await clientFor('publicKey');
    expect(client.platformKeys.serials()).toEqual([DEFAULT_PLATFORM.publicKeyId]);
    const no = uniqueNo('PK');
    await client.createNative(order(no));
    expect((await client.queryByOutTradeNo(no))?.trade_state).toBe('NOTPAY');

    sim.configure({ keyMode: 'certificate' });
    await expect(client.queryByOutTradeNo(no)).rejects.toMatchObject({ reason: 'unknown_serial' });
  });

  it('both configured (migration, mixed signing): answers and notifications verify whichever key signed them', async () => {
    sim.configure({ keyMode: 'mixed', publicKeyShare: 0.5 });
    const client = await clientFor('both');
    expect(client.platformKeys.serials().sort()).toEqual([DEFAULT_PLATFORM.certificateSerial, DEFAULT_PLATFORM.publicKeyId].sort());
    const verifier = createNotificationVerifier({ apiV3Key: simPayConfig(sim, 'both').apiV3Key, platformKeys: client.platformKeys });
    const got = [];
    for (const no of [uniqueNo('MX1'), uniqueNo('MX2'), uniqueNo('MX3'), uniqueNo('MX4')]) {
      await client.createNative(order(no));
      got.push(await receiver.delivery(sim.pay(no).eventId));
    }
    const serials = new Set(got.map((c) => c.headers['wechatpay-serial']));
    expect(serials).toEqual(new Set([DEFAULT_PLATFORM.certificateSerial, DEFAULT_PLATFORM.publicKeyId]));
    for (const c of got) expect(verifier.verify(c.headers, c.raw)).toMatchObject({ ok: true, eventType: 'TRANSACTION.SUCCESS' });
  });

  it('rotation: a new platform certificate is trusted by the client and the verifier after refreshCertificates()', async () => {
    const client = await clientFor('certificate');
    const verifier = createNotificationVerifier({ apiV3Key: simPayConfig(sim, 'certificate').apiV3Key, platformKeys: client.platformKeys });
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const privateKeyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const newSerial = sim.addPlatformCertificate({ privateKeyPem, certificatePem: createSelfSignedCertificate({ privateKey }) }, true);
    try {
      const no = uniqueNo('ROT');
      await expect(client.createNative(order(no))).rejects.toMatchObject({ reason: 'unknown_serial' });

      const serials = await client.refreshCertificates();
      expect(serials).toEqual(expect.arrayContaining([DEFAULT_PLATFORM.certificateSerial, newSerial]));
      await expect(client.createNative(order(no))).resolves.toBeDefined();

      const delivery = await receiver.delivery(sim.pay(no).eventId);
      expect(delivery.headers['wechatpay-serial']).toBe(newSerial);
      expect(verifier.verify(delivery.headers, delivery.raw)).toMatchObject({ ok: true });
    } finally {
      sim.reset();
    }
  });
});

/**
 * WeChat Pay v3 API: request authentication (§1), response signing in both key modes (§2), orders (§5) and
 * platform certificates with rotation.
 */
import { generateKeyPairSync } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  AUTHORIZATION_ORDERS,
  DEFAULT_MERCHANT,
  DEFAULT_PLATFORM,
  aesGcmDecrypt,
  buildAuthorization,
  certificateSerial,
  createSelfSignedCertificate,
  loadDefaultKeys,
  startWechatSimulator,
  type WechatSimulator,
} from './index.js';
import { MERCHANT_PRIVATE_KEY, clientFor, rawRequest, uniqueNo } from './testkit.js';

const NOTIFY = 'https://jifen.example.com/wechat/notify';

function nativeBody(outTradeNo: string, total = 1990): Record<string, unknown> {
  return {
    appid: DEFAULT_MERCHANT.appid,
    mchid: DEFAULT_MERCHANT.mchid,
    description: '积分商城-会员卡充值',
    out_trade_no: outTradeNo,
    notify_url: NOTIFY,
    amount: { total, currency: 'CNY' },
  };
}

describe('request authentication (§1)', () => {
  let sim: WechatSimulator;
  beforeAll(async () => {
    sim = await startWechatSimulator({ port: 0 });
  });
  afterAll(() => sim.close());

  it('accepts a correctly signed request whatever the order of the Authorization pairs', async () => {
    for (const order of [AUTHORIZATION_ORDERS.doc, AUTHORIZATION_ORDERS.goJava, AUTHORIZATION_ORDERS.phpAxios]) {
      const res = await clientFor(sim, { authorizationOrder: order }).request(
        'POST',
        '/v3/pay/transactions/native',
        nativeBody(uniqueNo()),
      );
      expect(res.status).toBe(200);
      expect(res.json).toMatchObject({ code_url: expect.stringMatching(/^weixin:\/\/wxpay\/bizpayurl\?pr=\w{9}$/) });
      expect(res.verified).toEqual({ ok: true, serial: DEFAULT_PLATFORM.certificateSerial });
    }
  });

  it('refuses a tampered body, a stale timestamp, an unknown mchid, a mismatched body mchid and an unknown serial with 401 SIGN_ERROR', async () => {
    const client = clientFor(sim);
    const body = nativeBody(uniqueNo());
    const tampered = await client.request('POST', '/v3/pay/transactions/native', body, {
      sendBody: JSON.stringify({ ...body, amount: { total: 1, currency: 'CNY' } }),
    });
    const stale = await client.request('POST', '/v3/pay/transactions/native', body, { timestamp: Math.floor(Date.now() / 1000) - 301 });
    const future = await client.request('POST', '/v3/pay/transactions/native', body, { timestamp: Math.floor(Date.now() / 1000) + 301 });
    const millis = await client.request('POST', '/v3/pay/transactions/native', body, { timestamp: Date.now() });
    const unknownMchid = await client.request(
      'POST',
      '/v3/pay/transactions/native',
      { ...body, mchid: '1900009999' },
      { mchid: '1900009999' },
    );
    const mismatch = await client.request('POST', '/v3/pay/transactions/native', { ...body, mchid: '1900009999' });
    const unknownSerial = await client.request('POST', '/v3/pay/transactions/native', body, {
      serialNo: '408B07E79B8269FEC3D5D3E6AB8ED163A6A380DB',
    });
    const wrongKey = await clientFor(sim, { privateKey: loadDefaultKeys().platformPrivateKeyPem }).request(
      'GET',
      `/v3/pay/transactions/out-trade-no/X123456?mchid=${DEFAULT_MERCHANT.mchid}`,
    );
    for (const res of [tampered, stale, future, millis, unknownMchid, mismatch, unknownSerial, wrongKey]) {
      expect(res.status).toBe(401);
      expect(res.json).toMatchObject({ code: 'SIGN_ERROR', message: expect.any(String) });
      // Even the refusals are signed, so a correct client can trust them.
      expect(res.verified?.ok).toBe(true);
      expect(res.headers.get('request-id')).toMatch(/-268443699$/);
    }
  });

  it('signs over the raw path + query exactly as sent', async () => {
    const client = clientFor(sim);
    const no = uniqueNo();
    await client.request('POST', '/v3/pay/transactions/native', nativeBody(no));
    const ok = await client.request('GET', `/v3/pay/transactions/out-trade-no/${no}?mchid=${DEFAULT_MERCHANT.mchid}`);
    expect(ok.status).toBe(200);
    // Signed without the query string, sent with it → refused.
    const auth = buildAuthorization({
      mchid: DEFAULT_MERCHANT.mchid,
      serialNo: DEFAULT_MERCHANT.serialNo,
      privateKey: MERCHANT_PRIVATE_KEY,
      method: 'GET',
      url: `/v3/pay/transactions/out-trade-no/${no}`,
    });
    const bad = await client.request('GET', `/v3/pay/transactions/out-trade-no/${no}?mchid=${DEFAULT_MERCHANT.mchid}`, undefined, {
      authorization: auth,
    });
    expect(bad.status).toBe(401);
  });

  it('answers 400 INVALID_REQUEST when Accept or User-Agent is missing', async () => {
    const body = JSON.stringify(nativeBody(uniqueNo()));
    const authorization = buildAuthorization({
      mchid: DEFAULT_MERCHANT.mchid,
      serialNo: DEFAULT_MERCHANT.serialNo,
      privateKey: MERCHANT_PRIVATE_KEY,
      method: 'POST',
      url: '/v3/pay/transactions/native',
      body,
    });
    const full: Record<string, string> = {
      Authorization: authorization,
      Accept: 'application/json',
      'User-Agent': 'jifen-test',
      'Content-Type': 'application/json',
    };
    for (const drop of ['Accept', 'User-Agent']) {
      const headers = Object.fromEntries(Object.entries(full).filter(([k]) => k !== drop));
      const res = await rawRequest(`${sim.url}/v3/pay/transactions/native`, { method: 'POST', headers, body });
      expect(res.status).toBe(400);
      expect(JSON.parse(res.text)).toEqual({ code: 'INVALID_REQUEST', message: 'Http头缺少Accept或User-Agent' });
    }
    expect((await rawRequest(`${sim.url}/v3/pay/transactions/native`, { method: 'POST', headers: full, body })).status).toBe(200);
  });

  it('can put a WECHATPAY/SIGNTEST/ probe on a response, which a correct client rejects', async () => {
    sim.probeResponses(1);
    const client = clientFor(sim);
    const probed = await client.request('POST', '/v3/pay/transactions/native', nativeBody(uniqueNo()));
    expect(probed.status).toBe(200);
    expect(probed.headers.get('wechatpay-signature')).toMatch(/^WECHATPAY\/SIGNTEST\//);
    expect(probed.verified).toEqual({ ok: false, reason: 'probe' });
    const next = await client.request('POST', '/v3/pay/transactions/native', nativeBody(uniqueNo()));
    expect(next.verified?.ok).toBe(true);
  });
});

describe('response signatures per key mode (§2)', () => {
  const keys = loadDefaultKeys();
  const certOnly = { [DEFAULT_PLATFORM.certificateSerial]: keys.platformCertificatePem };
  const pubOnly = { [DEFAULT_PLATFORM.publicKeyId]: keys.platformPublicKeyPem };
  let sim: WechatSimulator | undefined;
  afterEach(async () => {
    await sim?.close();
    sim = undefined;
  });

  it('certificate mode: verifiable with the platform certificate, serial = cert serial', async () => {
    sim = await startWechatSimulator({ port: 0, keyMode: 'certificate' });
    const res = await clientFor(sim, { platformKeys: certOnly, wechatpaySerial: DEFAULT_PLATFORM.publicKeyId }).request(
      'POST',
      '/v3/pay/transactions/native',
      nativeBody(uniqueNo()),
    );
    expect(res.headers.get('wechatpay-serial')).toBe(DEFAULT_PLATFORM.certificateSerial);
    expect(res.verified).toEqual({ ok: true, serial: DEFAULT_PLATFORM.certificateSerial });
  });

  it('public-key mode: verifiable with the WeChat Pay public key, serial = PUB_KEY_ID', async () => {
    sim = await startWechatSimulator({ port: 0, keyMode: 'publicKey' });
    const res = await clientFor(sim, { platformKeys: pubOnly }).request('POST', '/v3/pay/transactions/native', nativeBody(uniqueNo()));
    expect(res.headers.get('wechatpay-serial')).toBe(DEFAULT_PLATFORM.publicKeyId);
    expect(res.verified).toEqual({ ok: true, serial: DEFAULT_PLATFORM.publicKeyId });
    // Verified against the certificate-only key set, the unknown serial is refused.
    const strict = await clientFor(sim, { platformKeys: certOnly }).request('POST', '/v3/pay/transactions/native', nativeBody(uniqueNo()));
    expect(strict.verified).toEqual({ ok: false, reason: 'unknown-serial' });
  });

  it('mixed mode: the public key signs only when the request names a PUB_KEY_ID', async () => {
    sim = await startWechatSimulator({ port: 0, keyMode: 'mixed' });
    const viaPub = await clientFor(sim, { platformKeys: pubOnly, wechatpaySerial: DEFAULT_PLATFORM.publicKeyId }).request(
      'POST',
      '/v3/pay/transactions/native',
      nativeBody(uniqueNo()),
    );
    expect(viaPub.verified).toEqual({ ok: true, serial: DEFAULT_PLATFORM.publicKeyId });
    const viaCert = await clientFor(sim, { platformKeys: certOnly }).request('POST', '/v3/pay/transactions/native', nativeBody(uniqueNo()));
    expect(viaCert.verified).toEqual({ ok: true, serial: DEFAULT_PLATFORM.certificateSerial });
  });
});

describe('orders (§5)', () => {
  let sim: WechatSimulator;
  beforeAll(async () => {
    sim = await startWechatSimulator({ port: 0 });
  });
  afterAll(() => sim.close());
  const q = (no: string): string => `/v3/pay/transactions/out-trade-no/${no}?mchid=${DEFAULT_MERCHANT.mchid}`;

  it('native: create, query NOTPAY, pay, query SUCCESS by out_trade_no and by transaction_id', async () => {
    const client = clientFor(sim);
    const no = uniqueNo();
    const created = await client.request('POST', '/v3/pay/transactions/native', { ...nativeBody(no, 2000), attach: '门店A' });
    expect(created.status).toBe(200);

    const notpay = await client.request('GET', q(no));
    expect(notpay.status).toBe(200);
    expect(notpay.verified?.ok).toBe(true);
    expect(notpay.json).toMatchObject({ trade_state: 'NOTPAY', trade_state_desc: '订单未支付', out_trade_no: no, amount: { total: 2000 } });
    expect(notpay.json).not.toHaveProperty('transaction_id');
    expect(notpay.json).not.toHaveProperty('payer');

    const { transaction } = sim.pay(no, { openid: 'oJifenShopper000000000000001' });
    const tid = transaction.transaction_id ?? '';
    expect(tid).toMatch(/^\d{28}$/);
    const chinaDate = new Date(Date.now() + 8 * 3600e3).toISOString().slice(0, 10).replaceAll('-', '');
    expect(tid.slice(10, 18)).toBe(chinaDate);

    const paid = await client.request('GET', q(no));
    expect(paid.json).toMatchObject({
      trade_state: 'SUCCESS',
      trade_state_desc: '支付成功',
      trade_type: 'NATIVE',
      transaction_id: tid,
      attach: '门店A',
      payer: { openid: 'oJifenShopper000000000000001' },
      amount: { total: 2000, payer_total: 2000, currency: 'CNY', payer_currency: 'CNY' },
      success_time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00$/),
    });
    // Query answers list keys alphabetically.
    expect(Object.keys(paid.json as object)).toEqual([...Object.keys(paid.json as object)].sort());
    const byId = await client.request('GET', `/v3/pay/transactions/id/${tid}?mchid=${DEFAULT_MERCHANT.mchid}`);
    expect(byId.json).toEqual(paid.json);
  });

  it('re-entry: identical params → same answer; different params → 400 INVALID_REQUEST; once paid → 400 ORDERPAID', async () => {
    const client = clientFor(sim);
    const no = uniqueNo();
    const first = await client.request('POST', '/v3/pay/transactions/native', nativeBody(no));
    const again = await client.request('POST', '/v3/pay/transactions/native', nativeBody(no));
    expect(again.json).toEqual(first.json);
    const different = await client.request('POST', '/v3/pay/transactions/native', nativeBody(no, 1));
    expect(different.status).toBe(400);
    expect(different.json).toEqual({ code: 'INVALID_REQUEST', message: '请求重入时，参数与首次请求时不一致' });
    expect(different.verified?.ok).toBe(true);
    sim.pay(no);
    const paid = await client.request('POST', '/v3/pay/transactions/native', nativeBody(no));
    expect(paid.status).toBe(400);
    expect(paid.json).toMatchObject({ code: 'ORDERPAID' });
  });

  it('jsapi: payer.openid is required; returns a prepay_id; pay() uses the order payer', async () => {
    const client = clientFor(sim);
    const no = uniqueNo();
    const missing = await client.request('POST', '/v3/pay/transactions/jsapi', nativeBody(no));
    expect(missing.status).toBe(400);
    expect(missing.json).toMatchObject({ code: 'PARAM_ERROR' });
    const ok = await client.request('POST', '/v3/pay/transactions/jsapi', {
      ...nativeBody(no),
      payer: { openid: 'oMember00000000000000000001' },
    });
    expect(ok.json).toMatchObject({ prepay_id: expect.stringMatching(/^wx\d{14}[0-9a-f]{22}$/) });
    expect(sim.pay(no).transaction).toMatchObject({ trade_type: 'JSAPI', payer: { openid: 'oMember00000000000000000001' } });
  });

  it('validates fields', async () => {
    const client = clientFor(sim);
    const cases: Record<string, unknown>[] = [
      { ...nativeBody(uniqueNo()), amount: { total: 0 } },
      { ...nativeBody(uniqueNo()), amount: { total: 1.5 } },
      { ...nativeBody('bad no!') },
      { ...nativeBody('12345') },
      { ...nativeBody(uniqueNo()), description: 'x'.repeat(128) },
      { ...nativeBody(uniqueNo()), notify_url: 'http://jifen.example.com/notify' },
      { ...nativeBody(uniqueNo()), notify_url: 'https://jifen.example.com/notify?order=1' },
    ];
    for (const body of cases) {
      const res = await client.request('POST', '/v3/pay/transactions/native', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.json).toMatchObject({ code: 'PARAM_ERROR', detail: { location: 'body' } });
    }
    const loopback = await client.request('POST', '/v3/pay/transactions/native', {
      ...nativeBody(uniqueNo()),
      notify_url: 'http://127.0.0.1:8080/notify',
    });
    expect(loopback.status).toBe(200);
    const appid = await client.request('POST', '/v3/pay/transactions/native', { ...nativeBody(uniqueNo()), appid: 'wx0000000000000bad' });
    expect(appid.json).toMatchObject({ code: 'APPID_MCHID_NOT_MATCH' });
  });

  it('close: 204 signed with an empty body; re-entrant; a paid order → 400 ORDERPAID; unknown → 404 ORDER_NOT_EXIST', async () => {
    const client = clientFor(sim);
    const no = uniqueNo();
    await client.request('POST', '/v3/pay/transactions/native', nativeBody(no));
    const closed = await client.request('POST', `/v3/pay/transactions/out-trade-no/${no}/close`, { mchid: DEFAULT_MERCHANT.mchid });
    expect(closed.status).toBe(204);
    expect(closed.text).toBe('');
    expect(closed.verified?.ok).toBe(true);
    expect((await client.request('POST', `/v3/pay/transactions/out-trade-no/${no}/close`, { mchid: DEFAULT_MERCHANT.mchid })).status).toBe(
      204,
    );
    expect((await client.request('GET', q(no))).json).toMatchObject({ trade_state: 'CLOSED' });
    expect(() => sim.pay(no)).toThrow(/CLOSED/);

    const paidNo = uniqueNo();
    await client.request('POST', '/v3/pay/transactions/native', nativeBody(paidNo));
    sim.pay(paidNo);
    const refused = await client.request('POST', `/v3/pay/transactions/out-trade-no/${paidNo}/close`, { mchid: DEFAULT_MERCHANT.mchid });
    expect(refused.status).toBe(400);
    expect(refused.json).toMatchObject({ code: 'ORDERPAID' });

    const missing = await client.request('GET', q('NOSUCHORDER1'));
    expect(missing.status).toBe(404);
    expect(missing.json).toMatchObject({ code: 'ORDER_NOT_EXIST' });
    expect(missing.verified?.ok).toBe(true);
  });
});

describe('platform certificates (GET /v3/certificates) and rotation', () => {
  let sim: WechatSimulator;
  beforeAll(async () => {
    sim = await startWechatSimulator({ port: 0 });
  });
  afterAll(() => sim.close());

  interface CertList {
    data: {
      serial_no: string;
      effective_time: string;
      expire_time: string;
      encrypt_certificate: { algorithm: string; nonce: string; associated_data: string; ciphertext: string };
    }[];
  }

  async function download(): Promise<{ serial: string; pem: string; header: string | null }[]> {
    const res = await clientFor(sim).request('GET', '/v3/certificates');
    expect(res.status).toBe(200);
    expect(res.verified?.ok).toBe(true);
    return (res.json as CertList).data.map((d) => {
      expect(d.encrypt_certificate).toMatchObject({ algorithm: 'AEAD_AES_256_GCM', associated_data: 'certificate' });
      expect(d.encrypt_certificate.nonce).toHaveLength(12);
      const pem = aesGcmDecrypt(d.encrypt_certificate.ciphertext, DEFAULT_MERCHANT.apiV3Key, d.encrypt_certificate.nonce, 'certificate');
      expect(certificateSerial(pem)).toBe(d.serial_no);
      return { serial: d.serial_no, pem, header: res.headers.get('wechatpay-serial') };
    });
  }

  it('returns the platform certificate encrypted with the APIv3 key', async () => {
    const certs = await download();
    expect(certs.map((c) => c.serial)).toEqual([DEFAULT_PLATFORM.certificateSerial]);
  });

  it('serves several serials after a rotation, and signs with the new one', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const privateKeyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const certificatePem = createSelfSignedCertificate({ privateKey: privateKeyPem });
    const serial = sim.addPlatformCertificate({ privateKeyPem, certificatePem });
    const certs = await download();
    expect(certs.map((c) => c.serial).sort()).toEqual([DEFAULT_PLATFORM.certificateSerial, serial].sort());
    expect(certs[0]?.header).toBe(serial);
    sim.activatePlatformKey(DEFAULT_PLATFORM.certificateSerial);
    expect((await download())[0]?.header).toBe(DEFAULT_PLATFORM.certificateSerial);
    sim.reset();
    expect((await download()).map((c) => c.serial)).toEqual([DEFAULT_PLATFORM.certificateSerial]);
  });

  it('lists no certificates in public-key mode', async () => {
    sim.configure({ keyMode: 'publicKey' });
    const res = await clientFor(sim).request('GET', '/v3/certificates');
    expect(res.json).toEqual({ data: [] });
    expect(res.verified).toEqual({ ok: true, serial: DEFAULT_PLATFORM.publicKeyId });
    sim.reset();
  });
});

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WxApiError } from './errors.js';
import { createWxPayClient, type JifenWxPayClient } from './pay-client.js';
import { V2Client, v2TimeToRfc3339 } from './pay-v2.js';
import { simPayConfig, startTamperProxy, uniqueNo } from './testing/harness.js';
import { startWechatSimulator, type WechatSimulator } from './testing/simulator.js';
import { v2SignMd5, xmlBuild } from './wx-crypto.js';

let sim: WechatSimulator;
let client: JifenWxPayClient;

let codeSeq = 0;
/** A fresh 18-digit payment code (prefix 10–15). */
function authCode(): string {
  codeSeq += 1;
  return `13${String(Date.now()).slice(-10)}${String(codeSeq).padStart(6, '0')}`;
}

const req = (outTradeNo: string, code: string, totalFen = 888) => ({
  outTradeNo,
  authCode: code,
  totalFen,
  description: '积分商城-付款码',
  clientIp: '10.0.0.8',
});

beforeAll(async () => {
  sim = await startWechatSimulator({ port: 0, micropay: { userPayingMs: 60_000 } });
  client = await createWxPayClient(simPayConfig(sim, 'certificate'));
});

afterAll(async () => {
  client.stop();
  await sim.close();
});

describe('payment code (APIv2 micropay)', () => {
  it('SUCCESS: the transaction in v3 shape (amounts in fen, success_time +08:00)', async () => {
    const no = uniqueNo('MP');
    const code = authCode();
    const openid = sim.openidForCode('carol');
    sim.micropayScenario(code, 'SUCCESS', openid);
    const out = await client.micropay(req(no, code, 888));
    expect(out.state).toBe('SUCCESS');
    if (out.state !== 'SUCCESS') return;
    expect(out.transaction).toMatchObject({
      out_trade_no: no,
      mchid: client.mchid,
      appid: client.appid,
      trade_state: 'SUCCESS',
      trade_type: 'MICROPAY',
      payer: { openid },
      amount: { total: 888, payer_total: 888, currency: 'CNY' },
    });
    expect(out.transaction.transaction_id).toMatch(/^\d{28}$/);
    expect(out.transaction.success_time).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+08:00$/);
    // Retrying the same request: WeChat says ORDERPAID, which means "paid", not "failed".
    const again = await client.micropay(req(no, code, 888));
    expect(again).toMatchObject({ state: 'SUCCESS', transaction: { out_trade_no: no, trade_state: 'SUCCESS' } });
  });

  it('USERPAYING, then orderQueryV2: USERPAYING while the shopper types, SUCCESS after', async () => {
    const no = uniqueNo('MPU');
    const code = authCode();
    sim.micropayScenario(code, 'USERPAYING_THEN_SUCCESS');
    expect(await client.micropay(req(no, code))).toEqual({ state: 'USERPAYING' });
    expect(await client.orderQueryV2(no)).toMatchObject({ trade_state: 'USERPAYING', out_trade_no: no });
    sim.micropayConfirm(no);
    expect(await client.orderQueryV2(no)).toMatchObject({ trade_state: 'SUCCESS', amount: { total: 888 }, trade_type: 'MICROPAY' });
  });

  it('AUTHCODEEXPIRE and NOTENOUGH → FAILED with the code; a malformed auth code → FAILED AUTH_CODE_INVALID', async () => {
    const expired = authCode();
    sim.micropayScenario(expired, 'AUTHCODEEXPIRE');
    expect(await client.micropay(req(uniqueNo('MPE'), expired))).toMatchObject({
      state: 'FAILED',
      code: 'AUTHCODEEXPIRE',
      message: expect.any(String),
    });
    const broke = authCode();
    sim.micropayScenario(broke, 'NOTENOUGH');
    expect(await client.micropay(req(uniqueNo('MPN'), broke))).toMatchObject({ state: 'FAILED', code: 'NOTENOUGH' });
    expect(await client.micropay(req(uniqueNo('MPI'), '99'))).toMatchObject({ state: 'FAILED', code: 'AUTH_CODE_INVALID' });
  });

  it('SYSTEMERROR → UNKNOWN; the query then finds it paid, reverse revokes it', async () => {
    const no = uniqueNo('MPS');
    const code = authCode();
    sim.micropayScenario(code, 'SYSTEMERROR');
    expect(await client.micropay(req(no, code))).toMatchObject({ state: 'UNKNOWN', code: 'SYSTEMERROR' });
    expect((await client.orderQueryV2(no))?.trade_state).toBe('SUCCESS');
    expect(await client.reverse(no)).toEqual({ recall: false });
    expect((await client.orderQueryV2(no))?.trade_state).toBe('REVOKED');
  });

  it('reverse: recall=Y asks to call again; an unknown order is an error; orderQueryV2 of an unknown order → null', async () => {
    const no = uniqueNo('MPR');
    const code = authCode();
    sim.micropayScenario(code, 'USERPAYING_FOREVER');
    expect(await client.micropay(req(no, code))).toEqual({ state: 'USERPAYING' });
    sim.micropayReverseRecall(no, 1);
    expect(await client.reverse(no)).toEqual({ recall: true });
    expect(await client.reverse(no)).toEqual({ recall: false });
    expect((await client.orderQueryV2(no))?.trade_state).toBe('REVOKED');

    await expect(client.reverse(uniqueNo('NONE'))).rejects.toBeInstanceOf(WxApiError);
    expect(await client.orderQueryV2(uniqueNo('NONE'))).toBeNull();
  });

  it('network errors and untrusted answers → UNKNOWN, never SUCCESS/FAILED', async () => {
    const unreachable = new V2Client({
      baseUrl: 'http://127.0.0.1:9',
      mchid: client.mchid,
      appid: client.appid,
      apiV2Key: 'x'.repeat(32),
      timeoutMs: 2000,
      micropayTimeoutMs: 2000,
    });
    expect(await unreachable.micropay(req(uniqueNo('MPX'), authCode()))).toMatchObject({ state: 'UNKNOWN' });

    // A man in the middle turning FAIL into SUCCESS cannot produce the sign.
    const proxy = await startTamperProxy(sim.url, (a) => ({
      ...a,
      body: Buffer.from(
        a.body
          .toString()
          .replaceAll('AUTHCODEEXPIRE', 'SUCCESS')
          .replace('<result_code><![CDATA[FAIL]]>', '<result_code><![CDATA[SUCCESS]]>'),
      ),
    }));
    try {
      const viaProxy = await createWxPayClient({ ...simPayConfig(sim, 'certificate'), baseUrl: proxy.url });
      viaProxy.stop();
      const code = authCode();
      sim.micropayScenario(code, 'AUTHCODEEXPIRE');
      expect(await viaProxy.micropay(req(uniqueNo('MPM'), code))).toMatchObject({ state: 'UNKNOWN', code: 'SIGN_VERIFY_FAILED' });
    } finally {
      await proxy.close();
    }
  });

  it('an answer signed with the wrong key is not trusted even when it says FAIL', async () => {
    const server = createServer((_req, res) => {
      const body = { return_code: 'SUCCESS', result_code: 'FAIL', err_code: 'USERPAYING', err_code_des: 'x', nonce_str: 'n' };
      res.writeHead(200, { 'Content-Type': 'text/xml' }).end(xmlBuild({ ...body, sign: v2SignMd5(body, 'y'.repeat(32)) }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const v2 = new V2Client({
        baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        mchid: '1900000001',
        appid: 'wxd0000000000jifen',
        apiV2Key: 'x'.repeat(32),
        timeoutMs: 2000,
        micropayTimeoutMs: 2000,
      });
      expect(await v2.micropay(req(uniqueNo('MPW'), authCode()))).toMatchObject({ state: 'UNKNOWN', code: 'SIGN_VERIFY_FAILED' });
      await expect(v2.orderQuery('X')).rejects.toMatchObject({ name: 'WxSignatureError' });
    } finally {
      server.close();
    }
  });

  it('time_end conversion', () => {
    expect(v2TimeToRfc3339('20260122143005')).toBe('2026-01-22T14:30:05+08:00');
    expect(v2TimeToRfc3339('2026-01-22')).toBeUndefined();
  });
});

/**
 * Payment-code payments over APIv2 XML (§5): micropay, the USERPAYING → orderquery loop, reverse.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_MERCHANT, v2Call, startWechatSimulator, type V2SignType, type WechatSimulator } from './index.js';
import { clientFor, uniqueNo } from './testkit.js';

let sim: WechatSimulator;
beforeAll(async () => {
  sim = await startWechatSimulator({ port: 0, micropay: { userPayingMs: 150 } });
});
afterAll(() => sim.close());

let codeSeq = 0;
/** A fresh 18-digit auth code starting with 13. */
const authCode = (): string => `13${String(Date.now()).slice(-10)}${String(++codeSeq).padStart(6, '0')}`;

const base = { appid: DEFAULT_MERCHANT.appid, mch_id: DEFAULT_MERCHANT.mchid };
const call = (path: string, params: Record<string, string | number>, type: V2SignType = 'MD5'): ReturnType<typeof v2Call> =>
  v2Call(sim.url, path, { ...base, ...params }, DEFAULT_MERCHANT.apiV2Key, type);
const micropay = (outTradeNo: string, code: string, total = 880, type: V2SignType = 'MD5'): ReturnType<typeof v2Call> =>
  call(
    '/pay/micropay',
    {
      body: '门店-收银台',
      out_trade_no: outTradeNo,
      total_fee: total,
      spbill_create_ip: '10.0.0.8',
      auth_code: code,
      device_info: 'POS-01',
    },
    type,
  );

describe('micropay', () => {
  it('pays at once for an unknown auth code, in signed XML with CDATA', async () => {
    const no = uniqueNo('MP');
    const { fields, signOk, raw } = await micropay(no, authCode());
    expect(signOk).toBe(true);
    expect(raw).toContain('<return_code><![CDATA[SUCCESS]]></return_code>');
    expect(raw).toContain('<total_fee>880</total_fee>');
    expect(fields).toMatchObject({
      return_code: 'SUCCESS',
      result_code: 'SUCCESS',
      trade_type: 'MICROPAY',
      total_fee: '880',
      cash_fee: '880',
      out_trade_no: no,
      openid: expect.stringMatching(/^o[\w-]{27}$/),
      transaction_id: expect.stringMatching(/^\d{28}$/),
      time_end: expect.stringMatching(/^\d{14}$/),
    });
    // Retrying the same request never pays twice.
    expect((await micropay(no, authCode())).fields).toMatchObject({ result_code: 'FAIL', err_code: 'OUT_TRADE_NO_USED' });
    expect(sim.deliveries({ outTradeNo: no })).toHaveLength(0);
  });

  it('USERPAYING → orderquery USERPAYING → SUCCESS once the shopper typed the password (HMAC-SHA256)', async () => {
    const code = authCode();
    sim.micropayScenario(code, 'USERPAYING_THEN_SUCCESS', 'oCashierShopper000000000001');
    const no = uniqueNo('MP');
    const first = await micropay(no, code, 1500, 'HMAC-SHA256');
    expect(first.signOk).toBe(true);
    expect(first.fields).toMatchObject({
      return_code: 'SUCCESS',
      result_code: 'FAIL',
      err_code: 'USERPAYING',
      err_code_des: '需要用户输入支付密码',
    });
    const waiting = await call('/pay/orderquery', { out_trade_no: no }, 'HMAC-SHA256');
    expect(waiting.fields).toMatchObject({ result_code: 'SUCCESS', trade_state: 'USERPAYING' });
    await new Promise((r) => setTimeout(r, 200));
    const done = await call('/pay/orderquery', { out_trade_no: no }, 'HMAC-SHA256');
    expect(done.signOk).toBe(true);
    expect(done.fields).toMatchObject({
      trade_state: 'SUCCESS',
      openid: 'oCashierShopper000000000001',
      total_fee: '1500',
      transaction_id: expect.stringMatching(/^\d{28}$/),
    });
    const byId = await call('/pay/orderquery', { transaction_id: done.fields['transaction_id'] ?? '' });
    expect(byId.fields).toMatchObject({ trade_state: 'SUCCESS', out_trade_no: no });
    expect(sim.deliveries({ outTradeNo: no })).toHaveLength(0);
  });

  it('USERPAYING forever → reverse → REVOKED', async () => {
    const code = authCode();
    sim.micropayScenario(code, 'USERPAYING_FOREVER');
    const no = uniqueNo('MP');
    expect((await micropay(no, code)).fields['err_code']).toBe('USERPAYING');
    const reversed = await call('/secapi/pay/reverse', { out_trade_no: no });
    expect(reversed.signOk).toBe(true);
    expect(reversed.fields).toMatchObject({ result_code: 'SUCCESS', recall: 'N' });
    expect((await call('/pay/orderquery', { out_trade_no: no })).fields).toMatchObject({ trade_state: 'REVOKED' });
  });

  it('reverse of a paid order refunds then revokes; recall=Y asks the cashier to call again', async () => {
    const no = uniqueNo('MP');
    await micropay(no, authCode(), 2000);
    sim.micropayReverseRecall(no, 1);
    expect((await call('/secapi/pay/reverse', { out_trade_no: no })).fields).toMatchObject({
      result_code: 'FAIL',
      err_code: 'SYSTEMERROR',
      recall: 'Y',
    });
    expect((await call('/secapi/pay/reverse', { out_trade_no: no })).fields).toMatchObject({ result_code: 'SUCCESS', recall: 'N' });
    expect(sim.refunds().filter((r) => r.out_trade_no === no)).toEqual([
      expect.objectContaining({ status: 'SUCCESS', amount: expect.objectContaining({ refund: 2000 }) }),
    ]);
    const v3 = await clientFor(sim).request('GET', `/v3/pay/transactions/out-trade-no/${no}?mchid=${DEFAULT_MERCHANT.mchid}`);
    expect(v3.json).toMatchObject({ trade_state: 'REVOKED', trade_type: 'MICROPAY' });
    expect((await micropay(no, authCode(), 2000)).fields['err_code']).toBe('OUT_TRADE_NO_USED');
  });

  it('AUTHCODEEXPIRE and NOTENOUGH fail the payment; SYSTEMERROR hides a payment that went through', async () => {
    for (const scenario of ['AUTHCODEEXPIRE', 'NOTENOUGH'] as const) {
      const code = authCode();
      sim.micropayScenario(code, scenario);
      const no = uniqueNo('MP');
      expect((await micropay(no, code)).fields).toMatchObject({ result_code: 'FAIL', err_code: scenario });
      expect((await call('/pay/orderquery', { out_trade_no: no })).fields).toMatchObject({ trade_state: 'PAYERROR' });
    }
    const code = authCode();
    sim.micropayScenario(code, 'SYSTEMERROR');
    const no = uniqueNo('MP');
    expect((await micropay(no, code)).fields).toMatchObject({ result_code: 'FAIL', err_code: 'SYSTEMERROR' });
    expect((await call('/pay/orderquery', { out_trade_no: no })).fields).toMatchObject({ trade_state: 'SUCCESS' });
  });

  it('refuses a bad sign, an invalid or reused auth code, and unknown orders', async () => {
    const bad = await v2Call(
      sim.url,
      '/pay/micropay',
      { ...base, body: 'x', out_trade_no: uniqueNo('MP'), total_fee: 1, spbill_create_ip: '1.1.1.1', auth_code: authCode() },
      'wrong-key',
    );
    expect(bad.fields).toMatchObject({ return_code: 'FAIL', return_msg: '签名错误', err_code: 'SIGNERROR' });
    expect((await micropay(uniqueNo('MP'), '990000000000000000')).fields).toMatchObject({
      result_code: 'FAIL',
      err_code: 'AUTH_CODE_INVALID',
    });
    const code = authCode();
    await micropay(uniqueNo('MP'), code);
    expect((await micropay(uniqueNo('MP'), code)).fields).toMatchObject({ result_code: 'FAIL', err_code: 'AUTH_CODE_INVALID' });
    expect((await call('/pay/orderquery', { out_trade_no: 'NOSUCHORDER' })).fields).toMatchObject({
      result_code: 'FAIL',
      err_code: 'ORDERNOTEXIST',
    });
    const xml = await fetch(`${sim.url}/pay/micropay`, { method: 'POST', body: 'not xml' });
    expect(await xml.text()).toContain('XML格式错误');
  });
});

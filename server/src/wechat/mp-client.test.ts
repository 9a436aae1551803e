import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { WxApiError } from './errors.js';
import { createMiniProgramClient } from './mp-client.js';
import { startWechatSimulator, type WechatSimulator } from './testing/simulator.js';
import type { MiniProgramClient } from './types.js';

let sim: WechatSimulator;
let calls: { path: string; body: string }[];
let mp: MiniProgramClient;

/** fetch that records each call's path and body (secrets stay in the query, never asserted on). */
const recordingFetch: typeof fetch = async (input, init) => {
  const url = new URL(input instanceof Request ? input.url : input.toString());
  calls.push({ path: url.pathname, body: typeof init?.body === 'string' ? init.body : '' });
  return fetch(input, init);
};

const tokenFetches = (): { path: string; body: string }[] => calls.filter((c) => c.path === '/cgi-bin/stable_token');

beforeAll(async () => {
  sim = await startWechatSimulator({ port: 0 });
});

beforeEach(() => {
  calls = [];
  const c = sim.jifenConfig().miniprogram;
  mp = createMiniProgramClient({ appid: c.appid, secret: c.secret, apiBase: sim.url, fetchImpl: recordingFetch });
});

afterAll(async () => {
  await sim.close();
});

describe('mini-program client', () => {
  it('code2Session: a code logs in once; the second use is WxApiError 40029', async () => {
    sim.loginCode('code-1', { openid: 'oJifenUser0000000000001', unionid: 'uJifen1' });
    expect(await mp.code2Session('code-1')).toEqual({ openid: 'oJifenUser0000000000001', unionid: 'uJifen1' });
    const err = await mp.code2Session('code-1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WxApiError);
    expect(err).toMatchObject({ status: 200, code: '40029' });
    // Without a unionid binding there is no unionid key at all.
    expect(await mp.code2Session('dave.1')).toEqual({ openid: sim.openidForCode('dave') });
  });

  it('a wrong secret is WxApiError 40125', async () => {
    const c = sim.jifenConfig().miniprogram;
    const bad = createMiniProgramClient({ appid: c.appid, secret: 'x'.repeat(32), apiBase: sim.url });
    await expect(bad.code2Session('eve.1')).rejects.toMatchObject({ code: '40125' });
  });

  it('phoneNumber: the pure number and country code; a used code is 40029', async () => {
    sim.phoneCode('phone-1', '13800138000');
    expect(await mp.phoneNumber('phone-1')).toEqual({ purePhoneNumber: '13800138000', countryCode: '86' });
    await expect(mp.phoneNumber('phone-1')).rejects.toMatchObject({ code: '40029' });
  });

  it("sendSubscribe: 'sent' while a subscription is left, 'refused' (43101) after; the token is fetched once, in normal mode", async () => {
    const openid = sim.openidForCode('frank');
    sim.subscribe(openid, 'TPL_POINTS', 1);
    const msg = {
      openid,
      templateId: 'TPL_POINTS',
      page: 'pages/points/index',
      data: { thing1: { value: '积分到账' }, number2: { value: '120' } },
    };
    expect(await mp.sendSubscribe(msg)).toBe('sent');
    expect(await mp.sendSubscribe(msg)).toBe('refused');
    expect(sim.sentMessages().filter((m) => m.openid === openid)).toEqual([
      expect.objectContaining({ templateId: 'TPL_POINTS', page: 'pages/points/index', data: msg.data }),
    ]);
    expect(tokenFetches()).toHaveLength(1);
    expect(JSON.parse(tokenFetches()[0]?.body ?? '{}')).toMatchObject({ grant_type: 'client_credential', force_refresh: false });
  });

  it('other errors throw (47003 empty data)', async () => {
    const openid = sim.openidForCode('gina');
    sim.subscribe(openid, 'TPL', 1);
    await expect(mp.sendSubscribe({ openid, templateId: 'TPL', data: { thing1: { value: '' } } })).rejects.toMatchObject({ code: '47003' });
  });

  it('after sim.expireTokens() (42001) the token is force-refreshed once and the send succeeds', async () => {
    const openid = sim.openidForCode('hank');
    sim.subscribe(openid, 'TPL_EXP', 3);
    const msg = { openid, templateId: 'TPL_EXP', data: { thing1: { value: '到账' } } };
    expect(await mp.sendSubscribe(msg)).toBe('sent');
    sim.expireTokens();
    // Two sends racing into the expired token share ONE forced refresh.
    expect(await Promise.all([mp.sendSubscribe(msg), mp.sendSubscribe(msg)])).toEqual(['sent', 'sent']);
    const bodies = tokenFetches().map((c) => JSON.parse(c.body) as { force_refresh: boolean });
    expect(bodies.map((b) => b.force_refresh)).toEqual([false, true]);
    const sends = calls.filter((c) => c.path === '/cgi-bin/message/subscribe/send');
    expect(sends).toHaveLength(5); // 1 + 2 rejected (42001) + 2 retried
  });

  it('concurrent first callers share one token fetch; the cached token is reused', async () => {
    sim.phoneCode('p-a', '13900000001');
    sim.phoneCode('p-b', '13900000002');
    sim.phoneCode('p-c', '13900000003');
    const got = await Promise.all([mp.phoneNumber('p-a'), mp.phoneNumber('p-b')]);
    expect(got.map((g) => g.purePhoneNumber)).toEqual(['13900000001', '13900000002']);
    await mp.phoneNumber('p-c');
    expect(tokenFetches()).toHaveLength(1);
  });

  it('a token close to expiry (within 5 minutes) is renewed before use', async () => {
    let now = Date.now();
    const c = sim.jifenConfig().miniprogram;
    const timed = createMiniProgramClient({
      appid: c.appid,
      secret: c.secret,
      apiBase: sim.url,
      fetchImpl: recordingFetch,
      now: () => now,
    });
    sim.phoneCode('t-1', '13700000001');
    sim.phoneCode('t-2', '13700000002');
    await timed.phoneNumber('t-1');
    now += 7200_000 - 299_000; // expires_in 7200 s: inside the 5-minute margin
    await timed.phoneNumber('t-2');
    expect(tokenFetches()).toHaveLength(2);
  });
});

/**
 * Mini-program server APIs (§6): login codes, access tokens (rotation, expiry), phone numbers, subscribe messages.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_MINIPROGRAM, startWechatSimulator, type WechatSimulator } from './index.js';

let sim: WechatSimulator;
beforeAll(async () => {
  sim = await startWechatSimulator({ port: 0 });
});
afterAll(() => sim.close());

const { appid, secret } = DEFAULT_MINIPROGRAM;

async function get(path: string): Promise<Record<string, unknown>> {
  const res = await fetch(sim.url + path);
  expect(res.status).toBe(200);
  return (await res.json()) as Record<string, unknown>;
}

async function post(path: string, body: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(sim.url + path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  expect(res.status).toBe(200);
  return (await res.json()) as Record<string, unknown>;
}

const login = (code: string, overrides: Record<string, string> = {}): Promise<Record<string, unknown>> =>
  get(
    `/sns/jscode2session?${new URLSearchParams({ appid, secret, js_code: code, grant_type: 'authorization_code', ...overrides }).toString()}`,
  );

async function token(): Promise<string> {
  const t = await get(`/cgi-bin/token?grant_type=client_credential&appid=${appid}&secret=${secret}`);
  expect(t['expires_in']).toBe(7200);
  return String(t['access_token']);
}

describe('jscode2session', () => {
  it('checks appid and secret, and accepts a code only once (40029 after)', async () => {
    expect(await login('c1', { appid: 'wx0000000000000bad' })).toMatchObject({
      errcode: 40013,
      errmsg: expect.stringMatching(/^invalid appid, rid: [0-9a-f-]+$/),
    });
    expect(await login('c1', { secret: 'nope' })).toMatchObject({ errcode: 40125 });
    const ok = await login('0a3xJifenLoginCode000000000001');
    expect(ok).not.toHaveProperty('errcode');
    expect(Buffer.from(String(ok['session_key']), 'base64')).toHaveLength(16);
    expect(ok['openid']).toBe(sim.openidForCode('0a3xJifenLoginCode000000000001'));
    expect(await login('0a3xJifenLoginCode000000000001')).toMatchObject({ errcode: 40029 });
  });

  it('uses identities set up per code (with unionid), and "<user>.<n>" codes log the same user in', async () => {
    sim.loginCode('preset-1', { openid: 'oMemberAlice00000000000000001', unionid: 'oUnionAlice000000000000000001' });
    expect(await login('preset-1')).toMatchObject({ openid: 'oMemberAlice00000000000000001', unionid: 'oUnionAlice000000000000000001' });
    const a = await login('bob.1');
    const b = await login('bob.2');
    expect(a['openid']).toBe(b['openid']);
    expect(a).not.toHaveProperty('unionid');
    expect((await login('carol.1'))['openid']).not.toBe(a['openid']);
  });
});

describe('access tokens', () => {
  it('a new token supersedes the old after a 5-minute overlap (40001); expiry gives 42001', async () => {
    sim.phoneCode('p-old', '13800138000');
    const first = await token();
    const second = await token();
    expect(second).not.toBe(first);
    // Within the overlap both work.
    expect(await post(`/wxa/business/getuserphonenumber?access_token=${first}`, { code: 'p-old' })).toMatchObject({ errcode: 0 });
    sim.advanceClock(301_000);
    sim.phoneCode('p-new', '13800138001');
    expect(await post(`/wxa/business/getuserphonenumber?access_token=${first}`, { code: 'p-new' })).toMatchObject({ errcode: 40001 });
    expect(await post(`/wxa/business/getuserphonenumber?access_token=${second}`, { code: 'p-new' })).toMatchObject({ errcode: 0 });
    sim.advanceClock(7200_000);
    sim.phoneCode('p-late', '13800138002');
    expect(await post(`/wxa/business/getuserphonenumber?access_token=${second}`, { code: 'p-late' })).toMatchObject({
      errcode: 42001,
      errmsg: expect.stringContaining('access_token expired'),
    });
    const third = await token();
    expect(await post(`/wxa/business/getuserphonenumber?access_token=${third}`, { code: 'p-late' })).toMatchObject({ errcode: 0 });
    sim.advanceClock(-(301_000 + 7200_000));
  });

  it('expireTokens() forces 42001; missing and unknown tokens give 41001 / 40001', async () => {
    const t = await token();
    sim.phoneCode('p-x', '13900139000');
    sim.expireTokens();
    expect(await post(`/wxa/business/getuserphonenumber?access_token=${t}`, { code: 'p-x' })).toMatchObject({ errcode: 42001 });
    expect(await post('/wxa/business/getuserphonenumber', { code: 'p-x' })).toMatchObject({ errcode: 41001 });
    expect(await post('/wxa/business/getuserphonenumber?access_token=nope', { code: 'p-x' })).toMatchObject({ errcode: 40001 });
    expect(await get(`/cgi-bin/token?grant_type=client_credential&appid=${appid}&secret=bad`)).toMatchObject({ errcode: 40125 });
  });

  it('stable_token returns the same token while valid; force_refresh renews it', async () => {
    const body = { grant_type: 'client_credential', appid, secret };
    const a = await post('/cgi-bin/stable_token', body);
    const b = await post('/cgi-bin/stable_token', body);
    expect(b['access_token']).toBe(a['access_token']);
    const c = await post('/cgi-bin/stable_token', { ...body, force_refresh: true });
    expect(c['access_token']).not.toBe(a['access_token']);
    expect(c['expires_in']).toBe(7200);
    expect(await post('/cgi-bin/stable_token', { ...body, secret: 'bad' })).toMatchObject({ errcode: 40125 });
  });
});

describe('phone numbers and subscribe messages', () => {
  it('getuserphonenumber: a code works once', async () => {
    const t = await token();
    sim.phoneCode('phone-1', '+8613800138000');
    const ok = await post(`/wxa/business/getuserphonenumber?access_token=${t}`, { code: 'phone-1' });
    expect(ok).toMatchObject({
      errcode: 0,
      errmsg: 'ok',
      phone_info: {
        phoneNumber: '13800138000',
        purePhoneNumber: '13800138000',
        countryCode: '86',
        watermark: { appid, timestamp: expect.any(Number) },
      },
    });
    expect(await post(`/wxa/business/getuserphonenumber?access_token=${t}`, { code: 'phone-1' })).toMatchObject({ errcode: 40029 });
    expect(await post(`/wxa/business/getuserphonenumber?access_token=${t}`, { code: 'never-issued' })).toMatchObject({ errcode: 40029 });
  });

  it('subscribe/send: 43101 without an unused subscription; each send consumes one and is logged', async () => {
    const t = await token();
    const openid = sim.openidForCode('dave.1');
    const msg = {
      touser: openid,
      template_id: 'TPL_POINTS_CHANGED',
      page: 'pages/points/index',
      data: { thing1: { value: '积分到账' }, number2: { value: '120' } },
      miniprogram_state: 'trial',
      lang: 'zh_CN',
    };
    expect(await post(`/cgi-bin/message/subscribe/send?access_token=${t}`, msg)).toMatchObject({
      errcode: 43101,
      errmsg: expect.stringContaining('user refuse to accept the msg'),
    });
    sim.subscribe(openid, 'TPL_POINTS_CHANGED', 1);
    expect(await post(`/cgi-bin/message/subscribe/send?access_token=${t}`, msg)).toMatchObject({ errcode: 0, errmsg: 'ok' });
    expect(await post(`/cgi-bin/message/subscribe/send?access_token=${t}`, msg)).toMatchObject({ errcode: 43101 });
    expect(sim.sentMessages()).toEqual([
      expect.objectContaining({
        openid,
        templateId: 'TPL_POINTS_CHANGED',
        page: 'pages/points/index',
        data: msg.data,
        miniprogramState: 'trial',
      }),
    ]);
    sim.subscribe(openid, 'TPL_POINTS_CHANGED', 1);
    expect(await post(`/cgi-bin/message/subscribe/send?access_token=${t}`, { ...msg, data: { thing1: { value: '' } } })).toMatchObject({
      errcode: 47003,
    });
    expect(await post(`/cgi-bin/message/subscribe/send?access_token=${t}`, { ...msg, touser: 'x' })).toMatchObject({ errcode: 40003 });
    sim.expireTokens();
    expect(await post(`/cgi-bin/message/subscribe/send?access_token=${t}`, msg)).toMatchObject({ errcode: 42001 });
  });

  it('is driven the same way over the HTTP control API, and reset() forgets everything', async () => {
    const control = (path: string, body: unknown): Promise<Response> =>
      fetch(`${sim.url}/__control/${path}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      });
    expect((await control('login-code', { code: 'http-1', openid: 'oViaHttp000000000000000000001' })).status).toBe(200);
    expect(await login('http-1')).toMatchObject({ openid: 'oViaHttp000000000000000000001' });
    expect((await control('phone-code', { code: 'http-p', phone: '13700137000' })).status).toBe(200);
    expect((await control('subscribe', { openid: 'oViaHttp000000000000000000001', templateId: 'T', count: 2 })).status).toBe(200);
    expect((await control('expire-tokens', {})).status).toBe(200);
    expect((await control('login-code', { code: 'missing-openid' })).status).toBe(400);
    const messages = await fetch(`${sim.url}/__control/messages`);
    expect(Array.isArray(await messages.json())).toBe(true);
    expect((await control('reset', {})).status).toBe(200);
    expect(sim.sentMessages()).toEqual([]);
  });
});

// @vitest-environment node
/**
 * Smoke test of the real weapp bundle: dist/weapp loaded in a Node vm with stand-in App/Page/wx (see
 * support/weapp-vm.ts), pages rendered through Taro's setData, taps and inputs fired through `eh`.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureWeappBuild } from './support/build';
import { WeappRuntime, until, type PageInstance, type RequestHandler } from './support/weapp-vm';

let dist = '';

beforeAll(async () => {
  dist = await ensureWeappBuild();
});

const PROFILE = {
  id: 9,
  nickname: '小萌',
  phone: '138****8000',
  birthday: '03-15',
  referralCode: 'ZXCV1234',
  tier: { code: 'silver', name: '白银' },
};
const ME = {
  ...PROFILE,
  points: { balance: 1280, pending: 128, expiringSoon: 300, expiringSoonDate: '2026-12-01T15:59:59.999Z' },
  progress: { text: '再消费￥38.00升级黄金会员', next: { code: 'gold', name: '黄金' }, fenNeeded: 3800 },
  growth: 4962,
};

interface Sent {
  method: string;
  path: string;
  data: unknown;
  header: Record<string, string>;
}

function server(routes: Record<string, (req: Sent) => { statusCode: number; data: unknown }>): { handler: RequestHandler; sent: Sent[] } {
  const sent: Sent[] = [];
  return {
    sent,
    handler: (req) => {
      sent.push(req);
      const route = routes[`${req.method} ${req.path.split('?')[0]}`];
      return route ? route(req) : { statusCode: 404, data: { error: { code: 'NOT_FOUND', message: req.path } } };
    },
  };
}

const wait = (rt: WeappRuntime, page: PageInstance, check: () => boolean) => until(check, () => rt.text(page));

describe('weapp bundle in a vm', () => {
  it('first open: consent tap → wx.login → session → signup → register with the phone code', async () => {
    const api = server({
      'POST /api/member/session': () => ({ statusCode: 200, data: { token: 'vm-token', expiresAt: '2030-01-01T00:00:00Z', member: null } }),
      'POST /api/member/register': () => ({ statusCode: 201, data: { member: PROFILE, linked: false } }),
    });
    const rt = new WeappRuntime(dist, api.handler);
    rt.launch();
    const page = rt.openPage('pages/launch/index', { ref: 'abcd2345' });
    await wait(rt, page, () => !!rt.find(page, 'privacy-agree'));
    expect(rt.text(page)).toContain('用户隐私保护提示');
    expect(rt.find(page, 'privacy-agree')!['p11']).toBe('agreePrivacyAuthorization');
    expect(api.sent).toHaveLength(0);
    expect(rt.callsTo('onNeedPrivacyAuthorization')).toHaveLength(1);

    rt.tap(page, 'privacy-agree');
    await wait(rt, page, () => !!rt.find(page, 'signup-submit'));
    expect(rt.callsTo('login')).toHaveLength(1);
    expect(api.sent[0]).toMatchObject({ method: 'POST', path: '/api/member/session', data: { code: 'vm-login-code' } });
    expect(rt.storage.get('jifen.consent')).toMatchObject({ version: '2026-01' });
    // The mini-program never carries the sandbox's typed-in phone field.
    expect(rt.find(page, 'signup-sim-phone')).toBeUndefined();
    expect(rt.text(page)).not.toContain('测试手机号码');

    rt.fire(page, 'signup-phone', 'getphonenumber', { code: 'phone-code-vm', errMsg: 'getPhoneNumber:ok' });
    await wait(rt, page, () => !!rt.find(page, 'signup-phone-granted'));
    rt.input(page, 'signup-nickname', '小萌');
    rt.input(page, 'signup-birthday', '03-15');
    rt.tap(page, 'signup-submit');
    await wait(rt, page, () => rt.callsTo('reLaunch').length > 0);

    const register = api.sent.find((r) => r.path === '/api/member/register')!;
    expect(register.header['authorization']).toBe('Bearer vm-token');
    expect(register.data).toEqual({
      phoneCode: 'phone-code-vm',
      consentVersion: '2026-01',
      birthday: '03-15',
      nickname: '小萌',
      referralCode: 'ABCD2345',
    });
    expect(rt.callsTo('reLaunch')[0]!.options['url']).toBe('/pages/home/index');
  });

  it('member card: tier progress in ￥ from fen, points, a QR member code, brightness up, subscribe from a tap', async () => {
    const api = server({
      'GET /api/member/me': () => ({ statusCode: 200, data: ME }),
      'GET /api/member/me/code': () => ({
        statusCode: 200,
        data: {
          code: 'JFM1.9.mhz4k1q0.0123456789abcdef0123',
          expiresAt: new Date(Date.now() + 60_000).toISOString(),
          refreshAfterSeconds: 30,
        },
      }),
      'POST /api/member/subscriptions': () => ({ statusCode: 200, data: { subscriptions: [] } }),
    });
    const rt = new WeappRuntime(dist, api.handler);
    rt.storage.set('jifen.token', { token: 'vm-token', expiresAt: '2030-01-01T00:00:00Z' });
    rt.storage.set('jifen.consent', { version: '2026-01', agreedAt: '2026-11-22T00:00:00Z' });
    rt.launch();
    const page = rt.openPage('pages/home/index');
    await wait(rt, page, () => !!rt.find(page, 'member-code-qr'));
    const text = rt.text(page);
    expect(text).toContain('白银会员');
    expect(text).toContain('再消费￥38.00升级黄金会员');
    expect(rt.text(page, rt.find(page, 'points-balance'))).toBe('1,280');
    expect(rt.text(page, rt.find(page, 'points-pending'))).toBe('128');
    expect(rt.text(page, rt.find(page, 'points-expiring'))).toBe('300');
    expect(text).toContain('最早 2026-12-01 到期');
    const qr = rt.find(page, 'member-code-qr')!;
    expect(qr.cn!.length).toBeGreaterThan(50);
    expect(rt.find(page, 'member-code-barcode')!.cn!.length).toBeGreaterThan(100);
    expect(rt.callsTo('setScreenBrightness')[0]!.options['value']).toBe(1);

    rt.tap(page, 'subscribe-button');
    await wait(rt, page, () => !!rt.find(page, 'subscribe-result'));
    expect(rt.callsTo('requestSubscribeMessage')[0]!.options['tmplIds']).toEqual(['jifen-points-arrived', 'jifen-points-expiring']);
    expect(api.sent.find((r) => r.path === '/api/member/subscriptions')).toBeTruthy();

    rt.hide(page);
    await wait(rt, page, () => rt.callsTo('setScreenBrightness').length === 2);
    expect(rt.callsTo('setScreenBrightness')[1]!.options['value']).toBe(0.5);
  });

  it('scan to earn (subpackage): typed code → a clear refusal for a used code', async () => {
    const api = server({
      'POST /api/member/claims': () => ({ statusCode: 409, data: { error: { code: 'CODE_USED', message: 'already claimed' } } }),
    });
    const rt = new WeappRuntime(dist, api.handler);
    rt.storage.set('jifen.token', { token: 'vm-token', expiresAt: '2030-01-01T00:00:00Z' });
    rt.launch();
    const page = rt.openPage('packages/scan/pages/claim/index');
    await wait(rt, page, () => !!rt.find(page, 'claim-submit'));
    rt.input(page, 'claim-code-input', 'JFR1.7hq2mz0bxk.0123456789');
    rt.tap(page, 'claim-submit');
    await wait(rt, page, () => !!rt.find(page, 'claim-error'));
    expect(api.sent[0]!.data).toEqual({ code: 'JFR1.7hq2mz0bxk.0123456789' });
    expect(rt.text(page, rt.find(page, 'claim-error'))).toContain('这个积分码已经被领取过了');
  });

  it('every page of app.json loads and renders without throwing', async () => {
    const api = server({});
    const rt = new WeappRuntime(dist, api.handler);
    rt.storage.set('jifen.token', { token: 'vm-token', expiresAt: '2030-01-01T00:00:00Z' });
    rt.storage.set('jifen.consent', { version: '2026-01', agreedAt: '2026-11-22T00:00:00Z' });
    rt.launch();
    const appJson = JSON.parse((await import('node:fs')).readFileSync(`${dist}/app.json`, 'utf8')) as {
      pages: string[];
      subPackages: Array<{ root: string; pages: string[] }>;
    };
    const routes = [...appJson.pages, ...appJson.subPackages.flatMap((p) => p.pages.map((page) => `${p.root}/${page}`))];
    expect(routes).toHaveLength(10);
    for (const route of routes) {
      const page = rt.openPage(route);
      await wait(rt, page, () => (page.data.root?.cn?.length ?? 0) > 0);
    }
  });
});

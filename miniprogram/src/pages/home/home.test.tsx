import { act, fireEvent, render, waitFor } from '@testing-library/react';
import type { MemberMe } from '@jifen/shared';
import { describe, expect, it, vi } from 'vitest';
import Taro, { page } from '../../test/taro-mock';
import { errorAnswer, fakeApi } from '../../test/api';
import { setConsent, setToken } from '../../services/storage';
import { PRIVACY_POLICY_VERSION, zh } from '../../i18n/zh';
import Home from './index';

const ME: MemberMe = {
  id: 9,
  nickname: '小萌',
  phone: '138****8000',
  birthday: '03-15',
  referralCode: 'ZXCV1234',
  tier: { code: 'silver', name: '白银' },
  points: { balance: 12800, pending: 128, expiringSoon: 300, expiringSoonDate: '2026-12-01T15:59:59.999Z' },
  progress: { text: '再消费￥38.00升级黄金会员', next: { code: 'gold', name: '黄金' }, fenNeeded: 3800 },
  growth: 4962,
};

const CODE = { code: 'JFM1.9.mhz4k1q0.0123456789abcdef0123', expiresAt: '2099-01-01T00:00:00.000Z', refreshAfterSeconds: 30 };

async function settle() {
  await act(async () => {
    await new Promise((r) => setTimeout(r, 0));
  });
}

function signedIn() {
  setToken('t', '2030-01-01T00:00:00Z');
  setConsent(PRIVACY_POLICY_VERSION);
}

describe('member card', () => {
  it('shows tier, progress in ￥ from fen, points and the member code', async () => {
    signedIn();
    fakeApi().on('GET /api/member/me', { body: ME }).on('GET /api/member/me/code', { body: CODE });
    const { container } = render(<Home />);
    await settle();
    await settle();
    expect(container.querySelector('#tier-name')!.textContent).toBe('白银会员');
    expect(container.querySelector('#tier-next')!.textContent).toBe('再消费￥38.00升级黄金会员');
    expect(container.querySelector('#tier-fen-needed')!.textContent).toBe('￥38.00');
    expect(container.querySelector('#points-balance')!.textContent).toBe('12,800');
    expect(container.querySelector('#points-pending')!.textContent).toBe('128');
    expect(container.querySelector('#points-expiring')!.textContent).toBe('300');
    expect(container.querySelector('#points-card')!.textContent).toContain('最早 2026-12-01 到期');
    await waitFor(() => expect(container.querySelector('#member-code-qr')?.getAttribute('data-code')).toBe(CODE.code));
  });

  it('at the top tier shows the server text', async () => {
    signedIn();
    fakeApi()
      .on('GET /api/member/me', {
        body: { ...ME, tier: { code: 'platinum', name: '铂金' }, progress: { text: '已是最高等级', next: null, fenNeeded: null } },
      })
      .on('GET /api/member/me/code', { body: CODE });
    const { container } = render(<Home />);
    await settle();
    expect(container.querySelector('#tier-next')!.textContent).toBe('已是最高等级');
  });

  it('turns the brightness up while shown (weapp) and restores it when hidden', async () => {
    signedIn();
    fakeApi().on('GET /api/member/me', { body: ME }).on('GET /api/member/me/code', { body: CODE });
    render(<Home />);
    await settle();
    expect(Taro.setScreenBrightness).toHaveBeenCalledWith({ value: 1 });
    expect(Taro.setKeepScreenOn).toHaveBeenCalledWith({ keepScreenOn: true });
    act(() => page.hide());
    await settle();
    expect(Taro.setScreenBrightness).toHaveBeenLastCalledWith({ value: 0.4 });
  });

  it('sends a shopper who has not registered (or not agreed) to the launch page', async () => {
    signedIn();
    fakeApi().on('GET /api/member/me', errorAnswer(403, 'MEMBER_NOT_REGISTERED'));
    render(<Home />);
    await settle();
    expect(Taro.reLaunch).toHaveBeenCalledWith({ url: '/pages/launch/index' });
  });

  it('without consent goes to the launch page before any request', async () => {
    const api = fakeApi();
    render(<Home />);
    await settle();
    expect(Taro.reLaunch).toHaveBeenCalledWith({ url: '/pages/launch/index' });
    expect(api.sent).toHaveLength(0);
  });

  it('subscribes from the tap: requestSubscribeMessage starts synchronously, results go to the server', async () => {
    signedIn();
    Taro.requestSubscribeMessage.mockResolvedValueOnce({
      errMsg: 'requestSubscribeMessage:ok',
      'jifen-points-arrived': 'accept',
      'jifen-points-expiring': 'reject',
    } as never);
    const api = fakeApi()
      .on('GET /api/member/me', { body: ME })
      .on('GET /api/member/me/code', { body: CODE })
      .on('POST /api/member/subscriptions', { body: { subscriptions: [] } });
    const { container } = render(<Home />);
    await settle();
    const tap = vi.fn(() => fireEvent.click(container.querySelector('#subscribe-button')!));
    act(() => tap());
    // Called inside the tap handler, before anything was awaited.
    expect(Taro.requestSubscribeMessage).toHaveBeenCalledWith(
      expect.objectContaining({ tmplIds: ['jifen-points-arrived', 'jifen-points-expiring'] }),
    );
    await settle();
    await settle();
    expect(api.calls('POST /api/member/subscriptions')[0]!.body).toEqual({
      results: [
        { kind: 'points_arrived', accepted: true },
        { kind: 'points_expiring', accepted: false },
      ],
    });
    expect(container.querySelector('#subscribe-result')!.textContent).toBe(zh.subscribe.done(1));
  });

  it('asks about the last purchase at a till, names it, and does not ask again once skipped', async () => {
    signedIn();
    const pending = { order: { orderId: 4242, storeName: '鲜果坊·徐汇店', placedAt: '2026-11-20T04:00:00.000Z', amountFen: 3_650 } };
    fakeApi()
      .on('GET /api/member/me', { body: ME })
      .on('GET /api/member/me/code', { body: CODE })
      .on('GET /api/member/nps/pending', { body: pending });
    const first = render(<Home />);
    await settle();
    await waitFor(() => expect(first.container.querySelector('#nps-about')?.textContent).toBe('2026-11-20 在 鲜果坊·徐汇店 的购物'));
    expect(first.container.querySelector('#nps')!.textContent).toContain(zh.nps.question);
    fireEvent.click(first.container.querySelector('#nps-skip')!);
    expect(first.container.querySelector('#nps')).toBeNull();
    first.unmount();

    const again = render(<Home />);
    await settle();
    await settle();
    expect(again.container.querySelector('#member-card')).not.toBeNull();
    expect(again.container.querySelector('#nps')).toBeNull();
  });

  it('shows the card without a question when nothing is pending or the question cannot be loaded', async () => {
    signedIn();
    fakeApi().on('GET /api/member/me', { body: ME }).on('GET /api/member/me/code', { body: CODE });
    const { container } = render(<Home />);
    await settle();
    await settle();
    expect(container.querySelector('#member-card')).not.toBeNull();
    expect(container.querySelector('#nps')).toBeNull();
    expect(container.querySelector('#home-error')?.textContent ?? '').toBe('');
  });

  it('navigates to every domain', async () => {
    signedIn();
    fakeApi().on('GET /api/member/me', { body: ME }).on('GET /api/member/me/code', { body: CODE });
    const { container } = render(<Home />);
    await settle();
    for (const id of ['nav-scan', 'nav-pay', 'nav-history', 'nav-rewards', 'nav-vouchers', 'nav-exchange', 'nav-me']) {
      fireEvent.click(container.querySelector(`#${id}`)!);
    }
    expect((Taro.navigateTo.mock.calls as unknown as Array<[{ url: string }]>).map((c) => c[0].url)).toEqual([
      '/packages/scan/pages/claim/index',
      '/packages/pay/pages/order/index',
      '/packages/points/pages/history/index',
      '/packages/rewards/pages/catalogue/index',
      '/packages/rewards/pages/vouchers/index',
      '/packages/exchange/pages/index/index',
      '/packages/me/pages/profile/index',
    ]);
  });
});

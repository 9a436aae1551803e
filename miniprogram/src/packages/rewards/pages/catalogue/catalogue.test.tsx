import { act, fireEvent, render } from '@testing-library/react';
import type { RewardView } from '@jifen/shared';
import { describe, expect, it } from 'vitest';
import Taro from '../../../../test/taro-mock';
import { errorAnswer, fakeApi } from '../../../../test/api';
import { setToken } from '../../../../services/storage';
import { zh } from '../../../../i18n/zh';
import Catalogue from './index';
import Vouchers from '../vouchers/index';

const REWARDS: RewardView[] = [
  {
    id: 1,
    name: '帆布袋',
    description: '环保帆布袋',
    pointsCost: 500,
    stock: 12,
    perMemberLimit: 2,
    tiers: [],
    redeemedByMe: 1,
    available: true,
    unavailableReason: null,
  },
  {
    id: 2,
    name: '咖啡券',
    description: '',
    pointsCost: 1200,
    stock: null,
    perMemberLimit: null,
    tiers: [],
    redeemedByMe: 0,
    available: true,
    unavailableReason: null,
  },
  {
    id: 3,
    name: '黄金专享礼盒',
    description: '',
    pointsCost: 3000,
    stock: 0,
    perMemberLimit: 1,
    tiers: ['gold'],
    redeemedByMe: 0,
    available: false,
    unavailableReason: '仅限黄金及以上会员',
  },
];

const VOUCHER = {
  id: 77,
  code: 'JFV1.25.mhz4k1q0.0123456789abcdef0123',
  rewardName: '帆布袋',
  status: 'active' as const,
  expiresAt: '2026-12-31T15:59:59.999Z',
  usedAt: null,
};

async function settle() {
  await act(async () => {
    await new Promise((r) => setTimeout(r, 0));
  });
}

describe('rewards', () => {
  it('lists stock, per-member limits and tier-only items; unavailable ones cannot be redeemed', async () => {
    setToken('t', '2030-01-01T00:00:00Z');
    fakeApi().on('GET /api/member/rewards', { body: { rewards: REWARDS } });
    const { container } = render(<Catalogue />);
    await settle();
    expect(container.querySelector('#reward-1')!.textContent).toContain('库存 12');
    expect(container.querySelector('#reward-1')!.textContent).toContain('每人限兑 2 件，已兑 1 件');
    expect(container.querySelector('#reward-1')!.textContent).toContain('500 积分');
    expect(container.querySelector('#reward-2')!.textContent).toContain(zh.rewards.unlimitedStock);
    expect(container.querySelector('#reward-3')!.textContent).toContain(zh.rewards.soldOut);
    expect(container.querySelector('#reward-3')!.textContent).toContain(zh.rewards.tierOnly);
    expect(container.querySelector('#reward-3-reason')!.textContent).toBe('仅限黄金及以上会员');
    expect((container.querySelector('#reward-redeem-3') as HTMLButtonElement).disabled).toBe(true);
    expect((container.querySelector('#reward-redeem-1') as HTMLButtonElement).disabled).toBe(false);
  });

  it('redeems after a confirmation and shows the voucher QR', async () => {
    setToken('t', '2030-01-01T00:00:00Z');
    const api = fakeApi()
      .on('GET /api/member/rewards', { body: { rewards: REWARDS } })
      .on('POST /api/member/rewards/1/redeem', { status: 201, body: { voucher: VOUCHER, balance: 700 } });
    const { container } = render(<Catalogue />);
    await settle();
    await act(async () => {
      fireEvent.click(container.querySelector('#reward-redeem-1')!);
    });
    await settle();
    expect(Taro.showModal).toHaveBeenCalledWith(expect.objectContaining({ content: zh.rewards.confirmBody('帆布袋', 500) }));
    expect((api.calls('POST /api/member/rewards/1/redeem')[0]!.body as { idempotencyKey: string }).idempotencyKey).toMatch(
      /^[\w.:-]{8,128}$/,
    );
    expect(container.querySelector('#voucher-qr')!.getAttribute('data-code')).toBe(VOUCHER.code);
  });

  it('does nothing when the confirmation is cancelled', async () => {
    setToken('t', '2030-01-01T00:00:00Z');
    Taro.showModal.mockResolvedValueOnce({ confirm: false, cancel: true, errMsg: 'showModal:ok' });
    const api = fakeApi().on('GET /api/member/rewards', { body: { rewards: REWARDS } });
    const { container } = render(<Catalogue />);
    await settle();
    await act(async () => {
      fireEvent.click(container.querySelector('#reward-redeem-1')!);
    });
    expect(api.calls('POST /api/member/rewards/1/redeem')).toHaveLength(0);
  });

  it('a retry after a lost answer sends the same idempotency key', async () => {
    setToken('t', '2030-01-01T00:00:00Z');
    const api = fakeApi()
      .on('GET /api/member/rewards', { body: { rewards: REWARDS } })
      .on('POST /api/member/rewards/1/redeem', { networkError: true }, { status: 201, body: { voucher: VOUCHER, balance: 700 } });
    const { container } = render(<Catalogue />);
    await settle();
    for (let i = 0; i < 2; i++) {
      await act(async () => {
        fireEvent.click(container.querySelector('#reward-redeem-1')!);
      });
      await settle();
    }
    const keys = api.calls('POST /api/member/rewards/1/redeem').map((r) => (r.body as { idempotencyKey: string }).idempotencyKey);
    expect(keys).toHaveLength(2);
    expect(keys[0]).toBe(keys[1]);
    expect(container.querySelector('#voucher-qr')).not.toBeNull();
  });

  it('says why a redemption was refused', async () => {
    setToken('t', '2030-01-01T00:00:00Z');
    fakeApi()
      .on('GET /api/member/rewards', { body: { rewards: REWARDS } })
      .on('POST /api/member/rewards/2/redeem', errorAnswer(409, 'POINTS_INSUFFICIENT'));
    const { container } = render(<Catalogue />);
    await settle();
    await act(async () => {
      fireEvent.click(container.querySelector('#reward-redeem-2')!);
    });
    await settle();
    expect(container.querySelector('#redeem-error')!.textContent).toContain(zh.errors['POINTS_INSUFFICIENT']);
  });
});

describe('my vouchers', () => {
  it('lists vouchers by status and opens an active one as a QR code', async () => {
    setToken('t', '2030-01-01T00:00:00Z');
    fakeApi().on('GET /api/member/vouchers', {
      body: {
        vouchers: [
          VOUCHER,
          { ...VOUCHER, id: 78, status: 'used', usedAt: '2026-11-20T02:00:00.000Z' },
          { ...VOUCHER, id: 79, status: 'expired' },
        ],
      },
    });
    const { container } = render(<Vouchers />);
    await settle();
    expect(container.querySelector('#voucher-77-status')!.textContent).toBe('可使用');
    expect(container.querySelector('#voucher-78-status')!.textContent).toBe('已使用');
    expect(container.querySelector('#voucher-78')!.textContent).toContain('2026-11-20 已使用');
    expect(container.querySelector('#voucher-79-status')!.textContent).toBe('已过期');
    expect(container.querySelector('#voucher-78-show')).toBeNull();
    fireEvent.click(container.querySelector('#voucher-77-show')!);
    expect(container.querySelector('#voucher-77-qr')!.getAttribute('data-code')).toBe(VOUCHER.code);
  });
});

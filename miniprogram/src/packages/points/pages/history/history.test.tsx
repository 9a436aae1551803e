import { act, fireEvent, render } from '@testing-library/react';
import type { HistoryEntry } from '@jifen/shared';
import { describe, expect, it } from 'vitest';
import { page } from '../../../../test/taro-mock';
import { fakeApi } from '../../../../test/api';
import { setToken } from '../../../../services/storage';
import History from './index';

const entry = (id: number, over: Partial<HistoryEntry> = {}): HistoryEntry => ({
  id,
  kind: 'earn',
  points: 128,
  pending: false,
  reason: '消费￥128.00，会员日双倍积分',
  createdAt: '2026-11-20T02:00:00.000Z',
  releaseAt: null,
  expiresAt: '2027-11-30T15:59:59.999Z',
  ...over,
});

async function settle() {
  await act(async () => {
    await new Promise((r) => setTimeout(r, 0));
  });
}

describe('points history', () => {
  it('pages through the history with reasons, pending and expiry dates', async () => {
    setToken('t', '2030-01-01T00:00:00Z');
    const api = fakeApi().on(
      'GET /api/member/me/history',
      {
        body: {
          entries: [
            entry(3, { pending: true, releaseAt: '2026-11-27T15:59:59.999Z' }),
            entry(2, { points: -500, kind: 'redeem', reason: '兑换 帆布袋', expiresAt: null }),
          ],
          nextCursor: 'c2',
        },
      },
      { body: { entries: [entry(1)], nextCursor: null } },
    );
    const { container } = render(<History />);
    await settle();
    expect(container.querySelector('#history-entry-3')!.textContent).toContain('消费￥128.00，会员日双倍积分');
    expect(container.querySelector('#history-entry-3')!.textContent).toContain('+128');
    expect(container.querySelector('#history-entry-3')!.textContent).toContain('待生效 · 2026-11-27 可用');
    expect(container.querySelector('#history-entry-2')!.textContent).toContain('-500');
    expect(container.querySelector('#history-entry-2')!.textContent).not.toContain('到期');
    await act(async () => {
      fireEvent.click(container.querySelector('#history-more')!);
    });
    await settle();
    expect(api.calls('GET /api/member/me/history').map((r) => r.query)).toEqual([{ limit: '20' }, { cursor: 'c2', limit: '20' }]);
    expect(container.querySelector('#history-entry-1')!.textContent).toContain('2027-11-30 到期');
    expect(container.querySelector('#history-end')).not.toBeNull();
    act(() => page.reachBottom());
    await settle();
    expect(api.calls('GET /api/member/me/history')).toHaveLength(2);
  });

  it('says so when there is no history yet', async () => {
    setToken('t', '2030-01-01T00:00:00Z');
    fakeApi().on('GET /api/member/me/history', { body: { entries: [], nextCursor: null } });
    const { container } = render(<History />);
    await settle();
    expect(container.querySelector('#history-empty')).not.toBeNull();
  });
});

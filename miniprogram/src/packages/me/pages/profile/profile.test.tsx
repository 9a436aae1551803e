import { act, fireEvent, render } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import Taro, { storageSnapshot } from '../../../../test/taro-mock';
import { fakeApi } from '../../../../test/api';
import { setConsent, setToken } from '../../../../services/storage';
import { zh } from '../../../../i18n/zh';
import Profile from './index';

const ME = {
  id: 9,
  nickname: '小萌',
  phone: '138****8000',
  birthday: '03-15',
  referralCode: 'ZXCV1234',
  tier: { code: 'silver', name: '白银' },
  points: { balance: 1, pending: 0, expiringSoon: 0, expiringSoonDate: null },
  progress: { text: '', next: null, fenNeeded: null },
  growth: 0,
};

async function settle() {
  await act(async () => {
    await new Promise((r) => setTimeout(r, 0));
  });
}

describe('me', () => {
  it('shows the profile with the masked phone', async () => {
    setToken('t', '2030-01-01T00:00:00Z');
    fakeApi().on('GET /api/member/me', { body: ME });
    const { container } = render(<Profile />);
    await settle();
    expect(container.querySelector('#me-phone')!.textContent).toBe('138****8000');
    expect(container.querySelector('#me-referral')!.textContent).toBe('ZXCV1234');
    expect(container.querySelector('#me-tier')!.textContent).toBe('白银会员');
  });

  it('downloads my data as JSON and copies it', async () => {
    setToken('t', '2030-01-01T00:00:00Z');
    const exported = { exportedAt: '2026-11-22T10:00:00.000Z', profile: { id: 9 }, ledger: [], orders: [] };
    fakeApi().on('GET /api/member/me', { body: ME }).on('GET /api/member/me/export', { body: exported });
    const { container } = render(<Profile />);
    await settle();
    await act(async () => {
      fireEvent.click(container.querySelector('#me-export')!);
    });
    await settle();
    expect(JSON.parse(container.querySelector('#me-export-json')!.textContent!)).toEqual(exported);
    await act(async () => {
      fireEvent.click(container.querySelector('#me-export-copy')!);
    });
    expect(Taro.setClipboardData).toHaveBeenCalledWith({ data: JSON.stringify(exported, null, 2) });
  });

  it('deletes the account only after two confirmations, then forgets the session', async () => {
    setToken('t', '2030-01-01T00:00:00Z');
    setConsent('2026-01');
    const api = fakeApi().on('GET /api/member/me', { body: ME }).on('DELETE /api/member/me', { status: 204 });
    const { container } = render(<Profile />);
    await settle();

    Taro.showModal
      .mockResolvedValueOnce({ confirm: true, cancel: false, errMsg: '' })
      .mockResolvedValueOnce({ confirm: false, cancel: true, errMsg: '' });
    await act(async () => {
      fireEvent.click(container.querySelector('#me-delete')!);
    });
    await settle();
    expect(api.calls('DELETE /api/member/me')).toHaveLength(0);

    await act(async () => {
      fireEvent.click(container.querySelector('#me-delete')!);
    });
    await settle();
    expect(Taro.showModal).toHaveBeenCalledTimes(4);
    expect((Taro.showModal.mock.calls[3] as unknown as [{ title: string }])[0].title).toBe(zh.me.deleteConfirm2Title);
    expect(api.calls('DELETE /api/member/me')).toHaveLength(1);
    expect(storageSnapshot()['jifen.token']).toBeUndefined();
    expect(storageSnapshot()['jifen.consent']).toBeUndefined();
    expect(Taro.reLaunch).toHaveBeenCalledWith({ url: '/pages/launch/index' });
  });

  it('logs out and opens the privacy policy', async () => {
    setToken('t', '2030-01-01T00:00:00Z');
    fakeApi().on('GET /api/member/me', { body: ME });
    const { container } = render(<Profile />);
    await settle();
    fireEvent.click(container.querySelector('#me-privacy')!);
    expect(Taro.navigateTo).toHaveBeenCalledWith({ url: '/packages/me/pages/privacy/index' });
    fireEvent.click(container.querySelector('#me-logout')!);
    expect(storageSnapshot()['jifen.token']).toBeUndefined();
    expect(Taro.reLaunch).toHaveBeenCalledWith({ url: '/pages/launch/index' });
  });
});

import { act, fireEvent, render, screen } from '@testing-library/react';
import { CLAIM_ERRORS, errorStatus } from '@jifen/shared';
import { describe, expect, it } from 'vitest';
import Taro from '../../../../test/taro-mock';
import { errorAnswer, fakeApi } from '../../../../test/api';
import { setToken } from '../../../../services/storage';
import { zh } from '../../../../i18n/zh';
import Claim from './index';

async function typeAndSubmit(container: HTMLElement, code: string) {
  fireEvent.change(container.querySelector('#claim-code-input')!, { target: { value: code } });
  await act(async () => {
    fireEvent.click(container.querySelector('#claim-submit')!);
  });
}

describe('scan to earn', () => {
  it.each(CLAIM_ERRORS)('says clearly why a claim was refused: %s', async (code) => {
    setToken('t', '2030-01-01T00:00:00Z');
    const api = fakeApi().on('POST /api/member/claims', errorAnswer(errorStatus[code], code, 'english text never shown'));
    const { container } = render(<Claim />);
    await typeAndSubmit(container, 'JFR1.7Hq2mZ0bXk.Sig_9');
    const notice = container.querySelector('#claim-error')!;
    expect(notice.getAttribute('data-code')).toBe(code);
    expect(notice.textContent).toContain(zh.errors[code]);
    expect(notice.textContent).not.toContain('english text');
    expect(api.calls('POST /api/member/claims')).toHaveLength(1);
    expect(api.calls('POST /api/member/claims')[0]!.body).toEqual({ code: 'JFR1.7Hq2mZ0bXk.Sig_9' });
  });

  it('every claim error has its own message', () => {
    const messages = CLAIM_ERRORS.map((c) => zh.errors[c]);
    expect(new Set(messages).size).toBe(CLAIM_ERRORS.length);
    messages.forEach((m) => expect(m).toBeTruthy());
  });

  it('shows the points earned, pending note and balance', async () => {
    setToken('t', '2030-01-01T00:00:00Z');
    fakeApi().on('POST /api/member/claims', {
      body: { kind: 'receipt', pointsEarned: 128, pending: true, balance: 1500, message: '扫码积分到账 +128（退货期后可用）' },
    });
    const { container } = render(<Claim />);
    await typeAndSubmit(container, 'JFR1.abc.def');
    expect(container.querySelector('#claim-points')!.textContent).toBe('+128 积分');
    expect(container.querySelector('#claim-message')!.textContent).toBe('扫码积分到账 +128（退货期后可用）');
    expect(container.querySelector('#claim-balance')!.textContent).toBe('当前可用 1,500 积分');
    expect(screen.getByText(zh.claim.pendingNote)).toBeTruthy();
    expect((container.querySelector('#claim-code-input') as HTMLInputElement).value).toBe('');
  });

  it('claims what the camera scanned', async () => {
    setToken('t', '2030-01-01T00:00:00Z');
    Taro.scanCode.mockResolvedValueOnce({ result: 'PRODUCT-0001-ABCD', errMsg: 'scanCode:ok' });
    const api = fakeApi().on('POST /api/member/claims', {
      body: { kind: 'product', pointsEarned: 5, pending: false, balance: 5, message: 'ok' },
    });
    const { container } = render(<Claim />);
    await act(async () => {
      fireEvent.click(container.querySelector('#claim-scan')!);
    });
    expect(api.calls('POST /api/member/claims')[0]!.body).toEqual({ code: 'PRODUCT-0001-ABCD' });
    expect(container.querySelector('#claim-points')!.textContent).toBe('+5 积分');
  });

  it('falls back to typing where scanning yields nothing (H5)', async () => {
    fakeApi();
    const { container } = render(<Claim />);
    await act(async () => {
      fireEvent.click(container.querySelector('#claim-scan')!);
    });
    expect(container.querySelector('#claim-note')!.textContent).toBe(zh.claim.scanUnavailable);
  });

  it('does not send member codes or vouchers as claims, and opens order codes for payment', async () => {
    const api = fakeApi();
    const { container } = render(<Claim />);
    await typeAndSubmit(container, 'JFM1.2s.mhz4k1q0.abc');
    expect(container.querySelector('#claim-note')!.textContent).toBe(zh.claim.memberCodeScanned);
    await typeAndSubmit(container, 'JFV1.x.y');
    expect(container.querySelector('#claim-note')!.textContent).toBe(zh.claim.voucherScanned);
    await typeAndSubmit(container, 'JFO1.4711.sig');
    expect(Taro.navigateTo).toHaveBeenCalledWith({ url: '/packages/pay/pages/order/index?code=JFO1.4711.sig' });
    expect(api.sent).toHaveLength(0);
  });

  it('asks for a code before sending nothing', async () => {
    const api = fakeApi();
    const { container } = render(<Claim />);
    await typeAndSubmit(container, '  ');
    expect(container.querySelector('#claim-note')!.textContent).toBe(zh.claim.empty);
    expect(api.sent).toHaveLength(0);
  });

  it('a lost answer is reported, not re-sent', async () => {
    setToken('t', '2030-01-01T00:00:00Z');
    const api = fakeApi().on('POST /api/member/claims', { networkError: true });
    const { container } = render(<Claim />);
    await typeAndSubmit(container, 'JFR1.abc.def');
    expect(container.querySelector('#claim-error')!.getAttribute('data-code')).toBe('NETWORK');
    expect(api.calls('POST /api/member/claims')).toHaveLength(1);
  });
});

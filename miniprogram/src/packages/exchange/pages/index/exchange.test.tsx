import { act, fireEvent, render } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { errorAnswer, fakeApi } from '../../../../test/api';
import { setToken } from '../../../../services/storage';
import { zh } from '../../../../i18n/zh';
import Exchange from './index';

const RATES = [
  { from: { code: 'JIFEN', name: '集团通用积分' }, to: { code: 'SPORT', name: '悦动积分' }, fromPoints: 10, toPoints: 7 },
  { from: { code: 'SPORT', name: '悦动积分' }, to: { code: 'JIFEN', name: '集团通用积分' }, fromPoints: 10, toPoints: 9 },
];

async function settle() {
  await act(async () => {
    await new Promise((r) => setTimeout(r, 0));
  });
}

describe('exchange', () => {
  it('shows the rates, previews and exchanges with an idempotency key', async () => {
    setToken('t', '2030-01-01T00:00:00Z');
    const api = fakeApi()
      .on('GET /api/member/exchange/rates', { body: { rates: RATES } })
      .on('POST /api/member/exchange', { status: 201, body: { debited: 100, credited: 90, fromBalance: 400, toBalance: 1090 } });
    const { container } = render(<Exchange />);
    await settle();
    expect(container.querySelector('#exchange-rate-0')!.textContent).toBe('10 集团通用积分 → 7 悦动积分');
    fireEvent.click(container.querySelector('#exchange-rate-1')!);
    fireEvent.change(container.querySelector('#exchange-points')!, { target: { value: '100' } });
    expect(container.querySelector('#exchange-preview')!.textContent).toBe('预计获得 90 集团通用积分');
    await act(async () => {
      fireEvent.click(container.querySelector('#exchange-submit')!);
    });
    await settle();
    const body = api.calls('POST /api/member/exchange')[0]!.body as Record<string, unknown>;
    expect(body).toMatchObject({ fromProgram: 'SPORT', toProgram: 'JIFEN', points: 100 });
    expect(body['idempotencyKey']).toMatch(/^[\w.:-]{8,128}$/);
    expect(container.querySelector('#exchange-result')!.textContent).toContain('已转出 100，到账 90');
  });

  it('refuses a bad amount and explains a refused exchange', async () => {
    setToken('t', '2030-01-01T00:00:00Z');
    const api = fakeApi()
      .on('GET /api/member/exchange/rates', { body: { rates: RATES } })
      .on('POST /api/member/exchange', errorAnswer(409, 'EXCHANGE_NOT_ALLOWED'));
    const { container } = render(<Exchange />);
    await settle();
    fireEvent.change(container.querySelector('#exchange-points')!, { target: { value: '1.5' } });
    await act(async () => {
      fireEvent.click(container.querySelector('#exchange-submit')!);
    });
    expect(container.textContent).toContain(zh.exchange.invalidAmount);
    expect(api.calls('POST /api/member/exchange')).toHaveLength(0);
    fireEvent.change(container.querySelector('#exchange-points')!, { target: { value: '50' } });
    await act(async () => {
      fireEvent.click(container.querySelector('#exchange-submit')!);
    });
    await settle();
    expect(container.querySelector('#exchange-error')!.textContent).toContain(zh.errors['EXCHANGE_NOT_ALLOWED']);
  });

  it('says so when the group allows no exchange', async () => {
    setToken('t', '2030-01-01T00:00:00Z');
    fakeApi().on('GET /api/member/exchange/rates', { body: { rates: [] } });
    const { container } = render(<Exchange />);
    await settle();
    expect(container.querySelector('#exchange-none')!.textContent).toBe(zh.exchange.none);
  });
});

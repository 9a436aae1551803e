import { act, fireEvent, render } from '@testing-library/react';
import type { MemberOrderView } from '@jifen/shared';
import { describe, expect, it } from 'vitest';
import { errorAnswer, fakeApi } from '../../test/api';
import { setRouterParams } from '../../test/taro-mock';
import { setToken } from '../../services/storage';
import { zh } from '../../i18n/zh';
import PayOrder from '../../packages/pay/pages/order/index';
import { NpsQuestion } from './index';

const $ = (c: HTMLElement, sel: string) => c.querySelector(sel);

async function click(el: Element | null) {
  expect(el).not.toBeNull();
  await act(async () => {
    fireEvent.click(el!);
  });
}

function show(orderId = 4711) {
  setToken('t', '2030-01-01T00:00:00Z');
  return render(<NpsQuestion orderId={orderId} />).container;
}

describe('NpsQuestion', () => {
  it('asks 0–10 and sends nothing until a score is picked and submitted', async () => {
    const api = fakeApi().on('POST /api/member/nps', { status: 201, body: { id: 1, score: 9, orderId: 4711, replayed: false } });
    const c = show();
    expect(c.textContent).toContain(zh.nps.question);
    expect([...c.querySelectorAll('[id^="nps-score-"]')].map((b) => b.textContent)).toEqual(
      Array.from({ length: 11 }, (_, i) => String(i)),
    );
    expect(($(c, '#nps-submit') as HTMLButtonElement).disabled).toBe(true);
    await click($(c, '#nps-submit'));
    expect(api.sent).toHaveLength(0);

    await click($(c, '#nps-score-9'));
    expect($(c, '#nps-score-9')!.getAttribute('data-selected')).toBe('true');
    expect(($(c, '#nps-submit') as HTMLButtonElement).disabled).toBe(false);
    await act(async () => {
      fireEvent.change($(c, '#nps-comment')!, { target: { value: '  店员很热情  ' } });
    });
    await click($(c, '#nps-submit'));
    expect(api.calls('POST /api/member/nps').map((r) => r.body)).toEqual([{ orderId: 4711, score: 9, comment: '店员很热情' }]);
    expect($(c, '#nps-thanks')!.textContent).toBe(zh.nps.thanks);
    expect($(c, '#nps-submit')).toBeNull();
  });

  it('a zero is a score like any other; an empty comment is not sent', async () => {
    const api = fakeApi().on('POST /api/member/nps', { status: 201, body: { id: 2, score: 0, orderId: 4711, replayed: false } });
    const c = show();
    await click($(c, '#nps-score-0'));
    await click($(c, '#nps-submit'));
    expect(api.calls('POST /api/member/nps').map((r) => r.body)).toEqual([{ orderId: 4711, score: 0 }]);
  });

  it('an order rated before is thanked, not asked again', async () => {
    fakeApi().on('POST /api/member/nps', errorAnswer(409, 'IDEMPOTENCY_CONFLICT'));
    const c = show();
    await click($(c, '#nps-score-3'));
    await click($(c, '#nps-submit'));
    expect($(c, '#nps-thanks')!.textContent).toBe(zh.nps.already);
  });

  it('shows a failure by its code and lets the shopper try again', async () => {
    const api = fakeApi().on('POST /api/member/nps', errorAnswer(404, 'ORDER_NOT_FOUND'), {
      status: 201,
      body: { id: 3, score: 7, orderId: 4711, replayed: false },
    });
    const c = show();
    await click($(c, '#nps-score-7'));
    await click($(c, '#nps-submit'));
    expect($(c, '#nps-error')!.getAttribute('data-code')).toBe('ORDER_NOT_FOUND');
    expect($(c, '#nps-error')!.textContent).toContain(zh.errors.ORDER_NOT_FOUND);
    await click($(c, '#nps-submit'));
    expect(api.calls('POST /api/member/nps')).toHaveLength(2);
    expect($(c, '#nps-thanks')!.textContent).toBe(zh.nps.thanks);
  });

  it('can be skipped', async () => {
    const api = fakeApi();
    const c = show();
    await click($(c, '#nps-skip'));
    expect($(c, '#nps')).toBeNull();
    expect(api.sent).toHaveLength(0);
  });
});

describe('the pay page asks once the order is paid', () => {
  const ORDER: MemberOrderView = {
    orderId: 4711,
    storeName: '静安店',
    status: 'paid',
    amountFen: 12800,
    payableFen: 12800,
    lines: [{ name: '牛排', qty: 1, unitPriceFen: 12800 }],
    pointsPreview: 0,
    pointsEarned: 128,
    expiresAt: '2026-11-22T10:15:00.000Z',
  };

  async function open(order: MemberOrderView) {
    setToken('t', '2030-01-01T00:00:00Z');
    fakeApi().on('GET /api/member/orders/4711', { body: order });
    setRouterParams({ orderId: '4711' });
    const view = render(<PayOrder />);
    await act(async () => {
      await new Promise((r) => setTimeout(r, 0));
    });
    return view.container;
  }

  it('paid: the question is shown for that order', async () => {
    const c = await open(ORDER);
    expect($(c, '#order-status')!.getAttribute('data-status')).toBe('paid');
    expect($(c, '#nps')).not.toBeNull();
  });

  it('pending or closed: no question', async () => {
    for (const status of ['pending', 'closed']) {
      const c = await open({ ...ORDER, status });
      expect($(c, '#order-status')!.getAttribute('data-status')).toBe(status);
      expect($(c, '#nps')).toBeNull();
      c.remove();
    }
  });
});

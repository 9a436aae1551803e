import { act, fireEvent, render } from '@testing-library/react';
import type { MemberOrderView } from '@jifen/shared';
import { describe, expect, it, vi } from 'vitest';
import Taro, { setRouterParams } from '../../../../test/taro-mock';
import { errorAnswer, fakeApi } from '../../../../test/api';
import { setToken } from '../../../../services/storage';
import { zh } from '../../../../i18n/zh';
import PayOrder from './index';
import { orderRefFrom } from '../../../../services/orders';

const ORDER: MemberOrderView = {
  orderId: 4711,
  storeName: '静安店',
  status: 'pending',
  amountFen: 12800,
  payableFen: 12345,
  lines: [
    { name: '鲜榨橙汁', qty: 2, unitPriceFen: 1500 },
    { name: '牛排', qty: 1, unitPriceFen: 9800 },
  ],
  pointsPreview: 123,
  pointsEarned: 0,
  expiresAt: '2026-11-22T10:15:00.000Z',
};

const PAY_PARAMS = {
  timeStamp: '1763805600',
  nonceStr: 'n0nce',
  package: 'prepay_id=wx2211',
  signType: 'RSA',
  paySign: 'c2lnbg==',
  outTradeNo: 'JF20261122000001',
};

const $ = (c: HTMLElement, sel: string) => c.querySelector(sel);

async function flush(ms = 0) {
  await act(async () => {
    await vi.advanceTimersByTimeAsync(ms);
  });
}

async function open(code = 'JFO1.4711.mac') {
  setRouterParams({ code });
  const view = render(<PayOrder />);
  await flush();
  return view.container;
}

describe('pay an order', () => {
  it('shows the order with prices from integer fen', async () => {
    vi.useFakeTimers();
    setToken('t', '2030-01-01T00:00:00Z');
    const api = fakeApi().on('GET /api/member/orders/JFO1.4711.mac', { body: ORDER });
    const c = await open();
    expect(api.sent[0]!.path).toBe('/api/member/orders/JFO1.4711.mac');
    expect($(c, '#order-store')!.textContent).toBe('静安店');
    expect($(c, '#order-amount')!.textContent).toBe('￥128.00');
    expect($(c, '#order-payable')!.textContent).toBe('￥123.45');
    expect($(c, '#order-status')!.textContent).toBe(zh.pay.status['pending']);
    expect($(c, '#order-details')!.textContent).toContain('￥30.00');
  });

  it('pays with the server-signed parameters and shows the status the server reports, polled until settled', async () => {
    vi.useFakeTimers();
    setToken('t', '2030-01-01T00:00:00Z');
    const api = fakeApi()
      .on('GET /api/member/orders/JFO1.4711.mac', { body: ORDER })
      .on('POST /api/member/orders/4711/pay', { body: PAY_PARAMS })
      .on('GET /api/member/orders/4711', { body: ORDER }, { body: ORDER }, { body: { ...ORDER, status: 'paid', pointsEarned: 123 } });
    const c = await open();
    await act(async () => {
      fireEvent.click($(c, '#order-pay')!);
    });
    await flush();
    expect(Taro.requestPayment).toHaveBeenCalledWith({
      timeStamp: '1763805600',
      nonceStr: 'n0nce',
      package: 'prepay_id=wx2211',
      signType: 'RSA',
      paySign: 'c2lnbg==',
    });
    // The payment sheet said ok, but until the server says paid the page does not.
    expect($(c, '#order-status')!.getAttribute('data-status')).toBe('pending');
    expect($(c, '#order-pay')!.textContent).toBe(zh.pay.confirming);
    await flush(1500);
    expect($(c, '#order-status')!.getAttribute('data-status')).toBe('pending');
    await flush(1500);
    expect($(c, '#order-status')!.getAttribute('data-status')).toBe('paid');
    expect($(c, '#order-status')!.textContent).toBe(zh.pay.status['paid']);
    expect($(c, '#order-points')!.textContent).toBe(zh.pay.pointsEarned(123));
    expect($(c, '#order-pay')).toBeNull();
    expect(api.calls('GET /api/member/orders/4711')).toHaveLength(3);
  });

  it('never shows success from the client callback alone: the server still says pending', async () => {
    vi.useFakeTimers();
    setToken('t', '2030-01-01T00:00:00Z');
    fakeApi()
      .on('GET /api/member/orders/JFO1.4711.mac', { body: ORDER })
      .on('POST /api/member/orders/4711/pay', { body: PAY_PARAMS })
      .on('GET /api/member/orders/4711', { body: ORDER });
    const c = await open();
    await act(async () => {
      fireEvent.click($(c, '#order-pay')!);
    });
    await flush(61_000);
    expect(Taro.requestPayment).toHaveBeenCalledTimes(1);
    expect($(c, '#order-status')!.getAttribute('data-status')).toBe('pending');
    expect($(c, '#order-note')!.textContent).toBe(zh.pay.stillPending);
    expect($(c, '#order-refresh')).not.toBeNull();
    expect(c.textContent).not.toContain(zh.pay.status['paid']);
  });

  it('shows a closed order as closed even though the sheet reported success', async () => {
    vi.useFakeTimers();
    setToken('t', '2030-01-01T00:00:00Z');
    fakeApi()
      .on('GET /api/member/orders/JFO1.4711.mac', { body: ORDER })
      .on('POST /api/member/orders/4711/pay', { body: PAY_PARAMS })
      .on('GET /api/member/orders/4711', { body: { ...ORDER, status: 'closed' } });
    const c = await open();
    await act(async () => {
      fireEvent.click($(c, '#order-pay')!);
    });
    await flush();
    expect($(c, '#order-status')!.textContent).toBe(zh.pay.status['closed']);
  });

  it('a cancelled payment sheet: checks the server once and offers to pay again', async () => {
    vi.useFakeTimers();
    setToken('t', '2030-01-01T00:00:00Z');
    Taro.requestPayment.mockRejectedValueOnce({ errMsg: 'requestPayment:fail cancel' });
    const api = fakeApi()
      .on('GET /api/member/orders/JFO1.4711.mac', { body: ORDER })
      .on('POST /api/member/orders/4711/pay', { body: PAY_PARAMS })
      .on('GET /api/member/orders/4711', { body: ORDER });
    const c = await open();
    await act(async () => {
      fireEvent.click($(c, '#order-pay')!);
    });
    await flush(5000);
    expect(api.calls('GET /api/member/orders/4711')).toHaveLength(1);
    expect($(c, '#order-note')!.textContent).toBe(zh.pay.cancelled);
    expect($(c, '#order-pay')!.textContent).toBe(zh.pay.payButton);
  });

  it('says why an order cannot be paid', async () => {
    vi.useFakeTimers();
    setToken('t', '2030-01-01T00:00:00Z');
    fakeApi()
      .on('GET /api/member/orders/JFO1.4711.mac', { body: ORDER })
      .on('POST /api/member/orders/4711/pay', errorAnswer(409, 'ORDER_NOT_PAYABLE'));
    const c = await open();
    await act(async () => {
      fireEvent.click($(c, '#order-pay')!);
    });
    await flush();
    expect($(c, '#order-error')!.getAttribute('data-code')).toBe('ORDER_NOT_PAYABLE');
    expect(Taro.requestPayment).not.toHaveBeenCalled();
  });

  it('opens an order typed in by id, and refuses what is not an order reference', async () => {
    vi.useFakeTimers();
    setToken('t', '2030-01-01T00:00:00Z');
    const api = fakeApi().on('GET /api/member/orders/4711', { body: ORDER });
    const { container: c } = render(<PayOrder />);
    await flush();
    fireEvent.change($(c, '#order-ref-input')!, { target: { value: 'not an order' } });
    await act(async () => {
      fireEvent.click($(c, '#order-open')!);
    });
    expect($(c, '#order-ref-error')!.textContent).toBe(zh.pay.invalidRef);
    fireEvent.change($(c, '#order-ref-input')!, { target: { value: '4711' } });
    await act(async () => {
      fireEvent.click($(c, '#order-open')!);
    });
    await flush();
    expect(api.calls('GET /api/member/orders/4711')).toHaveLength(1);
    expect($(c, '#order-payable')!.textContent).toBe('￥123.45');
  });
});

describe('order references', () => {
  it.each([
    ['JFO1.4711.ab12cd', 'JFO1.4711.ab12cd'],
    ['https://jifen.example/pay?c=JFO1.4711.ab12cd', 'JFO1.4711.ab12cd'],
    [encodeURIComponent('https://jifen.example/pay?orderId=42'), '42'],
    ['orderId=42', '42'],
    ['42', '42'],
    ['0', null],
    ['JFR1.x.y', null],
    ['', null],
  ])('%s → %s', (raw, expected) => {
    expect(orderRefFrom(raw)).toBe(expected);
  });
});

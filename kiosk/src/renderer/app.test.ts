// @vitest-environment jsdom
/**
 * The cashier UI in a DOM against a mock of the device side (the KioskClient the preload or the host
 * provides). Keys are dispatched with a controlled clock, so scanner bursts and typing are told apart
 * exactly as on a till.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { EventChannels, KioskBridge, QueueStatus, ReceiptOutput, SaleOutcome, SessionView } from '../ipc-contract.js';
import { BRIDGE_GLOBAL, eventNames, invokeNames } from '../ipc-contract.js';
import type { MemberView, OrderDetail } from '../shared/pos-api.js';
import { KioskApp } from './app.js';
import { createKioskClient, detectBridge, KioskClientError } from '../shared/kiosk-client.js';
import type { KioskClient } from '../shared/kiosk-client.js';
import { zh } from './zh.js';

const SESSION: SessionView = {
  staff: { id: 3, username: 'zhang', name: '张三' },
  shift: { shiftId: 'SH-1', openedAt: '2026-05-01T01:00:00Z', openingFloatFen: 20000, resumed: false },
  store: { name: '鲜果坊 南京西路店' },
  terminalLabel: 'T07',
  program: { name: '集团通用积分', pointValueFen: 100, maxPointsSharePercent: 50 },
};
const OJ = { sku: 'OJ', barcode: '6901234567892', name: '鲜榨橙汁', unitPriceFen: 1500 };
const MEMBER: MemberView = {
  memberId: 42,
  maskedName: '王**',
  maskedPhone: '139****9000',
  tier: { code: 'S', name: '白银' },
  available: 1200,
  pending: 30,
};
const RECEIPT: ReceiptOutput = {
  jobId: 'sale:x',
  svg: '<svg xmlns="http://www.w3.org/2000/svg"><text>小票</text></svg>',
  print: { jobId: 'sale:x', status: 'printed', reason: null, warnings: [], mayHavePrinted: true, replayed: false },
};

type Mocked = { [K in keyof KioskClient]: ReturnType<typeof vi.fn> };

function completed(
  payableFen: number,
  changeFen: number | null,
  extra: Partial<Extract<SaleOutcome, { state: 'completed' }>> = {},
): SaleOutcome {
  return {
    state: 'completed',
    clientOrderId: 'x',
    order: null,
    queued: false,
    time: '2026-05-01T04:00:00Z',
    deviceTime: false,
    payableFen,
    changeFen,
    receipt: RECEIPT,
    drawer: null,
    ...extra,
  };
}

let client: Mocked & KioskClient;
let listeners: Map<string, ((payload: unknown) => void)[]>;
let app: KioskApp;
let clock: number;

function makeClient(): Mocked & KioskClient {
  listeners = new Map();
  const c: Record<string, unknown> = {};
  for (const name of Object.keys(invokeNames)) c[name] = vi.fn(async () => undefined);
  for (const name of Object.keys(eventNames)) {
    c[name] = vi.fn((listener: (payload: unknown) => void) => {
      const event = eventNames[name as keyof typeof eventNames];
      listeners.set(event, [...(listeners.get(event) ?? []), listener]);
      return () =>
        listeners.set(
          event,
          (listeners.get(event) ?? []).filter((l) => l !== listener),
        );
    });
  }
  const m = c as Mocked & KioskClient;
  m.getConfig.mockResolvedValue({
    serverUrl: 'http://127.0.0.1:3000',
    printerUri: 'tcp://127.0.0.1:9100',
    paper: '80mm',
    qr: 'raster',
    scanner: { mode: 'wedge', serialPath: '', baudRate: 9600, maxInterKeyMs: 50, minLength: 6 },
    drawer: { enabled: true, pin: 2 },
    storeName: '积分便利店',
    terminalLabel: 'T01',
    hasToken: true,
  });
  m.currentSession.mockResolvedValue(SESSION);
  m.queueStatus.mockResolvedValue({ online: true, pending: 0, rejected: 0, draining: false, lastError: null, lastSyncAt: null });
  m.printerStatus.mockResolvedValue({ condition: 'ready', detail: null, at: '2026-05-01T04:00:00Z', heldJobs: [] });
  m.quickKeys.mockResolvedValue([OJ]);
  m.lookupProduct.mockImplementation(async (code: string) => {
    if (code === OJ.barcode) return OJ;
    throw new KioskClientError('NOT_FOUND', 'no product');
  });
  m.lookupMember.mockResolvedValue(MEMBER);
  // The server caps points at half the order.
  m.previewPoints.mockImplementation(async ({ lines }: { lines: { qty: number; unitPriceFen: number }[] }) => {
    const total = lines.reduce((s, l) => s + l.qty * l.unitPriceFen, 0);
    return { pointsEarned: Math.floor(total / 50), trace: ['消费'], redeem: { maxPoints: total / 2, maxFen: total / 2, unitPoints: 1 } };
  });
  return m;
}

function fire<E extends keyof EventChannels>(event: E, payload: EventChannels[E]): void {
  for (const l of listeners.get(event) ?? []) l(payload);
}

/** Keys as a person or a scanner sends them: `gapMs` between keys, then an optional terminator. */
function keys(text: string, gapMs: number, terminator: string | null = 'Enter'): KeyboardEvent[] {
  const sent: KeyboardEvent[] = [];
  const send = (key: string): void => {
    clock += gapMs;
    const target = document.activeElement ?? document.body;
    const event = new KeyboardEvent('keydown', { key, bubbles: true, cancelable: true });
    target.dispatchEvent(event);
    sent.push(event);
  };
  for (const ch of text) send(ch);
  if (terminator) send(terminator);
  return sent;
}

const scan = (code: string): KeyboardEvent[] => keys(code, 8);
const press = (key: string): KeyboardEvent => keys('', 0, key)[0] as KeyboardEvent;
const q = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const el = document.querySelector<T>(`[data-testid="${id}"]`);
  if (!el) throw new Error(`no ${id} in ${document.body.innerHTML.slice(0, 400)}`);
  return el;
};
const text = (id: string): string => q(id).textContent ?? '';
const settle = async (ms = 0): Promise<void> => {
  await new Promise((r) => setTimeout(r, ms));
  await Promise.resolve();
};

/**
 * The preload's API as Electron exposes it (`window.jifenKiosk`: envelopes, never throwing), backed by
 * the mocks above, then unwrapped by the same client code the renderer uses in production.
 */
function mockPreloadBridge(): KioskBridge {
  const bridge: Record<string, unknown> = {};
  for (const name of Object.keys(invokeNames)) {
    bridge[name] = async (...args: unknown[]) => {
      try {
        return { ok: true, value: await (client[name as keyof KioskClient] as (...a: unknown[]) => Promise<unknown>)(...args) };
      } catch (err) {
        return { ok: false, error: { code: err instanceof KioskClientError ? err.code : 'INTERNAL', message: String(err) } };
      }
    };
  }
  for (const name of Object.keys(eventNames)) bridge[name] = client[name as keyof KioskClient];
  return bridge as KioskBridge;
}

async function startApp(): Promise<void> {
  document.body.innerHTML = '<div id="app"></div>';
  (window as unknown as Record<string, unknown>)[BRIDGE_GLOBAL] = mockPreloadBridge();
  const bridged = createKioskClient(detectBridge(window));
  app = new KioskApp(document.getElementById('app') as HTMLElement, { client: bridged, window, wedge: { now: () => clock }, refreshMs: 0 });
  await app.start();
  await settle();
}

beforeEach(() => {
  clock = 1_000;
  client = makeClient();
});

afterEach(() => {
  app?.dispose();
  document.body.innerHTML = '';
});

describe('shift sign-in and set-up', () => {
  it('signs in with username, PIN and opening float, then opens the sale screen', async () => {
    client.currentSession.mockResolvedValue(null);
    client.signIn.mockResolvedValue(SESSION);
    await startApp();
    expect(app.screenName).toBe('signIn');
    q<HTMLInputElement>('username').value = 'zhang';
    q<HTMLInputElement>('pin').value = '2468';
    q<HTMLInputElement>('float').value = '200';
    q('sign-in').click();
    await settle();
    expect(client.signIn).toHaveBeenCalledWith({ username: 'zhang', pin: '2468', openingFloatFen: 20000 });
    expect(app.screenName).toBe('sale');
    expect(text('topbar')).toContain('张三');
  });

  it('a wrong PIN shows the Chinese message and clears the PIN', async () => {
    client.currentSession.mockResolvedValue(null);
    client.signIn.mockRejectedValue(new KioskClientError('INVALID_CREDENTIALS', 'bad'));
    await startApp();
    q<HTMLInputElement>('username').value = 'zhang';
    q<HTMLInputElement>('pin').value = '0000';
    q('sign-in').click();
    await settle();
    expect(text('toasts')).toContain('工号或密码错误');
    expect(q<HTMLInputElement>('pin').value).toBe('');
    expect(app.screenName).toBe('signIn');
  });

  it('without a terminal token starts on set-up, and saves what the cashier enters', async () => {
    client.getConfig.mockResolvedValue({ ...(await makeClient().getConfig()), hasToken: false });
    client.currentSession.mockResolvedValue(null);
    client.setConfig.mockImplementation(async () => ({ ...(await makeClient().getConfig()), paper: '58mm', hasToken: true }));
    await startApp();
    expect(app.screenName).toBe('setup');
    q<HTMLInputElement>('token').value = 'BKsV-vTFau1sKCkcY_0zWj142T1uzBCuVyBIfCWPJ-4';
    q<HTMLSelectElement>('paper').value = '58mm';
    q('save-setup').click();
    await settle();
    expect(client.setConfig).toHaveBeenCalledWith(
      expect.objectContaining({
        terminalToken: 'BKsV-vTFau1sKCkcY_0zWj142T1uzBCuVyBIfCWPJ-4',
        paper: '58mm',
        printerUri: 'tcp://127.0.0.1:9100',
      }),
    );
    expect(text('setup-status')).toContain(zh.saved);
  });
});

describe('scanning', () => {
  it('a product scan adds a line, and never lands in the focused search box', async () => {
    await startApp();
    const search = q<HTMLInputElement>('search');
    search.focus();
    const events = scan('6901234567892');
    await settle();
    expect(events.every((e) => e.defaultPrevented)).toBe(true); // the Enter too: it must not press anything
    expect(search.value).toBe('');
    expect(client.lookupProduct).toHaveBeenCalledWith('6901234567892');
    expect(text('qty-OJ')).toBe('1');
    scan('6901234567892');
    await settle();
    expect(text('qty-OJ')).toBe('2');
    expect(text('payable')).toBe('￥30.00');
  });

  it('typing at human speed still reaches the focused input, in order', async () => {
    await startApp();
    const search = q<HTMLInputElement>('search');
    search.focus();
    keys('橙汁', 120, null);
    keys('ab', 120, null);
    await settle(150); // the last held key is given back after the flush delay
    expect(search.value).toBe('橙汁ab');
  });

  it('a member code scan shows the masked member, tier, points and the points preview; the toggle pays part in points', async () => {
    await startApp();
    scan('6901234567892');
    await settle();
    scan('JFM1.1jpvidu2hjy.mx27hx4a.0123456789abcdef0123');
    await settle(300);
    expect(client.lookupMember).toHaveBeenCalledWith({ code: 'JFM1.1jpvidu2hjy.mx27hx4a.0123456789abcdef0123' });
    expect(text('member-card')).toContain('王**');
    expect(text('member-phone')).toBe('139****9000');
    expect(text('member-tier')).toBe('白银');
    expect(text('member-points')).toBe('1200');
    expect(text('points-preview')).toBe('30');
    const toggle = q<HTMLInputElement>('use-points');
    toggle.checked = true;
    toggle.dispatchEvent(new Event('change'));
    expect(text('payable')).toBe('￥7.50');
    expect(text('member-panel')).toContain('使用 750 积分抵扣 ￥7.50');
  });

  it('routes a receipt code to the refund screen and a voucher to the voucher screen', async () => {
    const order: OrderDetail = {
      orderId: 1000,
      outTradeNo: 'JF1000',
      status: 'paid',
      amountFen: 3000,
      payableFen: 3000,
      pointsPaid: 0,
      memberId: null,
      pointsEarned: 0,
      pointsPreview: 0,
      paymentMethod: 'cash',
      lines: [{ sku: 'OJ', name: '鲜榨橙汁', qty: 2, unitPriceFen: 1500 }],
      refundedFen: 0,
      refundedLines: [],
      placedAt: '2026-05-01T04:00:00Z',
    };
    client.findOrder.mockResolvedValue(order);
    client.refund.mockResolvedValue({
      refund: {
        outRefundNo: 'R1',
        orderId: 1000,
        status: 'success',
        amountFen: 1500,
        wechatFen: 1500,
        pointsReturned: 0,
        pointsReversed: 0,
      },
      receipt: RECEIPT,
      cashFen: 1500,
      drawer: { ok: true, reason: null },
    });
    client.redeemVoucher.mockResolvedValue({ voucherId: 9, rewardName: '鲜榨橙汁兑换券', memberId: 42, usedAt: '2026-05-01T04:00:00Z' });
    await startApp();
    scan('JFR1.rs.mx27hx4a.8d31672eb249fa1307aa');
    await settle();
    expect(app.screenName).toBe('refund');
    expect(client.findOrder).toHaveBeenCalledWith('JFR1.rs.mx27hx4a.8d31672eb249fa1307aa');
    expect(text('refundable')).toBe('￥30.00');
    q('refund-plus-OJ').click();
    expect(text('refund-amount')).toBe('￥15.00');
    q('confirm-refund').click();
    await settle();
    expect(client.refund).toHaveBeenCalledWith(expect.objectContaining({ order, lines: [{ sku: 'OJ', qty: 1 }], reason: '退货' }));
    expect(text('refund-done')).toContain('请退还顾客现金 ￥15.00');

    scan('JFV1.abc.mx27hx4a.0123456789');
    await settle();
    expect(app.screenName).toBe('voucher');
    expect(text('voucher-result')).toContain('核销成功：鲜榨橙汁兑换券');
  });

  it('an Alipay code or an unknown code only shows a notice', async () => {
    await startApp();
    scan('281234567890123456');
    await settle();
    expect(text('toasts')).toContain('支付宝');
    expect(client.lookupProduct).not.toHaveBeenCalled();
    expect(client.checkout).not.toHaveBeenCalled();
  });
});

describe('paying', () => {
  it('cash with the keyboard only: F4, the amount, Enter; the change is shown and the next customer starts with Enter', async () => {
    client.checkout.mockResolvedValue(completed(3000, 2000));
    await startApp();
    scan('6901234567892');
    scan('6901234567892');
    await settle();
    press('F4');
    const tendered = q<HTMLInputElement>('tendered');
    expect(document.activeElement).toBe(tendered);
    tendered.value = '50';
    tendered.dispatchEvent(new Event('input'));
    expect(text('change')).toBe('找零 ￥20.00');
    tendered.value = '20';
    tendered.dispatchEvent(new Event('input'));
    expect(text('change')).toBe('还差 ￥10.00');
    expect(q<HTMLButtonElement>('confirm-cash').disabled).toBe(true);
    tendered.value = '50';
    tendered.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true, cancelable: true }));
    await settle();
    expect(client.checkout).toHaveBeenCalledWith(
      expect.objectContaining({
        clientOrderId: expect.stringMatching(/^K/),
        lines: [{ sku: 'OJ', name: '鲜榨橙汁', qty: 2, unitPriceFen: 1500 }],
        payment: { method: 'cash', tenderedFen: 5000 },
      }),
    );
    expect(app.screenName).toBe('receipt');
    expect(text('change-due')).toBe('找零 ￥20.00');
    expect(text('print-status')).toContain(zh.printed);
    expect(q<HTMLImageElement>('receipt-preview').querySelector('img')?.src).toMatch(/^data:image\/svg\+xml/);
    press('Enter');
    expect(app.screenName).toBe('sale');
    expect(text('lines')).toContain(zh.scanHint);
  });

  it('a scanned payment code pays the sale at once (and is never looked up as a product)', async () => {
    client.checkout.mockResolvedValue(completed(3000, null));
    await startApp();
    scan('6901234567892');
    await settle();
    scan('134567890123456789');
    await settle();
    expect(client.checkout).toHaveBeenCalledWith(
      expect.objectContaining({ payment: { method: 'wechat_code', authCode: '134567890123456789' } }),
    );
    expect(client.lookupProduct).toHaveBeenCalledTimes(1);
    expect(app.screenName).toBe('receipt');
  });

  it('F8 waits for the payment code; while the cash dialog is open a product scan does not change the basket', async () => {
    client.checkout.mockResolvedValue(completed(1500, null));
    await startApp();
    scan('6901234567892');
    await settle();
    press('F4');
    scan('6901234567892');
    await settle();
    expect(text('toasts')).toContain(zh.finishDialogFirst);
    expect(text('qty-OJ')).toBe('1');
    press('Escape');
    press('F8');
    expect(q('code-dialog').textContent).toContain(zh.codeHint);
    scan('134567890123456789');
    await settle();
    expect(client.checkout).toHaveBeenCalledWith(
      expect.objectContaining({ payment: { method: 'wechat_code', authCode: '134567890123456789' } }),
    );
    expect(app.screenName).toBe('receipt');
  });

  it('offline, WeChat is refused with a clear Chinese message and the sale takes a new id', async () => {
    client.checkout.mockRejectedValue(new KioskClientError('OFFLINE_WECHAT', 'needs server'));
    await startApp();
    scan('6901234567892');
    await settle();
    const id = app.sale.clientOrderId;
    press('F6');
    await settle();
    expect(text('toasts')).toContain('网络已断开：微信支付暂不可用，请收取现金');
    expect(app.sale.clientOrderId).not.toBe(id);
    expect(app.screenName).toBe('sale');
  });

  it('payment unknown keeps the same id and asks again', async () => {
    client.checkout.mockRejectedValueOnce(new KioskClientError('PAYMENT_UNKNOWN', '?')).mockResolvedValueOnce(completed(1500, null));
    await startApp();
    scan('6901234567892');
    await settle();
    const id = app.sale.clientOrderId;
    scan('134567890123456789');
    await settle();
    q('query-again').click();
    await settle();
    expect(client.checkout).toHaveBeenCalledTimes(2);
    expect(client.checkout.mock.calls[1]?.[0]).toMatchObject({ clientOrderId: id });
    expect(app.screenName).toBe('receipt');
  });

  it('Native QR: shows the code, and completes when the device side reports it paid', async () => {
    client.checkout.mockResolvedValue({
      state: 'awaiting_payment',
      clientOrderId: 'K-qr',
      order: {
        orderId: 1,
        outTradeNo: 'JF1',
        status: 'pending',
        amountFen: 1500,
        payableFen: 1500,
        pointsPaid: 0,
        memberId: null,
        pointsEarned: 0,
        pointsPreview: 0,
      },
      qrSvg: '<svg xmlns="http://www.w3.org/2000/svg"></svg>',
    });
    await startApp();
    scan('6901234567892');
    await settle();
    press('F6');
    await settle();
    expect(q('qr-dialog').querySelector('img.qr-image')).not.toBeNull();
    expect(text('qr-status')).toBe(zh.qrWaiting);
    fire('sale:onUpdate', { ...completed(1500, null), clientOrderId: 'K-qr' });
    await settle();
    expect(app.screenName).toBe('receipt');
  });

  it('a receipt held for paper out says so and retries on request', async () => {
    const held: ReceiptOutput = { ...RECEIPT, print: { ...RECEIPT.print, status: 'held', reason: 'paper_out', mayHavePrinted: false } };
    client.checkout.mockResolvedValue(completed(1500, 0, { receipt: held }));
    client.retryPrint.mockResolvedValue(RECEIPT.print);
    await startApp();
    scan('6901234567892');
    await settle();
    press('F4');
    q('confirm-cash').click();
    await settle();
    expect(text('print-status')).toContain('打印机缺纸');
    q('retry-print').click();
    await settle();
    expect(client.retryPrint).toHaveBeenCalledWith('sale:x');
    expect(text('print-status')).toContain(zh.printed);
  });
});

describe('offline banner', () => {
  it('shows the queue length while offline, then the sync, then nothing', async () => {
    await startApp();
    expect(q('offline-banner').hidden).toBe(true);
    const status = (s: Partial<QueueStatus>): QueueStatus => ({
      online: true,
      pending: 0,
      rejected: 0,
      draining: false,
      lastError: null,
      lastSyncAt: null,
      ...s,
    });
    fire('queue:onStatus', status({ online: false, pending: 3 }));
    expect(q('offline-banner').hidden).toBe(false);
    expect(text('banner-text')).toBe('网络已断开 · 现金销售照常进行 · 待上传 3 笔');
    fire('queue:onStatus', status({ online: true, pending: 1 }));
    expect(text('banner-text')).toContain('正在上传离线销售 1 笔');
    fire('queue:onStatus', status({}));
    expect(q('offline-banner').hidden).toBe(true);
  });

  it('a queued cash sale says it is saved on the till', async () => {
    client.checkout.mockResolvedValue(completed(1500, 500, { queued: true, deviceTime: true }));
    await startApp();
    scan('6901234567892');
    await settle();
    press('F4');
    const tendered = q<HTMLInputElement>('tendered');
    tendered.value = '20';
    tendered.dispatchEvent(new Event('input'));
    q('confirm-cash').click();
    await settle();
    expect(text('queued-notice')).toContain('离线销售');
  });
});

describe('going offline mid-sale', () => {
  const status = (online: boolean, pending = 0): QueueStatus => ({
    online,
    pending,
    rejected: 0,
    draining: false,
    lastError: null,
    lastSyncAt: null,
  });

  it('points switched on, then the server is lost: refused in Chinese, the toggle goes off, cash for the whole amount', async () => {
    await startApp();
    scan('6901234567892');
    await settle();
    scan('JFM1.1jpvidu2hjy.mx27hx4a.0123456789abcdef0123');
    await settle(300);
    q<HTMLInputElement>('use-points').click();
    expect(text('payable')).toBe('￥7.50');
    client.checkout.mockRejectedValueOnce(new KioskClientError('OFFLINE_POINTS', 'needs server'));
    press('F4');
    q('confirm-cash').click();
    await settle();
    fire('queue:onStatus', status(false));
    expect(text('toasts')).toContain('网络已断开：暂不能使用积分抵扣');
    expect(text('member-panel')).toContain(zh.pointsOfflineNote);
    expect(text('payable')).toBe('￥15.00');
    client.checkout.mockResolvedValueOnce(completed(1500, 0, { queued: true, deviceTime: true }));
    press('F4');
    q('confirm-cash').click();
    await settle();
    expect(client.checkout.mock.calls[1]?.[0]).not.toHaveProperty('redeemPoints');
    expect(app.screenName).toBe('receipt');
  });

  it('the points toggle is switched off when the till learns it is offline', async () => {
    await startApp();
    scan('6901234567892');
    await settle();
    scan('JFM1.1jpvidu2hjy.mx27hx4a.0123456789abcdef0123');
    await settle(300);
    q<HTMLInputElement>('use-points').click();
    expect(app.sale.usePoints).toBe(true);
    fire('queue:onStatus', status(false, 1));
    expect(app.sale.usePoints).toBe(false);
    expect(text('payable')).toBe('￥15.00');
  });

  it('a phone number being typed keeps the focus when a scanned product’s line arrives meanwhile', async () => {
    let answer: (p: typeof OJ) => void = () => undefined;
    client.lookupProduct.mockImplementation(() => new Promise((resolve) => (answer = resolve)));
    await startApp();
    scan('6901234567892');
    press('F3');
    keys('139', 120, null);
    await settle(150);
    answer(OJ);
    await settle();
    expect(text('qty-OJ')).toBe('1');
    keys('00139000', 120, null);
    await settle(150);
    expect(document.activeElement).toBe(q('phone'));
    expect(q<HTMLInputElement>('phone').value).toBe('13900139000');
  });
});

describe('the shift closed on the server', () => {
  it('a sale answered SHIFT_CLOSED signs the cashier out', async () => {
    client.checkout.mockRejectedValue(new KioskClientError('SHIFT_CLOSED', 'closed'));
    await startApp();
    scan('6901234567892');
    await settle();
    press('F4');
    q('confirm-cash').click();
    await settle();
    expect(text('toasts')).toContain('本班次已交班，请重新登录');
    expect(app.screenName).toBe('signIn');
    expect(app.session).toBeNull();
  });
});

describe('closing the shift', () => {
  it('shows the figures, takes the counted cash and prints the Z-report', async () => {
    const report = {
      shiftId: 'SH-1',
      terminalId: 7,
      staff: { id: 3, name: '张三' },
      openedAt: '2026-05-01T01:00:00Z',
      closedAt: null,
      openingFloatFen: 20000,
      sales: { count: 2, amountFen: 6000, byMethod: { cash: 3000, wechat: 3000, points: 0 } },
      refunds: { count: 0, amountFen: 0, byMethod: { cash: 0, wechat: 0, points: 0 } },
      points: { issued: 30, taken: 0, reversed: 0, returned: 0 },
      cashExpectedFen: 23000,
      cashCountedFen: null,
      cashDifferenceFen: null,
    };
    client.shiftReport.mockResolvedValue({ report, source: 'server', queued: { count: 0, cashFen: 0 } });
    client.closeShift.mockResolvedValue({
      report: { ...report, closedAt: '2026-05-01T09:00:00Z', cashCountedFen: 22900, cashDifferenceFen: -100 },
      source: 'server',
      queued: { count: 0, cashFen: 0 },
      receipt: RECEIPT,
    });
    await startApp();
    press('F12');
    await settle();
    expect(app.screenName).toBe('shift');
    expect(text('cash-expected')).toBe('￥230.00');
    q<HTMLInputElement>('counted-cash').value = '229';
    q('close-shift').click();
    await settle();
    expect(client.closeShift).toHaveBeenCalledWith(22900);
    expect(text('cash-difference')).toBe('-￥1.00');
    expect(text('topbar')).not.toContain('张三');
  });
});

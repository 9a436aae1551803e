/**
 * Selling through the device service's channel table, as the UI does, against a fake server (the
 * same rules as the real one where the kiosk depends on them) and a fake printer transport.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CheckoutRequest, EventChannel, InvokeArgs, InvokeChannel, InvokeResult, SaleOutcome } from '../ipc-contract.js';
import { FAKE_MEMBER, FAKE_PRODUCTS, FakePosApi } from '../shared/fake-pos-api.js';
import { PosApiError } from '../shared/pos-api.js';
import type { StatusReply } from './devices/transports.js';
import { encodeText } from './devices/text-codec.js';
import { createKioskService } from './service.js';
import type { KioskService } from './service.js';
import { terminalLabel } from './shift.js';

const DRAWER_KICK = Buffer.from([0x1b, 0x70, 0x00, 0x19, 0xfa]);
const TOKEN = 'test-terminal-token-0001';

class FakePrinterTransport {
  readonly uri = 'tcp://printer.test:9100';
  readonly writes: Buffer[] = [];
  state: 'ready' | 'paper_out' = 'ready';
  async write(bytes: Uint8Array): Promise<void> {
    this.writes.push(Buffer.from(bytes));
  }
  async queryStatus(n: 1 | 2 | 4): Promise<StatusReply> {
    if (this.state === 'ready') return { kind: 'byte', byte: 0x12 };
    return { kind: 'byte', byte: n === 1 ? 0x1a : n === 2 ? 0x32 : 0x72 };
  }
  async close(): Promise<void> {}
  /** Jobs: writes that are not a drawer kick. */
  jobs(): Buffer[] {
    return this.writes.filter((w) => !w.equals(DRAWER_KICK));
  }
  kicks(): number {
    return this.writes.filter((w) => w.equals(DRAWER_KICK)).length;
  }
}

function printed(job: Buffer | undefined, text: string): boolean {
  return job !== undefined && job.includes(encodeText(text));
}

let dir: string;
let api: FakePosApi;
let printer: FakePrinterTransport;
let service: KioskService;
let events: { event: EventChannel; payload: unknown }[];

async function call<C extends InvokeChannel>(channel: C, ...args: InvokeArgs<C>): Promise<InvokeResult<C>> {
  const envelope = await service.table.invoke(channel, args);
  if (!envelope.ok) throw Object.assign(new Error(envelope.error.message), { code: envelope.error.code });
  return envelope.value as InvokeResult<C>;
}

async function failure(channel: InvokeChannel, ...args: unknown[]): Promise<string> {
  const envelope = await service.table.invoke(channel, args);
  if (envelope.ok) throw new Error(`${channel} succeeded`);
  return envelope.error.code;
}

function sale(id: string, payment: CheckoutRequest['payment'], extra: Partial<CheckoutRequest> = {}): CheckoutRequest {
  const oj = FAKE_PRODUCTS[0];
  if (!oj) throw new Error('fixture');
  return { clientOrderId: id, lines: [{ sku: oj.sku, name: oj.name, qty: 2, unitPriceFen: oj.unitPriceFen }], payment, ...extra };
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kiosk-pos-'));
  api = new FakePosApi();
  printer = new FakePrinterTransport();
  events = [];
  service = await createKioskService({
    dataDir: dir,
    configOverrides: { serverUrl: 'http://server.test', terminalToken: TOKEN, printerUri: printer.uri },
    posApiFor: () => api,
    printerTransportFor: () => printer as never,
    watchMs: 10,
    queue: { retryMs: 60_000, probeMs: 0 },
    log: () => undefined,
  });
  service.table.onEvent((event, payload) => events.push({ event, payload }));
  await call('shift:signIn', { username: 'zhang', pin: '2468', openingFloatFen: 20000 });
});

afterEach(async () => {
  await service.close();
  await rm(dir, { recursive: true, force: true });
});

describe('selling online', () => {
  it('a cash sale: the server settles it, the receipt prints once with the server’s time and the claim QR, the drawer opens', async () => {
    const outcome = await call('pos:checkout', sale('sale-cash-0001', { method: 'cash', tenderedFen: 5000 }));
    expect(outcome).toMatchObject({
      state: 'completed',
      queued: false,
      deviceTime: false,
      payableFen: 3000,
      changeFen: 2000,
      time: api.clock.toISOString(),
    });
    expect(outcome.state === 'completed' && outcome.receipt.print.status).toBe('printed');
    expect(outcome.state === 'completed' && outcome.drawer).toEqual({ ok: true, reason: null });
    expect(api.orderCount).toBe(1);
    const [job] = printer.jobs();
    expect(printed(job, '鲜果坊 南京西路店')).toBe(true);
    expect(printed(job, 'JF1000')).toBe(true); // the server's order number
    expect(printed(job, '扫码领取积分')).toBe(true); // a sale without a member gets the claim QR
    expect(printed(job, '设备时间')).toBe(false);
    expect(printer.kicks()).toBe(1);

    // The same sale again (a double click, a retry): the same answer, no second order, nothing printed.
    const again = await call('pos:checkout', sale('sale-cash-0001', { method: 'cash', tenderedFen: 5000 }));
    expect(again).toEqual(outcome);
    expect(api.orderCount).toBe(1);
    expect(printer.jobs()).toHaveLength(1);
    expect(printer.kicks()).toBe(1);
  });

  it('refuses cash that does not cover the sale, before asking the server (the server settles cash at once)', async () => {
    expect(await failure('pos:checkout', sale('sale-short-0001', { method: 'cash', tenderedFen: 2999 }))).toBe('TENDER_INSUFFICIENT');
    expect(api.createRequests).toHaveLength(0);
  });

  it('a member sale paid by payment code with part in points prints the member, points and balance', async () => {
    const view = await call('pos:lookupMember', { phone: '13900139000' });
    expect(view).toMatchObject({ maskedName: '王**', maskedPhone: '139****9000', tier: { name: '白银' }, available: 1200 });
    const preview = await call('pos:preview', { lines: sale('x', { method: 'wechat_native' }).lines, member: { phone: '13900139000' } });
    expect(preview.pointsEarned).toBe(30);
    const outcome = await call(
      'pos:checkout',
      sale(
        'sale-code-0001',
        { method: 'wechat_code', authCode: '134567890123456789' },
        { member: { query: { phone: '13900139000' }, view }, redeemPoints: 500 },
      ),
    );
    expect(outcome).toMatchObject({ state: 'completed', payableFen: 2500, changeFen: null, drawer: null });
    const posted = api.createRequests[0];
    expect(posted).toMatchObject({
      member: { ref: 'JFK1.ref' },
      redeemPoints: 500,
      payment: { method: 'wechat_code', authCode: '134567890123456789' },
      shiftId: 'SH-1',
    });
    const [job] = printer.jobs();
    expect(printed(job, '139****9000')).toBe(true);
    expect(printed(job, '积分抵扣')).toBe(true);
    expect(printed(job, '微信支付')).toBe(true);
    expect(printed(job, String(FAKE_MEMBER.available - 500))).toBe(true); // balance after spending
    expect(printer.kicks()).toBe(0);
  });

  it('a Native QR sale: waits, is watched, and completes (printed once) when the shopper pays', async () => {
    const waiting = await call('pos:checkout', sale('sale-qr-0001', { method: 'wechat_native' }));
    expect(waiting).toMatchObject({ state: 'awaiting_payment', order: { status: 'pending', codeUrl: expect.stringMatching(/^weixin:/) } });
    expect(waiting.state === 'awaiting_payment' && waiting.qrSvg).toMatch(/^<svg/);
    expect(printer.jobs()).toHaveLength(0);
    api.pay('sale-qr-0001');
    await expect
      .poll(() => events.find((e) => e.event === 'sale:onUpdate')?.payload)
      .toMatchObject({ state: 'completed', clientOrderId: 'sale-qr-0001' });
    expect(await call('pos:saleStatus', 'sale-qr-0001')).toMatchObject({ state: 'completed' });
    await new Promise((r) => setTimeout(r, 50));
    expect(printer.jobs()).toHaveLength(1);
  });

  it('cancelling a QR sale closes the order; one paid meanwhile is completed instead', async () => {
    await call('pos:checkout', sale('sale-qr-0002', { method: 'wechat_native' }));
    expect(await call('pos:cancelSale', 'sale-qr-0002')).toMatchObject({ state: 'closed' });
    await call('pos:checkout', sale('sale-qr-0003', { method: 'wechat_native' }));
    api.pay('sale-qr-0003');
    expect(await call('pos:cancelSale', 'sale-qr-0003')).toMatchObject({ state: 'completed' });
  });

  it('a payment-code order with no answer is PAYMENT_UNKNOWN; the retry finds the one order', async () => {
    api.failures.push(new PosApiError('TIMEOUT', 'no answer'));
    const request = sale('sale-code-0002', { method: 'wechat_code', authCode: '134567890123456789' });
    expect(await failure('pos:checkout', request)).toBe('PAYMENT_UNKNOWN');
    expect(await call('pos:checkout', request)).toMatchObject({ state: 'completed' });
    expect(api.orderCount).toBe(1);
  });
});

describe('the till’s name', () => {
  it('drops the store’s name in front (the store heads the receipt); keeps any other name', () => {
    expect(terminalLabel('鲜果坊 南京西路店 收银台', '鲜果坊 南京西路店')).toBe('收银台');
    expect(terminalLabel('1号收银台', '鲜果坊 南京西路店')).toBe('1号收银台');
    expect(terminalLabel('鲜果坊 南京西路店', '鲜果坊 南京西路店')).toBe('鲜果坊 南京西路店');
  });
});

describe('the shift closed on the server', () => {
  it('a sale answered SHIFT_CLOSED signs the cashier out: the next sale needs a sign-in', async () => {
    api.failures.push(new PosApiError('SHIFT_CLOSED', 'this shift is closed: sign in again', { status: 409 }));
    expect(await failure('pos:checkout', sale('sale-closed-0001', { method: 'cash', tenderedFen: 3000 }))).toBe('SHIFT_CLOSED');
    expect(await call('shift:current')).toBeNull();
    expect(await failure('pos:checkout', sale('sale-closed-0002', { method: 'cash', tenderedFen: 3000 }))).toBe('NOT_SIGNED_IN');
    expect(printer.jobs()).toHaveLength(0);
  });
});

describe('selling offline', () => {
  it('journals cash sales (device time on the receipt), refuses WeChat and points, and settles the queue once when back', async () => {
    api.down = true;
    const first = (await call('pos:checkout', sale('sale-off-0001', { method: 'cash', tenderedFen: 3000 }))) as Extract<
      SaleOutcome,
      { state: 'completed' }
    >;
    expect(first).toMatchObject({ state: 'completed', queued: true, deviceTime: true, order: null, changeFen: 0 });
    const [job] = printer.jobs();
    expect(printed(job, '设备时间')).toBe(true);
    expect(printed(job, 'sale-off-0001')).toBe(true);
    expect(printer.kicks()).toBe(1);
    expect(await call('queue:status')).toMatchObject({ online: false, pending: 1 });
    expect(events.some((e) => e.event === 'queue:onStatus' && (e.payload as { online: boolean }).online === false)).toBe(true);

    // Known offline: the next cash sale goes to the journal without waiting for the server.
    const calls = api.calls.length;
    await call('pos:checkout', sale('sale-off-0002', { method: 'cash', tenderedFen: 3000 }));
    expect(api.calls.length).toBe(calls);
    expect(await failure('pos:checkout', sale('sale-off-0003', { method: 'wechat_native' }))).toBe('OFFLINE_WECHAT');
    expect(await failure('pos:checkout', sale('sale-off-0004', { method: 'wechat_code', authCode: '134567890123456789' }))).toBe(
      'OFFLINE_WECHAT',
    );
    const member = await call('pos:lookupMember', { phone: '13900139000' });
    expect(member).toMatchObject({ unverified: true, maskedPhone: '139****9000' });
    expect(
      await failure(
        'pos:checkout',
        sale(
          'sale-off-0005',
          { method: 'cash', tenderedFen: 3000 },
          { member: { query: { phone: '13900139000' }, view: member }, redeemPoints: 100 },
        ),
      ),
    ).toBe('OFFLINE_POINTS');
    // A member identified offline still goes with the sale (points settle when it is posted).
    await call(
      'pos:checkout',
      sale('sale-off-0006', { method: 'cash', tenderedFen: 3000 }, { member: { query: { phone: '13900139000' }, view: member } }),
    );
    expect(await call('queue:status')).toMatchObject({ pending: 3 });
    expect(await failure('pos:refund', { refundId: 'R-offline-0001', order: {} as never, lines: [], reason: '退货' })).toBe(
      'INVALID_INPUT',
    );
    expect(await failure('pos:redeemVoucher', 'JFV1.abc.def.mac')).toBe('OFFLINE_VOUCHER');

    api.down = false;
    expect(await call('queue:drain')).toMatchObject({ online: true, pending: 0 });
    expect([...api.orders.keys()]).toEqual(['sale-off-0001', 'sale-off-0002', 'sale-off-0006']);
    expect(api.orders.get('sale-off-0006')?.request.member).toEqual({ phone: '13900139000' });
    await call('queue:drain');
    expect(api.orderCount).toBe(3);
  });

  it('a cash sale whose request fails mid-way is journaled, then settles to the order the server may already have made', async () => {
    api.failures.push(new PosApiError('TIMEOUT', 'no answer'));
    const outcome = await call('pos:checkout', sale('sale-off-0010', { method: 'cash', tenderedFen: 3000 }));
    expect(outcome).toMatchObject({ queued: true });
    await call('queue:drain');
    expect(api.orderCount).toBe(1);
  });
});

describe('refunds, vouchers, reprints', () => {
  it('a partial refund of a cash sale: refund slip printed, the drawer opened for the cash', async () => {
    const done = await call('pos:checkout', sale('sale-cash-0100', { method: 'cash', tenderedFen: 3000 }));
    const code = done.state === 'completed' ? done.order?.receiptCode : undefined;
    if (!code) throw new Error('no receipt code');
    const order = await call('pos:findOrder', code);
    expect(order).toMatchObject({ paymentMethod: 'cash', refundedFen: 0 });
    const result = await call('pos:refund', { refundId: 'R-refund-0001', order, lines: [{ sku: 'OJ', qty: 1 }], reason: '退货' });
    expect(result).toMatchObject({ refund: { amountFen: 1500 }, cashFen: 1500, drawer: { ok: true } });
    expect(api.calls.find((c) => c.method === 'refund')?.arg).toMatchObject({
      request: { outRefundNo: 'R-refund-0001', amountFen: 1500, reason: '退货' },
    });
    const slip = printer.jobs()[1];
    expect(printed(slip, '退款单')).toBe(true);
    expect(printer.kicks()).toBe(2);
    // More than was bought is refused before reaching the server.
    expect(await failure('pos:refund', { refundId: 'R-refund-0002', order, lines: [{ sku: 'OJ', qty: 3 }], reason: '退货' })).toBe(
      'INVALID_INPUT',
    );
  });

  it('vouchers redeem once; a reprint is marked 重印', async () => {
    expect(await call('pos:redeemVoucher', 'JFV1.abc.def.mac')).toMatchObject({ rewardName: '鲜榨橙汁兑换券' });
    expect(await failure('pos:redeemVoucher', 'JFV1.abc.def.used')).toBe('CODE_USED');
    expect(await failure('pos:redeemVoucher', '6901234567892')).toBe('INVALID_INPUT');
    await call('pos:checkout', sale('sale-cash-0200', { method: 'cash', tenderedFen: 3000 }));
    await call('pos:reprint', 'sale-cash-0200');
    expect(printed(printer.jobs()[1], '重印')).toBe(true);
  });
});

describe('the printer', () => {
  it('holds a receipt while the paper is out and prints it once on retry', async () => {
    printer.state = 'paper_out';
    const outcome = await call('pos:checkout', sale('sale-cash-0300', { method: 'cash', tenderedFen: 3000 }));
    if (outcome.state !== 'completed') throw new Error('not completed');
    expect(outcome.receipt.print).toMatchObject({ status: 'held', reason: 'paper_out' });
    // Only the drawer's real-time pulse (DLE DC4) reached the printer: it runs while out of paper.
    expect(printer.jobs().map((j) => [...j])).toEqual([[0x10, 0x14, 0x01, 0x00, 0x01]]);
    expect(await call('printer:status')).toMatchObject({ condition: 'paper_out', heldJobs: ['sale:sale-cash-0300'] });
    printer.state = 'ready';
    expect(await call('printer:retry', 'sale:sale-cash-0300')).toMatchObject({ status: 'printed' });
    expect(await failure('printer:retry', 'sale:sale-cash-0300')).toBe('UNKNOWN_JOB');
    expect(printer.jobs()).toHaveLength(2);
  });
});

describe('the shift', () => {
  it('wrong PIN is refused; closing prints the Z-report and signs the cashier out', async () => {
    expect(await failure('shift:signIn', { username: 'zhang', pin: '0000' })).toBe('INVALID_CREDENTIALS');
    expect(await failure('shift:signIn', { username: 'zhang', pin: '12' })).toBe('INVALID_INPUT');
    await call('pos:checkout', sale('sale-cash-0400', { method: 'cash', tenderedFen: 3000 }));
    const report = await call('shift:report');
    expect(report).toMatchObject({ source: 'server', report: { cashExpectedFen: 23000 } });
    const closed = await call('shift:close', 23000);
    expect(closed).toMatchObject({ source: 'server', report: { cashDifferenceFen: 0 }, receipt: { print: { status: 'printed' } } });
    expect(printed(printer.jobs().at(-1), '交班报表')).toBe(true);
    expect(await call('shift:current')).toBeNull();
    expect(await failure('pos:checkout', sale('sale-cash-0401', { method: 'cash', tenderedFen: 3000 }))).toBe('NOT_SIGNED_IN');
  });

  it('reports from the till’s own log while the server is unreachable, queued sales listed apart', async () => {
    await call('pos:checkout', sale('sale-cash-0500', { method: 'cash', tenderedFen: 3000 }));
    api.down = true;
    await call('pos:checkout', sale('sale-cash-0501', { method: 'cash', tenderedFen: 3000 }));
    const report = await call('shift:report');
    expect(report).toMatchObject({
      source: 'local',
      queued: { count: 1, cashFen: 3000 },
      report: { sales: { count: 2, amountFen: 6000 }, cashExpectedFen: 26000 },
    });
  });
});

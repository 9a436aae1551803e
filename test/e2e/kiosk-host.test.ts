/**
 * The kiosk host (browser mode) end to end, without a browser: the cashier's calls go through the
 * host's HTTP API exactly as the UI sends them (createHttpBridge), to the real server (`pnpm jifen
 * serve` on MariaDB, a child process that can be killed; it answers every call, PIN sign-in and the
 * catalogue included), the WeChat simulator and the virtual printer.
 *
 * Covers: a cash sale with no member (receipt with the claim QR, drawer kicked), a Native QR member sale
 * paid at the simulator, a payment-code sale, a partial refund, paper out (held, then printed once on
 * retry), and the server killed mid-shift (cash sales journaled with device time, then each settled once
 * when it is back). The same flows through the cashier UI in Chromium: kiosk.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckoutRequest, KioskClient, SaleOutcome } from '@jifen/kiosk';
import { startKioskOnServer, type KioskOnServer } from './kiosk-support.js';
import { waitFor } from './support.js';

type Completed = Extract<SaleOutcome, { state: 'completed' }>;

/** Two of 鲜果坊's products (the demo seed). */
const OJ = { sku: '6901234567892', barcode: '6901234567892', name: '鲜榨橙汁', unitPriceFen: 1500 };
const APPLE = { sku: 'F-APPLE', barcode: '6900000001011', name: '红富士苹果 500g', unitPriceFen: 990 };

function basket(id: string, payment: CheckoutRequest['payment'], extra: Partial<CheckoutRequest> = {}): CheckoutRequest {
  return {
    clientOrderId: id,
    lines: [
      { sku: OJ.sku, name: OJ.name, qty: 2, unitPriceFen: OJ.unitPriceFen },
      { sku: APPLE.sku, name: APPLE.name, qty: 1, unitPriceFen: APPLE.unitPriceFen, category: 'fresh' },
    ],
    payment,
    ...extra,
  };
}

function completed(outcome: SaleOutcome): Completed {
  if (outcome.state !== 'completed') throw new Error(`sale ${outcome.clientOrderId} is ${outcome.state}`);
  return outcome;
}

describe('kiosk host against the real server, the WeChat simulator and the virtual printer', () => {
  let rig: KioskOnServer | undefined;
  let client: KioskClient;
  const tag = `kh${Date.now().toString(36)}`;

  beforeAll(async () => {
    rig = await startKioskOnServer({
      dataDirPrefix: 'kiosk-e2e-',
      sim: { refund: { autoOutcome: 'SUCCESS', delayMs: 50 } },
      queue: { retryMs: 200, retryMaxMs: 1_000, probeMs: 300 },
    });
    client = rig.client;
    await client.signIn({ username: 'cashier', pin: '1234', openingFloatFen: 20000 });
  }, 180_000);

  afterAll(async () => {
    await rig?.close();
  }, 60_000);

  it('a cash sale with no member: settled by the server, receipt with the claim QR printed, drawer kicked', async () => {
    const p = rig!.printer;
    const product = await client.lookupProduct(OJ.barcode!);
    expect(product).toMatchObject({ sku: OJ.sku });
    const outcome = completed(await client.checkout(basket(`${tag}-cash`, { method: 'cash', tenderedFen: 5000 })));
    expect(outcome).toMatchObject({ queued: false, deviceTime: false, payableFen: 3990, changeFen: 1010, drawer: { ok: true } });
    const code = outcome.order?.receiptCode;
    expect(code).toMatch(/^JFR1\./);
    const job = await p.waitForJob((j) => j.qrPayloads.includes(code!), 5_000);
    expect(job.flagged).toBe(false);
    expect(job.text).toContain(outcome.order!.outTradeNo);
    expect(job.text).toContain('扫码领取积分');
    expect(job.text).toContain('找零');
    expect(job.warnings).toEqual([]);
    await p.waitForJob((j) => j.drawerKicks.length > 0, 5_000);
  });

  it('a Native QR sale for a member: pending until the shopper pays at WeChat, then printed once with the member', async () => {
    const p = rig!.printer;
    const member = await client.lookupMember({ phone: '13900139000' });
    expect(member).toMatchObject({ maskedPhone: '139****9000' });
    const waiting = await client.checkout(
      basket(`${tag}-qr`, { method: 'wechat_native' }, { member: { query: { phone: '13900139000' }, view: member } }),
    );
    if (waiting.state !== 'awaiting_payment') throw new Error(waiting.state);
    expect(waiting.order.codeUrl).toMatch(/^weixin:\/\//);
    expect(waiting.qrSvg).toMatch(/^<svg/);
    rig!.sim.pay(waiting.order.outTradeNo, { openid: 'o-kiosk-e2e' });
    const done = await waitFor(
      async () => {
        const s = await client.saleStatus(`${tag}-qr`);
        return s.state === 'completed' ? s : undefined;
      },
      15_000,
      () => 'the QR sale to complete',
    );
    expect(done.order).toMatchObject({ status: 'paid', memberId: expect.any(Number) });
    expect(done.order!.pointsEarned).toBeGreaterThan(0);
    const job = await p.waitForJob((j) => j.text.includes(waiting.order.outTradeNo), 5_000);
    expect(job.text).toContain('139****9000');
    expect(job.text).toContain('微信支付');
    expect(p.jobs.filter((j) => j.text.includes(waiting.order.outTradeNo))).toHaveLength(1);
  });

  it('a payment-code sale and a partial refund of it, back to WeChat, with a refund slip', async () => {
    const p = rig!.printer;
    const sale = completed(await client.checkout(basket(`${tag}-code`, { method: 'wechat_code', authCode: '134567890123456789' })));
    expect(sale.order).toMatchObject({ status: 'paid' });
    const order = await client.findOrder(sale.order!.receiptCode ?? sale.order!.outTradeNo);
    expect(order.lines).toHaveLength(2);
    const refund = await client.refund({ refundId: `${tag}-refund`, order, lines: [{ sku: OJ.sku, qty: 1 }], reason: '退货' });
    expect(refund.refund).toMatchObject({ amountFen: 1500, wechatFen: 1500 });
    expect(refund.cashFen).toBe(0);
    const slip = await p.waitForJob((j) => j.text.includes('退款单') && j.text.includes(sale.order!.outTradeNo), 5_000);
    expect(slip.text).toContain('退回微信支付');
    // The same refund again (a retried click) is the same refund.
    const again = await client.refund({ refundId: `${tag}-refund`, order, lines: [{ sku: OJ.sku, qty: 1 }], reason: '退货' });
    expect(again.refund.outRefundNo).toBe(refund.refund.outRefundNo);
  });

  it('paper out: the receipt is held (nothing printed) and prints once after the paper is changed', async () => {
    const p = rig!.printer;
    p.setState('paper_out');
    const before = p.jobs.length;
    const outcome = completed(await client.checkout(basket(`${tag}-paper`, { method: 'cash', tenderedFen: 3990 })));
    expect(outcome.receipt.print).toMatchObject({ status: 'held', reason: 'paper_out' });
    expect((await client.printerStatus()).condition).toBe('paper_out');
    await new Promise((r) => setTimeout(r, 300));
    expect(p.jobs.slice(before).filter((j) => j.text.includes(outcome.order!.outTradeNo))).toHaveLength(0);
    p.setState('ready');
    expect(await client.retryPrint(outcome.receipt.jobId)).toMatchObject({ status: 'printed' });
    await expect(client.retryPrint(outcome.receipt.jobId)).rejects.toMatchObject({ code: 'UNKNOWN_JOB' });
    await p.waitForJob((j) => j.text.includes(outcome.order!.outTradeNo), 5_000);
    expect(p.jobs.filter((j) => j.text.includes(outcome.order!.outTradeNo) && !j.flagged)).toHaveLength(1);
  });

  it('the server killed mid-shift: cash sales are journaled with device time, WeChat is refused, and each is settled once when it is back', async () => {
    const srv = rig!.server;
    const p = rig!.printer;
    await srv.stop('SIGKILL');
    const ids = [1, 2, 3].map((n) => `${tag}-offline-${n}`);
    for (const id of ids) {
      const outcome = completed(await client.checkout(basket(id, { method: 'cash', tenderedFen: 4000 })));
      expect(outcome).toMatchObject({ queued: true, deviceTime: true, order: null, changeFen: 10 });
      const job = await p.waitForJob((j) => j.text.includes(id), 5_000);
      expect(job.text).toContain('设备时间');
    }
    expect(await client.queueStatus()).toMatchObject({ online: false, pending: 3 });
    await expect(client.checkout(basket(`${tag}-offline-qr`, { method: 'wechat_native' }))).rejects.toMatchObject({
      code: 'OFFLINE_WECHAT',
    });

    await srv.start();
    await waitFor(
      async () => {
        const s = await client.queueStatus();
        return s.online && s.pending === 0 ? s : undefined;
      },
      20_000,
      async () => JSON.stringify(await client.queueStatus()),
    );
    const rows = await rig!.db.rows<{ client_order_id: string; status: string; n: number }>(
      `SELECT client_order_id, status, COUNT(*) OVER (PARTITION BY client_order_id) AS n FROM pay_order WHERE client_order_id IN (?, ?, ?) ORDER BY id`,
      ids,
    );
    expect(rows.map((r) => r.client_order_id).sort()).toEqual([...ids].sort());
    expect(rows.every((r) => r.status === 'paid' && Number(r.n) === 1)).toBe(true);
    // Draining again (the banner's 立即同步) sends nothing new.
    await client.drainQueue();
    const count = await rig!.db.rows<{ n: number }>(`SELECT COUNT(*) AS n FROM pay_order WHERE client_order_id LIKE ?`, [
      `${tag}-offline-%`,
    ]);
    expect(Number(count[0]?.n)).toBe(3);
  }, 60_000);
});

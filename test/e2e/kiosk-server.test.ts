/**
 * The kiosk against the server's own POS API: every call the cashier makes (PIN sign-in, catalogue,
 * member lookup, points preview, sales, cancelling a QR order, finding a receipt, a refund by line, the
 * X and Z reports) is answered by the real server (`pnpm jifen serve` on MariaDB, a child process) — an
 * endpoint it lacked would fail here as ENDPOINT_MISSING. With the WeChat simulator and the virtual printer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckoutRequest, KioskClient, SaleOutcome } from '@jifen/kiosk';
import { startKioskOnServer, type KioskOnServer } from './kiosk-support.js';

type Completed = Extract<SaleOutcome, { state: 'completed' }>;

function completed(outcome: SaleOutcome): Completed {
  if (outcome.state !== 'completed') throw new Error(`sale ${outcome.clientOrderId} is ${outcome.state}`);
  return outcome;
}

describe('the kiosk on the server’s POS API', () => {
  let rig: KioskOnServer | undefined;
  let client: KioskClient;
  const tag = `ks${Date.now().toString(36)}`;

  beforeAll(async () => {
    rig = await startKioskOnServer({ dataDirPrefix: 'kiosk-server-e2e-' });
    client = rig.client;
  }, 180_000);

  afterAll(async () => {
    await rig?.close();
  }, 60_000);

  it('a shift from PIN sign-in to the Z-report, every figure from the server', async () => {
    const wrong = client.signIn({ username: 'cashier', pin: '0000' });
    await expect(wrong).rejects.toMatchObject({ code: 'INVALID_CREDENTIALS' });
    const session = await client.signIn({ username: 'cashier', pin: '1234', openingFloatFen: 20000 });
    expect(session.shift).toMatchObject({ openingFloatFen: 20000, resumed: false });
    expect(session.shift.shiftId).toMatch(/^SH/);
    expect(session.store.name).toBe('鲜果坊 南京西路店');
    expect(session.program).toMatchObject({ pointValueFen: 100, maxPointsSharePercent: 50 });

    // The catalogue, from the server.
    const oj = await client.lookupProduct('6901234567892');
    expect(oj).toMatchObject({ sku: '6901234567892', name: '鲜榨橙汁', unitPriceFen: 1500 });
    const apple = (await client.searchProducts('pg'))[0] ?? (await client.searchProducts('苹果'))[0];
    expect(apple).toMatchObject({ sku: 'F-APPLE', category: 'fresh' });
    expect((await client.quickKeys()).map((p) => p.sku)).toContain('BAG');
    await expect(client.lookupProduct('6900000009999')).rejects.toMatchObject({ code: 'NOT_FOUND' });

    // A member, verified by the server: masked, with points and a reference the sale is created with.
    const member = await client.lookupMember({ phone: '13900139000' });
    expect(member).toMatchObject({ maskedName: '王**', maskedPhone: '139****9000' });
    expect(member.unverified).toBeUndefined();
    expect(member.ref).toMatch(/^JFK1\./);
    const lines = [
      { sku: oj.sku, name: oj.name, qty: 2, unitPriceFen: oj.unitPriceFen },
      { sku: apple!.sku, name: apple!.name, qty: 1, unitPriceFen: apple!.unitPriceFen, category: 'fresh' },
    ];
    const preview = await client.previewPoints({ lines, member: { ref: member.ref! }, redeemPoints: 100 });
    expect(preview.pointsEarned).toBeGreaterThan(0);
    expect(preview.redeem.maxPoints).toBe(Math.min(member.available, 1995));

    const sale: CheckoutRequest = {
      clientOrderId: `${tag}-cash`,
      lines,
      member: { query: { phone: '13900139000' }, view: member },
      redeemPoints: 100,
      payment: { method: 'cash', tenderedFen: 4000 },
    };
    const cash = completed(await client.checkout(sale));
    expect(cash.order).toMatchObject({ status: 'paid', pointsPaid: 100, payableFen: 3890, pointsEarned: preview.pointsEarned });
    expect(cash.changeFen).toBe(110);
    expect(cash.deviceTime).toBe(false);

    // A QR sale the shopper walks away from: cancelled at WeChat and on the server.
    const qr = await client.checkout({ clientOrderId: `${tag}-qr`, lines, payment: { method: 'wechat_native' } });
    expect(qr.state).toBe('awaiting_payment');
    const cancelled = await client.cancelSale(`${tag}-qr`);
    expect(cancelled).toMatchObject({ state: 'closed', order: { status: 'closed' } });

    // The receipt found on the server, one orange juice refunded by line: cash back from the drawer.
    const order = await client.findOrder(cash.order!.outTradeNo);
    expect(order.lines).toHaveLength(2);
    expect(order.member).toMatchObject({ maskedPhone: '139****9000' });
    const refund = await client.refund({ refundId: `${tag}-refund`, order, lines: [{ sku: oj.sku, qty: 1 }], reason: '退货' });
    expect(refund.refund).toMatchObject({ amountFen: 1500, status: 'success' });
    expect(refund.cashFen).toBe(refund.refund.wechatFen);
    await expect(
      client.refund({ refundId: `${tag}-refund-2`, order, lines: [{ sku: oj.sku, qty: 2 }], reason: '退货' }),
    ).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });

    const x = await client.shiftReport();
    expect(x.source).toBe('server');
    expect(x.report).toMatchObject({
      shiftId: session.shift.shiftId,
      sales: { count: 1, amountFen: 3990, byMethod: { cash: 3890, wechat: 0, points: 100 } },
      refunds: { count: 1, amountFen: 1500 },
      cashExpectedFen: 20000 + 3890 - refund.cashFen,
    });
    const z = await client.closeShift(x.report.cashExpectedFen);
    expect(z.source).toBe('server');
    expect(z.report).toMatchObject({ cashCountedFen: x.report.cashExpectedFen, cashDifferenceFen: 0 });
    expect(z.report.closedAt).not.toBeNull();
    expect(z.receipt.print.status).toBe('printed');
  }, 60_000);
});

/**
 * The kiosk's calls beyond creating orders, through real HTTP against the server wired to the WeChat
 * simulator, on the demo group: who the till is, PIN sign-in and shifts, the store catalogue, members
 * and the points preview, offline sales, cancelling, finding a receipt, refunds by line, vouchers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  PosMemberView,
  PosOrderDetail,
  PosOrderView,
  PosPreviewResult,
  PosProduct,
  PosShiftReport,
  PosStaffSession,
  PosTerminalInfo,
} from '@jifen/shared';
import { findMember } from '../../../commands/members.js';
import { redeemReward } from '../../../commands/member-rewards.js';
import { findMemberById } from '../../../repositories/member.repository.js';
import { startPaymentRig } from '../../../test-support/payments.js';
import type { PaymentRig } from '../../../test-support/payments.js';

let rig: PaymentRig;
let till: string;
/** Tills of S002 (same brand as S001), S101 (茶语, same program) and S201 (悦动体育, another program). */
let tillS002: string;
/** A second till of S001. */
let till2: string;
let tillS101: string;
let tillS201: string;
let admin: string;
let wangId: number;
let seq = 0;

type ErrorBody = { error: { code: string; message: string; field?: string } };
const code = (res: { body: unknown }) => (res.body as ErrorBody).error.code;
const id = (tag: string) => `till-${tag}-${++seq}-${Date.now().toString(36)}`;

const call = (method: string, path: string, body?: unknown, token = till) => rig.s.request(method, path, body, token);

async function issueTill(storeCode: string): Promise<string> {
  const res = await rig.s.request('POST', '/api/admin/terminals', { storeCode }, admin);
  expect(res.status).toBe(201);
  return (res.body as { token: string }).token;
}

async function signIn(username = 'cashier', pin = '1234', token = till, openingFloatFen?: number) {
  return call('POST', '/api/pos/staff/session', { username, pin, ...(openingFloatFen !== undefined ? { openingFloatFen } : {}) }, token);
}

const OJ = { sku: '6901234567892', name: '鲜榨橙汁', qty: 2, unitPriceFen: 1500 };
const APPLE = { sku: 'F-APPLE', name: '红富士苹果 500g', qty: 1, unitPriceFen: 990, category: 'fresh' };

beforeAll(async () => {
  rig = await startPaymentRig();
  till = rig.till;
  admin = rig.admin;
  tillS002 = await issueTill('S002');
  till2 = await issueTill('S001');
  tillS101 = await issueTill('S101');
  tillS201 = await issueTill('S201');
  wangId = (await findMember(rig.s.server.services, { phone: '13900139000' }))!.id;
});
afterAll(async () => rig.close());

describe('the till and its cashiers', () => {
  it('GET /terminal names the store, its program and the server time; 401 without a token', async () => {
    const res = await call('GET', '/api/pos/terminal');
    expect(res.status).toBe(200);
    const info = res.body as PosTerminalInfo;
    expect(info.store).toMatchObject({ code: 'S001', name: '鲜果坊 南京西路店' });
    expect(info.program).toEqual({ code: 'JIFEN', name: '集团通用积分', pointValueFen: 100, maxPointsSharePercent: 50 });
    expect(Math.abs(Date.parse(info.serverTime) - Date.now())).toBeLessThan(60_000);
    expect(((await call('GET', '/api/pos/terminal', undefined, tillS201)).body as PosTerminalInfo).program.code).toBe('SPORT');
    expect((await rig.s.request('GET', '/api/pos/terminal')).status).toBe(401);
  });

  it('a PIN sign-in opens a shift with the float; signing in again resumes it (the float is not reset)', async () => {
    const first = await signIn('cashier2', '2345', till, 20000);
    expect(first.status).toBe(201);
    const session = first.body as PosStaffSession;
    expect(session.staff).toMatchObject({ username: 'cashier2', role: 'cashier' });
    expect(session.shift).toMatchObject({ openingFloatFen: 20000, resumed: false });
    const again = await signIn('cashier2', '2345', till, 99900);
    expect((again.body as PosStaffSession).shift).toEqual({ ...session.shift, resumed: true });
    // The same cashier on another till of the store gets a shift of its own.
    const elsewhere = await signIn('cashier2', '2345', till2);
    expect((elsewhere.body as PosStaffSession).shift.shiftId).not.toBe(session.shift.shiftId);
  });

  it('401 INVALID_CREDENTIALS alike for a wrong PIN and an unknown user; 403 for another store’s cashier', async () => {
    const wrong = await signIn('cashier', '0000');
    const unknown = await signIn('nobody', '1234');
    expect([wrong.status, code(wrong), unknown.status, code(unknown)]).toEqual([401, 'INVALID_CREDENTIALS', 401, 'INVALID_CREDENTIALS']);
    expect((wrong.body as ErrorBody).error.message).toBe((unknown.body as ErrorBody).error.message);
    const foreign = await signIn('tea.cashier', '3456');
    expect([foreign.status, code(foreign)]).toEqual([403, 'FORBIDDEN']);
    expect((await signIn('tea.cashier', '3456', tillS101)).status).toBe(201);
    const bad = await call('POST', '/api/pos/staff/session', { username: 'cashier', pin: '12' });
    expect([bad.status, code(bad)]).toEqual([400, 'VALIDATION_FAILED']);
  });

  it('five wrong PINs at one till lock that user there for 15 minutes, even with the right PIN; other tills are not affected', async () => {
    for (let i = 0; i < 5; i++) expect((await signIn('manager', '1111', tillS002)).status).toBe(401);
    const locked = await signIn('manager', '9999', tillS002);
    expect([locked.status, code(locked)]).toEqual([429, 'RATE_LIMITED']);
    expect((await signIn('manager', '9999', till)).status).toBe(201);
  });
});

describe('the store catalogue', () => {
  it('looks a scanned barcode up, or a typed SKU, at the store’s price; 404 NOT_FOUND (not a missing route) otherwise', async () => {
    const byBarcode = await call('GET', '/api/pos/products/6900000001011');
    expect(byBarcode.status).toBe(200);
    expect(byBarcode.body).toEqual({
      sku: 'F-APPLE',
      barcode: '6900000001011',
      name: '红富士苹果 500g',
      unitPriceFen: 990,
      category: 'fresh',
    });
    expect(((await call('GET', '/api/pos/products/D-COLA')).body as PosProduct).unitPriceFen).toBe(350);
    const missing = await call('GET', '/api/pos/products/6900000009999');
    expect([missing.status, code(missing)]).toEqual([404, 'NOT_FOUND']);
    expect((missing.body as ErrorBody).error.message).not.toMatch(/^no route for/);
    // 茶语's till does not sell 鲜果坊's products.
    expect((await call('GET', '/api/pos/products/6900000001011', undefined, tillS101)).status).toBe(404);
    expect(((await call('GET', '/api/pos/products/6900000002018', undefined, tillS101)).body as PosProduct).name).toBe('明前龙井 50g');
  });

  it('searches by name, pinyin initials, SKU and barcode prefix; % and _ are literal', async () => {
    const names = async (q: string, token = till) =>
      (
        (await call('GET', `/api/pos/products?q=${encodeURIComponent(q)}`, undefined, token)).body as { products: PosProduct[] }
      ).products.map((p) => p.sku);
    expect(await names('苹果')).toEqual(['F-APPLE']);
    expect(await names('xzc')).toEqual(['6901234567892']);
    expect(await names('f-ban')).toEqual(['F-BANANA']);
    expect((await names('69000000010')).length).toBe(9);
    expect(await names('%')).toEqual([]);
    expect(await names('_')).toEqual([]);
    expect(await names('龙井', tillS101)).toEqual(['T-LONGJING']);
    const limited = await call('GET', '/api/pos/products?q=6900&limit=3');
    expect((limited.body as { products: PosProduct[] }).products).toHaveLength(3);
    expect((await call('GET', '/api/pos/products?q=')).status).toBe(400);
    expect((await call('GET', '/api/pos/products?q=a&limit=51')).status).toBe(400);
  });

  it('quick keys come in their display order', async () => {
    const res = await call('GET', '/api/pos/quick-keys');
    expect((res.body as { products: PosProduct[] }).products.map((p) => p.sku)).toEqual([
      '6901234567892',
      'F-APPLE',
      'F-BANANA',
      'F-GRAPE',
      'F-CUT',
      'D-WATER',
      'BAG',
    ]);
  });

  it('HQ upserts a brand’s products all or nothing; a 12-digit UPC-A scan finds its EAN-13 twin', async () => {
    const put = (products: unknown[]) => rig.s.request('PUT', '/api/admin/products', { brandCode: 'FRESH', products }, admin);
    const ok = await put([
      { sku: 'D-JUICE', barcode: '0036000291452', name: '进口果汁', initials: 'jkgz', priceFen: 1290, unit: '瓶' },
      { sku: 'D-COLA', barcode: '6900000001066', name: '可口可乐 330ml', initials: 'kkkl', priceFen: 380, unit: '罐' },
    ]);
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ created: 1, updated: 1 });
    expect(((await call('GET', '/api/pos/products/036000291452')).body as PosProduct).sku).toBe('D-JUICE');
    expect(((await call('GET', '/api/pos/products/D-COLA')).body as PosProduct).unitPriceFen).toBe(380);

    // A bad check digit, then a barcode another SKU holds: 400, and the valid product beside it is not written either.
    const badDigit = await put([{ sku: 'X-1', barcode: '6900000001012', name: '错码', priceFen: 100 }]);
    expect([badDigit.status, (badDigit.body as ErrorBody).error.field]).toEqual([400, 'products.0.barcode']);
    const taken = await put([
      { sku: 'X-NEW', name: '新品', priceFen: 100 },
      { sku: 'X-2', barcode: '6900000001011', name: '撞码', priceFen: 100 },
    ]);
    expect([taken.status, code(taken)]).toEqual([400, 'VALIDATION_FAILED']);
    expect((await call('GET', '/api/pos/products/X-NEW')).status).toBe(404);
    const noBrand = await rig.s.request(
      'PUT',
      '/api/admin/products',
      { brandCode: 'NOPE', products: [{ sku: 'A', name: 'a', priceFen: 1 }] },
      admin,
    );
    expect([noBrand.status, code(noBrand)]).toEqual([404, 'BRAND_NOT_FOUND']);
    const list = await rig.s.request('GET', '/api/admin/products?brandCode=FRESH&limit=5', undefined, admin);
    expect((list.body as { products: { sku: string }[]; next: string }).products.map((p) => p.sku)).toEqual([
      '6901234567892',
      'BAG',
      'D-COLA',
      'D-JUICE',
      'D-WATER',
    ]);
    expect((list.body as { next: string }).next).toBe('D-WATER');
  });

  it('one store’s own price and availability apply to that store only', async () => {
    const set = (sku: string, body: unknown) => rig.s.request('PUT', `/api/admin/stores/S002/products/${sku}`, body, admin);
    expect((await set('F-GRAPE', { priceFen: 1290, available: true })).status).toBe(200);
    expect((await set('F-CUT', { priceFen: null, available: false })).status).toBe(200);
    expect(((await call('GET', '/api/pos/products/F-GRAPE', undefined, tillS002)).body as PosProduct).unitPriceFen).toBe(1290);
    expect(((await call('GET', '/api/pos/products/F-GRAPE')).body as PosProduct).unitPriceFen).toBe(1590);
    expect((await call('GET', '/api/pos/products/F-CUT', undefined, tillS002)).status).toBe(404);
    expect((await call('GET', '/api/pos/products/F-CUT')).status).toBe(200);
    const keys = ((await call('GET', '/api/pos/quick-keys', undefined, tillS002)).body as { products: PosProduct[] }).products;
    expect(keys.map((p) => p.sku)).not.toContain('F-CUT');
    expect((await set('T-LONGJING', { priceFen: 1, available: true })).status).toBe(404);

    // A store manager sets its own store's shelf, not another's; a brand's products are HQ's.
    const created = await rig.s.request(
      'POST',
      '/api/admin/staff',
      { username: 'mgr-s002', password: 'manager-pass-s002', role: 'store_manager', storeCode: 'S002' },
      admin,
    );
    expect(created.status).toBe(201);
    const mgr = await rig.s.signIn('mgr-s002', 'manager-pass-s002');
    const own = await rig.s.request('PUT', '/api/admin/stores/S002/products/BAG', { priceFen: 30, available: true }, mgr);
    expect(own.status).toBe(200);
    const other = await rig.s.request('PUT', '/api/admin/stores/S001/products/BAG', { priceFen: 30, available: true }, mgr);
    expect([other.status, code(other)]).toEqual([403, 'FORBIDDEN']);
    const brand = await rig.s.request(
      'PUT',
      '/api/admin/products',
      { brandCode: 'FRESH', products: [{ sku: 'BAG', name: '袋', priceFen: 1 }] },
      mgr,
    );
    expect(brand.status).toBe(403);
    expect(((await call('GET', '/api/pos/products/BAG')).body as PosProduct).unitPriceFen).toBe(50);
  });
});

describe('members and the points preview', () => {
  it('looks a member up by phone or member code: masked, with tier, points and a till-scoped reference', async () => {
    const byPhone = await call('POST', '/api/pos/members/lookup', { phone: '138 0013 8000' });
    expect(byPhone.status).toBe(200);
    const view = byPhone.body as PosMemberView;
    expect(view).toMatchObject({ maskedName: '李**', maskedPhone: '138****8000', tier: { code: expect.any(String) } });
    expect(view.available).toBeGreaterThan(0);
    expect(view.pending).toBeGreaterThan(0);
    expect(view.tierProgress).toMatch(/升级|最高/);
    expect(view.ref).toMatch(/^JFK1\./);
    const memberCode = rig.s.server.services.codes.memberCode(view.memberId, Date.now()).code;
    expect(((await call('POST', '/api/pos/members/lookup', { code: memberCode })).body as PosMemberView).memberId).toBe(view.memberId);
  });

  it('answers MEMBER_NOT_FOUND, MEMBER_CODE_EXPIRED and MEMBER_CODE_INVALID', async () => {
    const none = await call('POST', '/api/pos/members/lookup', { phone: '13600000000' });
    expect([none.status, code(none)]).toEqual([404, 'MEMBER_NOT_FOUND']);
    const old = rig.s.server.services.codes.memberCode(wangId, Date.now() - 120_000).code;
    const expired = await call('POST', '/api/pos/members/lookup', { code: old });
    expect([expired.status, code(expired)]).toEqual([400, 'MEMBER_CODE_EXPIRED']);
    const forged = await call('POST', '/api/pos/members/lookup', { code: `${old.slice(0, -4)}abcd` });
    expect([forged.status, code(forged)]).toEqual([400, 'MEMBER_CODE_INVALID']);
    expect((await call('POST', '/api/pos/members/lookup', {})).status).toBe(400);
  });

  it('twenty phone numbers that match no member lock phone lookups at that till for 15 minutes; offline sales are not held up', async () => {
    const probe = await issueTill('S101');
    for (let i = 0; i < 20; i++) {
      const miss = await call('POST', '/api/pos/members/lookup', { phone: `1350000${String(i).padStart(4, '0')}` }, probe);
      expect(miss.status).toBe(404);
    }
    const locked = await call('POST', '/api/pos/members/lookup', { phone: '13900139000' }, probe);
    expect([locked.status, code(locked)]).toEqual([429, 'RATE_LIMITED']);
    const preview = await call('POST', '/api/pos/preview', { lines: [OJ], member: { phone: '13900139000' } }, probe);
    expect(code(preview)).toBe('RATE_LIMITED');
    // A member code still works there, and phones still work at other tills.
    const memberCode = rig.s.server.services.codes.memberCode(wangId, Date.now()).code;
    expect((await call('POST', '/api/pos/members/lookup', { code: memberCode }, probe)).status).toBe(200);
    expect((await call('POST', '/api/pos/members/lookup', { phone: '13900139000' }, tillS101)).status).toBe(200);
    const offline = await call(
      'POST',
      '/api/pos/orders',
      {
        clientOrderId: id('probe'),
        lines: [OJ],
        member: { phone: '13500009999' },
        payment: { method: 'cash' },
        offlineSale: { deviceTime: new Date().toISOString() },
      },
      probe,
    );
    expect([offline.status, code(offline)]).toEqual([404, 'MEMBER_NOT_FOUND']);
  });

  it('the reference creates the order at that till only; the preview matches what the sale earns', async () => {
    const view = (await call('POST', '/api/pos/members/lookup', { phone: '13900139000' })).body as PosMemberView;
    const lines = [OJ, APPLE];
    const preview = await call('POST', '/api/pos/preview', { lines, member: { ref: view.ref } });
    expect(preview.status).toBe(200);
    const p = preview.body as PosPreviewResult;
    expect(p.trace.length).toBeGreaterThan(0);
    expect(p.redeem.unitPoints).toBe(1);
    expect(p.redeem.maxPoints).toBe(Math.min(view.available, Math.floor(3990 / 2)));
    expect(p.redeem.maxFen).toBe(p.redeem.maxPoints);

    const other = await call(
      'POST',
      '/api/pos/orders',
      { clientOrderId: id('ref'), lines, member: { ref: view.ref }, payment: { method: 'cash' } },
      tillS002,
    );
    expect([other.status, code(other)]).toEqual([400, 'MEMBER_CODE_INVALID']);
    const sale = await call('POST', '/api/pos/orders', {
      clientOrderId: id('ref'),
      lines,
      member: { ref: view.ref },
      payment: { method: 'cash' },
    });
    expect(sale.status).toBe(201);
    expect(sale.body).toMatchObject({ memberId: wangId, status: 'paid', pointsEarned: p.pointsEarned });
    expect((sale.body as PosOrderView).placedAt).toMatch(/Z$/);
  });

  it('the preview refuses more points than the order allows; a SPORT till counts in its own units', async () => {
    const over = await call('POST', '/api/pos/preview', { lines: [OJ], member: { phone: '13900139000' }, redeemPoints: 1501 });
    expect([over.status, (over.body as ErrorBody).error.field]).toEqual([400, 'redeemPoints']);
    const sport = await call(
      'POST',
      '/api/pos/preview',
      { lines: [{ sku: 'S-SOCKS', name: '运动袜', qty: 1, unitPriceFen: 3900 }], member: { phone: '13900139000' } },
      tillS201,
    );
    expect(sport.status).toBe(200);
    expect((sport.body as PosPreviewResult).redeem).toEqual({ maxPoints: 0, maxFen: 0, unitPoints: 2 });
  });
});

describe('shifts: sales and refunds count toward the shift they name', () => {
  it('X-report, refund by line, Z-report with the counted cash; a closed shift takes only offline sales', async () => {
    const session = (await signIn('cashier', '1234', till2, 50000)).body as PosStaffSession;
    const shiftId = session.shift.shiftId;
    const sell = (body: Record<string, unknown>, token = till2) =>
      call('POST', '/api/pos/orders', { clientOrderId: id('shift'), payment: { method: 'cash' }, shiftId, ...body }, token);

    const plain = await sell({ lines: [OJ] });
    expect(plain.status).toBe(201);
    const member = await sell({ lines: [OJ, APPLE], member: { phone: '13900139000' }, redeemPoints: 100 });
    expect(member.status).toBe(201);
    const m = member.body as PosOrderView;
    expect(m).toMatchObject({ payableFen: 3890, pointsPaid: 100 });

    const refund = await call(
      'POST',
      `/api/pos/orders/${m.orderId}/refunds`,
      { outRefundNo: id('rf'), reason: '退一瓶', lines: [{ sku: OJ.sku, qty: 1 }], shiftId },
      till2,
    );
    expect(refund.status).toBe(201);
    expect(refund.body).toMatchObject({ amountFen: 1500, status: 'success' });

    const x = (await call('GET', `/api/pos/shifts/${shiftId}/report`, undefined, till2)).body as PosShiftReport;
    const cashBack = (refund.body as { wechatFen: number }).wechatFen;
    expect(x).toMatchObject({
      shiftId,
      closedAt: null,
      openingFloatFen: 50000,
      sales: { count: 2, amountFen: 3000 + 3990, byMethod: { cash: 3000 + 3890, wechat: 0, points: 100 } },
      refunds: { count: 1, amountFen: 1500, byMethod: { cash: cashBack, wechat: 0, points: 1500 - cashBack } },
      cashExpectedFen: 50000 + 6890 - cashBack,
      cashCountedFen: null,
    });
    expect(x.points).toEqual({
      issued: m.pointsEarned,
      taken: 100,
      reversed: (refund.body as { pointsReversed: number }).pointsReversed,
      returned: (refund.body as { pointsReturned: number }).pointsReturned,
    });
    expect(x.points.returned).toBeGreaterThan(0);

    // Another till cannot read it; an unknown one is 404.
    expect(code(await call('GET', `/api/pos/shifts/${shiftId}/report`))).toBe('FORBIDDEN');
    expect((await call('GET', '/api/pos/shifts/SHNOPE/report', undefined, till2)).status).toBe(404);

    const z = await call('POST', `/api/pos/shifts/${shiftId}/close`, { countedCashFen: x.cashExpectedFen - 100 }, till2);
    expect(z.status).toBe(200);
    expect(z.body).toMatchObject({ cashCountedFen: x.cashExpectedFen - 100, cashDifferenceFen: -100 });
    expect((z.body as PosShiftReport).closedAt).not.toBeNull();
    const again = await call('POST', `/api/pos/shifts/${shiftId}/close`, { countedCashFen: x.cashExpectedFen - 100 }, till2);
    expect(again.body).toEqual(z.body);
    const other = await call('POST', `/api/pos/shifts/${shiftId}/close`, { countedCashFen: 1 }, till2);
    expect([other.status, code(other)]).toEqual([409, 'SHIFT_CLOSED']);

    const late = await sell({ lines: [APPLE] });
    expect([late.status, code(late)]).toEqual([409, 'SHIFT_CLOSED']);
    const journaled = await sell({ lines: [APPLE], offlineSale: { deviceTime: new Date(Date.now() - 60_000).toISOString() } });
    expect(journaled.status).toBe(201);
    const after = (await call('GET', `/api/pos/shifts/${shiftId}/report`, undefined, till2)).body as PosShiftReport;
    expect(after.sales.count).toBe(3);
    expect(after.cashExpectedFen).toBe(x.cashExpectedFen + 990);
    expect(after.cashDifferenceFen).toBe(-100 - 990);

    // Signing in again opens a new shift.
    const next = (await signIn('cashier', '1234', till2)).body as PosStaffSession;
    expect(next.shift).toMatchObject({ resumed: false });
    expect(next.shift.shiftId).not.toBe(shiftId);
  });

  it('an order naming another till’s shift is 403; an offline one is kept without the shift', async () => {
    const shiftId = ((await signIn('cashier', '1234', till)).body as PosStaffSession).shift.shiftId;
    const online = await call(
      'POST',
      '/api/pos/orders',
      { clientOrderId: id('x'), lines: [OJ], payment: { method: 'cash' }, shiftId },
      tillS002,
    );
    expect([online.status, code(online)]).toEqual([403, 'FORBIDDEN']);
    const offline = await call(
      'POST',
      '/api/pos/orders',
      {
        clientOrderId: id('x'),
        lines: [OJ],
        payment: { method: 'cash' },
        shiftId: 'L-made-up-locally',
        offlineSale: { deviceTime: new Date().toISOString() },
      },
      tillS002,
    );
    expect(offline.status).toBe(201);
  });
});

describe('offline sales', () => {
  it('placed at the device time, flagged, with a member code valid then; posted twice, one order', async () => {
    const scannedAt = Date.now() - 3_600_000;
    const memberCode = rig.s.server.services.codes.memberCode(wangId, scannedAt).code;
    const body = {
      clientOrderId: id('offline'),
      lines: [OJ],
      member: { code: memberCode },
      payment: { method: 'cash' },
      offlineSale: { deviceTime: new Date(scannedAt + 10_000).toISOString() },
    };
    const res = await call('POST', '/api/pos/orders', body);
    expect(res.status).toBe(201);
    const order = res.body as PosOrderView;
    expect(order).toMatchObject({
      status: 'paid',
      memberId: wangId,
      deviceTime: true,
      placedAt: new Date(scannedAt + 10_000).toISOString(),
    });
    expect(order.pointsEarned).toBeGreaterThan(0);
    expect(((await call('POST', '/api/pos/orders', body)).body as PosOrderView).orderId).toBe(order.orderId);
    // Online, the same code is long expired.
    const online = await call('POST', '/api/pos/orders', { ...body, clientOrderId: id('online'), offlineSale: undefined });
    expect(code(online)).toBe('MEMBER_CODE_EXPIRED');
  });

  it('a device clock ahead of the server is not believed; only cash without points may be offline', async () => {
    const ahead = await call('POST', '/api/pos/orders', {
      clientOrderId: id('ahead'),
      lines: [OJ],
      payment: { method: 'cash' },
      offlineSale: { deviceTime: new Date(Date.now() + 86_400_000).toISOString() },
    });
    expect(Date.parse((ahead.body as PosOrderView).placedAt!)).toBeLessThanOrEqual(Date.now());
    const wechat = await call('POST', '/api/pos/orders', {
      clientOrderId: id('offwx'),
      lines: [OJ],
      payment: { method: 'wechat_native' },
      offlineSale: { deviceTime: new Date().toISOString() },
    });
    expect([wechat.status, (wechat.body as ErrorBody).error.field]).toEqual([400, 'offlineSale']);
  });
});

describe('cancelling, receipts and refunds by line', () => {
  it('cancels an unpaid QR order at WeChat and here, giving held points back; again: the same answer', async () => {
    const before = ((await call('POST', '/api/pos/members/lookup', { phone: '13900139000' })).body as PosMemberView).available;
    const order = await rig.order({ method: 'wechat_native', phone: '13900139000', redeemPoints: 100 });
    expect(order.status).toBe('pending');
    expect(((await call('POST', '/api/pos/members/lookup', { phone: '13900139000' })).body as PosMemberView).available).toBe(before - 100);
    const cancelled = await call('POST', `/api/pos/orders/${order.orderId}/cancel`, {});
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ orderId: order.orderId, status: 'closed' });
    expect(rig.sim.order(order.outTradeNo)?.trade_state).toBe('CLOSED');
    expect(((await call('POST', '/api/pos/members/lookup', { phone: '13900139000' })).body as PosMemberView).available).toBe(before);
    expect((await call('POST', `/api/pos/orders/${order.orderId}/cancel`, {})).body).toMatchObject({ status: 'closed' });
    expect((await call('POST', `/api/pos/orders/${order.orderId}/cancel`, {}, tillS101)).status).toBe(404);
  });

  it('an order the shopper has paid is not cancelled: 409 ORDER_NOT_PAYABLE, and it is settled', async () => {
    const order = await rig.order({ method: 'wechat_native', phone: '13900139000' });
    rig.sim.pay(order.outTradeNo, { openid: 'o-cancel-race' });
    const res = await call('POST', `/api/pos/orders/${order.orderId}/cancel`, {});
    expect([res.status, code(res)]).toEqual([409, 'ORDER_NOT_PAYABLE']);
    expect(((await call('GET', `/api/pos/orders/${order.orderId}`)).body as PosOrderView).status).toBe('paid');
  });

  it('finds a sale by its receipt code or order number, and refunds no line beyond what was sold', async () => {
    const sale = (await call('POST', '/api/pos/orders', { clientOrderId: id('rc'), lines: [OJ, APPLE], payment: { method: 'cash' } }))
      .body as PosOrderView;
    expect(sale.receiptCode).toMatch(/^JFR1\./);
    const found = await call('GET', `/api/pos/receipts/${encodeURIComponent(sale.receiptCode!)}`);
    expect(found.status).toBe(200);
    const detail = found.body as PosOrderDetail;
    expect(detail).toMatchObject({ orderId: sale.orderId, paymentMethod: 'cash', refundedFen: 0, refundedLines: [] });
    expect(detail.lines).toEqual([
      { sku: OJ.sku, name: OJ.name, qty: 2, unitPriceFen: 1500 },
      { sku: APPLE.sku, name: APPLE.name, qty: 1, unitPriceFen: 990, category: 'fresh' },
    ]);
    expect(((await call('GET', `/api/pos/receipts/${sale.outTradeNo.toLowerCase()}`)).body as PosOrderDetail).orderId).toBe(sale.orderId);
    expect((await call('GET', `/api/pos/receipts/${sale.outTradeNo}`, undefined, tillS101)).status).toBe(404);
    expect(code(await call('GET', '/api/pos/receipts/JFR1.abc.def.0123456789abcdef0123'))).toBe('CODE_FORGED');

    const refund = (lines: unknown, extra: Record<string, unknown> = {}) =>
      call('POST', `/api/pos/orders/${sale.orderId}/refunds`, { outRefundNo: id('rl'), reason: '退货', lines, ...extra });
    expect((await refund([{ sku: OJ.sku, qty: 1 }])).body).toMatchObject({ amountFen: 1500 });
    const tooMany = await refund([{ sku: OJ.sku, qty: 2 }]);
    expect([tooMany.status, (tooMany.body as ErrorBody).error.field]).toEqual([400, 'lines']);
    expect((await refund([{ sku: 'NOT-SOLD', qty: 1 }])).status).toBe(400);
    expect((await refund([{ sku: APPLE.sku, qty: 1 }], { amountFen: 991 })).status).toBe(400);
    const after = (await call('GET', `/api/pos/receipts/${sale.outTradeNo}`)).body as PosOrderDetail;
    expect(after).toMatchObject({ refundedFen: 1500, refundedLines: [{ sku: OJ.sku, qty: 1 }], status: 'partially_refunded' });
  });
});

describe('vouchers at the till', () => {
  it('takes a member’s voucher once, at a store of its program only', async () => {
    const services = rig.s.server.services;
    const li = (await findMember(services, { phone: '13800138000' }))!;
    const reward = await services.db.kysely.selectFrom('reward').select('id').where('name', '=', '鲜榨橙汁券').executeTakeFirstOrThrow();
    const member = (await findMemberById(services.db.kysely, li.id))!;
    const { voucher } = await redeemReward({ db: services.db, codes: services.codes, now: services.now }, member, reward.id, id('voucher'));

    const elsewhere = await call('POST', '/api/pos/vouchers/redeem', { code: voucher.code }, tillS201);
    expect([elsewhere.status, code(elsewhere)]).toEqual([409, 'REWARD_UNAVAILABLE']);
    const used = await call('POST', '/api/pos/vouchers/redeem', { code: voucher.code }, tillS101);
    expect(used.status).toBe(200);
    expect(used.body).toMatchObject({ voucherId: voucher.id, rewardName: '鲜榨橙汁券', memberId: li.id });
    const twice = await call('POST', '/api/pos/vouchers/redeem', { code: voucher.code });
    expect([twice.status, code(twice)]).toEqual([409, 'CODE_USED']);
    const forged = await call('POST', '/api/pos/vouchers/redeem', { code: `${voucher.code.slice(0, -3)}xyz` });
    expect([forged.status, code(forged)]).toEqual([400, 'CODE_FORGED']);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PosOrderView } from '@jifen/shared';
import { PersonalDataCipher } from '../../../lib/crypto.js';
import { seedDemo } from '../../../seed/demo.js';
import { startTestServer } from '../../../test-support/server.js';
import type { TestServer } from '../../../test-support/server.js';
import { findMember } from '../../../commands/members.js';

let s: TestServer;
let admin: string;
let till: string;
let memberId: number;

beforeAll(async () => {
  s = await startTestServer();
  await seedDemo(s.testDb.db, new PersonalDataCipher('test-data-key-0123456789-0123456789-abcdef'));
  admin = await s.signIn();
  const res = await s.request('POST', '/api/admin/terminals', { storeCode: 'S001', name: '1号收银台' }, admin);
  expect(res.status).toBe(201);
  till = (res.body as { token: string }).token;
  const m = await findMember(s.server.services, { phone: '13900139000' });
  memberId = m!.id;
});
afterAll(async () => s.close());

const lines = [
  { sku: '6901234567892', name: '鲜榨橙汁', qty: 2, unitPriceFen: 1500 },
  { sku: '6901234567908', name: '牛油果', qty: 1, unitPriceFen: 7000, category: 'fresh' },
];

async function balanceOf(id: number) {
  const res = await s.request('GET', `/api/admin/members/${id}`, undefined, admin);
  return (res.body as { points: { balance: number; pending: number } }).points;
}

describe('POS cash orders', () => {
  it('401 without a terminal token', async () => {
    const res = await s.request('POST', '/api/pos/orders', { clientOrderId: 'c-0001-xxxx', lines, payment: { method: 'cash' } });
    expect(res.status).toBe(401);
  });

  it('a cash sale to a member is paid at once and its points are pending; the same clientOrderId returns the same order', async () => {
    const before = await balanceOf(memberId);
    const body = { clientOrderId: 'cash-0001-aaaa', lines, member: { phone: '13900139000' }, payment: { method: 'cash' } };
    const res = await s.request('POST', '/api/pos/orders', body, till);
    expect(res.status).toBe(201);
    const order = res.body as PosOrderView;
    expect(order).toMatchObject({ status: 'paid', amountFen: 10000, payableFen: 10000, memberId });
    expect(order.pointsEarned).toBeGreaterThan(0);
    const after = await balanceOf(memberId);
    expect(after.pending - before.pending).toBe(order.pointsEarned);
    const again = await s.request('POST', '/api/pos/orders', body, till);
    expect((again.body as PosOrderView).orderId).toBe(order.orderId);
    expect((await balanceOf(memberId)).pending).toBe(after.pending);
    const status = await s.request('GET', `/api/pos/orders/${order.orderId}`, undefined, till);
    expect(status.body).toMatchObject({ orderId: order.orderId, status: 'paid', memberId, pointsEarned: order.pointsEarned });
  });

  it('partial then full refunds take the points back in proportion, never more than earned', async () => {
    const res = await s.request(
      'POST',
      '/api/pos/orders',
      { clientOrderId: 'cash-0002-bbbb', lines, member: { phone: '13900139000' }, payment: { method: 'cash' } },
      till,
    );
    const order = res.body as PosOrderView;
    const before = await balanceOf(memberId);
    const r1 = await s.request(
      'POST',
      `/api/pos/orders/${order.orderId}/refunds`,
      { outRefundNo: 'rf-0002-part1', amountFen: 3000, reason: '退一瓶橙汁' },
      till,
    );
    expect(r1.status).toBe(201);
    expect(r1.body).toMatchObject({ status: 'success', amountFen: 3000 });
    const partly = await balanceOf(memberId);
    const firstBack = before.pending - partly.pending;
    expect(firstBack).toBe(Math.floor((order.pointsEarned * 3000) / 10000));
    // The same refund number again changes nothing.
    await s.request(
      'POST',
      `/api/pos/orders/${order.orderId}/refunds`,
      { outRefundNo: 'rf-0002-part1', amountFen: 3000, reason: '退一瓶橙汁' },
      till,
    );
    expect((await balanceOf(memberId)).pending).toBe(partly.pending);
    const tooMuch = await s.request(
      'POST',
      `/api/pos/orders/${order.orderId}/refunds`,
      { outRefundNo: 'rf-0002-over', amountFen: 7001, reason: 'x' },
      till,
    );
    expect(tooMuch.status).toBe(409);
    const r2 = await s.request(
      'POST',
      `/api/pos/orders/${order.orderId}/refunds`,
      { outRefundNo: 'rf-0002-rest', reason: '整单退货' },
      till,
    );
    expect(r2.body).toMatchObject({ status: 'success', amountFen: 7000 });
    expect(before.pending - (await balanceOf(memberId)).pending).toBe(order.pointsEarned);
    const status = await s.request('GET', `/api/pos/orders/${order.orderId}`, undefined, till);
    expect((status.body as PosOrderView).status).toBe('refunded');
  });

  it('points paid with are held, spent on payment, and given back by a refund', async () => {
    const start = await balanceOf(memberId);
    await s.request(
      'POST',
      `/api/admin/members/${memberId}/adjustments`,
      { points: 1000, reason: '测试充值', idempotencyKey: 'pos-test-fund-0001' },
      admin,
    );
    const res = await s.request(
      'POST',
      '/api/pos/orders',
      { clientOrderId: 'cash-0003-cccc', lines, member: { phone: '13900139000' }, redeemPoints: 500, payment: { method: 'cash' } },
      till,
    );
    expect(res.status).toBe(201);
    const order = res.body as PosOrderView;
    expect(order).toMatchObject({ status: 'paid', amountFen: 10000, payableFen: 9500, pointsPaid: 500 });
    expect((await balanceOf(memberId)).balance).toBe(start.balance + 1000 - 500);
    await s.request('POST', `/api/pos/orders/${order.orderId}/refunds`, { outRefundNo: 'rf-0003-all', reason: '整单退货' }, till);
    expect((await balanceOf(memberId)).balance).toBe(start.balance + 1000);
  });

  it('refuses paying more than half with points, and more points than the member has', async () => {
    const half = await s.request(
      'POST',
      '/api/pos/orders',
      { clientOrderId: 'cash-0004-dddd', lines, member: { phone: '13900139000' }, redeemPoints: 5001, payment: { method: 'cash' } },
      till,
    );
    expect(half.status).toBe(400);
    expect((half.body as { error: { field: string } }).error.field).toBe('redeemPoints');
    const poor = await s.request(
      'POST',
      '/api/pos/orders',
      { clientOrderId: 'cash-0005-eeee', lines, member: { phone: '13700137000' }, redeemPoints: 5000, payment: { method: 'cash' } },
      till,
    );
    expect(poor.status).toBe(409);
    expect((poor.body as { error: { code: string } }).error.code).toBe('POINTS_INSUFFICIENT');
  });

  it('a WeChat order on a server without WeChat Pay answers 503 PAYMENTS_NOT_CONFIGURED', async () => {
    const res = await s.request(
      'POST',
      '/api/pos/orders',
      { clientOrderId: 'wx-0001-ffff', lines, payment: { method: 'wechat_native' } },
      till,
    );
    expect(res.status).toBe(503);
  });
});

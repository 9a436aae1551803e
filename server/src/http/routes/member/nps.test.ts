/** POST /api/member/nps: the 0–10 question the mini-program asks after a purchase, and the NPS report it feeds. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NpsResponse } from '@jifen/shared';
import { startPaymentRig } from '../../../test-support/payments.js';
import type { PaymentRig } from '../../../test-support/payments.js';
import { errorCode, login, publishRules, signUp } from './test-helpers.js';

let rig: PaymentRig;

beforeAll(async () => {
  rig = await startPaymentRig();
  await publishRules(rig);
});
afterAll(async () => rig.close());

describe('POST /api/member/nps', () => {
  it('201 for an answer about the member’s own paid order, 200 for the same answer again, 409 for another', async () => {
    const mei = await signUp(rig, 'nps-mei', '13311110001');
    const order = await rig.order({ method: 'cash', phone: '13311110001' });
    const first = await mei.call('POST', '/api/member/nps', { orderId: order.orderId, score: 9, comment: '很好' });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ score: 9, orderId: order.orderId, replayed: false } satisfies Partial<NpsResponse>);
    const again = await mei.call('POST', '/api/member/nps', { orderId: order.orderId, score: 9, comment: '很好' });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ id: (first.body as NpsResponse).id, replayed: true });
    const other = await mei.call('POST', '/api/member/nps', { orderId: order.orderId, score: 2 });
    expect(other.status).toBe(409);
    expect(errorCode(other)).toBe('IDEMPOTENCY_CONFLICT');
    const row = await rig.s.testDb.db.kysely
      .selectFrom('nps_response')
      .selectAll()
      .where('order_id', '=', order.orderId)
      .executeTakeFirstOrThrow();
    const store = await rig.s.testDb.db.kysely
      .selectFrom('store')
      .select(['id', 'brand_id'])
      .where('code', '=', 'S001')
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ member_id: mei.member.id, store_id: store.id, brand_id: store.brand_id, score: 9, comment: '很好' });
  });

  it('404 ORDER_NOT_FOUND for someone else’s order; one answer a day without an order', async () => {
    const lan = await signUp(rig, 'nps-lan', '13311110002');
    const notHers = await rig.order({ method: 'cash', phone: '13311110001' });
    const res = await lan.call('POST', '/api/member/nps', { orderId: notHers.orderId, score: 10 });
    expect(res.status).toBe(404);
    expect(errorCode(res)).toBe('ORDER_NOT_FOUND');
    expect((await lan.call('POST', '/api/member/nps', { score: 6 })).status).toBe(201);
    expect((await lan.call('POST', '/api/member/nps', { score: 6 })).status).toBe(200);
    expect((await lan.call('POST', '/api/member/nps', { score: 7 })).status).toBe(409);
  });

  it('400 VALIDATION_FAILED for a score outside 0–10; 401 / 403 without a registered member', async () => {
    const mei = await signUp(rig, 'nps-zhu', '13311110003');
    const res = await mei.call('POST', '/api/member/nps', { score: 11 });
    expect(res.status).toBe(400);
    expect(errorCode(res)).toBe('VALIDATION_FAILED');
    for (const body of [
      { score: -1 },
      { score: 7.5 },
      { score: '9' },
      {},
      { score: 5, comment: '好'.repeat(501) },
      { score: 5, orderId: 0 },
    ]) {
      const bad = await mei.call('POST', '/api/member/nps', body);
      expect([JSON.stringify(body).slice(0, 40), bad.status, errorCode(bad)]).toEqual([
        JSON.stringify(body).slice(0, 40),
        400,
        'VALIDATION_FAILED',
      ]);
    }
    expect(await rig.s.testDb.db.kysely.selectFrom('nps_response').selectAll().where('member_id', '=', mei.member.id).execute()).toEqual(
      [],
    );
    expect((await rig.s.request('POST', '/api/member/nps', { score: 5 })).status).toBe(401);
    const guest = await login(rig, 'nps-guest');
    const unregistered = await guest.call('POST', '/api/member/nps', { score: 5 });
    expect(unregistered.status).toBe(403);
    expect(errorCode(unregistered)).toBe('MEMBER_NOT_REGISTERED');
  });

  it('the NPS report counts the answers: promoters − detractors', async () => {
    const res = await rig.s.request('GET', '/api/admin/reports/nps', undefined, rig.admin);
    expect(res.status).toBe(200);
    // A 9 (promoter) at FRESH and a 6 (detractor) without an order.
    expect((res.body as { summary: unknown }).summary).toEqual({ responses: 2, promoters: 1, passives: 0, detractors: 1, nps: 0 });
    expect((res.body as { brands: unknown[] }).brands).toEqual([
      { brand: null, responses: 1, promoters: 0, passives: 0, detractors: 1, nps: -100 },
      { brand: 'FRESH', responses: 1, promoters: 1, passives: 0, detractors: 0, nps: 100 },
    ]);
  });
});

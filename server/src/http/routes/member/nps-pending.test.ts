/** GET /api/member/nps/pending: the purchase the member card asks the 0–10 question about. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NpsPendingResponse } from '@jifen/shared';
import { startPaymentRig } from '../../../test-support/payments.js';
import type { PaymentRig } from '../../../test-support/payments.js';
import { publishRules, signUp } from './test-helpers.js';

let rig: PaymentRig;

beforeAll(async () => {
  rig = await startPaymentRig();
  await publishRules(rig);
});
afterAll(async () => rig.close());

describe('GET /api/member/nps/pending: the member card asks about a purchase made at a till', () => {
  it('names the latest unrated purchase of the last 7 days with its store, then the one before once rated, then none', async () => {
    const ying = await signUp(rig, 'nps-ying', '13311110009');
    expect((await ying.call('GET', '/api/member/nps/pending')).body).toEqual({ order: null } satisfies NpsPendingResponse);
    // Three purchases at the till, the member identified by phone: one of them 8 days old.
    const old = await rig.order({ method: 'cash', phone: '13311110009', amountFen: 1_000 });
    const first = await rig.order({ method: 'cash', phone: '13311110009', amountFen: 2_000 });
    const latest = await rig.order({ method: 'cash', phone: '13311110009', amountFen: 3_000 });
    const db = rig.s.testDb.db.kysely;
    const now = Date.now();
    await db
      .updateTable('pay_order')
      .set({ placed_at: now - 8 * 86_400_000 })
      .where('id', '=', old.orderId)
      .execute();
    await db
      .updateTable('pay_order')
      .set({ placed_at: now - 2 * 86_400_000 })
      .where('id', '=', first.orderId)
      .execute();
    await db
      .updateTable('pay_order')
      .set({ placed_at: now - 60_000 })
      .where('id', '=', latest.orderId)
      .execute();
    const pending = await ying.call('GET', '/api/member/nps/pending');
    expect(pending.status).toBe(200);
    expect(pending.body).toEqual({
      order: { orderId: latest.orderId, storeName: expect.any(String), placedAt: new Date(now - 60_000).toISOString(), amountFen: 3_000 },
    });
    const store = await db.selectFrom('store').select('name').where('code', '=', 'S001').executeTakeFirstOrThrow();
    expect((pending.body as NpsPendingResponse).order?.storeName).toBe(store.name);

    expect((await ying.call('POST', '/api/member/nps', { orderId: latest.orderId, score: 8 })).status).toBe(201);
    expect((await ying.call('GET', '/api/member/nps/pending')).body).toMatchObject({ order: { orderId: first.orderId, amountFen: 2_000 } });
    expect((await ying.call('POST', '/api/member/nps', { orderId: first.orderId, score: 10 })).status).toBe(201);
    // The 8-day-old purchase is not asked about any more.
    expect((await ying.call('GET', '/api/member/nps/pending')).body).toEqual({ order: null });
  });

  it('never names another member’s purchase; 401 without a session', async () => {
    const lin = await signUp(rig, 'nps-lin', '13311110010');
    await rig.order({ method: 'cash', phone: '13311110009' });
    expect((await lin.call('GET', '/api/member/nps/pending')).body).toEqual({ order: null });
    const anonymous = await fetch(`${rig.s.url}/api/member/nps/pending`);
    expect(anonymous.status).toBe(401);
  });
});

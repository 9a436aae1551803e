/**
 * Scan to earn through real HTTP: receipt codes of sales paid without a member (claimed once, by the
 * order's own rule set version, refundable afterwards), product codes from HQ batches (once per code,
 * a daily limit per member), and the per-member claim rate.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClaimResponse, PosOrderView } from '@jifen/shared';
import {
  CLAIMS_PER_MINUTE,
  PRODUCT_CLAIMS_PER_DAY,
  createProductCodeBatch,
  voidProductCodeBatch,
} from '../../../commands/member-claims.js';
import { startPaymentRig } from '../../../test-support/payments.js';
import type { PaymentRig } from '../../../test-support/payments.js';
import { errorCode, errorField, publishRules, signUp } from './test-helpers.js';
import type { Shopper } from './test-helpers.js';

let rig: PaymentRig;
const db = () => rig.s.testDb.db;
const codes = () => rig.s.server.services.codes;
let phone = 13500000000;
const nextPhone = () => String(++phone);

beforeAll(async () => {
  rig = await startPaymentRig();
  await publishRules(rig);
});
afterAll(async () => rig.close());

async function account(memberId: number) {
  return db()
    .kysely.selectFrom('account')
    .innerJoin('program', 'program.id', 'account.program_id')
    .select(['account.available', 'account.pending', 'account.id'])
    .where('account.member_id', '=', memberId)
    .where('program.code', '=', 'JIFEN')
    .executeTakeFirstOrThrow();
}

/** A cash sale at the till with no member: paid at once, its view carries the receipt code. */
async function anonymousSale(amountFen = 12800): Promise<PosOrderView> {
  const order = await rig.order({ method: 'cash', amountFen });
  expect(order.status).toBe('paid');
  expect(order.memberId).toBeNull();
  return order;
}

async function claim(shopper: Shopper, code: string) {
  return shopper.call('POST', '/api/member/claims', { code });
}

/** Moves the server's clock on by `ms` (the claim rate limit counts per minute); returns the undo. */
function advanceClock(ms: number): () => void {
  const services = rig.s.server.services;
  const original = services.now;
  services.now = () => original() + ms;
  return () => {
    services.now = original;
  };
}

describe('receipt codes', () => {
  it('a sale paid without a member prints a JFR1 receipt code; claiming it credits the order’s points once', async () => {
    const sale = await anonymousSale();
    expect(sale.receiptCode).toMatch(/^JFR1\./);
    const view = await rig.s.request('GET', `/api/pos/orders/${sale.orderId}`, undefined, rig.till);
    expect((view.body as PosOrderView).receiptCode).toBe(sale.receiptCode);

    const kim = await signUp(rig, 'kim', nextPhone());
    const before = await account(kim.member.id);
    const res = await claim(kim, sale.receiptCode!);
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      kind: 'receipt',
      pointsEarned: 128,
      pending: true,
      balance: before.available,
    } satisfies Partial<ClaimResponse>);
    expect((res.body as ClaimResponse).message).toContain('+128');
    expect((await account(kim.member.id)).pending).toBe(before.pending + 128);

    // The sale is the member's now: the kiosk sees it, and prints no code any more.
    const after = (await rig.s.request('GET', `/api/pos/orders/${sale.orderId}`, undefined, rig.till)).body as PosOrderView;
    expect(after).toMatchObject({ memberId: kim.member.id, pointsEarned: 128 });
    expect(after.receiptCode).toBeUndefined();

    const again = await claim(kim, sale.receiptCode!);
    expect(again.status).toBe(409);
    expect(errorCode(again)).toBe('CODE_USED');
    const lee = await signUp(rig, 'lee', nextPhone());
    const other = await claim(lee, sale.receiptCode!);
    expect(other.status).toBe(409);
    expect(errorCode(other)).toBe('CODE_USED');
    const earns = await db()
      .kysely.selectFrom('ledger_entry')
      .select('id')
      .where('order_ref', '=', sale.outTradeNo)
      .where('kind', '=', 'earn')
      .execute();
    expect(earns).toHaveLength(1);
  });

  it('points follow the rule set version the order was placed under, not the one in force at the claim', async () => {
    const placedUnder = await publishRules(rig, { baseRate: 1, growthPerYuan: 1 });
    const sale = await anonymousSale(10000);
    await publishRules(rig, { baseRate: 5, growthPerYuan: 1 });
    try {
      const mia = await signUp(rig, 'mia', nextPhone());
      const res = await claim(mia, sale.receiptCode!);
      expect(res.status).toBe(201);
      expect((res.body as ClaimResponse).pointsEarned).toBe(100);
      const entry = await db()
        .kysely.selectFrom('ledger_entry')
        .select(['trace', 'growth_delta'])
        .where('order_ref', '=', sale.outTradeNo)
        .executeTakeFirstOrThrow();
      expect(JSON.parse(entry.trace!)).toMatchObject({ ruleSetVersion: placedUnder.version });
      expect(entry.growth_delta).toBe(100);
    } finally {
      await publishRules(rig);
    }
  });

  it('forged, expired and unknown codes are refused with their own codes, and credit nothing', async () => {
    const sale = await anonymousSale();
    const ned = await signUp(rig, 'ned', nextPhone());
    const before = await account(ned.member.id);
    const code = sale.receiptCode!;
    const forged = code.slice(0, -1) + (code.endsWith('0') ? '1' : '0');
    const r1 = await claim(ned, forged);
    expect([r1.status, errorCode(r1)]).toEqual([400, 'CODE_FORGED']);
    // Another order id under the same MAC: forged too.
    const [, , exp, mac] = code.split('.');
    const r2 = await claim(ned, `JFR1.${(sale.orderId + 1).toString(36)}.${exp}.${mac}`);
    expect(errorCode(r2)).toBe('CODE_FORGED');
    const r3 = await claim(ned, codes().receiptCode(sale.orderId, Date.now() - 1000));
    expect([r3.status, errorCode(r3)]).toEqual([410, 'CODE_EXPIRED']);
    const r4 = await claim(ned, codes().receiptCode(123456789, Date.now() + 60_000));
    expect([r4.status, errorCode(r4)]).toEqual([404, 'CODE_UNKNOWN']);
    const r5 = await claim(ned, 'hello world');
    expect([r5.status, errorCode(r5)]).toEqual([404, 'CODE_UNKNOWN']);
    // A member code is not a claim code.
    const r6 = await claim(ned, codes().memberCode(ned.member.id, Date.now()).code);
    expect(errorCode(r6)).toBe('CODE_UNKNOWN');
    expect(await account(ned.member.id)).toEqual(before);
    // The genuine code still works after all that.
    expect((await claim(ned, code)).status).toBe(201);
  });

  it('a refunded sale’s receipt is void; a claimed sale refunded later takes its points back', async () => {
    const refunded = await anonymousSale();
    const r = await rig.s.request('POST', `/api/pos/orders/${refunded.orderId}/refunds`, { reason: '退货' }, rig.till);
    expect(r.status).toBe(201);
    const ola = await signUp(rig, 'ola', nextPhone());
    const voidClaim = await claim(ola, refunded.receiptCode!);
    expect([voidClaim.status, errorCode(voidClaim)]).toEqual([410, 'CODE_VOID']);

    const sale = await anonymousSale();
    const before = await account(ola.member.id);
    expect((await claim(ola, sale.receiptCode!)).status).toBe(201);
    expect((await account(ola.member.id)).pending).toBe(before.pending + 128);
    const refund = await rig.s.request('POST', `/api/pos/orders/${sale.orderId}/refunds`, { reason: '退货' }, rig.till);
    expect(refund.status).toBe(201);
    expect(refund.body).toMatchObject({ status: 'success', pointsReversed: 128 });
    expect((await account(ola.member.id)).pending).toBe(before.pending);
  });

  it('five members claiming one receipt at once: exactly one gets the points', async () => {
    const sale = await anonymousSale();
    const shoppers = await Promise.all([1, 2, 3, 4, 5].map((i) => signUp(rig, `race${i}`, nextPhone())));
    const results = await Promise.all(shoppers.map((s) => claim(s, sale.receiptCode!)));
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    expect(results.filter((r) => errorCode(r) === 'CODE_USED')).toHaveLength(4);
    const earns = await db().kysely.selectFrom('ledger_entry').select('id').where('order_ref', '=', sale.outTradeNo).execute();
    expect(earns).toHaveLength(1);
  });

  it('a request without a code is 400 naming the field and counts nothing', async () => {
    const pia = await signUp(rig, 'pia', nextPhone());
    const res = await pia.call('POST', '/api/member/claims', { code: '' });
    expect([res.status, errorField(res)]).toEqual([400, 'code']);
    const limits = await db().kysely.selectFrom('rate_limit').selectAll().where('bucket', '=', `claim:${pia.member.id}`).execute();
    expect(limits).toEqual([]);
  });

  it('an unregistered session cannot claim (403 MEMBER_NOT_REGISTERED)', async () => {
    const sale = await anonymousSale();
    const res = await rig.s.request('POST', '/api/member/session', { code: 'claim-unregistered.1' });
    const token = (res.body as { token: string }).token;
    const r = await rig.s.request('POST', '/api/member/claims', { code: sale.receiptCode }, token);
    expect([r.status, errorCode(r)]).toEqual([403, 'MEMBER_NOT_REGISTERED']);
  });
});

describe('product codes (一物一码)', () => {
  it('each code of a batch claims once, whoever tries; tampered codes are forged', async () => {
    const { codes: batch } = await createProductCodeBatch(
      { db: db(), codes: codes(), now: Date.now },
      { sku: '6900000000001', name: '有机牛奶', points: 50, count: 3, expiresAt: Date.now() + 86_400_000 },
    );
    expect(batch).toHaveLength(3);
    expect(new Set(batch).size).toBe(3);
    const quinn = await signUp(rig, 'quinn', nextPhone());
    const before = await account(quinn.member.id);
    const first = await claim(quinn, batch[0]!);
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ kind: 'product', pointsEarned: 50, pending: false, balance: before.available + 50 });
    // Scanned as a URL that wraps the code: the code is taken out of it.
    expect((await claim(quinn, `https://jifen.example/p?c=${batch[1]}`)).status).toBe(201);
    const again = await claim(quinn, batch[0]!);
    expect([again.status, errorCode(again)]).toEqual([409, 'CODE_USED']);
    const rex = await signUp(rig, 'rex', nextPhone());
    expect(errorCode(await claim(rex, batch[0]!))).toBe('CODE_USED');
    const [p, b, , mac] = batch[2]!.split('.');
    expect(errorCode(await claim(rex, `${p}.${b}.zz.${mac}`))).toBe('CODE_FORGED');
    expect((await account(quinn.member.id)).available).toBe(before.available + 100);
    const history = await quinn.call('GET', '/api/member/me/history?limit=1');
    expect(history.body).toMatchObject({ entries: [{ kind: 'grant', points: 50, reason: '扫码积分：有机牛奶', pending: false }] });
  });

  it('a voided batch answers CODE_VOID, an expired one CODE_EXPIRED', async () => {
    const voided = await createProductCodeBatch(
      { db: db(), codes: codes(), now: Date.now },
      { sku: 'SKU-V', name: '撤回批次', points: 10, count: 1, expiresAt: Date.now() + 86_400_000 },
    );
    await voidProductCodeBatch(db(), voided.batchId);
    const expired = await createProductCodeBatch(
      { db: db(), codes: codes(), now: Date.now },
      { sku: 'SKU-E', name: '过期批次', points: 10, count: 1, expiresAt: Date.now() + 86_400_000 },
    );
    await db()
      .kysely.updateTable('product_code_batch')
      .set({ expires_at: Date.now() - 1 })
      .where('id', '=', expired.batchId)
      .execute();
    const sam = await signUp(rig, 'sam', nextPhone());
    const v = await claim(sam, voided.codes[0]!);
    expect([v.status, errorCode(v)]).toEqual([410, 'CODE_VOID']);
    const e = await claim(sam, expired.codes[0]!);
    expect([e.status, errorCode(e)]).toEqual([410, 'CODE_EXPIRED']);
  });

  it(`a member claims at most ${PRODUCT_CLAIMS_PER_DAY} product codes a day (409 CLAIM_LIMIT_REACHED)`, async () => {
    const { codes: batch } = await createProductCodeBatch(
      { db: db(), codes: codes(), now: Date.now },
      { sku: 'SKU-D', name: '饮用水', points: 1, count: PRODUCT_CLAIMS_PER_DAY + 2, expiresAt: Date.now() + 86_400_000 },
    );
    const tia = await signUp(rig, 'tia', nextPhone());
    const restores: Array<() => void> = [];
    try {
      for (let i = 0; i < PRODUCT_CLAIMS_PER_DAY; i++) {
        // Stay under the per-minute rate: a new minute every CLAIMS_PER_MINUTE claims.
        if (i > 0 && i % CLAIMS_PER_MINUTE === 0) restores.push(advanceClock(61_000));
        const r = await claim(tia, batch[i]!);
        expect(r.status).toBe(201);
      }
      restores.push(advanceClock(61_000));
      const over = await claim(tia, batch[PRODUCT_CLAIMS_PER_DAY]!);
      expect([over.status, errorCode(over)]).toEqual([409, 'CLAIM_LIMIT_REACHED']);
      // The refused code was not spent: another member can still claim it.
      const uma = await signUp(rig, 'uma', nextPhone());
      expect((await claim(uma, batch[PRODUCT_CLAIMS_PER_DAY]!)).status).toBe(201);
    } finally {
      for (const restore of restores.reverse()) restore();
    }
    expect((await account(tia.member.id)).available).toBe(200 + PRODUCT_CLAIMS_PER_DAY);
  });
});

describe('rate limit', () => {
  it(`at most ${CLAIMS_PER_MINUTE} claim attempts a minute per member, good or bad (429 RATE_LIMITED)`, async () => {
    const { codes: batch } = await createProductCodeBatch(
      { db: db(), codes: codes(), now: Date.now },
      { sku: 'SKU-R', name: '口香糖', points: 5, count: 1, expiresAt: Date.now() + 86_400_000 },
    );
    const vic = await signUp(rig, 'vic', nextPhone());
    for (let i = 0; i < CLAIMS_PER_MINUTE; i++) expect(errorCode(await claim(vic, `JFP1.guess.${i}.0000`))).toBe('CODE_FORGED');
    const limited = await claim(vic, batch[0]!);
    expect([limited.status, errorCode(limited)]).toEqual([429, 'RATE_LIMITED']);
    // Another member is not held back by vic's attempts.
    const wes = await signUp(rig, 'wes', nextPhone());
    expect((await claim(wes, batch[0]!)).status).toBe(201);
    // A minute later vic may try again (the code is taken by now).
    const restore = advanceClock(61_000);
    try {
      expect(errorCode(await claim(vic, batch[0]!))).toBe('CODE_USED');
    } finally {
      restore();
    }
  });
});

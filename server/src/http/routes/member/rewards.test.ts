/**
 * Rewards, vouchers and exchange through real HTTP: stock that is never oversold, per-member limits,
 * tier-only rewards, insufficient points, idempotent replays, the kiosk taking a voucher once, and
 * points exchanged between programs at HQ's rates.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExchangeRatesResponse, ExchangeResponse, RedeemResponse, RewardsResponse, VouchersResponse } from '@jifen/shared';
import { verifyAccount } from '../../../commands/ledger.js';
import { createReward, redeemVoucher, seedDemoRewards } from '../../../commands/member-rewards.js';
import { inTransaction } from '../../../db/dialect.js';
import { startPaymentRig } from '../../../test-support/payments.js';
import type { PaymentRig } from '../../../test-support/payments.js';
import { errorCode, errorField, givePoints, publishRules, signUp } from './test-helpers.js';

let rig: PaymentRig;
let programId: number;
const db = () => rig.s.testDb.db;
let phone = 13400000000;
const nextPhone = () => String(++phone);
let key = 0;
const nextKey = () => `redeem-${process.pid}-${++key}`;

beforeAll(async () => {
  rig = await startPaymentRig();
  await publishRules(rig);
  programId = (await db().kysely.selectFrom('program').select('id').where('code', '=', 'JIFEN').executeTakeFirstOrThrow()).id;
});
afterAll(async () => rig.close());

async function balance(memberId: number, program = 'JIFEN') {
  const row = await db()
    .kysely.selectFrom('account')
    .innerJoin('program', 'program.id', 'account.program_id')
    .select(['account.id', 'account.available'])
    .where('account.member_id', '=', memberId)
    .where('program.code', '=', program)
    .executeTakeFirst();
  return row?.available ?? 0;
}

async function stock(rewardId: number) {
  return (await db().kysely.selectFrom('reward').select('stock').where('id', '=', rewardId).executeTakeFirstOrThrow()).stock;
}

function redeem(
  shopper: { call: (m: string, p: string, b?: unknown) => Promise<{ status: number; body: unknown; headers: Headers }> },
  rewardId: number,
  idempotencyKey = nextKey(),
) {
  return shopper.call('POST', `/api/member/rewards/${rewardId}/redeem`, { idempotencyKey });
}

const terminal = async (storeCode: string) => {
  const res = await rig.s.request('POST', '/api/admin/terminals', { storeCode }, rig.admin);
  const { terminalId } = res.body as { terminalId: number };
  const store = await db().kysely.selectFrom('store').select('id').where('code', '=', storeCode).executeTakeFirstOrThrow();
  return { terminalId, storeId: store.id };
};

describe('the catalogue', () => {
  it('the demo seed adds the demo rewards once; the list says what this member can redeem and why not', async () => {
    // seedDemo (run by the rig) already added them: a second run adds nothing.
    expect(await seedDemoRewards(db(), programId)).toBe(0);
    expect(await db().kysely.selectFrom('reward').select('id').where('program_id', '=', programId).execute()).toHaveLength(3);
    const ada = await signUp(rig, 'ada', nextPhone());
    const res = await ada.call('GET', '/api/member/rewards');
    expect(res.status).toBe(200);
    const { rewards } = res.body as RewardsResponse;
    expect(rewards.map((r) => [r.name, r.available, r.unavailableReason])).toEqual([
      ['鲜榨橙汁券', false, '积分不足'],
      ['水果礼盒', false, '积分不足'],
      ['黄金会员专享茶礼', false, '仅限黄金、铂金会员'],
    ]);
    await givePoints(rig, ada.member.id, 1000);
    const after = ((await ada.call('GET', '/api/member/rewards')).body as RewardsResponse).rewards;
    expect(after[0]).toMatchObject({
      name: '鲜榨橙汁券',
      pointsCost: 300,
      stock: null,
      available: true,
      unavailableReason: null,
      redeemedByMe: 0,
    });
  });
});

describe('redeeming', () => {
  it('debits the points and issues a signed JFV1 voucher; a replay returns the same voucher and debits nothing', async () => {
    const rewardId = await createReward(db(), { programId, name: '咖啡券', pointsCost: 300, stock: 10 });
    const bea = await signUp(rig, 'bea', nextPhone());
    await givePoints(rig, bea.member.id, 1000);
    const idem = nextKey();
    const first = await redeem(bea, rewardId, idem);
    expect(first.status).toBe(201);
    const body = first.body as RedeemResponse;
    expect(body.voucher).toMatchObject({ rewardName: '咖啡券', status: 'active', usedAt: null });
    expect(body.voucher.code).toMatch(/^JFV1\./);
    expect(body.balance).toBe(200 + 1000 - 300);
    expect(Date.parse(body.voucher.expiresAt) - Date.now()).toBeGreaterThan(29 * 86_400_000);
    const replay = await redeem(bea, rewardId, idem);
    expect(replay.status).toBe(201);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.body).toEqual(body);
    expect(await balance(bea.member.id)).toBe(900);
    expect(await stock(rewardId)).toBe(9);
    const vouchers = (await bea.call('GET', '/api/member/vouchers')).body as VouchersResponse;
    expect(vouchers.vouchers).toEqual([body.voucher]);
    // The same key for another reward is a conflict, not a second voucher.
    const otherReward = await createReward(db(), { programId, name: '茶券', pointsCost: 100 });
    const conflict = await redeem(bea, otherReward, idem);
    expect([conflict.status, errorCode(conflict)]).toEqual([409, 'IDEMPOTENCY_CONFLICT']);
    expect(await balance(bea.member.id)).toBe(900);
  });

  it('not enough points is 409 POINTS_INSUFFICIENT and takes no stock', async () => {
    const rewardId = await createReward(db(), { programId, name: '大礼包', pointsCost: 5000, stock: 3 });
    const cai = await signUp(rig, 'cai', nextPhone());
    const res = await redeem(cai, rewardId);
    expect([res.status, errorCode(res)]).toEqual([409, 'POINTS_INSUFFICIENT']);
    expect(await stock(rewardId)).toBe(3);
    expect(await balance(cai.member.id)).toBe(200);
    expect(((await cai.call('GET', '/api/member/vouchers')).body as VouchersResponse).vouchers).toEqual([]);
  });

  it('a per-member limit, a tier-only reward, a sold-out or withdrawn reward each answer with their code', async () => {
    const dee = await signUp(rig, 'dee', nextPhone());
    await givePoints(rig, dee.member.id, 5000);
    const once = await createReward(db(), { programId, name: '限兑一次', pointsCost: 10, perMemberLimit: 1 });
    expect((await redeem(dee, once)).status).toBe(201);
    const second = await redeem(dee, once);
    expect([second.status, errorCode(second)]).toEqual([409, 'REWARD_LIMIT_REACHED']);
    const gold = await createReward(db(), { programId, name: '黄金专享', pointsCost: 10, tiers: ['gold'] });
    expect(errorCode(await redeem(dee, gold))).toBe('REWARD_TIER_REQUIRED');
    const none = await createReward(db(), { programId, name: '已兑完', pointsCost: 10, stock: 0 });
    expect(errorCode(await redeem(dee, none))).toBe('REWARD_SOLD_OUT');
    const off = await createReward(db(), { programId, name: '已下架', pointsCost: 10, active: false });
    expect(errorCode(await redeem(dee, off))).toBe('REWARD_UNAVAILABLE');
    expect(errorCode(await redeem(dee, 424242))).toBe('REWARD_NOT_FOUND');
    expect(await balance(dee.member.id)).toBe(200 + 5000 - 10);
  });

  it('a bad idempotency key or reward id is 400 naming the field', async () => {
    const eli = await signUp(rig, 'eli', nextPhone());
    const rewardId = await createReward(db(), { programId, name: '校验', pointsCost: 10 });
    const short = await eli.call('POST', `/api/member/rewards/${rewardId}/redeem`, { idempotencyKey: 'x' });
    expect([short.status, errorField(short)]).toEqual([400, 'idempotencyKey']);
    const badId = await eli.call('POST', '/api/member/rewards/abc/redeem', { idempotencyKey: nextKey() });
    expect(badId.status).toBe(400);
    expect(await balance(eli.member.id)).toBe(200);
  });

  it('20 concurrent redemptions of the last 5 items: exactly 5 vouchers, never oversold, points exact', async () => {
    const rewardId = await createReward(db(), { programId, name: '限量公仔', pointsCost: 100, stock: 5 });
    const shoppers = await Promise.all([1, 2, 3, 4, 5].map((i) => signUp(rig, `rush${i}`, nextPhone())));
    for (const s of shoppers) await givePoints(rig, s.member.id, 1000);
    const attempts = shoppers.flatMap((s) => [1, 2, 3, 4].map(() => redeem(s, rewardId)));
    const results = await Promise.all(attempts);
    expect(results.filter((r) => r.status === 201)).toHaveLength(5);
    expect(results.filter((r) => errorCode(r) === 'REWARD_SOLD_OUT')).toHaveLength(15);
    expect(await stock(rewardId)).toBe(0);
    const vouchers = await db().kysely.selectFrom('voucher').selectAll().where('reward_id', '=', rewardId).execute();
    expect(vouchers).toHaveLength(5);
    let spent = 0;
    for (const s of shoppers) {
      const mine = vouchers.filter((v) => v.member_id === s.member.id).length;
      expect(await balance(s.member.id)).toBe(1200 - 100 * mine);
      spent += 100 * mine;
      const account = await db().kysely.selectFrom('account').select('id').where('member_id', '=', s.member.id).executeTakeFirstOrThrow();
      expect(await inTransaction(db(), (trx) => verifyAccount(trx, account.id))).toMatchObject({ problems: [] });
    }
    expect(spent).toBe(500);
  });
});

describe('vouchers at the kiosk (redeemVoucher)', () => {
  it('a voucher is taken once, only at a store of its program; forged and expired vouchers are refused', async () => {
    const rewardId = await createReward(db(), { programId, name: '果汁券', pointsCost: 50 });
    const fox = await signUp(rig, 'fox', nextPhone());
    const { voucher } = (await redeem(fox, rewardId)).body as RedeemResponse;
    const deps = { db: db(), codes: rig.s.server.services.codes, now: Date.now };
    const s001 = await terminal('S001');
    const sport = await terminal('S201');
    await expect(redeemVoucher(deps, voucher.code, sport)).rejects.toMatchObject({ code: 'REWARD_UNAVAILABLE' });
    const used = await redeemVoucher(deps, voucher.code, s001);
    expect(used).toMatchObject({ voucherId: voucher.id, rewardName: '果汁券', memberId: fox.member.id });
    await expect(redeemVoucher(deps, voucher.code, s001)).rejects.toMatchObject({ code: 'CODE_USED' });
    const mine = ((await fox.call('GET', '/api/member/vouchers')).body as VouchersResponse).vouchers;
    expect(mine[0]).toMatchObject({ id: voucher.id, status: 'used' });
    expect(mine[0]!.usedAt).not.toBeNull();

    await expect(redeemVoucher(deps, voucher.code.slice(0, -2) + 'zz', s001)).rejects.toMatchObject({ code: 'CODE_FORGED' });
    await expect(redeemVoucher(deps, 'JFM1.abc.def.0123456789abcdef0123', s001)).rejects.toMatchObject({ code: 'CODE_UNKNOWN' });
    const { voucher: late } = (await redeem(fox, rewardId)).body as RedeemResponse;
    await db()
      .kysely.updateTable('voucher')
      .set({ expires_at: Date.now() - 1 })
      .where('id', '=', late.id)
      .execute();
    await expect(redeemVoucher(deps, late.code, s001)).rejects.toMatchObject({ code: 'CODE_EXPIRED' });
    const listed = ((await fox.call('GET', '/api/member/vouchers')).body as VouchersResponse).vouchers.find((v) => v.id === late.id);
    expect(listed?.status).toBe('expired');
  });
});

describe('exchange', () => {
  it('lists the enabled rates', async () => {
    const gil = await signUp(rig, 'gil', nextPhone());
    const res = await gil.call('GET', '/api/member/exchange/rates');
    expect((res.body as ExchangeRatesResponse).rates).toEqual([
      { from: { code: 'JIFEN', name: '集团通用积分' }, to: { code: 'SPORT', name: '悦动积分' }, fromPoints: 1, toPoints: 2 },
      { from: { code: 'SPORT', name: '悦动积分' }, to: { code: 'JIFEN', name: '集团通用积分' }, fromPoints: 2, toPoints: 1 },
    ]);
  });

  it('moves points at the rate, rounded down, once per key', async () => {
    const hua = await signUp(rig, 'hua', nextPhone());
    const idempotencyKey = nextKey();
    const res = await hua.call('POST', '/api/member/exchange', { fromProgram: 'JIFEN', toProgram: 'SPORT', points: 100, idempotencyKey });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ debited: 100, credited: 200, fromBalance: 100, toBalance: 200 } satisfies ExchangeResponse);
    const replay = await hua.call('POST', '/api/member/exchange', {
      fromProgram: 'JIFEN',
      toProgram: 'SPORT',
      points: 100,
      idempotencyKey,
    });
    expect(replay.body).toEqual(res.body);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(await balance(hua.member.id, 'SPORT')).toBe(200);
    // 3 SPORT points buy 1 JIFEN point (2:1, rounded down); 1 buys nothing and is refused.
    const back = await hua.call('POST', '/api/member/exchange', {
      fromProgram: 'SPORT',
      toProgram: 'JIFEN',
      points: 3,
      idempotencyKey: nextKey(),
    });
    expect(back.body).toMatchObject({ debited: 3, credited: 1 });
    const tiny = await hua.call('POST', '/api/member/exchange', {
      fromProgram: 'SPORT',
      toProgram: 'JIFEN',
      points: 1,
      idempotencyKey: nextKey(),
    });
    expect([tiny.status, errorCode(tiny), errorField(tiny)]).toEqual([400, 'VALIDATION_FAILED', 'points']);
    const tooMuch = await hua.call('POST', '/api/member/exchange', {
      fromProgram: 'JIFEN',
      toProgram: 'SPORT',
      points: 10_000,
      idempotencyKey: nextKey(),
    });
    expect(errorCode(tooMuch)).toBe('POINTS_INSUFFICIENT');
    expect(await balance(hua.member.id)).toBe(101);
  });

  it('no enabled rate is 409 EXCHANGE_NOT_ALLOWED; bad input is 400 naming the field', async () => {
    const ian = await signUp(rig, 'ian', nextPhone());
    await db().kysely.updateTable('exchange_rate').set({ enabled: 0 }).execute();
    try {
      const res = await ian.call('POST', '/api/member/exchange', {
        fromProgram: 'JIFEN',
        toProgram: 'SPORT',
        points: 10,
        idempotencyKey: nextKey(),
      });
      expect([res.status, errorCode(res)]).toEqual([409, 'EXCHANGE_NOT_ALLOWED']);
      expect(((await ian.call('GET', '/api/member/exchange/rates')).body as ExchangeRatesResponse).rates).toEqual([]);
    } finally {
      await db().kysely.updateTable('exchange_rate').set({ enabled: 1 }).execute();
    }
    const same = await ian.call('POST', '/api/member/exchange', {
      fromProgram: 'JIFEN',
      toProgram: 'JIFEN',
      points: 10,
      idempotencyKey: nextKey(),
    });
    expect(errorCode(same)).toBe('EXCHANGE_NOT_ALLOWED');
    const zero = await ian.call('POST', '/api/member/exchange', {
      fromProgram: 'JIFEN',
      toProgram: 'SPORT',
      points: 0,
      idempotencyKey: nextKey(),
    });
    expect([zero.status, errorField(zero)]).toEqual([400, 'points']);
    const unknown = await ian.call('POST', '/api/member/exchange', {
      fromProgram: 'NOPE',
      toProgram: 'SPORT',
      points: 10,
      idempotencyKey: nextKey(),
    });
    expect([unknown.status, errorCode(unknown), errorField(unknown)]).toEqual([404, 'PROGRAM_NOT_FOUND', 'fromProgram']);
    expect(await balance(ian.member.id)).toBe(200);
  });
});

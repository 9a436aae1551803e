/**
 * The demo data set behind the sandbox: one retail group with two points programs, three brands,
 * stores (S001 first), a published rule set with a member day, and a few members with history.
 * Safe to run again: it does nothing when the demo program already exists.
 */
import { DEFAULT_TIERS, RuleSetSchema } from '@jifen/shared';
import type { RuleSetInput } from '@jifen/shared';
import type { Db } from '../db/connect.js';
import { credit, debit } from '../commands/ledger.js';
import { registerMember } from '../commands/members.js';
import { seedDemoRewards } from '../commands/member-rewards.js';
import { expiryFor, programConfig } from '../commands/programs.js';
import type { PersonalDataCipher } from '../lib/crypto.js';
import { newId } from '../lib/ids.js';
import { findAccount } from '../repositories/member.repository.js';
import { findProgramByCode } from '../repositories/org.repository.js';
import { seedDemoPos } from './demo-pos.js';

export const DEMO_MEMBERS = [
  { phone: '13800138000', name: '李小萌', birthday: '03-15' },
  { phone: '13900139000', name: '王大力', birthday: '11-22' },
  { phone: '13700137000', name: '陈静', birthday: '07-08' },
] as const;

export const DEMO_RULES: RuleSetInput = {
  baseRate: 1,
  growthPerYuan: 1,
  excludedCategories: ['gift_card', 'tobacco', 'delivery'],
  categoryMultipliers: { fresh: 150 },
  campaigns: [
    {
      id: 'member-day',
      name: '会员日双倍积分',
      startsAt: '2025-01-01T00:00:00+08:00',
      endsAt: '2030-01-01T00:00:00+08:00',
      weekdays: [3],
      multiplierPercent: 200,
    },
  ],
  spendThresholds: [
    { minEligibleFen: 20000, bonusPoints: 50 },
    { minEligibleFen: 50000, bonusPoints: 200 },
  ],
  tierMultipliers: { silver: 110, gold: 150, platinum: 200 },
  birthday: { multiplierPercent: 200, window: 'month' },
  firstPurchaseBonus: 100,
  caps: { perOrder: 5000, perMemberPerDay: 20000 },
  grants: { signupBonus: 200, referral: { referrerPoints: 300, refereePoints: 100 }, birthdayGift: 500 },
};

export interface SeedSummary {
  created: boolean;
  programs: number;
  brands: number;
  stores: number;
  members: number;
}

export async function seedDemo(
  db: Db,
  cipher: PersonalDataCipher,
  now: number = Date.now(),
  log: (line: string) => void = () => undefined,
): Promise<SeedSummary> {
  const k = db.kysely;
  if (await findProgramByCode(k, 'JIFEN')) {
    // Parts added since (the tills' catalogue and cashiers) are completed on an older demo database.
    await seedDemoPos(db, now, log);
    log('demo data already present');
    return { created: false, programs: 0, brands: 0, stores: 0, members: 0 };
  }
  const mainId = newId();
  const sportId = newId();
  const tiers = JSON.stringify(DEFAULT_TIERS);
  await k
    .insertInto('program')
    .values([
      {
        id: mainId,
        code: 'JIFEN',
        name: '集团通用积分',
        point_value_fen: 100,
        expiry_policy: JSON.stringify({ kind: 'end_of_next_year' }),
        return_window_days: 7,
        tier_set: tiers,
        is_default: 1,
        created_at: now,
      },
      {
        id: sportId,
        code: 'SPORT',
        name: '悦动积分',
        point_value_fen: 50,
        expiry_policy: JSON.stringify({ kind: 'months_after_earning', months: 12 }),
        return_window_days: 14,
        tier_set: tiers,
        is_default: 0,
        created_at: now + 1,
      },
    ])
    .execute();
  log('programs: JIFEN (100 points = ￥1), SPORT (100 points = ￥0.50)');
  const brands = [
    { id: newId(), code: 'FRESH', name: '鲜果坊', program_id: mainId },
    { id: newId(), code: 'TEA', name: '茶语', program_id: mainId },
    { id: newId(), code: 'SPORTS', name: '悦动体育', program_id: sportId },
  ];
  await k
    .insertInto('brand')
    .values(brands.map((b) => ({ ...b, created_at: now })))
    .execute();
  const [fresh, tea, sports] = brands as [(typeof brands)[0], (typeof brands)[0], (typeof brands)[0]];
  const stores = [
    { code: 'S001', name: '鲜果坊 南京西路店', brand_id: fresh.id, address: '上海市静安区南京西路1001号' },
    { code: 'S002', name: '鲜果坊 徐家汇店', brand_id: fresh.id, address: '上海市徐汇区漕溪北路88号' },
    { code: 'S101', name: '茶语 陆家嘴店', brand_id: tea.id, address: '上海市浦东新区陆家嘴环路166号' },
    { code: 'S201', name: '悦动体育 五角场店', brand_id: sports.id, address: '上海市杨浦区淞沪路8号' },
  ];
  await k
    .insertInto('store')
    .values(stores.map((s) => ({ ...s, id: newId(), created_at: now })))
    .execute();
  log(`brands: ${brands.map((b) => b.name).join('、')}; stores: ${stores.map((s) => s.code).join(', ')}`);
  await k
    .insertInto('exchange_rate')
    .values([
      { from_program_id: mainId, to_program_id: sportId, from_points: 1, to_points: 2, enabled: 1, updated_at: now },
      { from_program_id: sportId, to_program_id: mainId, from_points: 2, to_points: 1, enabled: 1, updated_at: now },
    ])
    .execute();
  await k
    .insertInto('rule_set')
    .values({
      id: newId(),
      program_id: mainId,
      brand_id: 0,
      version: 1,
      rules: JSON.stringify(RuleSetSchema.parse(DEMO_RULES)),
      status: 'published',
      effective_from: now - 365 * 86_400_000,
      created_at: now,
      created_by: 'seed',
    })
    .execute();
  log('rule set v1 published: 1 point per ￥1, member day (Wednesday) ×2, tiers, birthday month ×2');
  await seedDemoRewards(db, mainId, now);
  log('rewards: 鲜榨橙汁券, 当季水果礼盒 (stock 20), 黄金会员专享茶礼');

  const program = programConfig((await findProgramByCode(k, 'JIFEN'))!);
  const deps = { db, cipher, now: () => now };
  const ids: number[] = [];
  for (const m of DEMO_MEMBERS) {
    const { id } = await registerMember(deps, { ...m, consentVersion: '2026-01', grantBonuses: true });
    ids.push(id);
  }
  // A little history so the first look is not empty: a past purchase, a reward, a pending purchase.
  const ledger = { db, now: () => now };
  const first = await findAccount(k, ids[0]!, program.id);
  if (first) {
    await credit(
      ledger,
      { source: 'seed', key: 'demo-earn-1' },
      {
        accountId: first.id,
        points: 1288,
        growth: 1288,
        kind: 'earn',
        expiresAt: expiryFor(program, now),
        reason: '消费￥1288.00，基础积分1288',
        orderRef: 'DEMO-0001',
      },
    );
    await debit(
      ledger,
      { source: 'seed', key: 'demo-spend-1' },
      { accountId: first.id, points: 300, kind: 'spend', reason: '兑换 鲜榨橙汁券' },
    );
    await credit(
      ledger,
      { source: 'seed', key: 'demo-earn-2' },
      {
        accountId: first.id,
        points: 256,
        growth: 128,
        kind: 'earn',
        pendingUntil: now + program.returnWindowDays * 86_400_000,
        expiresAt: expiryFor(program, now),
        reason: '消费￥128.00，会员日双倍积分',
        orderRef: 'DEMO-0002',
      },
    );
  }
  log(`members: ${DEMO_MEMBERS.map((m) => m.name).join('、')}`);
  await seedDemoPos(db, now, log);
  return { created: true, programs: 2, brands: brands.length, stores: stores.length, members: ids.length };
}

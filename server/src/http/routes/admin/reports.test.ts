/**
 * The reports against figures worked out by hand on a small group built through the real commands
 * (orders at the till, a refund, expiries, NPS answers), read through HTTP — first live from the
 * ledger, then again from the rollup's summaries, which must give the same numbers.
 *
 * The group: program JIFEN (100 points = ￥1, points expire at the end of the same day a month
 * later, no return window, tiers bronze 0 / silver 300 / gold 100,000 growth) with brands FRESH (store S001) and
 * TEA (S101); program SPORT (100 points = ￥0.50) with brand SPORTS (S201). Rules: 1 point and
 * 1 growth per yuan; campaign "spring" ×2 at FRESH from 2026-03-01 to 2026-03-08 (China time).
 * Members A, B, C, D joined 2026-02-01. All at 10:00 China time:
 *
 *   02-10  D buys ￥60 at S001           +60  (lot expires 03-10 end of day)
 *   02-25  A buys ￥100 at S001          +100 (lot1, expires 03-25)
 *   03-02  A buys ￥200 at S001          +200 base +200 spring = +400 (lot2, expires 04-02); A → silver
 *   03-03  B buys ￥300 at S101          +300 (lot3); B → silver
 *   03-05  A buys ￥50 at S101 paying 100 points (￥1): the hold takes lot1 (earned at FRESH);
 *          earns 49 on the ￥49 paid in money (lot4)
 *   03-06  B is refunded ￥150 of the ￥300: 150 points taken back from lot3
 *   03-10  C buys ￥80 at S201           +80 SPORT points
 *   03-12  expiry: D's 60 expire
 *   04-03  expiry: A's lot2 (400) expires
 *   NPS: A 10 for 03-02's order (FRESH), B 3 for 03-03's (TEA), C 8 for 03-10's (SPORTS).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReportQuery } from '@jifen/shared';
import type { RuleSetInput } from '@jifen/shared';
import { publishRuleSet } from '../../../commands/earning.js';
import { registerMember } from '../../../commands/members.js';
import { createPosOrder } from '../../../commands/orders.js';
import { requestRefund } from '../../../commands/refunds.js';
import { recordNps } from '../../../commands/report-nps.js';
import { rollupReports } from '../../../commands/report-rollup.js';
import { buildReport, collect, reportContext } from '../../../commands/reports.js';
import { createStaff } from '../../../commands/staff.js';
import { issueTerminal } from '../../../commands/terminals.js';
import { hold, releaseHold } from '../../../commands/ledger.js';
import { expireDuePoints } from '../../../jobs/points-jobs.js';
import { newId } from '../../../lib/ids.js';
import { findMemberById } from '../../../repositories/member.repository.js';
import { CSV_BOM } from '../../../commands/report-csv.js';
import { TestClock } from '../../../test-support/fixtures.js';
import { startTestServer } from '../../../test-support/server.js';
import type { TestServer } from '../../../test-support/server.js';

const china = (date: string, time = '10:00') => Date.parse(`${date}T${time}:00+08:00`);
const clock = new TestClock(china('2026-02-01'));
let s: TestServer;
let admin: string;
const tokens: Record<string, string> = {};
const members: Record<'A' | 'B' | 'C' | 'D', number> = { A: 0, B: 0, C: 0, D: 0 };
const PHONES = { A: '13800000001', B: '13800000002', C: '13800000003', D: '13800000004' };

const TIERS = {
  tiers: [
    { code: 'bronze', name: '青铜', minGrowth: 0 },
    { code: 'silver', name: '白银', minGrowth: 300 },
    { code: 'gold', name: '黄金', minGrowth: 100_000 },
  ],
  retentionMonths: 12,
};
const RULES: RuleSetInput = {
  baseRate: 1,
  growthPerYuan: 1,
  campaigns: [
    {
      id: 'spring',
      name: '春季双倍',
      startsAt: '2026-03-01T00:00:00+08:00',
      endsAt: '2026-03-08T00:00:00+08:00',
      brandCodes: ['FRESH'],
      multiplierPercent: 200,
    },
  ],
};

async function buildGroup(): Promise<void> {
  const db = s.testDb.db;
  const k = db.kysely;
  const jifen = newId();
  const sport = newId();
  const program = (id: number, code: string, pointValueFen: number, isDefault: number) => ({
    id,
    code,
    name: code,
    point_value_fen: pointValueFen,
    expiry_policy: JSON.stringify({ kind: 'months_after_earning', months: 1 }),
    return_window_days: 0,
    tier_set: JSON.stringify(TIERS),
    is_default: isDefault,
    created_at: clock.t - 1000 + isDefault,
  });
  await k
    .insertInto('program')
    .values([program(jifen, 'JIFEN', 100, 1), program(sport, 'SPORT', 50, 0)])
    .execute();
  const brands = { FRESH: newId(), TEA: newId(), SPORTS: newId() };
  await k
    .insertInto('brand')
    .values([
      { id: brands.FRESH, code: 'FRESH', name: '鲜果坊', program_id: jifen, created_at: clock.t },
      { id: brands.TEA, code: 'TEA', name: '茶语', program_id: jifen, created_at: clock.t },
      { id: brands.SPORTS, code: 'SPORTS', name: '悦动体育', program_id: sport, created_at: clock.t },
    ])
    .execute();
  const stores = { S001: newId(), S101: newId(), S201: newId() };
  await k
    .insertInto('store')
    .values([
      { id: stores.S001, code: 'S001', name: '鲜果坊一店', brand_id: brands.FRESH, address: '', created_at: clock.t },
      { id: stores.S101, code: 'S101', name: '茶语一店', brand_id: brands.TEA, address: '', created_at: clock.t },
      { id: stores.S201, code: 'S201', name: '悦动一店', brand_id: brands.SPORTS, address: '', created_at: clock.t },
    ])
    .execute();
  await publishRuleSet(db, { programId: jifen, rules: RULES, effectiveFrom: clock.t - 1000, actor: 'test', now: clock.t });
  await publishRuleSet(db, {
    programId: sport,
    rules: { baseRate: 1, growthPerYuan: 1 },
    effectiveFrom: clock.t - 1000,
    actor: 'test',
    now: clock.t,
  });

  const services = s.server.services;
  for (const name of ['A', 'B', 'C', 'D'] as const) {
    members[name] = (
      await registerMember(
        { db, cipher: services.cipher, now: clock.now },
        { phone: PHONES[name], name: `会员${name}`, grantBonuses: false },
      )
    ).id;
  }
  const tills: Record<string, { terminalId: number; storeId: number }> = {};
  for (const code of ['S001', 'S101', 'S201'] as const) {
    tills[code] = { terminalId: (await issueTerminal(db, { storeCode: code }, clock.t)).terminalId, storeId: stores[code] };
  }
  let seq = 0;
  const sell = async (date: string, store: 'S001' | 'S101' | 'S201', who: keyof typeof members, yuan: number, redeemPoints?: number) => {
    clock.t = china(date);
    const order = await createPosOrder(services.paymentDeps(), tills[store]!, {
      clientOrderId: `report-test-${++seq}`,
      lines: [{ sku: 'SKU1', name: '商品', qty: 1, unitPriceFen: yuan * 100 }],
      member: { phone: PHONES[who] },
      ...(redeemPoints ? { redeemPoints } : {}),
      payment: { method: 'cash' },
    });
    expect(order.status).toBe('paid');
    return order;
  };
  await sell('2026-02-10', 'S001', 'D', 60);
  await sell('2026-02-25', 'S001', 'A', 100);
  const o3 = await sell('2026-03-02', 'S001', 'A', 200);
  expect(o3.pointsEarned).toBe(400);
  await recordNps({ db, now: clock.now }, (await findMemberById(db.kysely, members.A))!, { orderId: o3.orderId, score: 10 });
  const o4 = await sell('2026-03-03', 'S101', 'B', 300);
  clock.t = china('2026-03-04');
  await recordNps({ db, now: clock.now }, (await findMemberById(db.kysely, members.B))!, { orderId: o4.orderId, score: 3 });
  const o5 = await sell('2026-03-05', 'S101', 'A', 50, 100);
  expect(o5.pointsEarned).toBe(49);
  clock.t = china('2026-03-06');
  await requestRefund(services.paymentDeps(), { orderId: o4.orderId, amountFen: 15000, reason: '退货', actor: 'test' });
  const o6 = await sell('2026-03-10', 'S201', 'C', 80);
  clock.t = china('2026-03-11');
  await recordNps({ db, now: clock.now }, (await findMemberById(db.kysely, members.C))!, { orderId: o6.orderId, score: 8 });
  clock.t = china('2026-03-12', '12:00');
  expect((await expireDuePoints(db, clock.t)).points).toBe(60);
  clock.t = china('2026-04-03', '12:00');
  expect((await expireDuePoints(db, clock.t)).points).toBe(400);
  clock.t = china('2026-05-02', '09:00');
}

beforeAll(async () => {
  s = await startTestServer({ now: clock.now });
  await buildGroup();
  admin = await s.signIn();
  for (const role of ['marketing', 'finance', 'auditor', 'support', 'store_manager']) {
    await createStaff(s.testDb.db, { username: `r-${role}`, password: `${role}-password-1`, role }, clock.t);
    tokens[role] = await s.signIn(`r-${role}`, `${role}-password-1`);
  }
});
afterAll(async () => s.close());

const RANGE = 'from=2026-02-01&to=2026-04-30';

async function get(path: string, token = admin) {
  const res = await s.request('GET', path, undefined, token);
  return res;
}

async function csv(path: string, token = admin): Promise<{ status: number; headers: Headers; text: string; chunks: number }> {
  const res = await fetch(`${s.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
  let chunks = 0;
  let text = '';
  // Keep the byte-order mark: the test checks it is there.
  const decoder = new TextDecoder('utf-8', { ignoreBOM: true });
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    chunks += 1;
    text += decoder.decode(chunk, { stream: true });
  }
  return { status: res.status, headers: res.headers, text: text + decoder.decode(), chunks };
}

function csvRows(text: string): string[][] {
  expect(text.startsWith(CSV_BOM)).toBe(true);
  return text
    .slice(1)
    .split('\r\n')
    .filter((l) => l !== '')
    .map((l) => l.split(','));
}

/** Every figure of every report in one object, to compare the live and the summarised answers. */
async function everything() {
  const out: Record<string, unknown> = {};
  for (const name of ['liability', 'inflation', 'flows', 'members', 'campaigns', 'nps']) {
    const body = (await get(`/api/admin/reports/${name}?${RANGE}&granularity=month`)).body as Record<string, unknown>;
    delete body.summarisedThrough;
    delete body.summarisedUntil;
    out[name] = body;
  }
  const rfm = (await get('/api/admin/reports/rfm?from=2026-02-01&to=2026-03-31')).body as Record<string, unknown>;
  delete rfm.summarisedThrough;
  delete rfm.summarisedUntil;
  out.rfm = rfm;
  return out;
}

function checkFigures(all: Record<string, unknown>): void {
  const liability = all.liability as Record<string, unknown>;
  expect(liability.rows).toEqual([
    { program: 'JIFEN', brand: 'TEA', store: 'S101', points: 199, liabilityFen: 199 },
    { program: 'SPORT', brand: 'SPORTS', store: 'S201', points: 80, liabilityFen: 40 },
  ]);
  expect(liability.programs).toEqual([
    { program: 'JIFEN', pointValueFen: 100, outstanding: 199, inLots: 199, heldLessDebt: 0, liabilityFen: 199 },
    { program: 'SPORT', pointValueFen: 50, outstanding: 80, inLots: 80, heldLessDebt: 0, liabilityFen: 40 },
  ]);
  const month = (
    m: string,
    program: string,
    opening: number,
    issued: number,
    spent: number,
    expired: number,
    reversed: number,
    fen: number,
  ) => ({
    month: m,
    program,
    opening,
    issued,
    spent,
    expired,
    reversed,
    debtRepaid: 0,
    closing: opening + issued - spent - expired - reversed,
    closingFen: fen,
  });
  expect(liability.movement).toEqual([
    month('2026-02', 'JIFEN', 0, 160, 0, 0, 0, 160),
    month('2026-02', 'SPORT', 0, 0, 0, 0, 0, 0),
    // 160 + (400 + 300 + 49) − 100 spent − 60 expired − 150 reversed = 599
    month('2026-03', 'JIFEN', 160, 749, 100, 60, 150, 599),
    month('2026-03', 'SPORT', 0, 80, 0, 0, 0, 40),
    month('2026-04', 'JIFEN', 599, 0, 0, 400, 0, 199),
    month('2026-04', 'SPORT', 80, 0, 0, 0, 0, 40),
  ]);

  const flow = (period: string, program: string, f: Partial<Record<string, number>>, netFen: number, burnPct: number | null) => ({
    period,
    program,
    issued: 0,
    reversed: 0,
    spent: 0,
    returned: 0,
    expired: 0,
    adjusted: 0,
    exchanged: 0,
    ...f,
    netFen,
    burnPct,
  });
  expect((all.inflation as Record<string, unknown>).rows).toEqual([
    flow('2026-02', 'JIFEN', { issued: 160, net: 160 }, 160, 0),
    // burn: (100 spent + 60 expired) / (749 issued − 150 reversed) = 26.7 %
    flow('2026-03', 'JIFEN', { issued: 749, reversed: 150, spent: 100, expired: 60, net: 439 }, 439, 26.7),
    flow('2026-03', 'SPORT', { issued: 80, net: 80 }, 40, 0),
    flow('2026-04', 'JIFEN', { expired: 400, net: -400 }, -400, null),
  ]);

  expect(all.flows).toMatchObject({
    rows: [{ program: 'JIFEN', earnedAt: 'FRESH', spentAt: 'TEA', points: 100, valueFen: 100, crossBrand: true }],
    totals: { spent: 100, crossBrand: 100, crossBrandPct: 100 },
  });

  const membersReport = all.members as Record<string, unknown>;
  // Buyers A, B, C, D; only A bought again (3 orders: 02-25 → 03-05 is 8 days over 2 gaps).
  expect(membersReport.summary).toEqual({ newMembers: 4, buyers: 4, repeatBuyers: 1, repurchaseRatePct: 25, avgIntervalDays: 4 });
  expect(membersReport.periods).toEqual([
    { period: '2026-02', newMembers: 4, buyers: 2, orders: 2, amountFen: 16000 },
    { period: '2026-03', newMembers: 0, buyers: 3, orders: 4, amountFen: 63000 },
    { period: '2026-04', newMembers: 0, buyers: 0, orders: 0, amountFen: 0 },
  ]);
  expect(membersReport.tiers).toEqual([
    { program: 'JIFEN', tier: 'bronze', tierName: '青铜', members: 2 },
    { program: 'JIFEN', tier: 'silver', tierName: '白银', members: 2 },
    { program: 'SPORT', tier: 'bronze', tierName: '青铜', members: 1 },
  ]);
  expect(membersReport.tierMovement).toEqual([{ program: 'JIFEN', fromTier: 'bronze', toTier: 'silver', direction: 'up', members: 2 }]);

  // Spring at FRESH: A's 03-02 order earned 200 campaign points (￥2.00). During 03-01…03-07 one
  // FRESH order of ￥200; the 7 days before (02-22…02-28) one of ￥100.
  expect((all.campaigns as Record<string, unknown>).rows).toEqual([
    {
      program: 'JIFEN',
      campaign: 'spring',
      name: '春季双倍',
      startsAt: '2026-02-28T16:00:00.000Z',
      endsAt: '2026-03-07T16:00:00.000Z',
      points: 200,
      costFen: 200,
      rewardedOrders: 1,
      windowFrom: '2026-03-01',
      windowTo: '2026-03-07',
      ordersDuring: 1,
      amountDuringFen: 20000,
      ordersBefore: 1,
      amountBeforeFen: 10000,
      orderUpliftPct: 0,
      amountUpliftPct: 100,
    },
  ]);

  const nps = all.nps as Record<string, unknown>;
  expect(nps.summary).toEqual({ responses: 3, promoters: 1, passives: 1, detractors: 1, nps: 0 });
  expect(nps.brands).toEqual([
    { brand: 'FRESH', responses: 1, promoters: 1, passives: 0, detractors: 0, nps: 100 },
    { brand: 'SPORTS', responses: 1, promoters: 0, passives: 1, detractors: 0, nps: 0 },
    { brand: 'TEA', responses: 1, promoters: 0, passives: 0, detractors: 1, nps: -100 },
  ]);

  // RFM as of 04-01 00:00: A bought 3× (last 03-05, 26.6 days before): loyal, and the gap is
  // over 1.5 × the 4-day interval (yellow). B and C bought once lately: new. D bought once on
  // 02-10 and has done nothing since (only an expiry): promising, and red.
  const rfm = all.rfm as Record<string, unknown>;
  expect(rfm.segments).toEqual([
    { segment: 'champions', members: 0, yellow: 0, red: 0, avgRecencyDays: null, avgOrders: null, avgAmountFen: null },
    { segment: 'loyal', members: 1, yellow: 1, red: 0, avgRecencyDays: 26.6, avgOrders: 3, avgAmountFen: 35000 },
    { segment: 'new', members: 2, yellow: 0, red: 0, avgRecencyDays: 25.1, avgOrders: 1, avgAmountFen: 11500 },
    { segment: 'promising', members: 1, yellow: 0, red: 1, avgRecencyDays: 49.6, avgOrders: 1, avgAmountFen: 6000 },
    { segment: 'at_risk', members: 0, yellow: 0, red: 0, avgRecencyDays: null, avgOrders: null, avgAmountFen: null },
    { segment: 'lost', members: 0, yellow: 0, red: 0, avgRecencyDays: null, avgOrders: null, avgAmountFen: null },
  ]);
  expect(rfm.totals).toEqual({ members: 4, yellow: 1, red: 1 });
  const items = (rfm.members as { items: Array<Record<string, unknown>> }).items;
  const byMember = Object.fromEntries(items.map((i) => [i.memberId, i]));
  expect(byMember[members.A]).toMatchObject({
    segment: 'loyal',
    churn: 'yellow',
    r: 3,
    f: 2,
    m: 2,
    recencyDays: 26,
    orders: 3,
    amountFen: 35000,
  });
  expect(byMember[members.B]).toMatchObject({
    segment: 'new',
    churn: null,
    r: 3,
    f: 1,
    m: 1,
    recencyDays: 28,
    orders: 1,
    amountFen: 15000,
  });
  expect(byMember[members.C]).toMatchObject({ segment: 'new', churn: null, r: 3, f: 1, m: 1, recencyDays: 21, orders: 1, amountFen: 8000 });
  expect(byMember[members.D]).toMatchObject({
    segment: 'promising',
    churn: 'red',
    r: 2,
    f: 1,
    m: 1,
    recencyDays: 49,
    orders: 1,
    amountFen: 6000,
  });
  // The admin holds reports.personal: phone and name beside the id.
  expect(byMember[members.A]).toMatchObject({ phone: PHONES.A, name: '会员A' });
}

/**
 * The date range, brand and store filters of every report, against hand-computed figures. Run on
 * the live ledger and again on the rollup's summaries.
 */
async function checkFiltered(): Promise<void> {
  const body = async (path: string) => {
    const res = await get(path);
    expect([path, res.status]).toEqual([path, 200]);
    return res.body as Record<string, unknown>;
  };

  // Liability as of 03-31: A's lot2 (400, FRESH) has not expired yet.
  const march = await body('/api/admin/reports/liability?from=2026-03-01&to=2026-03-31');
  expect(march.rows).toEqual([
    { program: 'JIFEN', brand: 'FRESH', store: 'S001', points: 400, liabilityFen: 400 },
    { program: 'JIFEN', brand: 'TEA', store: 'S101', points: 199, liabilityFen: 199 },
    { program: 'SPORT', brand: 'SPORTS', store: 'S201', points: 80, liabilityFen: 40 },
  ]);
  expect(march.programs).toEqual([
    { program: 'JIFEN', pointValueFen: 100, outstanding: 599, inLots: 599, heldLessDebt: 0, liabilityFen: 599 },
    { program: 'SPORT', pointValueFen: 50, outstanding: 80, inLots: 80, heldLessDebt: 0, liabilityFen: 40 },
  ]);
  // Issued at S101: B's 300 and A's 49, less B's refunded 150. No program totals under a filter.
  const tea = await body('/api/admin/reports/liability?from=2026-03-01&to=2026-03-31&store=S101');
  expect(tea.rows).toEqual([{ program: 'JIFEN', brand: 'TEA', store: 'S101', points: 199, liabilityFen: 199 }]);
  expect(tea).not.toHaveProperty('programs');
  expect(tea.movement).toEqual([
    {
      month: '2026-03',
      program: 'JIFEN',
      opening: 0,
      issued: 349,
      spent: 0,
      expired: 0,
      reversed: 150,
      debtRepaid: 0,
      closing: 199,
      closingFen: 199,
    },
  ]);

  // Inflation at S001: D's 60 and A's 100 in February, A's 400 in March; D's 60 expired in March
  // and A's 400 in April, where they were earned. The 100 spent went at S101, not here.
  const s001 = await body(`/api/admin/reports/inflation?${RANGE}&granularity=month&store=S001`);
  const zero = { reversed: 0, spent: 0, returned: 0, adjusted: 0, exchanged: 0 };
  expect(s001.rows).toEqual([
    { period: '2026-02', program: 'JIFEN', ...zero, issued: 160, expired: 0, net: 160, netFen: 160, burnPct: 0 },
    // 60 expired / 400 issued
    { period: '2026-03', program: 'JIFEN', ...zero, issued: 400, expired: 60, net: 340, netFen: 340, burnPct: 15 },
    { period: '2026-04', program: 'JIFEN', ...zero, issued: 0, expired: 400, net: -400, netFen: -400, burnPct: null },
  ]);

  // Flows: a brand filter keeps flows that start or end there; the spend was on 03-05.
  expect((await body(`/api/admin/reports/flows?${RANGE}&brand=FRESH`)).rows).toEqual([
    { program: 'JIFEN', earnedAt: 'FRESH', spentAt: 'TEA', points: 100, valueFen: 100, crossBrand: true },
  ]);
  expect((await body(`/api/admin/reports/flows?${RANGE}&brand=SPORTS`)).rows).toEqual([]);
  expect((await body('/api/admin/reports/flows?from=2026-03-06&to=2026-04-30')).totals).toEqual({
    spent: 0,
    crossBrand: 0,
    crossBrandPct: null,
  });

  // Members at TEA: B (￥300, 03-03) and A (￥50, 03-05), one order each.
  const teaMembers = await body(`/api/admin/reports/members?${RANGE}&granularity=month&brand=TEA`);
  expect(teaMembers.summary).toEqual({ newMembers: 4, buyers: 2, repeatBuyers: 0, repurchaseRatePct: 0, avgIntervalDays: null });
  expect(teaMembers.periods).toEqual([
    { period: '2026-02', newMembers: 4, buyers: 0, orders: 0, amountFen: 0 },
    { period: '2026-03', newMembers: 0, buyers: 2, orders: 2, amountFen: 35000 },
    { period: '2026-04', newMembers: 0, buyers: 0, orders: 0, amountFen: 0 },
  ]);
  // At S001: D once (02-10); A on 02-25 and 03-02, one gap of 5 days.
  expect((await body(`/api/admin/reports/members?${RANGE}&store=S001`)).summary).toEqual({
    newMembers: 4,
    buyers: 2,
    repeatBuyers: 1,
    repurchaseRatePct: 50,
    avgIntervalDays: 5,
  });
  // 03-01…03-04: A (03-02) and B (03-03); nobody joined.
  const early = await body('/api/admin/reports/members?from=2026-03-01&to=2026-03-04');
  expect(early.summary).toEqual({ newMembers: 0, buyers: 2, repeatBuyers: 0, repurchaseRatePct: 0, avgIntervalDays: null });
  expect((early.periods as Array<{ period: string; buyers: number }>).map((p) => [p.period, p.buyers])).toEqual([
    ['2026-03-01', 0],
    ['2026-03-02', 1],
    ['2026-03-03', 1],
    ['2026-03-04', 0],
  ]);
  expect(early.tiers).toEqual([
    { program: 'JIFEN', tier: 'bronze', tierName: '青铜', members: 2 },
    { program: 'JIFEN', tier: 'silver', tierName: '白银', members: 2 },
    { program: 'SPORT', tier: 'bronze', tierName: '青铜', members: 1 },
  ]);
  // Both upgrades fell in the range (A on 03-02, B on 03-03); none in SPORT.
  expect(early.tierMovement).toEqual([{ program: 'JIFEN', fromTier: 'bronze', toTier: 'silver', direction: 'up', members: 2 }]);
  expect((await body('/api/admin/reports/members?from=2026-03-04&to=2026-04-30&program=SPORT')).tierMovement).toEqual([]);

  // Over more than 92 days MySQL groups the buyers in slices of the members side by side, and over
  // more than 62 periods (days) counts each period's buyers apart: the same figures either way.
  type Period = { period: string; newMembers: number; buyers: number; orders: number; amountFen: number };
  const months = await body(`/api/admin/reports/members?${RANGE}&granularity=month`);
  const longer = await body('/api/admin/reports/members?from=2026-01-01&to=2026-04-30&granularity=month');
  expect(longer.summary).toEqual(months.summary);
  expect(longer.periods).toEqual([
    { period: '2026-01', newMembers: 0, buyers: 0, orders: 0, amountFen: 0 },
    ...(months.periods as Period[]),
  ]);
  const daily = (await body(`/api/admin/reports/members?${RANGE}&granularity=day`)).periods as Period[];
  expect(daily).toHaveLength(89);
  for (const m of months.periods as Period[]) {
    const inMonth = daily.filter((d) => d.period.startsWith(m.period));
    expect([m.period, inMonth.reduce((n, d) => n + d.orders, 0), inMonth.reduce((n, d) => n + d.amountFen, 0)]).toEqual([
      m.period,
      m.orders,
      m.amountFen,
    ]);
  }
  // A (03-02) and B (03-03), as the four days above counted them.
  expect(daily.filter((d) => d.period >= '2026-03-01' && d.period <= '2026-03-04').map((d) => [d.period, d.buyers])).toEqual([
    ['2026-03-01', 0],
    ['2026-03-02', 1],
    ['2026-03-03', 1],
    ['2026-03-04', 0],
  ]);
  const rfmLonger = await body('/api/admin/reports/rfm?from=2026-01-01&to=2026-03-31');
  const rfmShorter = await body('/api/admin/reports/rfm?from=2026-02-01&to=2026-03-31');
  expect(rfmLonger.segments).toEqual(rfmShorter.segments);
  expect(rfmLonger.totals).toEqual(rfmShorter.totals);

  // RFM at TEA as of 04-01: A bought there once (￥50) and B once (￥300, ￥150 refunded): both new.
  const rfmTea = await body('/api/admin/reports/rfm?from=2026-02-01&to=2026-03-31&brand=TEA');
  expect(rfmTea.totals).toEqual({ members: 2, yellow: 0, red: 0 });
  const items = (rfmTea.members as { items: Array<Record<string, unknown>> }).items;
  expect(items.map((i) => [i.memberId, i.segment, i.churn, i.orders, i.amountFen]).sort()).toEqual(
    [
      [members.A, 'new', null, 1, 5000],
      [members.B, 'new', null, 1, 15000],
    ].sort(),
  );

  // Campaigns: spring applies to FRESH only.
  expect((await body(`/api/admin/reports/campaigns?${RANGE}&store=S001`)).rows).toMatchObject([{ campaign: 'spring', points: 200 }]);

  // NPS: A 10 (FRESH, 03-02), B 3 (TEA, answered 03-04), C 8 (SPORTS, answered 03-11).
  const npsOf = async (query: string) => (await body(`/api/admin/reports/nps?${query}`)).summary;
  expect(await npsOf(`${RANGE}&brand=TEA`)).toEqual({ responses: 1, promoters: 0, passives: 0, detractors: 1, nps: -100 });
  expect(await npsOf(`${RANGE}&store=S001`)).toEqual({ responses: 1, promoters: 1, passives: 0, detractors: 0, nps: 100 });
  expect(await npsOf(`${RANGE}&store=S201`)).toEqual({ responses: 1, promoters: 0, passives: 1, detractors: 0, nps: 0 });
  // (0 promoters − 1 detractor) / 2 answers
  expect(await npsOf('from=2026-03-03&to=2026-03-31')).toEqual({ responses: 2, promoters: 0, passives: 1, detractors: 1, nps: -50 });
  expect(await npsOf('from=2026-03-01&to=2026-03-03')).toEqual({ responses: 1, promoters: 1, passives: 0, detractors: 0, nps: 100 });
  const byDay = await body('/api/admin/reports/nps?from=2026-03-02&to=2026-03-04');
  expect((byDay.periods as Array<{ period: string; nps: number | null }>).map((p) => [p.period, p.nps])).toEqual([
    ['2026-03-02', 100],
    ['2026-03-03', null],
    ['2026-03-04', -100],
  ]);
}

/** JSON keys of each CSV table, where they differ from the table's name. */
const JSON_KEY: Record<string, string> = { tier_movement: 'tierMovement' };
const TABLES: Record<string, string[]> = {
  liability: ['rows', 'movement'],
  inflation: ['rows'],
  flows: ['rows'],
  members: ['periods', 'tiers', 'tier_movement'],
  rfm: ['segments', 'members'],
  campaigns: ['rows'],
  nps: ['periods', 'brands'],
};

describe('reports, live from the ledger', () => {
  let live: Record<string, unknown>;
  beforeAll(async () => {
    live = await everything();
  });

  it('200 with the hand-computed figures of every report', () => {
    checkFigures(live);
  });

  it('filters by date range, brand and store: the hand-computed figures of each report', async () => {
    await checkFiltered();
  });

  it('every table of every report streams as CSV with the very rows of the JSON answer', async () => {
    for (const [name, tables] of Object.entries(TABLES)) {
      const query = name === 'rfm' ? 'from=2026-02-01&to=2026-03-31' : `${RANGE}&granularity=month`;
      const json = (await get(`/api/admin/reports/${name}?${query}`)).body as Record<string, unknown>;
      for (const table of tables) {
        const res = await csv(`/api/admin/reports/${name}?${query}&format=csv&table=${table}`);
        expect([name, table, res.status]).toEqual([name, table, 200]);
        const [head, ...lines] = csvRows(res.text);
        const value = json[JSON_KEY[table] ?? table];
        const rows = (table === 'members' ? (value as { items: unknown[] }).items : value) as Array<Record<string, unknown>>;
        expect(rows.length).toBeGreaterThan(0);
        // The test data has no commas or quotes in any cell: a plain split reads it back.
        expect([name, table, lines]).toEqual([
          name,
          table,
          rows.map((r) => head!.map((c) => (r[c] === null || r[c] === undefined ? '' : String(r[c])))),
        ]);
      }
    }
  });

  it('filters by brand: TEA issued 349, took 150 back, and 100 points were spent there', async () => {
    const res = await get(`/api/admin/reports/inflation?${RANGE}&granularity=month&brand=TEA`);
    expect(res.status).toBe(200);
    expect((res.body as { rows: unknown[] }).rows).toEqual([
      {
        period: '2026-03',
        program: 'JIFEN',
        issued: 349,
        reversed: 150,
        spent: 100,
        returned: 0,
        expired: 0,
        adjusted: 0,
        exchanged: 0,
        net: 99,
        netFen: 99,
        // 100 spent / (349 − 150)
        burnPct: 50.3,
      },
    ]);
    const fresh = await get(`/api/admin/reports/liability?${RANGE}&store=S001`);
    expect((fresh.body as { rows: unknown[] }).rows).toEqual([]);
    const spring = await get(`/api/admin/reports/campaigns?${RANGE}&brand=TEA`);
    expect((spring.body as { rows: Array<{ points: number; ordersDuring: number }> }).rows[0]).toMatchObject({
      points: 0,
      ordersDuring: 0,
    });
  });

  it('by day: the inflation rows are the days that moved', async () => {
    const res = await get('/api/admin/reports/inflation?from=2026-03-01&to=2026-03-07&program=JIFEN');
    const rows = (res.body as { granularity: string; rows: Array<{ period: string; net: number }> }).rows;
    expect((res.body as { granularity: string }).granularity).toBe('day');
    expect(rows.map((r) => [r.period, r.net])).toEqual([
      ['2026-03-02', 400],
      ['2026-03-03', 300],
      // the hold and its confirmation (−100) and the 49 earned
      ['2026-03-05', -51],
      ['2026-03-06', -150],
    ]);
  });

  it('400 VALIDATION_FAILED on an unknown brand, a store of another brand, or a reversed range', async () => {
    expect((await get(`/api/admin/reports/flows?${RANGE}&brand=NOPE`)).body).toMatchObject({
      error: { code: 'VALIDATION_FAILED', field: 'brand' },
    });
    expect((await get(`/api/admin/reports/flows?${RANGE}&brand=TEA&store=S001`)).body).toMatchObject({
      error: { code: 'VALIDATION_FAILED', field: 'store' },
    });
    expect((await get('/api/admin/reports/nps?from=2026-03-02&to=2026-03-01')).status).toBe(400);
    expect((await get('/api/admin/reports/nps?from=2026-02-30')).status).toBe(400);
    expect((await get('/api/admin/reports/rfm?format=csv&table=nope')).body).toMatchObject({ error: { field: 'table' } });
  });

  it('streams CSV: chunked, a header row, escaped cells, one line per row', async () => {
    const res = await csv(`/api/admin/reports/liability?${RANGE}&format=csv&table=movement`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('transfer-encoding')).toBe('chunked');
    expect(res.headers.get('content-length')).toBeNull();
    const rows = csvRows(res.text);
    expect(rows[0]).toEqual([
      'month',
      'program',
      'opening',
      'issued',
      'spent',
      'expired',
      'reversed',
      'debtRepaid',
      'closing',
      'closingFen',
    ]);
    expect(rows.slice(1)).toHaveLength(6);
    expect(rows[3]).toEqual(['2026-03', 'JIFEN', '160', '749', '100', '60', '150', '0', '599', '599']);
    const campaigns = csvRows((await csv(`/api/admin/reports/campaigns?${RANGE}&format=csv`)).text);
    expect(campaigns[1]?.slice(0, 3)).toEqual(['JIFEN', 'spring', '春季双倍']);
  });

  it('streams the RFM member list with its row count, ids only for a role without personal data', async () => {
    const res = await csv('/api/admin/reports/rfm?from=2026-02-01&to=2026-03-31&format=csv&table=members', tokens.auditor);
    expect(res.status).toBe(200);
    const rows = csvRows(res.text);
    expect(rows[0]).toEqual(['memberId', 'segment', 'churn', 'r', 'f', 'm', 'recencyDays', 'orders', 'amountFen', 'lastPurchase']);
    expect(rows).toHaveLength(1 + 4);
    expect(res.text).not.toContain('1380000000');
    expect(rows.find((r) => r[0] === String(members.D))).toEqual([
      String(members.D),
      'promising',
      'red',
      '2',
      '1',
      '1',
      '49',
      '1',
      '6000',
      '2026-02-10T02:00:00.000Z',
    ]);
    const audit = await s.testDb.db.kysely.selectFrom('audit_log').selectAll().where('action', '=', 'report.members.export').execute();
    expect(audit.map((a) => a.actor)).toEqual(['staff:r-auditor']);
  });

  it('pages the JSON member list by member id', async () => {
    const first = (await get('/api/admin/reports/rfm?from=2026-02-01&to=2026-03-31&limit=3', tokens.marketing)).body as {
      members: { items: Array<{ memberId: number; phone?: string }>; next: number | null };
    };
    expect(first.members.items).toHaveLength(3);
    expect(first.members.items[0]).not.toHaveProperty('phone');
    const second = (await get(`/api/admin/reports/rfm?from=2026-02-01&to=2026-03-31&limit=3&after=${first.members.next}`, tokens.marketing))
      .body as { members: { items: Array<{ memberId: number }>; next: number | null } };
    expect(second.members.items).toHaveLength(1);
    expect(second.members.next).toBeNull();
    const ids = [...first.members.items, ...second.members.items].map((i) => i.memberId);
    expect(ids).toEqual([...Object.values(members)].sort((a, b) => a - b));
  });

  it('exports personal data only to a role with reports.personal, and audits it', async () => {
    const exports = async () => s.testDb.db.kysely.selectFrom('audit_log').selectAll().where('action', '=', 'report.pii.export').execute();
    const before = (await exports()).length;
    const res = await csv('/api/admin/reports/rfm?from=2026-02-01&to=2026-03-31&format=csv&table=members');
    const rows = csvRows(res.text);
    expect(rows[0]?.slice(-2)).toEqual(['phone', 'name']);
    expect(rows.find((r) => r[0] === String(members.B))?.slice(-2)).toEqual([PHONES.B, '会员B']);
    const audit = await exports();
    expect(audit).toHaveLength(before + 1);
    for (const a of audit) expect(a).toMatchObject({ actor: 'staff:hq-admin', target: 'report:rfm' });
  });

  describe('403 FORBIDDEN outside the role', () => {
    const finance = ['liability', 'inflation', 'flows'];
    const read = ['members', 'rfm', 'campaigns', 'nps'];

    it('401 without a session', async () => {
      expect((await s.request('GET', '/api/admin/reports/liability')).status).toBe(401);
    });

    it('support and store_manager: every report', async () => {
      for (const role of ['support', 'store_manager']) {
        for (const name of [...finance, ...read]) {
          const res = await get(`/api/admin/reports/${name}`, tokens[role]);
          expect([name, role, res.status, (res.body as { error: { code: string } }).error.code]).toEqual([name, role, 403, 'FORBIDDEN']);
        }
      }
    });

    it('marketing: the money reports, but not segments and campaigns', async () => {
      for (const name of finance) expect((await get(`/api/admin/reports/${name}`, tokens.marketing)).status).toBe(403);
      for (const name of read) expect((await get(`/api/admin/reports/${name}`, tokens.marketing)).status).toBe(200);
    });

    it('auditor: every report, the member list without personal data', async () => {
      for (const name of [...finance, ...read]) expect((await get(`/api/admin/reports/${name}?${RANGE}`, tokens.auditor)).status).toBe(200);
      const rfm = (await get('/api/admin/reports/rfm?from=2026-02-01&to=2026-03-31', tokens.auditor)).body as {
        members: { items: Array<Record<string, unknown>> };
      };
      expect(rfm.members.items).toHaveLength(4);
      for (const item of rfm.members.items) {
        expect(item).not.toHaveProperty('phone');
        expect(item).not.toHaveProperty('name');
      }
      expect(JSON.stringify(rfm)).not.toContain('1380000000');
    });

    it('finance: every aggregate, but no member list (JSON without it, CSV refused)', async () => {
      for (const name of [...finance, ...read]) expect((await get(`/api/admin/reports/${name}?${RANGE}`, tokens.finance)).status).toBe(200);
      const rfm = (await get(`/api/admin/reports/rfm?${RANGE}`, tokens.finance)).body as Record<string, unknown>;
      expect(rfm).not.toHaveProperty('members');
      const list = await s.request('GET', '/api/admin/reports/rfm?format=csv&table=members', undefined, tokens.finance);
      expect(list.status).toBe(403);
    });
  });
});

describe('reports from the rollup summaries', () => {
  it('the rollup summarises every closed day and the answers do not change', async () => {
    const before = await everything();
    const summary = await rollupReports(s.testDb.db, clock.t);
    // From 02-01 (the first entry… the members joined with no entry; the first order is 02-10) to 05-01.
    expect(summary.throughDay).toBe(Date.parse('2026-05-01T00:00:00Z') / 86_400_000);
    expect((await rollupReports(s.testDb.db, clock.t)).days).toBe(0);
    const after = await everything();
    expect(after).toEqual(before);
    checkFigures(after);
    await checkFiltered();
    const body = (await get(`/api/admin/reports/flows?${RANGE}`)).body as { summarisedThrough: string };
    expect(body.summarisedThrough).toBe('2026-05-01');
  });

  it('a day after the watermark is read live beside the summaries', async () => {
    clock.t = china('2026-05-02', '11:00');
    const services = s.server.services;
    const terminal = await issueTerminal(s.testDb.db, { storeCode: 'S101' }, clock.t);
    const store = await s.testDb.db.kysely.selectFrom('store').select('id').where('code', '=', 'S101').executeTakeFirstOrThrow();
    await createPosOrder(
      services.paymentDeps(),
      { terminalId: terminal.terminalId, storeId: store.id },
      {
        clientOrderId: 'report-test-late',
        lines: [{ sku: 'SKU1', name: '商品', qty: 1, unitPriceFen: 1000 }],
        member: { phone: PHONES.B },
        payment: { method: 'cash' },
      },
    );
    const res = await get('/api/admin/reports/liability?from=2026-02-01&to=2026-05-02&brand=TEA');
    expect((res.body as { rows: unknown[] }).rows).toEqual([
      { program: 'JIFEN', brand: 'TEA', store: 'S101', points: 209, liabilityFen: 209 },
    ]);
  });

  it('summarises the open day in 15-minute steps; a report that read an older step still counts each sale once', async () => {
    const k = s.testDb.db.kysely;
    const day = (date: string) => Date.parse(`${date}T00:00:00Z`) / 86_400_000;
    const stepKey = (ms: number) => -Math.round(ms / 60_000);
    const tea = async () => {
      const body = (await get('/api/admin/reports/liability?from=2026-05-01&to=2026-05-02&brand=TEA')).body as {
        rows: Array<{ points: number }>;
        summarisedUntil: string | null;
      };
      return { points: body.rows[0]?.points, until: body.summarisedUntil };
    };
    const sellAtTea = async (time: string, yuan: number, id: string) => {
      clock.t = china('2026-05-02', time);
      const terminal = await issueTerminal(s.testDb.db, { storeCode: 'S101' }, clock.t);
      const store = await k.selectFrom('store').select('id').where('code', '=', 'S101').executeTakeFirstOrThrow();
      const order = await createPosOrder(
        s.server.services.paymentDeps(),
        { terminalId: terminal.terminalId, storeId: store.id },
        {
          clientOrderId: id,
          lines: [{ sku: 'SKU1', name: '商品', qty: 1, unitPriceFen: yuan * 100 }],
          member: { phone: PHONES.B },
          payment: { method: 'cash' },
        },
      );
      expect(order.pointsEarned).toBe(yuan);
    };

    // C (last purchase 03-10) holds points at 11:30 and lets them go: activity, not a purchase. The
    // red warning (30 days without activity) must see it, read live, from the open day's step, and
    // from the closed day — and not in a window that ends before it.
    const churnOfC = async (to: string) => {
      const body = (await get(`/api/admin/reports/rfm?from=2026-03-01&to=${to}&program=SPORT`)).body as {
        members: { items: Array<{ memberId: number; churn: string | null }> };
      };
      return body.members.items.find((i) => i.memberId === members.C)?.churn;
    };
    expect(await churnOfC('2026-05-02')).toBe('red');
    clock.t = china('2026-05-02', '11:30');
    const sportAccount = await k
      .selectFrom('account')
      .innerJoin('program', 'program.id', 'account.program_id')
      .select('account.id')
      .where('account.member_id', '=', members.C)
      .where('program.code', '=', 'SPORT')
      .executeTakeFirstOrThrow();
    const ledger = { db: s.testDb.db, now: clock.now };
    const checkout = await hold(
      ledger,
      { source: 'test', key: 'report-test-hold-c' },
      { accountId: sportAccount.id, points: 10, reason: '结账' },
    );
    await releaseHold(ledger, { source: 'test', key: 'report-test-release-c' }, { holdId: checkout.entryId });
    expect(await churnOfC('2026-05-02')).toBeNull();
    expect(await churnOfC('2026-05-01')).toBe('red');

    // 13:20: the step runs to 12:15 (an hour's margin, whole quarters) and takes in the 11:00 sale.
    clock.t = china('2026-05-02', '13:20');
    expect((await rollupReports(s.testDb.db, clock.t)).days).toBe(0);
    const first = china('2026-05-02', '12:15');
    expect(await k.selectFrom('report_rollup').select(['through_day', 'partial_until']).executeTakeFirstOrThrow()).toEqual({
      through_day: day('2026-05-01'),
      partial_until: first,
    });
    const step = await k.selectFrom('report_lot_day').select(['kind', 'points']).where('day', '=', stepKey(first)).execute();
    // Beside the sale: C's hold and release net to nothing, but the points went back to a lot past its
    // expiry (03-10 + 1 month, the expiry job has not run since), so they expired on release.
    expect(step.filter((r) => Number(r.points) !== 0).sort((a, b) => a.kind.localeCompare(b.kind))).toEqual([
      { kind: 'expire', points: -10 },
      { kind: 'issue', points: 10 },
    ]);
    expect(await tea()).toEqual({ points: 209, until: new Date(first).toISOString() });
    expect(await k.selectFrom('report_member_active_day').selectAll().where('day', '=', day('2026-05-02')).execute()).toEqual(
      expect.arrayContaining([{ member_id: members.C, day: day('2026-05-02') }]),
    );
    expect(await churnOfC('2026-05-02')).toBeNull();

    // A report reads the watermark and the 12:15 step now, and its rows later.
    const held = await reportContext(
      { db: s.testDb.db, cipher: s.server.services.cipher, now: clock.now },
      ReportQuery.parse({ from: '2026-05-01', to: '2026-05-02', brand: 'TEA' }),
      { members: false, personal: false },
    );
    // 13:30, after the step: read live.
    await sellAtTea('13:30', 20, 'report-test-step-1');
    expect((await tea()).points).toBe(229);

    // 15:10: the next step (to 14:00) takes in the 13:30 sale; the report holding the 12:15 step reads
    // that step and the ledger after 12:15, so the 13:30 sale counts once.
    clock.t = china('2026-05-02', '15:10');
    await rollupReports(s.testDb.db, clock.t);
    const second = china('2026-05-02', '14:00');
    expect((await k.selectFrom('report_rollup').select('partial_until').executeTakeFirstOrThrow()).partial_until).toBe(second);
    expect(await collect(buildReport(held, 'liability').tables.rows!.rows())).toEqual([
      { program: 'JIFEN', brand: 'TEA', store: 'S101', points: 229, liabilityFen: 229 },
    ]);
    expect(await tea()).toEqual({ points: 229, until: new Date(second).toISOString() });
    const inflation = (await get('/api/admin/reports/inflation?from=2026-05-02&to=2026-05-02&brand=TEA')).body as {
      rows: Array<{ issued: number }>;
    };
    expect(inflation.rows.map((r) => r.issued)).toEqual([30]);

    // The next morning the day closes: its full rows replace the steps, which go with the next step.
    clock.t = china('2026-05-03', '02:00');
    admin = await s.signIn();
    expect((await rollupReports(s.testDb.db, clock.t)).days).toBe(1);
    expect(await k.selectFrom('report_rollup').select(['through_day', 'partial_until']).executeTakeFirstOrThrow()).toEqual({
      through_day: day('2026-05-02'),
      partial_until: china('2026-05-03', '01:00'),
    });
    const left = await k
      .selectFrom('report_lot_day')
      .select('day')
      .where('day', 'in', [stepKey(first), stepKey(second)])
      .execute();
    expect(left).toEqual([]);
    expect((await tea()).points).toBe(229);
    expect(await churnOfC('2026-05-02')).toBeNull();
    expect(await churnOfC('2026-05-01')).toBe('red');
    checkFigures(await everything());
  });
});

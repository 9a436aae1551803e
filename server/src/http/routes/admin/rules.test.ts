import { chinaDate, toIsoUtc } from '@jifen/shared';
import type { BacktestReport, PosOrderView } from '@jifen/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHq } from './hq-test-support.js';
import type { ErrorBody, Hq } from './hq-test-support.js';

let hq: Hq;
let today: string;
const issued: number[] = [];

beforeAll(async () => {
  hq = await startHq();
  today = chinaDate(toIsoUtc(Date.now()));
  // 王大力 buys twice at S001 (鲜果坊) under the demo rules v1: the first purchase gets the bonus.
  for (const amountFen of [12800, 30000]) {
    const res = await hq.cashSale({ phone: '13900139000', amountFen });
    expect(res.status).toBe(201);
    issued.push((res.body as PosOrderView).pointsEarned);
  }
  // A sale without a member earns nothing and is not replayed.
  expect((await hq.cashSale({ amountFen: 5000 })).status).toBe(201);
});
afterAll(async () => hq.close());

interface Draft {
  id: number;
  status: string;
  version: number | null;
  baseVersion: number;
  effectiveFrom: string | null;
}

const DOUBLE = { baseRate: 2, growthPerYuan: 1 };

async function newDraft(rules: unknown = DOUBLE, brandCode?: string) {
  return hq.call('marketing', 'POST', '/api/admin/rules/drafts', { programCode: 'JIFEN', ...(brandCode ? { brandCode } : {}), rules });
}

describe('rule set drafts', () => {
  it('400 naming the rule that fails the shared RuleSetSchema, and writes nothing', async () => {
    const negative = await newDraft({ baseRate: -1 });
    expect(negative.status).toBe(400);
    expect((negative.body as ErrorBody).error).toMatchObject({ code: 'VALIDATION_FAILED', field: 'rules.baseRate' });
    const misspelt = await newDraft({ baserate: 2 });
    expect(misspelt.status).toBe(400);
    const campaign = await newDraft({
      campaigns: [
        { id: 'x', name: '双倍', startsAt: '2026-01-02T00:00:00+08:00', endsAt: '2026-01-01T00:00:00+08:00', multiplierPercent: 200 },
      ],
    });
    expect((campaign.body as ErrorBody).error.field).toBe('rules.campaigns.0.endsAt');
    expect(await hq.s.testDb.db.kysely.selectFrom('config_draft').select('id').execute()).toEqual([]);
  });

  it('404 for a brand outside the program', async () => {
    const res = await newDraft(DOUBLE, 'SPORTS');
    expect(res.status).toBe(404);
    expect((res.body as ErrorBody).error.code).toBe('BRAND_NOT_FOUND');
  });

  it('201 a draft based on the version in force; editable while a draft; listed', async () => {
    const res = await newDraft({ baseRate: 3 });
    expect(res.status).toBe(201);
    const d = res.body as Draft;
    expect(d).toMatchObject({ status: 'draft', baseVersion: 1, version: null });
    const edited = await hq.call('marketing', 'PUT', `/api/admin/rules/drafts/${d.id}`, { rules: DOUBLE });
    expect(edited.status).toBe(200);
    expect((edited.body as { body: { baseRate: number } }).body.baseRate).toBe(2);
    const list = (await hq.call('finance', 'GET', '/api/admin/rules/drafts')).body as { drafts: Draft[] };
    expect(list.drafts.map((x) => x.id)).toContain(d.id);
  });
});

describe('POST /api/admin/rules/:draftId/backtest', () => {
  it('replays the day’s paid orders: the settled rules reproduce what was issued; the draft is hand-computable', async () => {
    const d = ((await hq.call('marketing', 'GET', '/api/admin/rules/drafts?status=draft')).body as { drafts: Draft[] }).drafts[0]!;
    const res = await hq.call('finance', 'POST', `/api/admin/rules/${d.id}/backtest`, { from: today, to: today });
    expect(res.status).toBe(200);
    const report = res.body as BacktestReport;
    const total = issued[0]! + issued[1]!;
    // ￥128.00 and ￥300.00 at 2 points per yuan, nothing else: 256 + 600. JIFEN: 100 points = ￥1, so 1 fen a point.
    expect(report.rows).toEqual([
      {
        date: today,
        brandCode: 'FRESH',
        orders: 2,
        issuedPoints: total,
        currentPoints: total,
        draftPoints: 856,
        deltaPoints: 856 - total,
        currentCostFen: total,
        draftCostFen: 856,
        deltaCostFen: 856 - total,
      },
    ]);
    expect(report.totals).toMatchObject({ orders: 2, draftPoints: 856, currentPoints: total });
    expect(report).toMatchObject({ scope: { programCode: 'JIFEN', brandCode: null }, pointValueFen: 100 });
    expect(report.approximations.length).toBeGreaterThan(3);
    // the first purchase bonus (100) was part of what was issued
    expect(issued[0]).toBeGreaterThanOrEqual(228);
  });

  it('a brand filter with no orders gives no rows; a period before the orders gives none either', async () => {
    const d = ((await hq.call('marketing', 'GET', '/api/admin/rules/drafts?status=draft')).body as { drafts: Draft[] }).drafts[0]!;
    const tea = (await hq.call('marketing', 'POST', `/api/admin/rules/${d.id}/backtest`, { from: today, to: today, brandCode: 'TEA' }))
      .body as BacktestReport;
    expect(tea.rows).toEqual([]);
    const old = (await hq.call('marketing', 'POST', `/api/admin/rules/${d.id}/backtest`, { from: '2025-01-01', to: '2025-01-31' }))
      .body as BacktestReport;
    expect(old.totals.orders).toBe(0);
  });

  it('400 naming `to` for a reversed or too long period; 404 for an unknown draft', async () => {
    const d = ((await hq.call('marketing', 'GET', '/api/admin/rules/drafts?status=draft')).body as { drafts: Draft[] }).drafts[0]!;
    const reversed = await hq.call('marketing', 'POST', `/api/admin/rules/${d.id}/backtest`, { from: '2026-02-02', to: '2026-02-01' });
    expect((reversed.body as ErrorBody).error.field).toBe('to');
    const long = await hq.call('marketing', 'POST', `/api/admin/rules/${d.id}/backtest`, { from: '2026-01-01', to: '2026-06-01' });
    expect((long.body as ErrorBody).error.field).toBe('to');
    const bad = await hq.call('marketing', 'POST', `/api/admin/rules/${d.id}/backtest`, { from: '2026-02-30', to: '2026-03-01' });
    expect((bad.body as ErrorBody).error.field).toBe('from');
    expect((await hq.call('marketing', 'POST', '/api/admin/rules/424242/backtest', { from: today, to: today })).status).toBe(404);
  });
});

describe('publishing', () => {
  it('400 for an effectiveFrom in the past', async () => {
    const d = ((await hq.call('marketing', 'GET', '/api/admin/rules/drafts?status=draft')).body as { drafts: Draft[] }).drafts[0]!;
    const res = await hq.call('marketing', 'POST', `/api/admin/rules/drafts/${d.id}/publish`, {
      effectiveFrom: '2025-01-01T00:00:00+08:00',
    });
    expect((res.body as ErrorBody).error.field).toBe('effectiveFrom');
  });

  it('publishes the draft as version 2, in force now: the next sale settles under it; audited', async () => {
    const d = ((await hq.call('marketing', 'GET', '/api/admin/rules/drafts?status=draft')).body as { drafts: Draft[] }).drafts[0]!;
    const other = (await newDraft({ baseRate: 5 })).body as Draft;
    const res = await hq.call('marketing', 'POST', `/api/admin/rules/drafts/${d.id}/publish`, {});
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'published', version: 2 });
    const versions = (await hq.call('auditor', 'GET', '/api/admin/rules?programCode=JIFEN')).body as {
      versions: Array<{ version: number; inForce: boolean; ruleSetId: number }>;
    };
    expect(versions.versions.map((v) => [v.version, v.inForce])).toEqual([
      [2, true],
      [1, false],
    ]);
    const v2 = (await hq.call('auditor', 'GET', `/api/admin/rules/versions/${versions.versions[0]!.ruleSetId}`)).body as {
      rules: { baseRate: number };
    };
    expect(v2.rules.baseRate).toBe(2);
    // 陈静's first purchase under v2: 2 points per yuan and no first-purchase bonus any more.
    const sale = await hq.cashSale({ phone: '13700137000', amountFen: 12800 });
    expect((sale.body as PosOrderView).pointsEarned).toBe(256);
    expect((await hq.audit('rules.publish')).at(-1)).toMatchObject({ actor: 'staff:r-marketing', target: 'rules:JIFEN' });
    // The other draft was opened from version 1: publishing it now would drop version 2.
    const stale = await hq.call('marketing', 'POST', `/api/admin/rules/drafts/${other.id}/publish`, {});
    expect(stale.status).toBe(409);
    expect((stale.body as ErrorBody).error.code).toBe('DRAFT_STALE');
  });

  it('a published version is immutable: its draft answers 409 DRAFT_NOT_EDITABLE and the stored rules stay', async () => {
    const d = ((await hq.call('marketing', 'GET', '/api/admin/rules/drafts?status=published')).body as { drafts: Draft[] }).drafts[0]!;
    const res = await hq.call('marketing', 'PUT', `/api/admin/rules/drafts/${d.id}`, { rules: { baseRate: 9 } });
    expect(res.status).toBe(409);
    expect((res.body as ErrorBody).error.code).toBe('DRAFT_NOT_EDITABLE');
    const row = await hq.s.testDb.db.kysely.selectFrom('rule_set').select('rules').where('version', '=', 2).executeTakeFirstOrThrow();
    expect(JSON.parse(row.rules)).toMatchObject({ baseRate: 2 });
  });

  it('a brand’s own rules publish as that brand’s version 1, in force from a future instant', async () => {
    const d = (await newDraft({ baseRate: 4 }, 'TEA')).body as Draft;
    const from = new Date(Date.now() + 86_400_000).toISOString();
    const res = await hq.call('admin', 'POST', `/api/admin/rules/drafts/${d.id}/publish`, { effectiveFrom: from });
    expect(res.body).toMatchObject({ version: 1, effectiveFrom: from });
    const tea = (await hq.call('admin', 'GET', '/api/admin/rules?programCode=JIFEN&brandCode=TEA')).body as {
      versions: Array<{ brandCode: string; inForce: boolean }>;
    };
    expect(tea.versions).toEqual([expect.objectContaining({ brandCode: 'TEA', inForce: false })]);
  });
});

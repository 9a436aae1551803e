import { DEFAULT_TIERS } from '@jifen/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHq } from './hq-test-support.js';
import type { ErrorBody, Hq } from './hq-test-support.js';

let hq: Hq;
beforeAll(async () => {
  hq = await startHq();
});
afterAll(async () => hq.close());

interface Draft {
  id: number;
  status: string;
  version: number | null;
  baseVersion: number;
  body: unknown;
}

const program = {
  name: '会员积分',
  pointValueFen: 100,
  expiryPolicy: { kind: 'months_after_earning', months: 24 },
  returnWindowDays: 7,
  maxPointsSharePercent: 30,
};

async function draft(kind: string, target: string, body: unknown) {
  return hq.call('admin', 'POST', '/api/admin/config/drafts', { kind, target, body });
}

async function publish(id: number) {
  return hq.call('admin', 'POST', `/api/admin/config/drafts/${id}/publish`);
}

describe('configuration drafts → publish', () => {
  it('400 naming the field of the body, and writes nothing', async () => {
    const res = await draft('program', 'NEWP', { ...program, pointValueFen: 0 });
    expect(res.status).toBe(400);
    expect((res.body as ErrorBody).error).toMatchObject({ code: 'VALIDATION_FAILED', field: 'body.pointValueFen' });
    const unknownKey = await draft('program', 'NEWP', { ...program, pointvalue: 1 });
    expect(unknownKey.status).toBe(400);
    const badTarget = await draft('exchange_rate', 'JIFEN', { fromPoints: 1, toPoints: 1, enabled: true });
    expect((badTarget.body as ErrorBody).error.field).toBe('target');
    expect(await hq.s.testDb.db.kysely.selectFrom('config_draft').select('id').execute()).toEqual([]);
  });

  it('a new program: draft, edit, publish → live as version 1, with the default tiers; audited', async () => {
    const created = await draft('program', 'CAFE', program);
    expect(created.status).toBe(201);
    const d = created.body as Draft;
    expect(d).toMatchObject({ status: 'draft', baseVersion: 0, version: null });
    const edited = await hq.call('admin', 'PUT', `/api/admin/config/drafts/${d.id}`, { body: { ...program, name: '咖啡积分' } });
    expect(edited.status).toBe(200);
    const badEdit = await hq.call('admin', 'PUT', `/api/admin/config/drafts/${d.id}`, { body: { ...program, returnWindowDays: -1 } });
    expect((badEdit.body as ErrorBody).error.field).toBe('body.returnWindowDays');
    expect((await hq.call('admin', 'GET', '/api/admin/programs')).body).not.toMatchObject({
      programs: expect.arrayContaining([expect.objectContaining({ code: 'CAFE' })]),
    });
    const pub = await publish(d.id);
    expect(pub.status).toBe(200);
    expect(pub.body).toMatchObject({ status: 'published', version: 1 });
    const programs = (await hq.call('marketing', 'GET', '/api/admin/programs')).body as { programs: Array<Record<string, unknown>> };
    expect(programs.programs.find((p) => p.code === 'CAFE')).toMatchObject({
      name: '咖啡积分',
      pointValueFen: 100,
      maxPointsSharePercent: 30,
      isDefault: false,
      version: 1,
      tiers: DEFAULT_TIERS,
    });
    const audit = (await hq.audit('config.program.publish')).at(-1)!;
    expect(audit).toMatchObject({ actor: 'staff:hq-admin', target: 'program:CAFE' });
    expect(audit.before_state).toBe(null);
    expect(JSON.parse(audit.after_state!)).toMatchObject({ version: 1, name: '咖啡积分' });
  });

  it('a published version never changes: editing, discarding or publishing it again is 409 DRAFT_NOT_EDITABLE', async () => {
    const [d] = ((await hq.call('admin', 'GET', '/api/admin/config/drafts?kind=program&status=published')).body as { drafts: Draft[] })
      .drafts;
    for (const call of [
      () => hq.call('admin', 'PUT', `/api/admin/config/drafts/${d!.id}`, { body: program }),
      () => hq.call('admin', 'POST', `/api/admin/config/drafts/${d!.id}/discard`),
      () => publish(d!.id),
    ]) {
      const res = await call();
      expect(res.status).toBe(409);
      expect((res.body as ErrorBody).error.code).toBe('DRAFT_NOT_EDITABLE');
    }
  });

  it('two drafts of one object: the second to publish is 409 DRAFT_STALE; the versions list keeps every published one', async () => {
    const a = (await draft('program', 'CAFE', { ...program, name: '咖啡积分', pointValueFen: 50 })).body as Draft;
    const b = (await draft('program', 'CAFE', { ...program, name: '咖啡积分', returnWindowDays: 14 })).body as Draft;
    expect(a.baseVersion).toBe(1);
    expect((await publish(a.id)).body).toMatchObject({ version: 2 });
    const stale = await publish(b.id);
    expect(stale.status).toBe(409);
    expect((stale.body as ErrorBody).error.code).toBe('DRAFT_STALE');
    const versions = (await hq.call('auditor', 'GET', '/api/admin/config/versions?kind=program&target=CAFE')).body as { versions: Draft[] };
    expect(versions.versions.map((v) => v.version)).toEqual([2, 1]);
    const before = JSON.parse((await hq.audit('config.program.publish')).at(-1)!.before_state!) as { pointValueFen: number };
    expect(before.pointValueFen).toBe(100);
  });

  it('brands and stores: a brand stays in its program; a store needs a known brand', async () => {
    expect((await publish(((await draft('brand', 'BEAN', { name: '豆坊', programCode: 'CAFE' })).body as Draft).id)).status).toBe(200);
    const move = await draft('brand', 'BEAN', { name: '豆坊', programCode: 'JIFEN' });
    expect(move.status).toBe(409);
    expect((move.body as ErrorBody).error.field).toBe('body.programCode');
    const noBrand = await draft('store', 'B001', { name: '豆坊 一店', brandCode: 'NOPE' });
    expect(noBrand.status).toBe(404);
    expect(
      (await publish(((await draft('store', 'B001', { name: '豆坊 一店', brandCode: 'BEAN', address: '上海市' })).body as Draft).id))
        .status,
    ).toBe(200);
    const stores = (await hq.call('store_manager', 'GET', '/api/admin/stores')).body as { stores: Array<Record<string, unknown>> };
    expect(stores.stores.find((s) => s.code === 'B001')).toMatchObject({ brandCode: 'BEAN', version: 1 });
    const brands = (await hq.call('admin', 'GET', '/api/admin/brands')).body as { brands: Array<Record<string, unknown>> };
    expect(brands.brands.find((b) => b.code === 'BEAN')).toMatchObject({ programCode: 'CAFE' });
  });

  it('tiers: a new set must keep every tier members hold (409 CONFIG_CONFLICT); otherwise it replaces the program’s', async () => {
    const without = {
      tiers: [
        { code: 'basic', name: '普通', minGrowth: 0 },
        { code: 'silver', name: '白银', minGrowth: 800 },
        { code: 'gold', name: '黄金', minGrowth: 4000 },
      ],
    };
    const res = await draft('tiers', 'JIFEN', without);
    expect(res.status).toBe(409);
    expect((res.body as ErrorBody).error).toMatchObject({ code: 'CONFIG_CONFLICT', field: 'body.tiers' });
    const tiers = {
      tiers: [...DEFAULT_TIERS.tiers.slice(0, 3).map((t) => ({ ...t })), { code: 'platinum', name: '铂金', minGrowth: 15000 }],
      retentionMonths: 6,
    };
    const d = (await draft('tiers', 'JIFEN', tiers)).body as Draft;
    expect((await publish(d.id)).status).toBe(200);
    const jifen = (
      (await hq.call('admin', 'GET', '/api/admin/programs')).body as {
        programs: Array<{ code: string; tiers: unknown; tiersVersion: number }>;
      }
    ).programs.find((p) => p.code === 'JIFEN');
    expect(jifen).toMatchObject({ tiers, tiersVersion: 1 });
  });

  it('exchange rates: a draft publishes a new rate between two programs', async () => {
    const d = (await draft('exchange_rate', 'CAFE>JIFEN', { fromPoints: 3, toPoints: 1, enabled: true })).body as Draft;
    expect((await publish(d.id)).status).toBe(200);
    const rates = (await hq.call('finance', 'GET', '/api/admin/exchange-rates')).body as { exchangeRates: Array<Record<string, unknown>> };
    expect(rates.exchangeRates.find((r) => r.from === 'CAFE' && r.to === 'JIFEN')).toMatchObject({
      fromPoints: 3,
      toPoints: 1,
      enabled: true,
      version: 1,
    });
    const unknown = await draft('exchange_rate', 'CAFE>NOPE', { fromPoints: 3, toPoints: 1, enabled: true });
    expect(unknown.status).toBe(404);
  });

  it('the share payable with points applies to the next POS order at once', async () => {
    const jifen = (
      (await hq.call('admin', 'GET', '/api/admin/programs')).body as { programs: Array<Record<string, unknown>> }
    ).programs.find((p) => p.code === 'JIFEN')!;
    const body = {
      name: jifen.name,
      pointValueFen: jifen.pointValueFen,
      expiryPolicy: jifen.expiryPolicy,
      returnWindowDays: jifen.returnWindowDays,
      maxPointsSharePercent: 1,
    };
    const d = (await draft('program', 'JIFEN', body)).body as Draft;
    expect((await publish(d.id)).status).toBe(200);
    // 李小萌 has points; 2 points pay 2 fen, more than 1% of 100 fen.
    const refused = await hq.cashSale({ phone: '13800138000', amountFen: 100, redeemPoints: 2 });
    expect(refused.status).toBe(400);
    expect((refused.body as ErrorBody).error).toMatchObject({ field: 'redeemPoints' });
    expect((await hq.cashSale({ phone: '13800138000', amountFen: 100, redeemPoints: 1 })).status).toBe(201);
  });

  it('discard: a discarded draft cannot be published', async () => {
    const d = (await draft('store', 'B002', { name: '豆坊 二店', brandCode: 'BEAN' })).body as Draft;
    expect((await hq.call('admin', 'POST', `/api/admin/config/drafts/${d.id}/discard`)).body).toMatchObject({ status: 'discarded' });
    expect((await publish(d.id)).status).toBe(409);
    expect((await hq.call('admin', 'GET', '/api/admin/config/drafts/424242')).status).toBe(404);
  });
});

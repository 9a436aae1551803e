import type { AdminRewardView, CodeBatchView } from '@jifen/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CodeSigner } from '../../../lib/codes.js';
import { startHq } from './hq-test-support.js';
import type { ErrorBody, Hq } from './hq-test-support.js';

let hq: Hq;
beforeAll(async () => {
  hq = await startHq();
});
afterAll(async () => hq.close());

const reward = { name: '帆布袋', description: '品牌帆布袋一个', pointsCost: 500, stock: 10, perMemberLimit: 2, tiers: ['silver', 'gold'] };

describe('rewards', () => {
  it('201 adds a reward; 400 names the field (cost, unknown tier) and writes nothing', async () => {
    const before = (await hq.s.testDb.db.kysely.selectFrom('reward').select('id').execute()).length;
    const zero = await hq.call('marketing', 'POST', '/api/admin/rewards', { ...reward, pointsCost: 0 });
    expect((zero.body as ErrorBody).error.field).toBe('pointsCost');
    const tier = await hq.call('marketing', 'POST', '/api/admin/rewards', { ...reward, tiers: ['diamond'] });
    expect((tier.body as ErrorBody).error.field).toBe('tiers.0');
    expect((await hq.s.testDb.db.kysely.selectFrom('reward').select('id').execute()).length).toBe(before);
    const res = await hq.call('marketing', 'POST', '/api/admin/rewards', reward);
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ ...reward, programCode: 'JIFEN', active: true, issued: 0 });
    expect((await hq.audit('reward.create')).at(-1)?.actor).toBe('staff:r-marketing');
  });

  it('PATCH edits, and addStock composes with redemptions; stock never below zero', async () => {
    const list = (await hq.call('marketing', 'GET', '/api/admin/rewards')).body as { rewards: AdminRewardView[] };
    const id = list.rewards.find((r) => r.name === '帆布袋')!.id;
    const more = await hq.call('marketing', 'PATCH', `/api/admin/rewards/${id}`, { addStock: 5, pointsCost: 450 });
    expect(more.body).toMatchObject({ stock: 15, pointsCost: 450 });
    const less = await hq.call('marketing', 'PATCH', `/api/admin/rewards/${id}`, { addStock: -16 });
    expect(less.status).toBe(400);
    expect((less.body as ErrorBody).error.field).toBe('addStock');
    const both = await hq.call('marketing', 'PATCH', `/api/admin/rewards/${id}`, { addStock: 1, stock: 3 });
    expect((both.body as ErrorBody).error.field).toBe('addStock');
    expect((await hq.call('marketing', 'PATCH', `/api/admin/rewards/${id}`, {})).status).toBe(400);
    const audit = (await hq.audit('reward.update')).at(-1)!;
    expect(JSON.parse(audit.before_state!)).toMatchObject({ stock: 10, pointsCost: 500 });
    expect(JSON.parse(audit.after_state!)).toMatchObject({ stock: 15, pointsCost: 450 });
    const unlimited = await hq.call('marketing', 'PATCH', `/api/admin/rewards/${id}`, { stock: null });
    expect(unlimited.body).toMatchObject({ stock: null });
    expect((await hq.call('marketing', 'PATCH', `/api/admin/rewards/${id}`, { addStock: 1 })).status).toBe(409);
  });

  it('deactivate withdraws it from the catalogue; activate brings it back', async () => {
    const id = ((await hq.call('marketing', 'GET', '/api/admin/rewards')).body as { rewards: AdminRewardView[] }).rewards.find(
      (r) => r.name === '帆布袋',
    )!.id;
    expect((await hq.call('marketing', 'POST', `/api/admin/rewards/${id}/deactivate`)).body).toMatchObject({ active: false });
    const active = (await hq.call('auditor', 'GET', '/api/admin/rewards')).body as { rewards: AdminRewardView[] };
    expect(active.rewards.some((r) => r.id === id)).toBe(false);
    const all = (await hq.call('auditor', 'GET', '/api/admin/rewards?includeInactive=true')).body as { rewards: AdminRewardView[] };
    expect(all.rewards.some((r) => r.id === id)).toBe(true);
    expect((await hq.call('marketing', 'POST', `/api/admin/rewards/${id}/activate`)).body).toMatchObject({ active: true });
    expect((await hq.call('marketing', 'POST', '/api/admin/rewards/424242/activate')).status).toBe(404);
  });
});

describe('product-code batches', () => {
  let batch: CodeBatchView;

  it('201 creates N signed codes for a SKU; 400 names the field', async () => {
    const past = await hq.call('marketing', 'POST', '/api/admin/product-codes/batches', {
      sku: '690123',
      name: '橙汁',
      points: 10,
      count: 5,
      expiresAt: '2020-01-01T00:00:00Z',
    });
    expect((past.body as ErrorBody).error.field).toBe('expiresAt');
    const tooMany = await hq.call('marketing', 'POST', '/api/admin/product-codes/batches', {
      sku: '690123',
      name: '橙汁',
      points: 10,
      count: 100_001,
      expiresAt: '2030-01-01T00:00:00Z',
    });
    expect((tooMany.body as ErrorBody).error.field).toBe('count');
    const res = await hq.call('marketing', 'POST', '/api/admin/product-codes/batches', {
      sku: '6901234567892',
      name: '鲜榨橙汁礼盒',
      points: 20,
      count: 2500,
      expiresAt: '2030-01-01T00:00:00Z',
    });
    expect(res.status).toBe(201);
    batch = res.body as CodeBatchView;
    expect(batch).toMatchObject({ sku: '6901234567892', count: 2500, claimed: 0, status: 'active', programCode: 'JIFEN' });
  });

  it('GET …/batches/:id/codes.csv streams one verifiable code per serial; the download is audited', async () => {
    const res = await hq.raw('marketing', 'GET', `/api/admin/product-codes/batches/${batch.batchId}/codes.csv`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/csv');
    expect(res.headers.get('content-disposition')).toContain(`codes-${batch.batchId}.csv`);
    const lines = res.text.trimEnd().split('\n');
    expect(lines[0]).toBe('serial,code,sku,points,expires_at');
    expect(lines).toHaveLength(2501);
    const signer = new CodeSigner('test-secret-0123456789-0123456789-abcdef');
    const codes = new Set<string>();
    for (const [i, line] of lines.slice(1).entries()) {
      const [serial, code, sku, points] = line.split(',');
      expect(Number(serial)).toBe(i);
      expect(signer.openProductCode(code!)).toEqual({ batchId: batch.batchId, serial: i });
      expect([sku, points]).toEqual(['6901234567892', '20']);
      codes.add(code!);
    }
    expect(codes.size).toBe(2500);
    expect((await hq.audit('codes.batch.download')).at(-1)).toMatchObject({ actor: 'staff:r-marketing', target: `batch:${batch.batchId}` });
  });

  it('void: the batch is withdrawn (claims of its codes are refused by the member API); listed with its status', async () => {
    const res = await hq.call('marketing', 'POST', `/api/admin/product-codes/batches/${batch.batchId}/void`);
    expect(res.body).toMatchObject({ status: 'void' });
    const list = (await hq.call('support', 'GET', '/api/admin/product-codes/batches')).body as { batches: CodeBatchView[] };
    expect(list.batches.find((b) => b.batchId === batch.batchId)?.status).toBe('void');
    expect((await hq.call('marketing', 'POST', '/api/admin/product-codes/batches/424242/void')).status).toBe(404);
    expect((await hq.raw('marketing', 'GET', '/api/admin/product-codes/batches/424242/codes.csv')).status).toBe(404);
  });
});

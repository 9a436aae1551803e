import type { AuditEntryView } from '@jifen/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../app.js';
import { adminRouteTable } from './openapi.js';
import { startHq } from './hq-test-support.js';
import type { Hq } from './hq-test-support.js';

let hq: Hq;
let started: string;
beforeAll(async () => {
  hq = await startHq();
  started = new Date(Date.now() - 1000).toISOString();
  // 12 audited writes by support: member imports.
  for (let i = 0; i < 12; i++) {
    const res = await hq.call('support', 'POST', '/api/admin/members', { phone: `1351111${String(i).padStart(4, '0')}` });
    expect(res.status).toBe(201);
  }
});
afterAll(async () => hq.close());

interface Page {
  items: AuditEntryView[];
  nextCursor: string | null;
}

describe('GET /api/admin/audit', () => {
  it('filters by actor (bare username or staff:…), action and target, newest first, with who, when, what, IP', async () => {
    const page = (await hq.call('auditor', 'GET', '/api/admin/audit?actor=r-support&action=member.create')).body as Page;
    expect(page.items).toHaveLength(12);
    expect(page.items.every((r) => r.actor === 'staff:r-support' && r.action === 'member.create')).toBe(true);
    expect(page.items[0]!.ip).toEqual(expect.any(String));
    const times = page.items.map((r) => Date.parse(r.at));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    const target = page.items[3]!.target;
    const one = (await hq.call('auditor', 'GET', `/api/admin/audit?target=${encodeURIComponent(target)}`)).body as Page;
    expect(one.items.map((r) => r.target)).toEqual([target]);
    const prefix = (await hq.call('auditor', 'GET', '/api/admin/audit?action=member.*')).body as Page;
    expect(prefix.items.length).toBeGreaterThanOrEqual(12);
    expect(prefix.items.every((r) => r.action.startsWith('member.'))).toBe(true);
  });

  it('pages by cursor without gaps or repeats', async () => {
    const seen: number[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const q: string = `/api/admin/audit?actor=staff:r-support&limit=5${cursor ? `&cursor=${cursor}` : ''}`;
      const page = (await hq.call('auditor', 'GET', q)).body as Page;
      seen.push(...page.items.map((r) => r.id));
      cursor = page.nextCursor;
      pages += 1;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toHaveLength(12);
    expect(new Set(seen).size).toBe(12);
  });

  it('filters by period', async () => {
    const future = (
      await hq.call('auditor', 'GET', `/api/admin/audit?from=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`)
    ).body as Page;
    expect(future.items).toEqual([]);
    const since = (await hq.call('auditor', 'GET', `/api/admin/audit?from=${encodeURIComponent(started)}&action=member.create`))
      .body as Page;
    expect(since.items).toHaveLength(12);
  });

  it('400 naming the field for a malformed cursor or date', async () => {
    expect(((await hq.call('auditor', 'GET', '/api/admin/audit?cursor=abc')).body as { error: { field: string } }).error.field).toBe(
      'cursor',
    );
    expect(((await hq.call('auditor', 'GET', '/api/admin/audit?from=yesterday')).body as { error: { field: string } }).error.field).toBe(
      'from',
    );
  });
});

describe('GET /api/admin/audit.csv', () => {
  it('streams the matching rows as CSV with a header, and records the export', async () => {
    const res = await hq.raw('auditor', 'GET', '/api/admin/audit.csv?action=member.create');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/csv');
    const lines = res.text.trimEnd().split('\n');
    expect(lines[0]).toBe('id,at,actor,action,target,before,after,ip,request_id');
    expect(lines).toHaveLength(13);
    expect(lines[1]).toContain('staff:r-support,member.create,member:');
    // JSON cells are quoted, their quotes doubled
    expect(lines[1]).toMatch(/,"\{""name"":null,""birthday"":null\}",/);
    expect((await hq.audit('audit.export')).at(-1)).toMatchObject({ actor: 'staff:r-auditor', target: 'audit_log' });
  });
});

describe('append-only', () => {
  it('no admin route writes to the audit log’s own paths: GET only', () => {
    const auditRoutes = adminRouteTable(createApp(hq.s.server.services)).filter((r) => r.path.startsWith('/api/admin/audit'));
    expect(auditRoutes.map((r) => r.method).sort()).toEqual(['GET', 'GET']);
  });

  it('PUT, PATCH and DELETE on the log are refused and change nothing', async () => {
    const before = (await hq.s.testDb.db.kysely.selectFrom('audit_log').select('id').execute()).length;
    const one = ((await hq.call('auditor', 'GET', '/api/admin/audit?limit=1')).body as Page).items[0]!;
    for (const method of ['PUT', 'PATCH', 'DELETE']) {
      for (const path of ['/api/admin/audit', `/api/admin/audit/${one.id}`]) {
        const res = await hq.raw('admin', method, path, method === 'DELETE' ? undefined : { action: 'x' });
        expect([404, 405]).toContain(res.status);
      }
    }
    expect((await hq.s.testDb.db.kysely.selectFrom('audit_log').select('id').execute()).length).toBe(before);
  });
});

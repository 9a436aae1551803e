import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../app.js';
import { adminRoutes } from './admin.js';
import { importRoutes } from './imports.js';
import { privacyRoutes } from './privacy.js';
import { reportRoutes } from './reports.js';
import { adminRouteTable, openapiPath } from './openapi.js';
import type { AdminRouteEntry } from './openapi.js';
import { startHq } from './hq-test-support.js';
import type { Hq } from './hq-test-support.js';

interface Operation {
  summary: string;
  'x-permission': string;
  'x-roles': string[];
  'x-undocumented'?: boolean;
  parameters?: Array<{ name: string; in: string; required: boolean }>;
  requestBody?: { content: { 'application/json': { schema: { properties?: Record<string, unknown>; required?: string[] } } } };
  responses: Record<string, { description: string }>;
}
interface Doc {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
}

let hq: Hq;
let table: AdminRouteEntry[];
let doc: Doc;

beforeAll(async () => {
  hq = await startHq();
  table = adminRouteTable(createApp(hq.s.server.services));
  const res = await hq.call(null, 'GET', '/api/admin/openapi.json');
  expect(res.status).toBe(200);
  doc = res.body as Doc;
});
afterAll(async () => hq.close());

const op = (method: string, koaPath: string) => doc.paths[openapiPath(koaPath)]?.[method.toLowerCase()];

describe('GET /api/admin/openapi.json', () => {
  it('is an OpenAPI 3.1 document, public', () => {
    expect(doc.openapi).toBe('3.1.0');
  });

  it('describes every admin route the server serves, with the permission its guard checks', () => {
    const missing = table.filter((r) => !op(r.method, r.path)).map((r) => `${r.method} ${r.path}`);
    expect(missing).toEqual([]);
    for (const r of table) expect(op(r.method, r.path)?.['x-permission']).toBe(r.permission ?? 'public');
    // and nothing that is not served
    const served = new Set(table.map((r) => `${r.method.toLowerCase()} ${openapiPath(r.path)}`));
    for (const [path, ops] of Object.entries(doc.paths)) for (const m of Object.keys(ops)) expect(served.has(`${m} ${path}`)).toBe(true);
  });

  it('documents every route of the admin router: summary, responses, and the shared request schema of each write', () => {
    const own = adminRouteTable({ middleware: [adminRoutes(hq.s.server.services).routes()] });
    expect(own.length).toBeGreaterThan(50);
    for (const r of own) {
      const o = op(r.method, r.path)!;
      expect(o['x-undocumented'], `${r.method} ${r.path}`).toBeUndefined();
      expect(o.summary).not.toBe('(undocumented)');
      expect(Object.keys(o.responses).some((s) => s.startsWith('2'))).toBe(true);
    }
    const adjust = op('POST', '/api/admin/members/:id/adjustments')!;
    expect(adjust['x-permission']).toBe('points.adjust');
    expect(adjust.requestBody?.content['application/json'].schema.required).toEqual(['points', 'reason', 'idempotencyKey']);
    expect(adjust.parameters).toEqual([expect.objectContaining({ name: 'id', in: 'path', required: true })]);
    expect(Object.keys(adjust.responses)).toEqual(expect.arrayContaining(['201', '202', '400', '401', '403', '404', '409']));
    const search = op('GET', '/api/admin/members')!;
    expect(search.parameters?.map((p) => p.name)).toEqual(['phone', 'id', 'openid']);
    expect(op('POST', '/api/admin/rules/drafts')!.requestBody?.content['application/json'].schema.properties).toHaveProperty('rules');
  });

  it('documents the reports, the member import and privacy requests (part B) with their permissions and parameters', () => {
    const services = hq.s.server.services;
    const own = adminRouteTable({
      middleware: [reportRoutes(services).routes(), importRoutes(services).routes(), privacyRoutes(services).routes()],
    });
    expect(own.map((r) => `${r.method} ${r.path}`).sort()).toEqual(
      [
        ...['liability', 'inflation', 'flows', 'members', 'rfm', 'campaigns', 'nps'].map((n) => `GET /api/admin/reports/${n}`),
        'GET /api/admin/imports',
        'GET /api/admin/imports/:id',
        'POST /api/admin/imports',
        'POST /api/admin/members/:id/export',
        'POST /api/admin/members/:id/erase',
      ].sort(),
    );
    for (const r of own) {
      const o = op(r.method, r.path)!;
      expect(o['x-undocumented'], `${r.method} ${r.path}`).toBeUndefined();
      expect(o['x-permission']).toBe(r.permission);
      expect(Object.keys(o.responses)).toEqual(expect.arrayContaining(['200', '400', '401', '403']));
    }
    const expected: Record<string, string> = {
      liability: 'reports.finance',
      inflation: 'reports.finance',
      flows: 'reports.finance',
      members: 'reports.read',
      rfm: 'reports.read',
      campaigns: 'reports.read',
      nps: 'reports.read',
    };
    for (const [name, permission] of Object.entries(expected)) {
      const o = op('GET', `/api/admin/reports/${name}`)!;
      expect([name, o['x-permission']]).toEqual([name, permission]);
      expect(o.parameters?.map((p) => p.name)).toEqual(
        expect.arrayContaining(['from', 'to', 'program', 'brand', 'store', 'format', 'table']),
      );
    }
    expect([...op('GET', '/api/admin/reports/liability')!['x-roles']].sort()).toEqual(['admin', 'auditor', 'finance']);
    expect([...op('GET', '/api/admin/reports/nps')!['x-roles']].sort()).toEqual(['admin', 'auditor', 'finance', 'marketing']);
    expect(op('POST', '/api/admin/imports')!['x-permission']).toBe('import.write');
    expect(op('POST', '/api/admin/imports')!['x-roles']).toEqual(['admin']);
    expect(op('POST', '/api/admin/imports')!.parameters?.map((p) => p.name)).toEqual(['dryRun']);
    for (const path of ['/api/admin/members/:id/export', '/api/admin/members/:id/erase']) {
      const o = op('POST', path)!;
      expect(o['x-permission']).toBe('members.privacy');
      expect([...o['x-roles']].sort()).toEqual(['admin', 'support']);
      expect(o.requestBody?.content['application/json'].schema.required).toEqual(['reason']);
      expect(Object.keys(o.responses)).toContain('404');
    }
  });

  it('names the roles that hold each permission', () => {
    expect(op('POST', '/api/admin/members/:id/reveal')!['x-roles'].sort()).toEqual(['admin', 'support']);
    expect(op('GET', '/api/admin/audit')!['x-roles'].sort()).toEqual(['admin', 'auditor']);
  });
});

describe('GET /api/admin/docs', () => {
  it('is one self-contained HTML page: the document inline, no external script, style or link', async () => {
    const res = await hq.raw(null, 'GET', '/api/admin/docs');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(res.text).not.toMatch(/(src|href)\s*=\s*["']?(https?:)?\/\//i);
    expect(res.text).not.toMatch(/@import|url\(/i);
    expect(res.text).toContain('/api/admin/members/{id}/adjustments');
    // The inline document parses back whole: nothing in it could close the script element early.
    const inline = /<script type="application\/json" id="doc">([\s\S]*?)<\/script>/.exec(res.text)?.[1] ?? '';
    expect((JSON.parse(inline) as Doc).paths).toEqual(doc.paths);
  });
});

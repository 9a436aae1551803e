/**
 * The role model, proved route by route: every admin route the server serves (read from its
 * routers, whoever registered them) names exactly one permission or is one of the three public
 * ones; without a session it answers 401; every role outside its permission gets 403 FORBIDDEN, and
 * every role inside it gets past the guard.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../app.js';
import { PERMISSIONS, ROLES, can, permissionsOf } from '../../policies.js';
import type { Permission } from '../../policies.js';
import { adminRouteTable } from './openapi.js';
import type { AdminRouteEntry } from './openapi.js';
import { ROLE_NAMES, startHq } from './hq-test-support.js';
import type { ErrorBody, Hq } from './hq-test-support.js';

let hq: Hq;
let table: AdminRouteEntry[];
const PUBLIC = ['POST /api/admin/session', 'GET /api/admin/openapi.json', 'GET /api/admin/docs'];
/** Calls that end the caller's own session: probed for 401/403 only. */
const SELF_ENDING = ['DELETE /api/admin/session', 'POST /api/admin/me/password'];

beforeAll(async () => {
  hq = await startHq();
  table = adminRouteTable(createApp(hq.s.server.services));
});
afterAll(async () => hq.close());

const concrete = (path: string) => path.replace(/:[A-Za-z_]\w*/g, '999999');
const name = (r: AdminRouteEntry) => `${r.method} ${r.path}`;

describe('the role model', () => {
  it('has exactly the seven roles', () => {
    expect([...ROLES].sort()).toEqual([...ROLE_NAMES].sort());
  });

  it('gives admin every permission and cashier none', () => {
    expect([...permissionsOf('admin')].sort()).toEqual([...PERMISSIONS].sort());
    expect(permissionsOf('cashier')).toEqual([]);
  });

  it('never lets marketing, finance or the auditor read personal data', () => {
    for (const role of ['marketing', 'finance', 'auditor']) {
      expect(can(role, 'members.pii')).toBe(false);
      expect(can(role, 'members.reveal')).toBe(false);
    }
    expect(can('support', 'members.reveal')).toBe(true);
    expect(can('support', 'members.pii')).toBe(false);
  });
});

describe('every admin route', () => {
  it('is found in the routers (a sanity floor), and only the three public ones lack a permission', () => {
    expect(table.length).toBeGreaterThan(50);
    expect(
      table
        .filter((r) => r.permission === undefined)
        .map(name)
        .sort(),
    ).toEqual([...PUBLIC].sort());
    for (const r of table) if (r.permission) expect(PERMISSIONS).toContain(r.permission);
  });

  it('answers 401 UNAUTHENTICATED without a session', async () => {
    const failures: string[] = [];
    for (const r of table.filter((x) => x.permission !== undefined)) {
      const res = await hq.call(null, r.method, concrete(r.path), r.method === 'GET' || r.method === 'DELETE' ? undefined : {});
      if (res.status !== 401 || (res.body as ErrorBody).error.code !== 'UNAUTHENTICATED') failures.push(`${name(r)} → ${res.status}`);
    }
    expect(failures).toEqual([]);
  });

  it('answers 403 FORBIDDEN to every role outside its permission, and lets every role inside it past the guard', async () => {
    const failures: string[] = [];
    let refused = 0;
    for (const r of table.filter((x) => x.permission !== undefined)) {
      for (const role of ROLE_NAMES) {
        const allowed = can(role, r.permission as Permission);
        if (allowed && (!r.documented || SELF_ENDING.includes(name(r)))) continue;
        const res = await hq.raw(role, r.method, concrete(r.path), r.method === 'GET' || r.method === 'DELETE' ? undefined : {});
        const code = (res.json as ErrorBody | null)?.error?.code;
        if (!allowed && (res.status !== 403 || code !== 'FORBIDDEN')) failures.push(`${role} ${name(r)} → ${res.status} (expected 403)`);
        if (allowed && (res.status === 401 || res.status === 403))
          failures.push(`${role} ${name(r)} → ${res.status} ${code} (expected past the guard)`);
        if (!allowed) refused += 1;
      }
    }
    expect(failures).toEqual([]);
    // The cashier alone is refused on every guarded route.
    expect(refused).toBeGreaterThanOrEqual(table.filter((x) => x.permission !== undefined).length);
  });

  it('refuses the cashier everywhere: the POS is its only door', async () => {
    for (const r of table.filter((x) => x.permission !== undefined)) expect(can('cashier', r.permission as Permission)).toBe(false);
  });
});

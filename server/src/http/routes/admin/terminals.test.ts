import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHq } from './hq-test-support.js';
import type { ErrorBody, Hq } from './hq-test-support.js';

let hq: Hq;
beforeAll(async () => {
  hq = await startHq();
});
afterAll(async () => hq.close());

/** A POS call that only a live token gets past: 404 for an unknown order, 401 otherwise. */
async function posStatus(token: string) {
  const res = await hq.s.request('GET', '/api/pos/orders/999999', undefined, token);
  return { status: res.status, code: (res.body as ErrorBody).error?.code };
}

async function issue(role: 'admin' | 'store_manager', storeCode: string) {
  return hq.call(role, 'POST', '/api/admin/terminals', { storeCode, name: `${storeCode} 2号收银台` });
}

describe('terminals', () => {
  it('POST /terminals keeps its contract: 201 { terminalId, token }; audited without the token', async () => {
    const res = await issue('admin', 'S002');
    expect(res.status).toBe(201);
    const { terminalId, token } = res.body as { terminalId: number; token: string };
    expect(token).toMatch(/^[\w-]{40,}$/);
    expect((await posStatus(token)).status).toBe(404);
    const audit = (await hq.audit('terminal.issue')).find((a) => a.target === `terminal:${terminalId}`);
    expect(JSON.stringify(audit)).not.toContain(token);
  });

  it('a store manager issues, lists, rotates and revokes terminals of its own store only', async () => {
    expect((await issue('store_manager', 'S002')).status).toBe(403);
    const own = await issue('store_manager', 'S001');
    expect(own.status).toBe(201);
    const list = (await hq.call('store_manager', 'GET', '/api/admin/terminals')).body as { terminals: Array<{ storeCode: string }> };
    expect(list.terminals.length).toBeGreaterThanOrEqual(2);
    expect(list.terminals.every((t) => t.storeCode === 'S001')).toBe(true);
    const s2 = (await hq.call('admin', 'GET', '/api/admin/terminals?storeCode=S002')).body as { terminals: Array<{ terminalId: number }> };
    expect((await hq.call('store_manager', 'POST', `/api/admin/terminals/${s2.terminals[0]!.terminalId}/rotate`)).status).toBe(403);
    expect((await hq.call('store_manager', 'POST', `/api/admin/terminals/${s2.terminals[0]!.terminalId}/revoke`)).status).toBe(403);
  });

  it('rotate: a new token works, the old one is refused at once, the terminal keeps its id', async () => {
    const { terminalId, token: old } = (await issue('admin', 'S001')).body as { terminalId: number; token: string };
    const res = await hq.call('store_manager', 'POST', `/api/admin/terminals/${terminalId}/rotate`);
    expect(res.status).toBe(201);
    const fresh = (res.body as { terminalId: number; token: string }).token;
    expect((res.body as { terminalId: number }).terminalId).toBe(terminalId);
    expect(fresh).not.toBe(old);
    expect((await posStatus(old)).status).toBe(401);
    expect((await posStatus(fresh)).status).toBe(404);
    expect(
      (await hq.audit('terminal.rotate')).some((a) => a.target === `terminal:${terminalId}` && !JSON.stringify(a).includes(fresh)),
    ).toBe(true);
  });

  it('revoke: POS calls answer TERMINAL_REVOKED; revoking again changes nothing; a revoked terminal is not rotated', async () => {
    const { terminalId, token } = (await issue('admin', 'S001')).body as { terminalId: number; token: string };
    const res = await hq.call('admin', 'POST', `/api/admin/terminals/${terminalId}/revoke`);
    expect(res.status).toBe(200);
    expect((res.body as { revokedAt: string | null }).revokedAt).not.toBeNull();
    expect(await posStatus(token)).toEqual({ status: 401, code: 'TERMINAL_REVOKED' });
    await hq.call('admin', 'POST', `/api/admin/terminals/${terminalId}/revoke`);
    expect((await hq.audit('terminal.revoke')).filter((a) => a.target === `terminal:${terminalId}`)).toHaveLength(1);
    const rotate = await hq.call('admin', 'POST', `/api/admin/terminals/${terminalId}/rotate`);
    expect(rotate.status).toBe(409);
    expect((rotate.body as ErrorBody).error.code).toBe('CONFIG_CONFLICT');
    const active = (await hq.call('admin', 'GET', '/api/admin/terminals')).body as { terminals: Array<{ terminalId: number }> };
    expect(active.terminals.some((t) => t.terminalId === terminalId)).toBe(false);
    const all = (await hq.call('admin', 'GET', '/api/admin/terminals?includeRevoked=true')).body as {
      terminals: Array<{ terminalId: number }>;
    };
    expect(all.terminals.some((t) => t.terminalId === terminalId)).toBe(true);
  });

  it('404 TERMINAL_NOT_FOUND and 400 for a malformed id', async () => {
    expect((await hq.call('admin', 'POST', '/api/admin/terminals/123456/revoke')).status).toBe(404);
    expect((await hq.call('admin', 'POST', '/api/admin/terminals/abc/rotate')).status).toBe(400);
  });
});

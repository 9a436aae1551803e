import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STAFF_PASSWORD, startHq } from './hq-test-support.js';
import type { ErrorBody, Hq } from './hq-test-support.js';

let hq: Hq;
beforeAll(async () => {
  hq = await startHq();
});
afterAll(async () => hq.close());

const code = (res: { body: unknown }) => (res.body as ErrorBody).error?.code;

async function signIn(username: string, password: string) {
  return hq.s.request('POST', '/api/admin/session', { username, password });
}

async function staffRow(username: string) {
  return hq.s.testDb.db.kysely.selectFrom('staff').selectAll().where('username', '=', username).executeTakeFirstOrThrow();
}

describe('GET /api/admin/me', () => {
  it('200 with the role and its permissions', async () => {
    const res = await hq.call('store_manager', 'GET', '/api/admin/me');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ username: 'r-store-manager', role: 'store_manager', storeCode: 'S001' });
    expect((res.body as { permissions: string[] }).permissions).toContain('terminals.write');
  });
});

describe('POST /api/admin/me/password', () => {
  it('403 PASSWORD_MISMATCH with the wrong current password, and changes nothing', async () => {
    const res = await hq.call('finance', 'POST', '/api/admin/me/password', { currentPassword: 'nope', newPassword: 'a-new-password-123' });
    expect(res.status).toBe(403);
    expect(code(res)).toBe('PASSWORD_MISMATCH');
    expect((await signIn('r-finance', STAFF_PASSWORD)).status).toBe(200);
  });

  it('400 naming newPassword when it is short or unchanged', async () => {
    const short = await hq.call('finance', 'POST', '/api/admin/me/password', { currentPassword: STAFF_PASSWORD, newPassword: 'short' });
    expect(short.status).toBe(400);
    expect((short.body as ErrorBody).error.field).toBe('newPassword');
    const same = await hq.call('finance', 'POST', '/api/admin/me/password', {
      currentPassword: STAFF_PASSWORD,
      newPassword: STAFF_PASSWORD,
    });
    expect((same.body as ErrorBody).error.field).toBe('newPassword');
  });

  it('204: the new password signs in, the old does not; other sessions end, this one goes on; audited', async () => {
    const other = (await signIn('r-finance', STAFF_PASSWORD)).body as { token: string };
    const res = await hq.call('finance', 'POST', '/api/admin/me/password', {
      currentPassword: STAFF_PASSWORD,
      newPassword: 'finance-new-password-9',
    });
    expect(res.status).toBe(204);
    expect((await signIn('r-finance', STAFF_PASSWORD)).status).toBe(401);
    expect((await signIn('r-finance', 'finance-new-password-9')).status).toBe(200);
    expect((await hq.s.request('GET', '/api/admin/me', undefined, other.token)).status).toBe(401);
    expect((await hq.call('finance', 'GET', '/api/admin/me')).status).toBe(200);
    const audit = await hq.audit('staff.password');
    expect(audit.at(-1)).toMatchObject({ actor: 'staff:r-finance', target: 'staff:r-finance' });
    expect(audit.at(-1)?.after_state).not.toContain('finance-new-password');
  });
});

describe('DELETE /api/admin/session', () => {
  it('204 and the token stops working', async () => {
    const { token } = (await signIn('r-auditor', STAFF_PASSWORD)).body as { token: string };
    expect((await hq.s.request('DELETE', '/api/admin/session', undefined, token)).status).toBe(204);
    expect((await hq.s.request('GET', '/api/admin/me', undefined, token)).status).toBe(401);
  });
});

describe('POST /api/admin/staff (the contract) with roles and PINs', () => {
  it('201 for a cashier with a PIN, stored as an scrypt hash; audited without the PIN', async () => {
    const res = await hq.call('admin', 'POST', '/api/admin/staff', {
      username: 'cash-01',
      password: 'cashier-pass-01',
      role: 'cashier',
      storeCode: 'S001',
      pin: '482913',
    });
    expect(res.status).toBe(201);
    const row = await staffRow('cash-01');
    expect(row.pin_hash).toMatch(/^scrypt\$/);
    expect(row.pin_hash).not.toContain('482913');
    expect(JSON.stringify(await hq.audit('staff.create'))).not.toContain('482913');
  });

  it('400 naming the field: a 3-digit PIN, a till role without a store, an HQ role with a store; nothing written', async () => {
    const bad = [
      [{ username: 'cash-02', password: 'cashier-pass-01', role: 'cashier', storeCode: 'S001', pin: '123' }, 'pin'],
      [{ username: 'cash-03', password: 'cashier-pass-01', role: 'cashier' }, 'storeCode'],
      [{ username: 'mkt-02', password: 'marketing-pass-1', role: 'marketing', storeCode: 'S001' }, 'storeCode'],
      [{ username: 'mkt-03', password: 'marketing-pass-1', role: 'marketing', pin: '1234' }, 'pin'],
    ] as const;
    for (const [body, field] of bad) {
      const res = await hq.call('admin', 'POST', '/api/admin/staff', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect((res.body as ErrorBody).error.field).toBe(field);
    }
    const rows = await hq.s.testDb.db.kysely
      .selectFrom('staff')
      .select('username')
      .where('username', 'in', ['cash-02', 'cash-03', 'mkt-02', 'mkt-03'])
      .execute();
    expect(rows).toEqual([]);
  });

  it('a store manager creates cashiers of its own store only', async () => {
    const own = await hq.call('store_manager', 'POST', '/api/admin/staff', {
      username: 'cash-own',
      password: 'cashier-pass-01',
      role: 'cashier',
      pin: '2468',
    });
    expect(own.status).toBe(201);
    expect((await staffRow('cash-own')).store_id).toBe(await hq.storeId('S001'));
    const other = await hq.call('store_manager', 'POST', '/api/admin/staff', {
      username: 'cash-oth',
      password: 'cashier-pass-01',
      role: 'cashier',
      storeCode: 'S002',
    });
    expect(other.status).toBe(403);
    const promote = await hq.call('store_manager', 'POST', '/api/admin/staff', {
      username: 'sup-x',
      password: 'support-pass-01',
      role: 'support',
    });
    expect(promote.status).toBe(403);
  });
});

describe('GET /api/admin/staff', () => {
  it('lists everyone for HQ; a store manager sees its own store only', async () => {
    const all = (await hq.call('admin', 'GET', '/api/admin/staff')).body as {
      staff: Array<{ username: string; storeCode: string | null; hasPin: boolean }>;
    };
    expect(all.staff.map((s) => s.username)).toEqual(expect.arrayContaining(['hq-admin', 'r-support', 'cash-01']));
    expect(all.staff.find((s) => s.username === 'cash-01')).toMatchObject({ storeCode: 'S001', hasPin: true });
    const mine = (await hq.call('store_manager', 'GET', '/api/admin/staff')).body as { staff: Array<{ storeCode: string | null }> };
    expect(mine.staff.length).toBeGreaterThan(0);
    expect(mine.staff.every((s) => s.storeCode === 'S001')).toBe(true);
    expect((await hq.call('store_manager', 'GET', '/api/admin/staff?storeCode=S002')).status).toBe(403);
  });
});

describe('staff lifecycle: PIN, deactivate, reactivate, unlock, role', () => {
  it('PUT /staff/:id/pin sets a new PIN; a store manager may not touch another store’s cashier or HQ staff', async () => {
    const id = (await staffRow('cash-01')).id;
    const before = (await staffRow('cash-01')).pin_hash;
    expect((await hq.call('store_manager', 'PUT', `/api/admin/staff/${id}/pin`, { pin: '97531' })).status).toBe(200);
    expect((await staffRow('cash-01')).pin_hash).not.toBe(before);
    await hq.call('admin', 'POST', '/api/admin/staff', {
      username: 'cash-s2',
      password: 'cashier-pass-01',
      role: 'cashier',
      storeCode: 'S002',
    });
    const s2 = (await staffRow('cash-s2')).id;
    expect((await hq.call('store_manager', 'PUT', `/api/admin/staff/${s2}/pin`, { pin: '1111' })).status).toBe(403);
    expect((await hq.call('store_manager', 'POST', `/api/admin/staff/${hq.ids.support}/deactivate`)).status).toBe(403);
    expect((await hq.call('admin', 'PUT', `/api/admin/staff/${hq.ids.support}/pin`, { pin: '1111' })).status).toBe(400);
    expect((await hq.call('admin', 'PUT', '/api/admin/staff/424242/pin', { pin: '1111' })).status).toBe(404);
  });

  it('deactivation ends the sessions at once and refuses sign-in; reactivation restores it; both audited', async () => {
    await hq.call('admin', 'POST', '/api/admin/staff', { username: 'temp-sup', password: 'support-pass-01', role: 'support' });
    const id = (await staffRow('temp-sup')).id;
    const { token } = (await signIn('temp-sup', 'support-pass-01')).body as { token: string };
    const res = await hq.call('admin', 'POST', `/api/admin/staff/${id}/deactivate`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ active: false });
    expect((await hq.s.request('GET', '/api/admin/me', undefined, token)).status).toBe(401);
    expect((await signIn('temp-sup', 'support-pass-01')).status).toBe(401);
    expect((await hq.call('admin', 'POST', `/api/admin/staff/${id}/reactivate`)).body).toMatchObject({ active: true });
    expect((await signIn('temp-sup', 'support-pass-01')).status).toBe(200);
    const audit = await hq.audit('staff.deactivate');
    expect(audit.at(-1)).toMatchObject({ actor: 'staff:hq-admin', target: 'staff:temp-sup', ip: expect.any(String) });
    expect(JSON.parse(audit.at(-1)!.before_state!)).toEqual({ active: true });
  });

  it('nobody deactivates or re-roles themselves, so an admin always remains (STAFF_LAST_ADMIN guards the rest)', async () => {
    expect((await hq.call('admin', 'POST', `/api/admin/staff/${hq.ids.admin}/deactivate`)).status).toBe(403);
    expect((await hq.call('admin', 'POST', `/api/admin/staff/${hq.ids.admin}/role`, { role: 'auditor' })).status).toBe(403);
    await hq.call('admin', 'POST', '/api/admin/staff', { username: 'admin-2', password: 'second-admin-pass', role: 'admin' });
    const token2 = ((await signIn('admin-2', 'second-admin-pass')).body as { token: string }).token;
    // With two admins, one may demote the other; the demoted one loses staff.roles at once.
    const admin2 = (await staffRow('admin-2')).id;
    expect((await hq.call('admin', 'POST', `/api/admin/staff/${admin2}/role`, { role: 'auditor' })).status).toBe(200);
    expect((await hq.s.request('POST', `/api/admin/staff/${hq.ids.admin}/role`, { role: 'support' }, token2)).status).toBe(403);
  });

  it('POST /staff/:id/role: a till role needs a store; the new role applies to live sessions; audited', async () => {
    const toCashier = await hq.call('admin', 'POST', `/api/admin/staff/${hq.ids.support}/role`, { role: 'cashier' });
    expect(toCashier.status).toBe(400);
    expect((toCashier.body as ErrorBody).error.field).toBe('storeCode');
    const ok = await hq.call('admin', 'POST', `/api/admin/staff/${hq.ids.support}/role`, { role: 'cashier', storeCode: 'S002' });
    expect(ok.body).toMatchObject({ role: 'cashier', storeCode: 'S002' });
    expect((await hq.call('support', 'GET', '/api/admin/me')).status).toBe(403); // a cashier now: no admin endpoint
    await hq.call('admin', 'POST', `/api/admin/staff/${hq.ids.support}/role`, { role: 'support', storeCode: null });
    expect((await hq.call('support', 'GET', '/api/admin/me')).status).toBe(200);
    const audit = await hq.audit('staff.role');
    expect(JSON.parse(audit.at(-1)!.before_state!)).toEqual({ role: 'cashier', storeCode: 'S002' });
    expect(JSON.parse(audit.at(-1)!.after_state!)).toEqual({ role: 'support', storeCode: null });
  });

  it('POST /staff/:id/unlock lifts the lock-out after five failures', async () => {
    await hq.call('admin', 'POST', '/api/admin/staff', { username: 'locked-1', password: 'locked-pass-01', role: 'support' });
    for (let i = 0; i < 5; i++) await signIn('locked-1', 'wrong');
    expect((await signIn('locked-1', 'locked-pass-01')).status).toBe(401);
    const id = (await staffRow('locked-1')).id;
    const list = (await hq.call('admin', 'GET', '/api/admin/staff')).body as { staff: Array<{ username: string; locked: boolean }> };
    expect(list.staff.find((s) => s.username === 'locked-1')?.locked).toBe(true);
    expect((await hq.call('admin', 'POST', `/api/admin/staff/${id}/unlock`)).body).toMatchObject({ locked: false });
    expect((await signIn('locked-1', 'locked-pass-01')).status).toBe(200);
    expect((await hq.audit('staff.unlock')).at(-1)?.target).toBe('staff:locked-1');
  });
});

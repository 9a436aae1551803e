/**
 * Test support for the HQ admin API: a real server on a fresh database with the demo group, one
 * signed-in staff member per role (the store manager and cashier at S001), a till at S001, and
 * cash sales through the POS API — everything through HTTP, as the admin client would do it.
 */
import type { PosOrderView } from '@jifen/shared';
import { createStaff } from '../../../commands/staff.js';
import { PersonalDataCipher } from '../../../lib/crypto.js';
import { seedDemo } from '../../../seed/demo.js';
import { TEST_DATA_KEY } from '../../../test-support/payments.js';
import { startTestServer } from '../../../test-support/server.js';
import type { TestServer } from '../../../test-support/server.js';

export const ROLE_NAMES = ['admin', 'marketing', 'support', 'finance', 'auditor', 'store_manager', 'cashier'] as const;
export type RoleName = (typeof ROLE_NAMES)[number];

export interface ErrorBody {
  error: { code: string; message: string; field?: string };
}

export interface Hq {
  s: TestServer;
  /** A token per role; `admin` is the bootstrap admin. */
  tokens: Record<RoleName, string>;
  /** Staff ids per role. */
  ids: Record<RoleName, number>;
  till: string;
  cipher: PersonalDataCipher;
  call(role: RoleName | null, method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown; headers: Headers }>;
  /** Like call, for answers that may not be JSON (CSV, HTML): the body as text, parsed when it is JSON. */
  raw(
    role: RoleName | null,
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; text: string; json: unknown; headers: Headers }>;
  /** A cash sale at S001 (paid at once), optionally for a member phone. */
  cashSale(opts?: { phone?: string; amountFen?: number; redeemPoints?: number }): Promise<{ status: number; body: unknown }>;
  storeId(code: string): Promise<number>;
  audit(
    action: string,
  ): Promise<Array<{ actor: string; target: string; before_state: string | null; after_state: string | null; ip: string | null }>>;
  close(): Promise<void>;
}

export const STAFF_PASSWORD = 'hq-staff-password-1';
let seq = 0;

export async function startHq(options: { env?: Record<string, string> } = {}): Promise<Hq> {
  const s = await startTestServer({ env: options.env });
  const cipher = new PersonalDataCipher(TEST_DATA_KEY);
  await seedDemo(s.testDb.db, cipher);
  const k = s.testDb.db.kysely;
  const s001 = (await k.selectFrom('store').select('id').where('code', '=', 'S001').executeTakeFirstOrThrow()).id;
  const tokens = { admin: await s.signIn() } as Record<RoleName, string>;
  const ids = {
    admin: (await k.selectFrom('staff').select('id').where('username', '=', 'hq-admin').executeTakeFirstOrThrow()).id,
  } as Record<RoleName, number>;
  for (const role of ROLE_NAMES.filter((r) => r !== 'admin')) {
    const username = `r-${role.replace('_', '-')}`;
    const storeId = role === 'store_manager' || role === 'cashier' ? s001 : null;
    ids[role] = (await createStaff(s.testDb.db, { username, password: STAFF_PASSWORD, role, storeId }, Date.now())).id;
    tokens[role] = await s.signIn(username, STAFF_PASSWORD);
  }
  const terminal = await s.request('POST', '/api/admin/terminals', { storeCode: 'S001' }, tokens.admin);
  const till = (terminal.body as { token: string }).token;
  return {
    s,
    tokens,
    ids,
    till,
    cipher,
    call: (role, method, path, body) => s.request(method, path, body, role ? tokens[role] : undefined),
    async raw(role, method, path, body) {
      const res = await fetch(`${s.url}${path}`, {
        method,
        headers: { 'content-type': 'application/json', ...(role ? { authorization: `Bearer ${tokens[role]}` } : {}) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      const json = res.headers.get('content-type')?.includes('json') && text ? (JSON.parse(text) as unknown) : null;
      return { status: res.status, text, json, headers: res.headers };
    },
    async cashSale(opts = {}) {
      const res = await s.request(
        'POST',
        '/api/pos/orders',
        {
          clientOrderId: `hq-${process.pid}-${++seq}-${Date.now()}`,
          lines: [{ sku: '6901234567892', name: '鲜榨橙汁礼盒', qty: 1, unitPriceFen: opts.amountFen ?? 12800 }],
          ...(opts.phone ? { member: { phone: opts.phone } } : {}),
          ...(opts.redeemPoints ? { redeemPoints: opts.redeemPoints } : {}),
          payment: { method: 'cash' },
        },
        till,
      );
      return res as { status: number; body: PosOrderView | ErrorBody };
    },
    async storeId(code) {
      return (await k.selectFrom('store').select('id').where('code', '=', code).executeTakeFirstOrThrow()).id;
    },
    async audit(action) {
      return k
        .selectFrom('audit_log')
        .select(['actor', 'target', 'before_state', 'after_state', 'ip'])
        .where('action', '=', action)
        .orderBy('created_at')
        .orderBy('id')
        .execute();
    },
    close: () => s.close(),
  };
}

export async function memberIdByPhone(hq: Hq, phone: string): Promise<number> {
  const res = await hq.call('admin', 'GET', `/api/admin/members?phone=${phone}`);
  const id = (res.body as { members: Array<{ id: number }> }).members[0]?.id;
  if (!id) throw new Error(`no member with phone ${phone}`);
  return id;
}

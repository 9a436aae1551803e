/** Small builders for tests: a program, a member with an account, a known clock. */
import { DEFAULT_TIERS } from '@jifen/shared';
import type { ExpiryPolicy } from '@jifen/shared';
import type { Db } from '../db/connect.js';
import { newId } from '../lib/ids.js';
import { blankMember, ensureAccount, insertMember } from '../repositories/member.repository.js';

export const T0 = Date.parse('2026-03-10T02:00:00Z');
export const DAY = 86_400_000;

export class TestClock {
  constructor(public t: number = T0) {}
  now = (): number => this.t;
  advance(ms: number): void {
    this.t += ms;
  }
}

export async function makeProgram(
  db: Db,
  opts: { code?: string; expiry?: ExpiryPolicy; returnWindowDays?: number; isDefault?: boolean } = {},
): Promise<number> {
  const id = newId();
  await db.kysely
    .insertInto('program')
    .values({
      id,
      code: opts.code ?? `P${id.toString(36).slice(0, 6).toUpperCase()}`,
      name: '测试积分',
      point_value_fen: 100,
      expiry_policy: JSON.stringify(opts.expiry ?? { kind: 'never' }),
      return_window_days: opts.returnWindowDays ?? 7,
      tier_set: JSON.stringify(DEFAULT_TIERS),
      is_default: opts.isDefault === false ? 0 : 1,
      created_at: T0,
    })
    .execute();
  return id;
}

export async function makeAccount(db: Db, programId: number, memberId: number = newId()): Promise<{ memberId: number; accountId: number }> {
  await insertMember(db.kysely, blankMember(memberId, memberId.toString(36).slice(-8).toUpperCase().padStart(8, 'X'), T0)).catch(
    () => undefined,
  );
  const account = await ensureAccount(db.kysely, memberId, programId, 'bronze', T0);
  return { memberId, accountId: account.id };
}

export async function balances(db: Db, accountId: number) {
  return db.kysely
    .selectFrom('account')
    .select(['available', 'pending', 'held', 'growth', 'tier_code', 'lifetime_earned'])
    .where('id', '=', accountId)
    .executeTakeFirstOrThrow();
}

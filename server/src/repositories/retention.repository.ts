/** Finding members whose personal data has outlived its purpose: no activity since a cut-off. */
import { sql } from 'kysely';
import type { Kysely } from 'kysely';
import type { Trx } from '../db/dialect.js';
import type { Database } from '../db/schema.js';
import { MEMBER_ACTIVITY_KINDS } from './report.repository.js';

type Q = Kysely<Database> | Trx;

/** A page of members (by id) that joined before `cutoff` and still hold personal data. */
export function retentionCandidates(db: Q, cutoff: number, afterId: number, limit: number) {
  return db
    .selectFrom('member')
    .select(['id'])
    .where('id', '>', afterId)
    .where('created_at', '<', cutoff)
    .where('status', '<>', 'erased')
    .orderBy('id')
    .limit(limit)
    .execute();
}

/**
 * Of `ids`, the members with no activity since `cutoff`: no order, no points activity of their own
 * (earn, spend, hold, exchange — not the jobs' releases and expiries, nor staff adjustments), no
 * mini-program session, no NPS answer. Each check is bounded by a per-member index.
 */
export async function inactiveSince(db: Q, ids: readonly number[], cutoff: number): Promise<number[]> {
  if (ids.length === 0) return [];
  const rows = await db
    .selectFrom('member as m')
    .select('m.id')
    .where('m.id', 'in', ids)
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('pay_order as o')
            .select(sql`1`.as('x'))
            .whereRef('o.member_id', '=', 'm.id')
            .where('o.placed_at', '>=', cutoff),
        ),
      ),
    )
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('account as a')
            .innerJoin('ledger_entry as e', 'e.account_id', 'a.id')
            .select(sql`1`.as('x'))
            .whereRef('a.member_id', '=', 'm.id')
            .where('e.created_at', '>=', cutoff)
            .where('e.kind', 'in', MEMBER_ACTIVITY_KINDS),
        ),
      ),
    )
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('member_session as s')
            .select(sql`1`.as('x'))
            .whereRef('s.member_id', '=', 'm.id')
            .where('s.created_at', '>=', cutoff),
        ),
      ),
    )
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('nps_response as n')
            .select(sql`1`.as('x'))
            .whereRef('n.member_id', '=', 'm.id')
            .where('n.created_at', '>=', cutoff),
        ),
      ),
    )
    .orderBy('m.id')
    .execute();
  return rows.map((r) => r.id);
}

/** NPS answers: inserted once per answer key, never changed (a comment is erased with the member). */
import type { Kysely, Selectable } from 'kysely';
import type { Trx } from '../db/dialect.js';
import type { NpsResponseTable } from '../db/report-schema.js';
import type { Database } from '../db/schema.js';

export type NpsRow = Selectable<NpsResponseTable>;
type Q = Kysely<Database> | Trx;

export function findNpsByKey(db: Q, answerKey: string): Promise<NpsRow | undefined> {
  return db.selectFrom('nps_response').selectAll().where('answer_key', '=', answerKey).executeTakeFirst();
}

/** The member's paid orders placed since `since`, newest first, with their store's name. */
export function recentPaidOrders(db: Q, memberId: number, since: number, statuses: readonly string[], limit: number) {
  return db
    .selectFrom('pay_order as o')
    .innerJoin('store as s', 's.id', 'o.store_id')
    .select(['o.id', 'o.placed_at', 'o.amount_fen', 's.name as store_name'])
    .where('o.member_id', '=', memberId)
    .where('o.status', 'in', statuses)
    .where('o.placed_at', '>=', since)
    .orderBy('o.placed_at', 'desc')
    .limit(limit)
    .execute();
}

/** Which of these answer keys have an answer. */
export async function answeredKeys(db: Q, keys: readonly string[]): Promise<Set<string>> {
  if (keys.length === 0) return new Set();
  const rows = await db.selectFrom('nps_response').select('answer_key').where('answer_key', 'in', keys).execute();
  return new Set(rows.map((r) => r.answer_key));
}

export async function insertNps(db: Q, row: NpsRow): Promise<void> {
  await db.insertInto('nps_response').values(row).execute();
}

/** Free text may hold personal data: it goes with the rest of it. */
export async function eraseNpsComments(db: Q, memberId: number): Promise<void> {
  await db.updateTable('nps_response').set({ comment: null }).where('member_id', '=', memberId).where('comment', 'is not', null).execute();
}

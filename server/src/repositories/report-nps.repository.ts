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

export async function insertNps(db: Q, row: NpsRow): Promise<void> {
  await db.insertInto('nps_response').values(row).execute();
}

/** Free text may hold personal data: it goes with the rest of it. */
export async function eraseNpsComments(db: Q, memberId: number): Promise<void> {
  await db.updateTable('nps_response').set({ comment: null }).where('member_id', '=', memberId).where('comment', 'is not', null).execute();
}

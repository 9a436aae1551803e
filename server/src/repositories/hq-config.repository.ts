/** Configuration drafts and the published versions they become (config_draft). */
import type { Kysely, Selectable, Updateable } from 'kysely';
import type { DialectName } from '../db/connect.js';
import type { Trx } from '../db/dialect.js';
import type { ConfigDraftTable, Database } from '../db/schema.js';

type Q = Kysely<Database> | Trx;
export type DraftRow = Selectable<ConfigDraftTable>;

export async function insertDraft(db: Q, row: DraftRow): Promise<void> {
  await db.insertInto('config_draft').values(row).execute();
}

export function findDraft(db: Q, id: number): Promise<DraftRow | undefined> {
  return db.selectFrom('config_draft').selectAll().where('id', '=', id).executeTakeFirst();
}

/** The draft row, locked for the rest of the transaction on MySQL (SQLite's writer lock serialises). */
export function lockDraft(trx: Trx, dialect: DialectName, id: number): Promise<DraftRow | undefined> {
  const q = trx.selectFrom('config_draft').selectAll().where('id', '=', id);
  return (dialect === 'mysql' ? q.forUpdate() : q).executeTakeFirst();
}

/** Changes a draft only while it is one; false when another request published or discarded it first. */
export async function updateDraftIfOpen(db: Q, id: number, patch: Updateable<ConfigDraftTable>): Promise<boolean> {
  const res = await db.updateTable('config_draft').set(patch).where('id', '=', id).where('status', '=', 'draft').executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}

export async function latestPublishedVersion(db: Q, kind: string, target: string): Promise<number> {
  const row = await db
    .selectFrom('config_draft')
    .select((eb) => eb.fn.max<number | null>('version').as('v'))
    .where('kind', '=', kind)
    .where('target', '=', target)
    .where('status', '=', 'published')
    .executeTakeFirst();
  return Number(row?.v ?? 0);
}

/** The latest published version of every object of a kind, by target. */
export async function publishedVersions(db: Q, kind: string): Promise<Map<string, number>> {
  const rows = await db
    .selectFrom('config_draft')
    .select(['target', (eb) => eb.fn.max<number | null>('version').as('v')])
    .where('kind', '=', kind)
    .where('status', '=', 'published')
    .groupBy('target')
    .execute();
  return new Map(rows.map((r) => [r.target, Number(r.v ?? 0)]));
}

export function listDrafts(db: Q, filter: { kind?: string; status?: string; target?: string }, kinds?: readonly string[]) {
  let q = db.selectFrom('config_draft').selectAll().orderBy('updated_at', 'desc').orderBy('id', 'desc').limit(500);
  if (filter.kind) q = q.where('kind', '=', filter.kind);
  else if (kinds) q = q.where('kind', 'in', kinds);
  if (filter.status) q = q.where('status', '=', filter.status);
  if (filter.target) q = q.where('target', '=', filter.target);
  return q.execute();
}

/** The published versions of one object, newest first: its history, never changed. */
export function versionsOf(db: Q, kind: string, target: string) {
  return db
    .selectFrom('config_draft')
    .selectAll()
    .where('kind', '=', kind)
    .where('target', '=', target)
    .where('status', '=', 'published')
    .orderBy('version', 'desc')
    .limit(500)
    .execute();
}

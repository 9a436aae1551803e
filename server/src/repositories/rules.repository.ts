/** Versioned rule sets: published versions are never changed; a new version supersedes the old. */
import type { Kysely, Selectable } from 'kysely';
import type { Trx } from '../db/dialect.js';
import { prepared } from '../db/prepared.js';
import type { Database, RuleSetTable } from '../db/schema.js';

export type RuleSetRow = Selectable<RuleSetTable>;
type Q = Kysely<Database> | Trx;

/**
 * The rule set in force at `at` for a brand: the brand's own latest published version effective by
 * then, else the program-wide one (brand_id 0). Undefined when none was ever published.
 */
const inForce = prepared(
  (db, programId: number, brandId: number, at: number) =>
    db
      .selectFrom('rule_set')
      .selectAll()
      .where('program_id', '=', programId)
      .where('brand_id', 'in', [brandId, 0])
      .where('status', '=', 'published')
      .where('effective_from', '<=', at)
      .orderBy('brand_id', 'desc')
      .orderBy('version', 'desc')
      .limit(1),
  3,
);

export async function ruleSetInForce(db: Q, programId: number, brandId: number | null, at: number): Promise<RuleSetRow | undefined> {
  return (await inForce(db, programId, brandId ?? 0, at))[0];
}

export function findRuleSet(db: Q, id: number): Promise<RuleSetRow | undefined> {
  return db.selectFrom('rule_set').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function latestVersion(db: Q, programId: number, brandId: number): Promise<number> {
  const row = await db
    .selectFrom('rule_set')
    .select((eb) => eb.fn.max<number | null>('version').as('v'))
    .where('program_id', '=', programId)
    .where('brand_id', '=', brandId)
    .executeTakeFirst();
  return Number(row?.v ?? 0);
}

export async function insertRuleSet(db: Q, row: RuleSetRow): Promise<void> {
  await db.insertInto('rule_set').values(row).execute();
}

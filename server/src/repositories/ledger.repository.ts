/**
 * The only place the ledger's SQL runs: entries, lots, lot movements, holds and cached balances.
 * Every function takes the caller's transaction; none commits on its own.
 */
import type { Selectable } from 'kysely';
import type { Trx } from '../db/dialect.js';
import type { AccountTable, HoldTable, LedgerEntryTable, LotMovementTable, LotTable } from '../db/schema.js';

export type AccountRow = Selectable<AccountTable>;
export type EntryRow = Selectable<LedgerEntryTable>;
export type LotRow = Selectable<LotTable>;
export type HoldRow = Selectable<HoldTable>;
export type MovementRow = Selectable<LotMovementTable>;

/** Far-future sort key for lots that never expire: they are spent after every expiring lot. */
export const NEVER_EXPIRES_ORDER = 9_000_000_000_000_000;

export async function findEntryByIdem(trx: Trx, idemHash: Buffer): Promise<EntryRow | undefined> {
  return trx.selectFrom('ledger_entry').selectAll().where('idem_hash', '=', idemHash).executeTakeFirst();
}

export async function findEntryById(trx: Trx, id: number): Promise<EntryRow | undefined> {
  return trx.selectFrom('ledger_entry').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function insertEntry(trx: Trx, row: EntryRow): Promise<void> {
  await trx.insertInto('ledger_entry').values(row).execute();
}

export async function saveAccountBalances(trx: Trx, account: AccountRow): Promise<void> {
  await trx
    .updateTable('account')
    .set({
      available: account.available,
      pending: account.pending,
      held: account.held,
      lifetime_earned: account.lifetime_earned,
      growth: account.growth,
      tier_code: account.tier_code,
      tier_since: account.tier_since,
      tier_warned_at: account.tier_warned_at,
      entry_seq: account.entry_seq,
      updated_at: account.updated_at,
    })
    .where('id', '=', account.id)
    .execute();
}

export async function insertLot(trx: Trx, lot: LotRow): Promise<void> {
  await trx.insertInto('lot').values(lot).execute();
}

export async function findLot(trx: Trx, id: number): Promise<LotRow | undefined> {
  return trx.selectFrom('lot').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function setLotState(trx: Trx, lot: Pick<LotRow, 'id' | 'remaining' | 'status'>): Promise<void> {
  await trx.updateTable('lot').set({ remaining: lot.remaining, status: lot.status }).where('id', '=', lot.id).execute();
}

/** Available lots with points left, oldest expiry first (the order points are spent in). */
export async function spendableLots(trx: Trx, accountId: number): Promise<LotRow[]> {
  return trx
    .selectFrom('lot')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('status', '=', 'available')
    .where('remaining', '>', 0)
    .orderBy('spend_order')
    .orderBy('earned_at')
    .orderBy('id')
    .execute();
}

export async function insertMovements(trx: Trx, rows: MovementRow[]): Promise<void> {
  if (rows.length > 0) await trx.insertInto('lot_movement').values(rows).execute();
}

export async function movementsOfEntry(trx: Trx, entryId: number): Promise<MovementRow[]> {
  return trx.selectFrom('lot_movement').selectAll().where('entry_id', '=', entryId).orderBy('id').execute();
}

export async function movementsOfLot(trx: Trx, lotId: number): Promise<MovementRow[]> {
  return trx.selectFrom('lot_movement').selectAll().where('lot_id', '=', lotId).execute();
}

export async function findLotsByIds(trx: Trx, ids: readonly number[]): Promise<LotRow[]> {
  if (ids.length === 0) return [];
  return trx.selectFrom('lot').selectAll().where('id', 'in', ids).execute();
}

/** Entries that reversed `entryId` (refunds of an earn, returns of a spend). */
export async function reversalsOf(trx: Trx, entryId: number): Promise<EntryRow[]> {
  return trx.selectFrom('ledger_entry').selectAll().where('ref_entry_id', '=', entryId).where('kind', '=', 'reverse').execute();
}

export async function insertHold(trx: Trx, hold: HoldRow): Promise<void> {
  await trx.insertInto('hold').values(hold).execute();
}

export async function findHold(trx: Trx, id: number): Promise<HoldRow | undefined> {
  return trx.selectFrom('hold').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function settleHold(trx: Trx, id: number, status: 'confirmed' | 'released', settleEntryId: number): Promise<void> {
  await trx.updateTable('hold').set({ status, settle_entry_id: settleEntryId }).where('id', '=', id).execute();
}

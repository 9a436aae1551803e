/** What a member sees of their own points: history pages, expiring lots, growth, exchange rates, subscriptions. */
import type { Kysely } from 'kysely';
import { prepared } from '../db/prepared.js';
import type { Trx } from '../db/dialect.js';
import { isDuplicateKeyError } from '../db/dialect.js';
import type { Database } from '../db/schema.js';

type Q = Kysely<Database> | Trx;

export interface HistoryRow {
  id: number;
  entry_seq: number;
  kind: string;
  points: number;
  pending_delta: number;
  reason: string;
  created_at: number;
  lot_status: string | null;
  release_at: number | null;
  expires_at: number | null;
}

/**
 * One page of an account's entries, newest first, after the (created_at, entry_seq) cursor. The
 * (account_id, created_at) index bounds the scan; entries that change nothing the member sees (a
 * release moves pending to available, a hold confirmation settles held points) are left out.
 */
export function historyPage(
  db: Q,
  accountId: number,
  before: { createdAt: number; seq: number } | null,
  limit: number,
): Promise<HistoryRow[]> {
  let q = db
    .selectFrom('ledger_entry as e')
    .leftJoin('lot as l', 'l.id', 'e.lot_id')
    .select([
      'e.id',
      'e.entry_seq',
      'e.kind',
      'e.points',
      'e.pending_delta',
      'e.reason',
      'e.created_at',
      'l.status as lot_status',
      'l.release_at',
      'l.expires_at',
    ])
    .where('e.account_id', '=', accountId)
    .where((eb) => eb(eb('e.points', '+', eb.ref('e.pending_delta')), '!=', 0));
  if (before) {
    q = q
      .where('e.created_at', '<=', before.createdAt)
      .where((eb) => eb.or([eb('e.created_at', '<', before.createdAt), eb('e.entry_seq', '<', before.seq)]));
  }
  return q.orderBy('e.created_at', 'desc').orderBy('e.entry_seq', 'desc').limit(limit).execute();
}

/** Every entry of an account, oldest first (the data export). */
export function allEntries(db: Q, accountId: number): Promise<HistoryRow[]> {
  return db
    .selectFrom('ledger_entry as e')
    .leftJoin('lot as l', 'l.id', 'e.lot_id')
    .select([
      'e.id',
      'e.entry_seq',
      'e.kind',
      'e.points',
      'e.pending_delta',
      'e.reason',
      'e.created_at',
      'l.status as lot_status',
      'l.release_at',
      'l.expires_at',
    ])
    .where('e.account_id', '=', accountId)
    .orderBy('e.entry_seq')
    .execute();
}

/** Available points expiring in [now, until) and the first instant among them. */
export async function expiringSoon(
  db: Q,
  accountId: number,
  now: number,
  until: number,
): Promise<{ points: number; first: number | null }> {
  const row = await db
    .selectFrom('lot')
    .select((eb) => [eb.fn.sum<number | string | null>('remaining').as('p'), eb.fn.min<number | string | null>('expires_at').as('first')])
    .where('account_id', '=', accountId)
    .where('status', '=', 'available')
    .where('remaining', '>', 0)
    .where('expires_at', '>=', now)
    .where('expires_at', '<', until)
    .executeTakeFirst();
  return { points: Number(row?.p ?? 0), first: row?.first === null || row?.first === undefined ? null : Number(row.first) };
}

/** Growth value earned since `since` (the rolling window tiers follow). */
const growth = prepared(
  (db, accountId: number, since: number) =>
    db
      .selectFrom('ledger_entry')
      .select((eb) => eb.fn.sum<number | string | null>('growth_delta').as('g'))
      .where('account_id', '=', accountId)
      .where('created_at', '>=', since),
  2,
);

export async function growthSince(db: Q, accountId: number, since: number): Promise<number> {
  return Number((await growth(db, accountId, since))[0]?.g ?? 0);
}

export function enabledRates(db: Q) {
  return db
    .selectFrom('exchange_rate as r')
    .innerJoin('program as f', 'f.id', 'r.from_program_id')
    .innerJoin('program as t', 't.id', 'r.to_program_id')
    .select(['f.code as fromCode', 'f.name as fromName', 't.code as toCode', 't.name as toName', 'r.from_points', 'r.to_points'])
    .where('r.enabled', '=', 1)
    .orderBy('f.code')
    .orderBy('t.code')
    .execute();
}

export function findRate(db: Q, fromProgramId: number, toProgramId: number) {
  return db
    .selectFrom('exchange_rate')
    .selectAll()
    .where('from_program_id', '=', fromProgramId)
    .where('to_program_id', '=', toProgramId)
    .executeTakeFirst();
}

/** The credit side of an exchange (linked to its debit). */
export function exchangeCreditOf(db: Q, debitEntryId: number) {
  return db
    .selectFrom('ledger_entry')
    .select(['points', 'pending_delta'])
    .where('ref_entry_id', '=', debitEntryId)
    .where('kind', '=', 'exchange_in')
    .executeTakeFirst();
}

export function accountBalance(db: Q, accountId: number) {
  return db.selectFrom('account').select(['available', 'pending']).where('id', '=', accountId).executeTakeFirstOrThrow();
}

/** Adds one answer to the member's count for `kind`; creates the row on the first answer. */
export async function countSubscription(db: Q, memberId: number, kind: string, accepted: boolean, now: number): Promise<void> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const res = await db
      .updateTable('member_subscription')
      .set((eb) =>
        accepted ? { accepted: eb('accepted', '+', 1), updated_at: now } : { rejected: eb('rejected', '+', 1), updated_at: now },
      )
      .where('member_id', '=', memberId)
      .where('kind', '=', kind)
      .executeTakeFirst();
    if (Number(res.numUpdatedRows) === 1) return;
    try {
      await db
        .insertInto('member_subscription')
        .values({ member_id: memberId, kind, accepted: accepted ? 1 : 0, rejected: accepted ? 0 : 1, updated_at: now })
        .execute();
      return;
    } catch (e) {
      if (!isDuplicateKeyError(e)) throw e;
    }
  }
}

export function subscriptionsOf(db: Q, memberId: number) {
  return db
    .selectFrom('member_subscription')
    .select(['kind', 'accepted', 'rejected'])
    .where('member_id', '=', memberId)
    .orderBy('kind')
    .execute();
}

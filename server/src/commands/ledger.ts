/**
 * The points ledger: every change to a member's points is an append-only entry, posted in one
 * transaction with the lots it touches and the account's cached balances.
 *
 * Invariants (checked by verifyAccount and the property tests):
 * - available, pending and held on the account equal the sums of the entries' deltas;
 * - the remaining points of 'available' lots sum to max(0, available) — a negative balance is a
 *   debt that later credits repay before they fill any lot;
 * - the remaining points of 'pending' lots sum to pending; no lot is ever below zero;
 * - held equals the points of active holds.
 *
 * Idempotency: each posting carries (source, key). SHA-256 of that pair is a unique key on the
 * ledger; the SHA-256 of the canonical inputs is stored beside it. A replay returns the first
 * result; the same key with other inputs is IDEMPOTENCY_CONFLICT. Entries are never updated or
 * deleted: corrections are new entries linked to the originals by ref_entry_id.
 */
import { JifenError } from '@jifen/shared';
import type { Db } from '../db/connect.js';
import { inTransaction, isDuplicateKeyError, lockAccounts } from '../db/dialect.js';
import type { Trx } from '../db/dialect.js';
import { canonicalJson, sha256 } from '../lib/crypto.js';
import { newId } from '../lib/ids.js';
import * as repo from '../repositories/ledger.repository.js';
import { upgradeIfEarned } from './tiers.js';
import type { AccountRow, EntryRow, LotRow, MovementRow } from '../repositories/ledger.repository.js';

export type EntryKind =
  | 'earn'
  | 'grant'
  | 'adjust'
  | 'spend'
  | 'hold'
  | 'hold_confirm'
  | 'hold_release'
  | 'release'
  | 'expire'
  | 'reverse'
  | 'exchange_out'
  | 'exchange_in';

/** Who asks for a posting and under which idempotency key. */
export interface Idempotency {
  /** The caller's namespace: 'admin', 'wxpay', 'pos', 'job', 'member'… */
  source: string;
  key: string;
  /**
   * What makes two requests "the same" for this key. Defaults to the posting's inputs; callers
   * whose inputs include derived values (an expiry date computed from the time of the call) pass
   * the request as the caller sent it, so a retry an hour later still replays.
   */
  fingerprint?: unknown;
}

export interface PostingResult {
  entryId: number;
  accountId: number;
  kind: EntryKind;
  points: number;
  available: number;
  pending: number;
  held: number;
  lotId: number | null;
  /** True when this call replayed an earlier posting with the same key. */
  replayed: boolean;
}

export interface LedgerDeps {
  db: Db;
  now?: () => number;
  /**
   * Post inside the caller's transaction (a payment settlement that marks the order paid and
   * credits the points atomically). The caller then owns retries: a duplicate key or a deadlock
   * propagates so the whole transaction reruns, and the rerun replays from the stored entry.
   */
  trx?: Trx;
  /**
   * Account rows the caller already locked in `trx` (FOR UPDATE) and read after the lock; the
   * posting uses them instead of locking again.
   */
  locked?: AccountRow[];
}

/** Where pre-transaction lookups read: the caller's transaction when there is one. */
function reader(deps: LedgerDeps) {
  return deps.trx ?? deps.db.kysely;
}

function present(entry: EntryRow, replayed: boolean): PostingResult {
  return {
    entryId: entry.id,
    accountId: entry.account_id,
    kind: entry.kind as EntryKind,
    points: entry.points + entry.pending_delta,
    available: entry.available_after,
    pending: entry.pending_after,
    held: entry.held_after,
    lotId: entry.lot_id,
    replayed,
  };
}

/**
 * A frozen account (fraud) takes no debit and earns nothing: spends, holds, debit adjustments,
 * exchanges and earn/grant credits are refused. Reversals (refunds), releases, expiry, confirming or
 * releasing an existing hold and staff credit adjustments still post, so money already moved is
 * accounted for. `frozen_at` comes with the locked row (SELECT *), so the check costs no query.
 */
function assertNotFrozen(account: AccountRow): void {
  if ((account as AccountRow & { frozen_at?: number | null }).frozen_at != null)
    throw new JifenError('ACCOUNT_FROZEN', 'this account is frozen: HQ must unfreeze it first');
}

function assertPositiveInt(n: number, field: string): void {
  if (!Number.isSafeInteger(n) || n <= 0) throw new JifenError('VALIDATION_FAILED', `${field} must be a positive integer`, field);
}

/** State shared by the steps of one posting, inside its transaction. */
class Posting {
  readonly touched = new Map<number, AccountRow>();
  constructor(
    readonly trx: Trx,
    readonly now: number,
    readonly idemHash: Buffer,
    readonly inputHash: Buffer,
    accounts: AccountRow[],
  ) {
    for (const a of accounts) this.touched.set(a.id, a);
  }

  account(id: number): AccountRow {
    const a = this.touched.get(id);
    if (!a) throw new JifenError('ACCOUNT_NOT_FOUND', `account ${id} not found`);
    return a;
  }

  /**
   * Appends an entry and applies its deltas to the cached account. `suffix` names secondary
   * entries of one posting (an exchange's credit side), each under its own derived unique key.
   */
  async write(
    account: AccountRow,
    e: {
      id?: number;
      kind: EntryKind;
      points?: number;
      pendingDelta?: number;
      heldDelta?: number;
      growthDelta?: number;
      lotId?: number | null;
      refEntryId?: number | null;
      orderRef?: string | null;
      reason: string;
      trace?: unknown;
      actor?: string | null;
    },
    suffix?: string,
  ): Promise<EntryRow> {
    const points = e.points ?? 0;
    const pendingDelta = e.pendingDelta ?? 0;
    const heldDelta = e.heldDelta ?? 0;
    const growthDelta = e.growthDelta ?? 0;
    account.available += points;
    account.pending += pendingDelta;
    account.held += heldDelta;
    account.growth += growthDelta;
    account.entry_seq += 1;
    account.updated_at = this.now;
    const row: EntryRow = {
      account_id: account.id,
      entry_seq: account.entry_seq,
      id: e.id ?? newId(),
      idem_hash: suffix ? sha256(Buffer.concat([this.idemHash, Buffer.from(`:${suffix}`)])) : this.idemHash,
      input_hash: this.inputHash,
      kind: e.kind,
      points,
      pending_delta: pendingDelta,
      held_delta: heldDelta,
      growth_delta: growthDelta,
      available_after: account.available,
      pending_after: account.pending,
      held_after: account.held,
      lot_id: e.lotId ?? null,
      ref_entry_id: e.refEntryId ?? null,
      order_ref: e.orderRef ?? null,
      reason: e.reason.slice(0, 255),
      trace: e.trace === undefined ? null : JSON.stringify(e.trace),
      actor: e.actor ?? null,
      created_at: this.now,
    };
    await repo.insertEntry(this.trx, row);
    return row;
  }

  /** Takes `amount` from the account's available lots, oldest expiry first. */
  async consumeLots(accountId: number, amount: number, entryId: number, kind: 'spend' | 'hold' | 'reverse'): Promise<number> {
    if (amount <= 0) return 0;
    const lots = await repo.spendableLots(this.trx, accountId);
    const movements: MovementRow[] = [];
    let left = amount;
    for (const lot of lots) {
      if (left === 0) break;
      const take = Math.min(left, lot.remaining);
      lot.remaining -= take;
      left -= take;
      await repo.setLotState(this.trx, lot);
      movements.push(movement(accountId, lot.id, entryId, kind, -take));
    }
    await repo.insertMovements(this.trx, movements);
    return amount - left;
  }

  async finish(): Promise<void> {
    for (const account of this.touched.values()) await repo.saveAccountBalances(this.trx, account);
  }
}

function movement(accountId: number, lotId: number, entryId: number, kind: string, points: number, excused = 0): MovementRow {
  return { id: newId(), account_id: accountId, lot_id: lotId, entry_id: entryId, kind, points, excused };
}

/** How much of a credit of `delta` reaches the lots, after repaying any debt (negative balance). */
function flowIntoLots(availableBefore: number, delta: number): number {
  return Math.max(0, availableBefore + delta) - Math.max(0, availableBefore);
}

/**
 * Runs one idempotent posting. The accounts are locked first (fixed order), then the key is
 * looked up; a concurrent twin on another account is caught by the unique index and answered
 * from the stored entry after the rollback.
 */
async function post(
  deps: LedgerDeps,
  idem: Idempotency,
  input: unknown,
  accountIds: () => Promise<number[]>,
  body: (p: Posting) => Promise<EntryRow>,
): Promise<PostingResult> {
  const idemHash = sha256(`${idem.source}\u0000${idem.key}`);
  const inputHash = sha256(canonicalJson(idem.fingerprint ?? input));
  const replay = (existing: EntryRow): PostingResult => {
    if (!Buffer.from(existing.input_hash).equals(inputHash)) {
      throw new JifenError('IDEMPOTENCY_CONFLICT', `idempotency key "${idem.key}" was already used with other inputs`);
    }
    return present(existing, true);
  };
  // Resolved before the transaction: SQLite has one connection, held by the transaction.
  const ids = await accountIds();
  const run = async (trx: Trx) => {
    const prelocked = deps.trx && deps.locked && ids.every((id) => deps.locked?.some((a) => a.id === id));
    const accounts = prelocked ? (deps.locked as AccountRow[]) : await lockAccounts(trx, deps.db.dialect, ids);
    const existing = await repo.findEntryByIdem(trx, idemHash);
    if (existing) return replay(existing);
    for (const id of ids) {
      if (!accounts.some((a) => a.id === id)) throw new JifenError('ACCOUNT_NOT_FOUND', `account ${id} not found`);
    }
    const posting = new Posting(trx, (deps.now ?? Date.now)(), idemHash, inputHash, accounts);
    const entry = await body(posting);
    await posting.finish();
    return present(entry, false);
  };
  if (deps.trx) return run(deps.trx);
  try {
    return await inTransaction(deps.db, run);
  } catch (e) {
    if (!isDuplicateKeyError(e)) throw e;
    const existing = await deps.db.kysely.selectFrom('ledger_entry').selectAll().where('idem_hash', '=', idemHash).executeTakeFirst();
    if (!existing) throw e;
    return replay(existing);
  }
}

export interface CreditInput {
  accountId: number;
  points: number;
  /** Growth value earned with these points (purchases only); never affected by multipliers. */
  growth?: number;
  kind: 'earn' | 'grant' | 'adjust' | 'exchange_in';
  /** Points stay pending until this instant (the return window), then a job releases them. */
  pendingUntil?: number | null;
  expiresAt: number | null;
  reason: string;
  trace?: unknown;
  orderRef?: string | null;
  actor?: string | null;
}

/**
 * Credits points as a new lot. Pending credits wait for their release; available credits first
 * repay any debt. Throws VALIDATION_FAILED, ACCOUNT_NOT_FOUND, IDEMPOTENCY_CONFLICT.
 */
export async function credit(deps: LedgerDeps, idem: Idempotency, input: CreditInput): Promise<PostingResult> {
  if (!Number.isSafeInteger(input.points) || input.points < 0)
    throw new JifenError('VALIDATION_FAILED', 'points must be a non-negative integer', 'points');
  const growth = input.growth ?? 0;
  if (!Number.isSafeInteger(growth) || growth < 0)
    throw new JifenError('VALIDATION_FAILED', 'growth must be a non-negative integer', 'growth');
  return post(
    deps,
    idem,
    { op: 'credit', ...input },
    async () => [input.accountId],
    async (p) => {
      const account = p.account(input.accountId);
      return creditInside(p, account, input);
    },
  );
}

async function creditInside(
  p: Posting,
  account: AccountRow,
  input: Omit<CreditInput, 'accountId'> & { kind: EntryKind },
  suffix?: string,
  refEntryId?: number,
): Promise<EntryRow> {
  if (input.kind !== 'adjust') assertNotFrozen(account);
  const pending = input.pendingUntil !== undefined && input.pendingUntil !== null && input.pendingUntil > p.now;
  const entryId = newId();
  let lotId: number | null = null;
  if (input.points > 0) {
    lotId = newId();
    const into = pending ? input.points : flowIntoLots(account.available, input.points);
    const lot: LotRow = {
      id: lotId,
      account_id: account.id,
      source_entry_id: entryId,
      original: input.points,
      remaining: into,
      status: pending ? 'pending' : 'available',
      earned_at: p.now,
      release_at: pending ? (input.pendingUntil ?? null) : null,
      expires_at: input.expiresAt,
      spend_order: input.expiresAt ?? repo.NEVER_EXPIRES_ORDER,
    };
    await repo.insertLot(p.trx, lot);
    if (into < input.points) await repo.insertMovements(p.trx, [movement(account.id, lotId, entryId, 'debt', into - input.points)]);
  }
  account.lifetime_earned += input.points;
  const entry = await p.write(
    account,
    {
      id: entryId,
      kind: input.kind,
      points: pending ? 0 : input.points,
      pendingDelta: pending ? input.points : 0,
      growthDelta: input.growth ?? 0,
      lotId,
      refEntryId: refEntryId ?? null,
      orderRef: input.orderRef ?? null,
      reason: input.reason,
      trace: input.trace,
      actor: input.actor ?? null,
    },
    suffix,
  );
  if ((input.growth ?? 0) > 0) await upgradeIfEarned(p.trx, account, p.now);
  return entry;
}

export interface DebitInput {
  accountId: number;
  points: number;
  kind: 'spend' | 'adjust' | 'hold';
  reason: string;
  orderRef?: string | null;
  actor?: string | null;
}

/**
 * Takes points from the available balance, oldest lots first. A hold moves them to `held` until
 * confirmed or released. Throws POINTS_INSUFFICIENT (also while the balance is negative),
 * VALIDATION_FAILED, ACCOUNT_NOT_FOUND, IDEMPOTENCY_CONFLICT.
 */
export async function debit(deps: LedgerDeps, idem: Idempotency, input: DebitInput): Promise<PostingResult> {
  assertPositiveInt(input.points, 'points');
  return post(
    deps,
    idem,
    { op: 'debit', ...input },
    async () => [input.accountId],
    async (p) => {
      const account = p.account(input.accountId);
      return debitInside(p, account, input);
    },
  );
}

async function debitInside(
  p: Posting,
  account: AccountRow,
  input: Omit<DebitInput, 'accountId' | 'kind'> & { kind: EntryKind },
  suffix?: string,
): Promise<EntryRow> {
  assertNotFrozen(account);
  if (account.available < input.points) {
    throw new JifenError('POINTS_INSUFFICIENT', `only ${Math.max(0, account.available)} points available, ${input.points} requested`);
  }
  const entryId = newId();
  const isHold = input.kind === 'hold';
  await p.consumeLots(account.id, input.points, entryId, isHold ? 'hold' : 'spend');
  const entry = await p.write(
    account,
    {
      id: entryId,
      kind: input.kind,
      points: -input.points,
      heldDelta: isHold ? input.points : 0,
      orderRef: input.orderRef ?? null,
      reason: input.reason,
      actor: input.actor ?? null,
    },
    suffix,
  );
  if (isHold) {
    await repo.insertHold(p.trx, {
      id: entryId,
      account_id: account.id,
      points: input.points,
      status: 'active',
      hold_entry_id: entryId,
      settle_entry_id: null,
      created_at: p.now,
    });
  }
  return entry;
}

/** Puts points aside during a checkout. The result's entryId is the hold id. */
export function hold(deps: LedgerDeps, idem: Idempotency, input: Omit<DebitInput, 'kind'>): Promise<PostingResult> {
  return debit(deps, idem, { ...input, kind: 'hold' });
}

async function holdAccount(deps: LedgerDeps, holdId: number): Promise<number> {
  const h = await reader(deps).selectFrom('hold').select('account_id').where('id', '=', holdId).executeTakeFirst();
  if (!h) throw new JifenError('HOLD_NOT_ACTIVE', `hold ${holdId} not found`);
  return h.account_id;
}

/** The payment went through: held points are spent. Throws HOLD_NOT_ACTIVE, IDEMPOTENCY_CONFLICT. */
export async function confirmHold(
  deps: LedgerDeps,
  idem: Idempotency,
  input: { holdId: number; orderRef?: string | null; reason?: string },
): Promise<PostingResult> {
  return post(
    deps,
    idem,
    { op: 'hold_confirm', ...input },
    async () => [await holdAccount(deps, input.holdId)],
    async (p) => {
      const h = await repo.findHold(p.trx, input.holdId);
      if (!h || h.status !== 'active') throw new JifenError('HOLD_NOT_ACTIVE', `hold ${input.holdId} is not active`);
      const account = p.account(h.account_id);
      const entry = await p.write(account, {
        kind: 'hold_confirm',
        heldDelta: -h.points,
        refEntryId: h.hold_entry_id,
        orderRef: input.orderRef ?? null,
        reason: input.reason ?? '积分抵扣',
      });
      await repo.settleHold(p.trx, h.id, 'confirmed', entry.id);
      return entry;
    },
  );
}

/** The checkout was cancelled: held points go back to the lots they came from. Throws HOLD_NOT_ACTIVE. */
export async function releaseHold(deps: LedgerDeps, idem: Idempotency, input: { holdId: number; reason?: string }): Promise<PostingResult> {
  return post(
    deps,
    idem,
    { op: 'hold_release', ...input },
    async () => [await holdAccount(deps, input.holdId)],
    async (p) => {
      const h = await repo.findHold(p.trx, input.holdId);
      if (!h || h.status !== 'active') throw new JifenError('HOLD_NOT_ACTIVE', `hold ${input.holdId} is not active`);
      const account = p.account(h.account_id);
      const entryId = newId();
      const expired = await restoreLots(p, account, { takenBy: h.hold_entry_id, reversalsOf: null }, h.points, entryId);
      const entry = await p.write(account, {
        id: entryId,
        kind: 'hold_release',
        points: h.points,
        heldDelta: -h.points,
        refEntryId: h.hold_entry_id,
        reason: input.reason ?? '取消积分抵扣',
      });
      await repo.settleHold(p.trx, h.id, 'released', entry.id);
      await expireRestored(p, account, expired, entry.id);
      return entry;
    },
  );
}

/** Where a returned debit's points go back to: the lots one entry took, net of earlier returns. */
interface RestoreSource {
  /** The entry whose lot movements took the points (a spend, or the hold behind a confirm). */
  takenBy: number;
  /** The entry that reversals are linked to (the spend or the confirm); null for a hold release. */
  reversalsOf: number | null;
}

/**
 * Gives `amount` points back to the lots they were taken from, newest expiry first, after any
 * debt is repaid (repaid points never reach a lot). Returns the restored points that landed in
 * lots which have expired meanwhile: the caller expires those at once, so no expired point
 * becomes spendable again.
 */
async function restoreLots(
  p: Posting,
  account: AccountRow,
  source: RestoreSource,
  amount: number,
  entryId: number,
): Promise<Map<number, number>> {
  let left = flowIntoLots(account.available, amount);
  const netTaken = new Map<number, number>();
  for (const m of await repo.movementsOfEntry(p.trx, source.takenBy)) {
    if (m.kind === 'spend' || m.kind === 'hold') netTaken.set(m.lot_id, (netTaken.get(m.lot_id) ?? 0) - m.points);
  }
  if (source.reversalsOf !== null) {
    for (const r of await repo.reversalsOf(p.trx, source.reversalsOf)) {
      for (const m of await repo.movementsOfEntry(p.trx, r.id)) {
        if (m.kind === 'restore') netTaken.set(m.lot_id, (netTaken.get(m.lot_id) ?? 0) - m.points);
      }
    }
  }
  const lots = (await repo.findLotsByIds(p.trx, [...netTaken.keys()])).sort((a, b) => b.spend_order - a.spend_order || b.id - a.id);
  const movements: MovementRow[] = [];
  const expired = new Map<number, number>();
  for (const lot of lots) {
    if (left === 0) break;
    const give = Math.min(left, netTaken.get(lot.id) ?? 0);
    if (give <= 0) continue;
    lot.remaining += give;
    left -= give;
    await repo.setLotState(p.trx, lot);
    movements.push(movement(account.id, lot.id, entryId, 'restore', give));
    if (lot.expires_at !== null && lot.expires_at <= p.now) expired.set(lot.id, give);
  }
  await repo.insertMovements(p.trx, movements);
  // Lots taken by a debit always exist; anything left means the ledger was altered outside Jifen.
  if (left > 0) throw new Error(`could not restore ${left} points taken by entry ${source.takenBy}`);
  return expired;
}

async function expireRestored(p: Posting, account: AccountRow, expired: Map<number, number>, refEntryId: number): Promise<void> {
  const total = [...expired.values()].reduce((a, b) => a + b, 0);
  if (total === 0) return;
  const entryId = newId();
  const movements: MovementRow[] = [];
  for (const [lotId, pts] of expired) {
    const lot = await repo.findLot(p.trx, lotId);
    if (!lot) continue;
    lot.remaining -= pts;
    await repo.setLotState(p.trx, lot);
    movements.push(movement(account.id, lotId, entryId, 'expire', -pts));
  }
  await repo.insertMovements(p.trx, movements);
  await p.write(account, { id: entryId, kind: 'expire', points: -total, refEntryId, reason: '积分已过期' }, `expire-restored`);
}

export interface ReverseInput {
  entryId: number;
  /** Points to take back (earn/grant) or give back (spend/confirmed hold); at most what is left. */
  points: number;
  /** Growth value to take back with an earn reversal. */
  growth?: number;
  reason: string;
  orderRef?: string | null;
  actor?: string | null;
}

const TAKE_BACK_KINDS = new Set<string>(['earn', 'grant', 'exchange_in']);
const GIVE_BACK_KINDS = new Set<string>(['spend', 'hold_confirm']);

/**
 * Reverses (part of) an earlier entry, linked to it. Reversing an earn takes the points back from
 * the lot they created; points of that lot already spent are taken from the balance, which may go
 * negative (a debt later earnings repay); points of that lot that already expired are not charged
 * twice. Reversing a spend or a confirmed hold gives the points back to their lots.
 * Throws ALREADY_REVERSED, REVERSAL_EXCEEDS_ORIGINAL, NOT_FOUND, VALIDATION_FAILED.
 */
export async function reverse(deps: LedgerDeps, idem: Idempotency, input: ReverseInput): Promise<PostingResult> {
  assertPositiveInt(input.points, 'points');
  const original = await reader(deps).selectFrom('ledger_entry').select(['account_id']).where('id', '=', input.entryId).executeTakeFirst();
  if (!original) throw new JifenError('NOT_FOUND', `entry ${input.entryId} not found`);
  return post(
    deps,
    idem,
    { op: 'reverse', ...input },
    async () => [original.account_id],
    async (p) => {
      const entry = await repo.findEntryById(p.trx, input.entryId);
      if (!entry) throw new JifenError('NOT_FOUND', `entry ${input.entryId} not found`);
      const account = p.account(entry.account_id);
      const previous = await repo.reversalsOf(p.trx, entry.id);
      if (TAKE_BACK_KINDS.has(entry.kind)) return takeBack(p, account, entry, previous, input);
      if (GIVE_BACK_KINDS.has(entry.kind)) {
        const spent = entry.kind === 'spend' ? -entry.points : -entry.held_delta;
        checkReversible(spent - previous.reduce((sum, r) => sum + r.points, 0), input.points);
        const entryId = newId();
        // A confirmed hold's lots were taken by the hold entry it points to.
        const takenBy = entry.kind === 'spend' ? entry.id : (entry.ref_entry_id ?? entry.id);
        const expired = await restoreLots(p, account, { takenBy, reversalsOf: entry.id }, input.points, entryId);
        const row = await p.write(account, {
          id: entryId,
          kind: 'reverse',
          points: input.points,
          refEntryId: entry.id,
          orderRef: input.orderRef ?? entry.order_ref,
          reason: input.reason,
          actor: input.actor ?? null,
        });
        await expireRestored(p, account, expired, row.id);
        return row;
      }
      throw new JifenError('VALIDATION_FAILED', `entries of kind ${entry.kind} cannot be reversed`, 'entryId');
    },
  );
}

function checkReversible(left: number, points: number): void {
  if (left <= 0) throw new JifenError('ALREADY_REVERSED', 'this entry has already been fully reversed');
  if (points > left) throw new JifenError('REVERSAL_EXCEEDS_ORIGINAL', `only ${left} points of this entry can still be reversed`);
}

async function takeBack(p: Posting, account: AccountRow, entry: EntryRow, previous: EntryRow[], input: ReverseInput): Promise<EntryRow> {
  const earned = entry.points + entry.pending_delta;
  const reversedSoFar = previous.reduce((sum, r) => sum - r.points - r.pending_delta + excusedOf(r), 0);
  checkReversible(earned - reversedSoFar, input.points);
  const lot = entry.lot_id === null ? undefined : await repo.findLot(p.trx, entry.lot_id);
  if (!lot) throw new Error(`entry ${entry.id} has no lot`);
  const entryId = newId();
  const movements: MovementRow[] = [];
  const fromLot = Math.min(input.points, lot.remaining);
  const wasPending = lot.status === 'pending';
  if (fromLot > 0) {
    lot.remaining -= fromLot;
    await repo.setLotState(p.trx, lot);
    movements.push(movement(account.id, lot.id, entryId, 'reverse', -fromLot));
  }
  let rest = input.points - fromLot;
  // Points of this lot that expired were already lost once; do not charge them again.
  const lotMoves = await repo.movementsOfLot(p.trx, lot.id);
  const expiredFromLot = -lotMoves.filter((m) => m.kind === 'expire').reduce((s, m) => s + m.points, 0);
  const excusedBefore = lotMoves.filter((m) => m.kind === 'excused').reduce((s, m) => s + m.excused, 0);
  const excused = Math.min(rest, Math.max(0, expiredFromLot - excusedBefore));
  if (excused > 0) movements.push(movement(account.id, lot.id, entryId, 'excused', 0, excused));
  rest -= excused;
  await repo.insertMovements(p.trx, movements);
  // The rest was spent (or is held): take it from the balance, other lots first, then as debt.
  if (rest > 0)
    await p.consumeLots(account.id, Math.min(rest, Math.max(0, account.available - (wasPending ? 0 : fromLot))), entryId, 'reverse');
  account.lifetime_earned -= input.points - excused;
  return p.write(account, {
    id: entryId,
    kind: 'reverse',
    points: -(wasPending ? 0 : fromLot) - rest,
    pendingDelta: wasPending ? -fromLot : 0,
    growthDelta: -Math.min(input.growth ?? 0, growthLeft(entry, previous)),
    refEntryId: entry.id,
    orderRef: input.orderRef ?? entry.order_ref,
    reason: input.reason,
    trace: excused > 0 ? { excusedExpired: excused } : undefined,
    actor: input.actor ?? null,
  });
}

function excusedOf(r: EntryRow): number {
  if (!r.trace) return 0;
  const t = JSON.parse(r.trace) as { excusedExpired?: number };
  return t.excusedExpired ?? 0;
}

function growthLeft(entry: EntryRow, previous: EntryRow[]): number {
  return entry.growth_delta + previous.reduce((s, r) => s + r.growth_delta, 0);
}

/**
 * Expires what is left of one lot. Idempotent per lot: the key is the lot id, so a rerun of the
 * expiry job (or two servers running it) writes one entry. Returns null when nothing is due.
 */
export async function expireLot(deps: LedgerDeps, input: { lotId: number; asOf: number }): Promise<PostingResult | null> {
  const lot0 = await reader(deps).selectFrom('lot').select(['account_id']).where('id', '=', input.lotId).executeTakeFirst();
  if (!lot0) return null;
  try {
    return await post(
      deps,
      { source: 'job', key: `expire:${input.lotId}` },
      { op: 'expire', lotId: input.lotId },
      async () => [lot0.account_id],
      async (p) => {
        const lot = await repo.findLot(p.trx, input.lotId);
        if (!lot || lot.remaining <= 0 || lot.expires_at === null || lot.expires_at > input.asOf) throw new NothingDue();
        const account = p.account(lot.account_id);
        const entryId = newId();
        const pts = lot.remaining;
        const wasPending = lot.status === 'pending';
        lot.remaining = 0;
        await repo.setLotState(p.trx, lot);
        await repo.insertMovements(p.trx, [movement(account.id, lot.id, entryId, 'expire', -pts)]);
        return p.write(account, {
          id: entryId,
          kind: 'expire',
          points: wasPending ? 0 : -pts,
          pendingDelta: wasPending ? -pts : 0,
          lotId: lot.id,
          reason: '积分已过期',
        });
      },
    );
  } catch (e) {
    if (e instanceof NothingDue) return null;
    throw e;
  }
}

/** Pending → available once the return window has passed. Idempotent per lot. Returns null when not due. */
export async function releaseLot(deps: LedgerDeps, input: { lotId: number; asOf: number }): Promise<PostingResult | null> {
  const lot0 = await reader(deps).selectFrom('lot').select(['account_id']).where('id', '=', input.lotId).executeTakeFirst();
  if (!lot0) return null;
  try {
    return await post(
      deps,
      { source: 'job', key: `release:${input.lotId}` },
      { op: 'release', lotId: input.lotId },
      async () => [lot0.account_id],
      async (p) => {
        const lot = await repo.findLot(p.trx, input.lotId);
        if (!lot || lot.status !== 'pending' || lot.release_at === null || lot.release_at > input.asOf) throw new NothingDue();
        const account = p.account(lot.account_id);
        const entryId = newId();
        const pts = lot.remaining;
        const into = flowIntoLots(account.available, pts);
        lot.status = 'available';
        lot.remaining = into;
        await repo.setLotState(p.trx, lot);
        if (into < pts) await repo.insertMovements(p.trx, [movement(account.id, lot.id, entryId, 'debt', into - pts)]);
        return p.write(account, {
          id: entryId,
          kind: 'release',
          points: pts,
          pendingDelta: -pts,
          lotId: lot.id,
          reason: '待生效积分已到账',
        });
      },
    );
  } catch (e) {
    if (e instanceof NothingDue) return null;
    throw e;
  }
}

class NothingDue extends Error {}

export interface ExchangeInput {
  fromAccountId: number;
  toAccountId: number;
  /** Points taken from the source program. */
  points: number;
  /** Points credited in the target program (the caller applies the rate, rounded down). */
  toPoints: number;
  toExpiresAt: number | null;
  reason: string;
  actor?: string | null;
}

/**
 * Moves points between two programs of one member: both sides in one transaction, the credit
 * linked to the debit. Throws POINTS_INSUFFICIENT, EXCHANGE_NOT_ALLOWED, VALIDATION_FAILED.
 */
export async function exchange(deps: LedgerDeps, idem: Idempotency, input: ExchangeInput): Promise<PostingResult> {
  assertPositiveInt(input.points, 'points');
  assertPositiveInt(input.toPoints, 'toPoints');
  if (input.fromAccountId === input.toAccountId) throw new JifenError('EXCHANGE_NOT_ALLOWED', 'cannot exchange within one program');
  return post(
    deps,
    idem,
    { op: 'exchange', ...input },
    async () => [input.fromAccountId, input.toAccountId],
    async (p) => {
      const from = p.account(input.fromAccountId);
      const to = p.account(input.toAccountId);
      if (from.member_id !== to.member_id) throw new JifenError('EXCHANGE_NOT_ALLOWED', 'both accounts must belong to one member');
      const out = await debitInside(p, from, {
        points: input.points,
        kind: 'exchange_out',
        reason: input.reason,
        actor: input.actor ?? null,
      });
      await creditInside(
        p,
        to,
        { points: input.toPoints, kind: 'exchange_in', expiresAt: input.toExpiresAt, reason: input.reason, actor: input.actor ?? null },
        'in',
        out.id,
      );
      return out;
    },
  );
}

export interface TransferInput {
  fromAccountId: number;
  toAccountId: number;
  reason: string;
  actor?: string | null;
  trace?: unknown;
}

/**
 * Moves every available point of one account to another member's account in the same program (a
 * member merge), in one transaction: one exchange_out debit on the source, and exchange_in credits
 * on the target linked to it, one per expiry date of the lots taken, so the points keep their expiry.
 * Pending and held points stay where they are. Returns null when nothing is available.
 * Throws ACCOUNT_FROZEN, EXCHANGE_NOT_ALLOWED, IDEMPOTENCY_CONFLICT.
 */
export async function transfer(
  deps: LedgerDeps,
  idem: Idempotency,
  input: TransferInput,
): Promise<{ out: PostingResult; inEntryIds: number[] } | null> {
  if (input.fromAccountId === input.toAccountId) throw new JifenError('EXCHANGE_NOT_ALLOWED', 'cannot transfer within one account');
  const inEntryIds: number[] = [];
  try {
    const out = await post(
      deps,
      idem,
      { op: 'transfer', ...input },
      async () => [input.fromAccountId, input.toAccountId],
      async (p) => {
        const from = p.account(input.fromAccountId);
        const to = p.account(input.toAccountId);
        if (from.program_id !== to.program_id) throw new JifenError('EXCHANGE_NOT_ALLOWED', 'both accounts must be in one program');
        const lots = await repo.spendableLots(p.trx, from.id);
        const byExpiry = new Map<number | null, number>();
        for (const lot of lots) byExpiry.set(lot.expires_at, (byExpiry.get(lot.expires_at) ?? 0) + lot.remaining);
        const total = Math.min(
          Math.max(0, from.available),
          [...byExpiry.values()].reduce((a, b) => a + b, 0),
        );
        if (total <= 0) throw new NothingDue();
        const outRow = await debitInside(p, from, {
          points: total,
          kind: 'exchange_out',
          reason: input.reason,
          actor: input.actor ?? null,
        });
        let i = 0;
        for (const [expiresAt, points] of byExpiry) {
          const row = await creditInside(
            p,
            to,
            { points, kind: 'exchange_in', expiresAt, reason: input.reason, trace: input.trace, actor: input.actor ?? null },
            `in:${i++}`,
            outRow.id,
          );
          inEntryIds.push(row.id);
        }
        return outRow;
      },
    );
    if (out.replayed) {
      const linked = await reader(deps)
        .selectFrom('ledger_entry')
        .select('id')
        .where('ref_entry_id', '=', out.entryId)
        .where('kind', '=', 'exchange_in')
        .execute();
      inEntryIds.push(...linked.map((r) => r.id));
    }
    return { out, inEntryIds };
  } catch (e) {
    if (e instanceof NothingDue) return null;
    throw e;
  }
}

export interface AccountCheck {
  accountId: number;
  problems: string[];
}

/** Recomputes an account from its entries and lots and lists every invariant that does not hold. */
export async function verifyAccount(trx: Trx, accountId: number): Promise<AccountCheck> {
  const problems: string[] = [];
  const account = await trx.selectFrom('account').selectAll().where('id', '=', accountId).executeTakeFirstOrThrow();
  const entries = await trx.selectFrom('ledger_entry').selectAll().where('account_id', '=', accountId).orderBy('entry_seq').execute();
  let available = 0;
  let pending = 0;
  let held = 0;
  let growth = 0;
  entries.forEach((e, i) => {
    if (e.entry_seq !== i + 1) problems.push(`entry_seq gap at ${e.entry_seq}`);
    available += e.points;
    pending += e.pending_delta;
    held += e.held_delta;
    growth += e.growth_delta;
    if (e.available_after !== available || e.pending_after !== pending || e.held_after !== held)
      problems.push(`entry ${e.entry_seq} running balance mismatch`);
  });
  if (account.available !== available) problems.push(`available ${account.available} != entries ${available}`);
  if (account.pending !== pending) problems.push(`pending ${account.pending} != entries ${pending}`);
  if (account.held !== held) problems.push(`held ${account.held} != entries ${held}`);
  if (account.growth !== growth) problems.push(`growth ${account.growth} != entries ${growth}`);
  if (account.entry_seq !== entries.length) problems.push(`entry_seq ${account.entry_seq} != ${entries.length}`);
  const lots = await trx.selectFrom('lot').selectAll().where('account_id', '=', accountId).execute();
  const moves = await trx.selectFrom('lot_movement').selectAll().where('account_id', '=', accountId).execute();
  let availLots = 0;
  let pendLots = 0;
  for (const lot of lots) {
    if (lot.remaining < 0) problems.push(`lot ${lot.id} below zero`);
    const moved = moves.filter((m) => m.lot_id === lot.id).reduce((s, m) => s + m.points, 0);
    if (lot.original + moved !== lot.remaining)
      problems.push(`lot ${lot.id}: original ${lot.original} + movements ${moved} != remaining ${lot.remaining}`);
    if (lot.status === 'available') availLots += lot.remaining;
    else pendLots += lot.remaining;
  }
  if (availLots !== Math.max(0, available)) problems.push(`available lots ${availLots} != max(0, available ${available})`);
  if (pendLots !== pending) problems.push(`pending lots ${pendLots} != pending ${pending}`);
  const holds = await trx.selectFrom('hold').selectAll().where('account_id', '=', accountId).where('status', '=', 'active').execute();
  const heldByHolds = holds.reduce((s, h) => s + h.points, 0);
  if (heldByHolds !== held) problems.push(`active holds ${heldByHolds} != held ${held}`);
  return { accountId, problems };
}

/**
 * The till and its cashiers: who a terminal token is, PIN sign-in that opens (or, after a kiosk
 * restart, resumes) the cashier's shift, the X/Z shift report, and closing with the counted cash.
 * Sales and refunds count toward the shift whose id they carry; the report is always summed from
 * them, so a sale journaled offline during the shift and posted after it closed still lands in it.
 */
import { randomBytes } from 'node:crypto';
import { JifenError, toIsoUtc } from '@jifen/shared';
import type { ByMethod, PosShiftReport, PosStaffSession, PosSignInRequest, PosTerminalInfo } from '@jifen/shared';
import type { Db } from '../db/connect.js';
import { isDuplicateKeyError } from '../db/dialect.js';
import { verifyPassword } from '../lib/crypto.js';
import type { Logger } from '../logger.js';
import { appendAudit } from '../repositories/audit.repository.js';
import { hitRateLimit } from '../repositories/member-claim.repository.js';
import { findStaffByUsername } from '../repositories/org.repository.js';
import * as pos from '../repositories/pos.repository.js';
import type { ShiftRow } from '../repositories/pos.repository.js';
import { loadProgram } from './programs.js';
import type { ProgramConfig } from './programs.js';
import { TtlCache } from '../lib/ttl-cache.js';

export interface TerminalRef {
  terminalId: number;
  storeId: number;
}

/** The store a till belongs to, with its brand and program: what most POS calls need first. */
export interface TillContext {
  terminalId: number;
  storeId: number;
  storeCode: string;
  storeName: string;
  address: string;
  brandId: number;
  brandCode: string;
  program: ProgramConfig;
}

/** Store rows change only through HQ's configuration: kept for a few seconds, like program settings. */
const stores = new TtlCache<number, Omit<TillContext, 'terminalId' | 'program'> & { programId: number }>(10_000);

/** Throws NOT_FOUND (the terminal's store was removed), PROGRAM_NOT_FOUND. */
export async function tillContext(db: Db, terminal: TerminalRef): Promise<TillContext> {
  let hit = stores.get(terminal.storeId);
  if (!hit) {
    const row = await db.kysely
      .selectFrom('store')
      .innerJoin('brand', 'brand.id', 'store.brand_id')
      .select([
        'store.id as storeId',
        'store.code as storeCode',
        'store.name as storeName',
        'store.address as address',
        'brand.id as brandId',
        'brand.code as brandCode',
        'brand.program_id as programId',
      ])
      .where('store.id', '=', terminal.storeId)
      .executeTakeFirst();
    if (!row) throw new JifenError('NOT_FOUND', 'the terminal’s store no longer exists');
    hit = row;
    stores.set(terminal.storeId, hit);
  }
  const { programId, ...store } = hit;
  const program = await loadProgram(db.kysely, programId);
  if (!program) throw new JifenError('PROGRAM_NOT_FOUND', `program ${programId} not found`);
  return { terminalId: terminal.terminalId, ...store, program };
}

/** `GET /api/pos/terminal`: the till's store and program, and the server's clock. */
export async function terminalInfo(db: Db, terminal: TerminalRef, now: number): Promise<PosTerminalInfo> {
  const till = await tillContext(db, terminal);
  const row = await db.kysely.selectFrom('terminal').select('name').where('id', '=', terminal.terminalId).executeTakeFirst();
  return {
    terminalId: terminal.terminalId,
    ...(row?.name ? { name: row.name } : {}),
    store: { code: till.storeCode, name: till.storeName, ...(till.address ? { address: till.address } : {}) },
    program: {
      code: till.program.code,
      name: till.program.name,
      pointValueFen: till.program.pointValueFen,
      maxPointsSharePercent: till.program.maxPointsSharePercent,
    },
    serverTime: toIsoUtc(now),
  };
}

/** Roles that work at a till: only they have a PIN. */
const TILL_ROLES = new Set(['cashier', 'store_manager']);
export const PIN_FAILURES_ALLOWED = 5;
export const PIN_WINDOW_MS = 15 * 60_000;
/** Spent on unknown usernames, so a PIN check takes as long whoever is asked about. */
const DUMMY_HASH = 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

export interface ShiftDeps {
  db: Db;
  now: () => number;
  logger: Logger;
}

function newShiftId(): string {
  return `SH${randomBytes(10).toString('hex').toUpperCase()}`;
}

function presentShift(row: ShiftRow, resumed: boolean): PosStaffSession['shift'] {
  return { shiftId: row.id, openedAt: toIsoUtc(row.opened_at), openingFloatFen: row.opening_float_fen, resumed };
}

/**
 * A cashier signs in at a till with username and PIN: their open shift on this till is resumed, or a
 * new one opened with the opening float. Unknown user, wrong PIN, no PIN, locked or deactivated staff
 * all get the same 401. Throws INVALID_CREDENTIALS, FORBIDDEN (staff of another store), RATE_LIMITED
 * (5 wrong PINs in 15 minutes for this user at this till).
 */
export async function signInCashier(deps: ShiftDeps, terminal: TerminalRef, req: PosSignInRequest): Promise<PosStaffSession> {
  const db = deps.db.kysely;
  const now = deps.now();
  const bucket = `pos-pin:${terminal.terminalId.toString(36)}:${req.username.toLowerCase()}`.slice(0, 128);
  if (await pos.rateLimitReached(db, bucket, PIN_WINDOW_MS, PIN_FAILURES_ALLOWED, now))
    throw new JifenError('RATE_LIMITED', 'too many wrong PINs: try again in 15 minutes or ask a manager');

  const staff = await findStaffByUsername(db, req.username);
  const usable =
    staff !== undefined &&
    staff.pin_hash !== null &&
    staff.deactivated_at === null &&
    (staff.locked_until === null || staff.locked_until <= now) &&
    TILL_ROLES.has(staff.role);
  const ok = await verifyPassword(req.pin, usable ? staff.pin_hash! : DUMMY_HASH);
  if (!usable || !ok) {
    await hitRateLimit(db, bucket, PIN_WINDOW_MS, PIN_FAILURES_ALLOWED, now);
    deps.logger.info({ terminalId: terminal.terminalId }, 'till sign-in refused');
    throw new JifenError('INVALID_CREDENTIALS', 'unknown user or wrong PIN');
  }
  if (staff.store_id !== terminal.storeId) throw new JifenError('FORBIDDEN', 'this cashier works at another store');

  const view = { id: staff.id, username: staff.username, name: staff.username, role: staff.role };
  const open = await pos.findOpenShift(db, terminal.terminalId, staff.id);
  if (open) return { staff: view, shift: presentShift(open, true) };
  const row: ShiftRow = {
    id: newShiftId(),
    terminal_id: terminal.terminalId,
    store_id: terminal.storeId,
    staff_id: staff.id,
    open_key: pos.openKey(terminal.terminalId, staff.id),
    opened_at: now,
    opening_float_fen: req.openingFloatFen ?? 0,
    closed_at: null,
    counted_cash_fen: null,
  };
  try {
    await pos.insertShift(db, row);
  } catch (e) {
    // Two sign-ins of one cashier at one till raced: the open_key decides, both resume the winner's.
    if (!isDuplicateKeyError(e)) throw e;
    const twin = await pos.findOpenShift(db, terminal.terminalId, staff.id);
    if (!twin) throw e;
    return { staff: view, shift: presentShift(twin, true) };
  }
  await appendAudit(db, {
    actor: `staff:${staff.username}`,
    action: 'pos.shift_open',
    target: `shift:${row.id}`,
    after: { terminalId: terminal.terminalId, openingFloatFen: row.opening_float_fen },
    at: now,
  });
  return { staff: view, shift: presentShift(row, false) };
}

/** A shift of this till. Throws NOT_FOUND, FORBIDDEN (another till's). */
export async function ownShift(db: Db, terminal: TerminalRef, shiftId: string): Promise<ShiftRow> {
  const shift = await pos.findShift(db.kysely, shiftId);
  if (!shift) throw new JifenError('NOT_FOUND', `no shift ${shiftId}`, 'shiftId');
  if (shift.terminal_id !== terminal.terminalId) throw new JifenError('FORBIDDEN', 'this shift belongs to another till', 'shiftId');
  return shift;
}

/**
 * The shift a sale or refund counts toward. Online, it must be an open shift of this till (throws
 * NOT_FOUND, FORBIDDEN, SHIFT_CLOSED). A sale journaled offline happened during its shift, which may
 * have closed since: it still counts toward it; an id this server never issued (a shift the till made
 * up while the server lacked sign-in) is dropped rather than refusing a sale already paid in cash.
 */
export async function shiftForSale(
  deps: ShiftDeps,
  terminal: TerminalRef,
  shiftId: string | undefined,
  offline: boolean,
): Promise<string | null> {
  if (!shiftId) return null;
  try {
    const shift = await ownShift(deps.db, terminal, shiftId);
    if (shift.closed_at !== null && !offline) throw new JifenError('SHIFT_CLOSED', 'this shift is closed: sign in again', 'shiftId');
    return shift.id;
  } catch (e) {
    if (!offline || !(e instanceof JifenError) || (e.code !== 'NOT_FOUND' && e.code !== 'FORBIDDEN')) throw e;
    deps.logger.warn(
      { terminalId: terminal.terminalId, shiftId, why: e.code },
      'offline sale names a shift this till does not have; kept without',
    );
    return null;
  }
}

const zero = (): ByMethod => ({ cash: 0, wechat: 0, points: 0 });
const methodKey = (m: string): 'cash' | 'wechat' => (m === 'cash' ? 'cash' : 'wechat');

/** The shift's figures now: the X-report while open, the Z-report once closed. */
export async function shiftReport(db: Db, shift: ShiftRow): Promise<PosShiftReport> {
  const staff = await db.kysely.selectFrom('staff').select('username').where('id', '=', shift.staff_id).executeTakeFirst();
  const sales = { count: 0, amountFen: 0, byMethod: zero() };
  const refunds = { count: 0, amountFen: 0, byMethod: zero() };
  const points = { issued: 0, taken: 0, reversed: 0, returned: 0 };
  for (const s of await pos.shiftSales(db.kysely, shift.id)) {
    sales.count += s.count;
    sales.amountFen += s.amountFen;
    sales.byMethod[methodKey(s.method)] += s.payableFen;
    sales.byMethod.points += s.pointsPaidFen;
    points.issued += s.pointsEarned;
    points.taken += s.pointsPaid;
  }
  for (const r of await pos.shiftRefunds(db.kysely, shift.id)) {
    refunds.count += r.count;
    refunds.amountFen += r.amountFen;
    // The money part goes back the way it came (cash from the drawer); the rest was points.
    refunds.byMethod[methodKey(r.method)] += r.moneyFen;
    refunds.byMethod.points += r.amountFen - r.moneyFen;
    points.reversed += r.pointsReversed;
    points.returned += r.pointsReturned;
  }
  const cashExpectedFen = shift.opening_float_fen + sales.byMethod.cash - refunds.byMethod.cash;
  return {
    shiftId: shift.id,
    terminalId: shift.terminal_id,
    staff: { id: shift.staff_id, name: staff?.username ?? '' },
    openedAt: toIsoUtc(shift.opened_at),
    closedAt: shift.closed_at === null ? null : toIsoUtc(shift.closed_at),
    openingFloatFen: shift.opening_float_fen,
    sales,
    refunds,
    points,
    cashExpectedFen,
    cashCountedFen: shift.counted_cash_fen,
    cashDifferenceFen: shift.counted_cash_fen === null ? null : shift.counted_cash_fen - cashExpectedFen,
  };
}

/**
 * Closes the shift with the cash counted in the drawer and answers the Z-report. Closing again with
 * the same count answers the same report (a retried click); with another count, SHIFT_CLOSED.
 * Throws NOT_FOUND, FORBIDDEN, SHIFT_CLOSED.
 */
export async function closeShift(deps: ShiftDeps, terminal: TerminalRef, shiftId: string, countedCashFen: number): Promise<PosShiftReport> {
  const shift = await ownShift(deps.db, terminal, shiftId);
  const now = deps.now();
  if (shift.closed_at === null && (await pos.markShiftClosed(deps.db.kysely, shift.id, now, countedCashFen))) {
    const report = await shiftReport(deps.db, { ...shift, closed_at: now, counted_cash_fen: countedCashFen, open_key: null });
    await appendAudit(deps.db.kysely, {
      actor: `terminal:${terminal.terminalId}`,
      action: 'pos.shift_close',
      target: `shift:${shift.id}`,
      after: { countedCashFen, cashExpectedFen: report.cashExpectedFen, cashDifferenceFen: report.cashDifferenceFen },
      at: now,
    });
    return report;
  }
  const closed = (await pos.findShift(deps.db.kysely, shift.id))!;
  if (closed.counted_cash_fen !== countedCashFen)
    throw new JifenError('SHIFT_CLOSED', `this shift was already closed with ${closed.counted_cash_fen} fen counted`, 'countedCashFen');
  return shiftReport(deps.db, closed);
}

/**
 * The reports' daily rollup: once a China day has closed, its ledger entries, lot movements, paid
 * orders and campaign points are summarised into the report_*_day tables, and the watermark moves
 * past it. Reports read the summaries up to the watermark and the live ledger after it, so the job
 * only makes them fast, never different: a day is summarised by the very SELECT a report would run.
 *
 * Idempotent and safe with several servers: each chunk of days is deleted and rewritten in one
 * transaction that also moves the watermark by compare-and-set, so a second runner's chunk rolls
 * back instead of doubling a day. A day is closed an hour after its end: an order placed at 23:59
 * can still be paid (15 minutes), and a transaction may commit a moment after its timestamp. The open
 * day is summarised too, in 15-minute steps with the same hour's margin (rollupOpenDay).
 */
import type { Db } from '../db/connect.js';
import { inTransaction, isDuplicateKeyError } from '../db/dialect.js';
import type { Trx } from '../db/dialect.js';
import type { JobDefinition } from '../jobs/runner.js';
import * as repo from '../repositories/report.repository.js';
import { campaignDayRows } from './report-campaigns.js';

export const ROLLUP_CLOSE_MS = 60 * 60_000;
/** Days per transaction: bounded work and a bounded transaction, whatever the backlog. */
const CHUNK_DAYS = 31;

export interface RollupSummary {
  fromDay: number | null;
  throughDay: number | null;
  days: number;
}

/** The last China day that is closed at `now`. */
export function lastClosedDay(now: number): number {
  return repo.dayOfMs(now - ROLLUP_CLOSE_MS) - 1;
}

/**
 * Summarises every closed day after the watermark (the first run starts at the first day with any
 * entry or paid order). Returns the days it wrote; `progress` hears after each chunk.
 */
export async function rollupReports(
  db: Db,
  now: number,
  progress?: (daysDone: number, throughDay: number) => void,
): Promise<RollupSummary> {
  const target = lastClosedDay(now);
  let watermark = await repo.rollupWatermark(db.kysely);
  if (watermark === null) {
    const first = await repo.firstActivity(db.kysely);
    const start = (first === null ? target : Math.min(repo.dayOfMs(first), target + 1)) - 1;
    try {
      await repo.createWatermark(db.kysely, start, now);
    } catch {
      // Another runner created it first: read theirs.
    }
    watermark = (await repo.rollupWatermark(db.kysely)) ?? start;
  }
  const fromDay = watermark + 1;
  let days = 0;
  while (watermark < target) {
    const from = watermark + 1;
    const to = Math.min(target, watermark + CHUNK_DAYS);
    try {
      await inTransaction(db, (trx) => rollupDays(trx, db, from, to, now));
    } catch (e) {
      // Another runner summarised these days first; it carries on from here.
      if (e instanceof RollupRaced) break;
      throw e;
    }
    days += to - from + 1;
    watermark = to;
    progress?.(days, to);
  }
  if (watermark === target) await rollupOpenDay(db, watermark, now);
  return { fromDay: days > 0 ? fromDay : null, throughDay: watermark, days };
}

/**
 * Summarises the open day (the one after the watermark) from its start up to the last 15-minute
 * step that ended ROLLUP_CLOSE_MS ago, as a new step under its own key, then drops the steps a
 * report can no longer be reading. Without it a report reads the whole day so far from the ledger;
 * with it, an hour and a quarter at most.
 */
async function rollupOpenDay(db: Db, watermark: number, now: number): Promise<void> {
  const day = watermark + 1;
  const cut = Math.floor((now - ROLLUP_CLOSE_MS) / repo.PARTIAL_STEP_MS) * repo.PARTIAL_STEP_MS;
  const state = await repo.rollupState(db.kysely);
  if (!state || state.throughDay !== watermark) return;
  if (cut <= repo.dayStartMs(day) || cut >= repo.dayStartMs(day + 1) || state.partialUntil === cut) return;
  const key = repo.partialKey(cut);
  try {
    await inTransaction(db, async (trx) => {
      const fromMs = repo.dayStartMs(day);
      // A report that read the watermark just before this step may still read the previous step's
      // rows: keep it, and every step that ended within PARTIAL_KEEP_MS of this one.
      const keepFrom = Math.min(state.partialUntil ?? cut, cut - repo.PARTIAL_KEEP_MS);
      for (const table of repo.SUMMARY_TABLES) {
        await repo.deleteSummaryDays(trx, table, key, key);
        await repo.deletePartialSteps(trx, table, keepFrom);
      }
      await repo.insertSummaryFrom(trx, 'report_ledger_day', repo.ledgerDaySelect(trx, db.dialect, fromMs, cut), key);
      await repo.insertSummaryFrom(trx, 'report_lot_day', repo.lotDaySelect(trx, db.dialect, fromMs, cut), key);
      await repo.insertSummaryFrom(trx, 'report_order_day', repo.orderDaySelect(trx, db.dialect, fromMs, cut), key);
      const codes = await repo.movedToTierCodes(trx);
      await repo.insertSummaryFrom(trx, 'report_tier_day', repo.tierDaySelect(trx, db.dialect, codes, fromMs, cut), key);
      // Active days are a yes or no per member and day: the open day's are simply rewritten.
      await repo.rewriteMemberActiveDays(trx, db.dialect, day, day, fromMs, cut);
      const campaigns = await campaignDayRows(trx, db.dialect, fromMs, cut);
      await repo.insertCampaignDays(
        trx,
        campaigns.map((r) => ({ ...r, day: key })),
      );
      if (!(await repo.advancePartial(trx, watermark, state.partialUntil, cut, now))) throw new RollupRaced();
    });
  } catch (e) {
    // Another runner wrote this step (or closed the day) first.
    if (!(e instanceof RollupRaced) && !isDuplicateKeyError(e)) throw e;
  }
}

async function rollupDays(trx: Trx, db: Db, fromDay: number, toDay: number, now: number): Promise<void> {
  const fromMs = repo.dayStartMs(fromDay);
  const toMs = repo.dayStartMs(toDay + 1);
  for (const table of repo.SUMMARY_TABLES) {
    await repo.deleteSummaryDays(trx, table, fromDay, toDay);
  }
  await repo.insertSummaryFrom(trx, 'report_ledger_day', repo.ledgerDaySelect(trx, db.dialect, fromMs, toMs));
  await repo.insertSummaryFrom(trx, 'report_lot_day', repo.lotDaySelect(trx, db.dialect, fromMs, toMs));
  await repo.insertSummaryFrom(trx, 'report_order_day', repo.orderDaySelect(trx, db.dialect, fromMs, toMs));
  const codes = await repo.movedToTierCodes(trx);
  await repo.insertSummaryFrom(trx, 'report_tier_day', repo.tierDaySelect(trx, db.dialect, codes, fromMs, toMs));
  await repo.rewriteMemberActiveDays(trx, db.dialect, fromDay, toDay, fromMs, toMs);
  await repo.insertCampaignDays(trx, await campaignDayRows(trx, db.dialect, fromMs, toMs));
  // Losing the compare-and-set means another runner wrote these days: undo ours.
  if (!(await repo.advanceWatermark(trx, fromDay - 1, toDay, now))) throw new RollupRaced();
}

class RollupRaced extends Error {}

async function rollupReportsJob(db: Db, now: number): Promise<RollupSummary | null> {
  const s = await rollupReports(db, now);
  return s.days > 0 ? s : null;
}

export const REPORT_JOBS: JobDefinition[] = [{ name: 'report-rollup', everyMs: 15 * 60_000, run: (s, now) => rollupReportsJob(s.db, now) }];

/**
 * The reports' daily rollup: once a China day has closed, its ledger entries, lot movements, paid
 * orders and campaign points are summarised into the report_*_day tables, and the watermark moves
 * past it. Reports read the summaries up to the watermark and the live ledger after it, so the job
 * only makes them fast, never different: a day is summarised by the very SELECT a report would run.
 *
 * Idempotent and safe with several servers: each chunk of days is deleted and rewritten in one
 * transaction that also moves the watermark by compare-and-set, so a second runner's chunk rolls
 * back instead of doubling a day. A day is closed an hour after its end: an order placed at 23:59
 * can still be paid (15 minutes), and a transaction may commit a moment after its timestamp.
 */
import type { Db } from '../db/connect.js';
import { inTransaction } from '../db/dialect.js';
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
  return { fromDay: days > 0 ? fromDay : null, throughDay: watermark, days };
}

async function rollupDays(trx: Trx, db: Db, fromDay: number, toDay: number, now: number): Promise<void> {
  const fromMs = repo.dayStartMs(fromDay);
  const toMs = repo.dayStartMs(toDay + 1);
  for (const table of ['report_ledger_day', 'report_lot_day', 'report_order_day', 'report_campaign_day'] as const) {
    await repo.deleteSummaryDays(trx, table, fromDay, toDay);
  }
  await repo.insertSummaryFrom(trx, 'report_ledger_day', repo.ledgerDaySelect(trx, db.dialect, fromMs, toMs));
  await repo.insertSummaryFrom(trx, 'report_lot_day', repo.lotDaySelect(trx, db.dialect, fromMs, toMs));
  await repo.insertSummaryFrom(trx, 'report_order_day', repo.orderDaySelect(trx, db.dialect, fromMs, toMs));
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

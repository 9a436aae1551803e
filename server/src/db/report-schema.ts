/**
 * Row types of the tables migration 0005 adds: the daily report summaries kept by the rollup job,
 * its watermark, NPS answers, and the legacy member import (mapping and runs). `Database` extends
 * this interface, so every repository sees them as ordinary tables.
 *
 * `day` columns are China calendar day numbers: floor((epoch ms + 8 h) / 1 day), the same number
 * `chinaDaySql` computes in SQL; 0 in a brand or store column means "none" (a grant, an adjustment,
 * an entry without an order).
 */

/** Ledger entries per China day, program, the brand and store of the entry's order, and kind. */
export interface ReportLedgerDayTable {
  day: number;
  program_id: number;
  brand_id: number;
  store_id: number;
  /** The entry kind; `adjust` and `reverse` carry their sign: `adjust+`, `adjust-`, `reverse+`, `reverse-`. */
  kind: string;
  points: number;
  pending_delta: number;
  held_delta: number;
  growth_delta: number;
  entries: number;
}

/**
 * Points in lots per China day by the brand and store that issued them (the order of the lot's
 * source entry): `issue` (a lot created), `spend` (spent, held or given back — net), `expire`,
 * `reverse` (taken back by a refund), `debt` (a credit that repaid a negative balance). For `spend`
 * rows, `spender_brand_id` is the brand of the order the points paid for (0 otherwise).
 */
export interface ReportLotDayTable {
  day: number;
  program_id: number;
  brand_id: number;
  store_id: number;
  spender_brand_id: number;
  kind: string;
  points: number;
}

/** Paid orders per China day (of placed_at), program, brand and store. */
export interface ReportOrderDayTable {
  day: number;
  program_id: number;
  brand_id: number;
  store_id: number;
  orders: number;
  amount_fen: number;
  payer_fen: number;
  points_paid: number;
  /** Of `orders` and `amount_fen`: those of identified members (the members report). */
  member_orders: number;
  member_amount_fen: number;
}

/** Campaign points per China day, read from the rules trace of earn entries. */
export interface ReportCampaignDayTable {
  day: number;
  program_id: number;
  campaign_id: string;
  brand_id: number;
  store_id: number;
  points: number;
  orders: number;
}

/** The last China day the rollup has summarised (days after it are read live from the ledger). */
export interface ReportRollupTable {
  name: string;
  through_day: number;
  updated_at: number;
  /**
   * 0007: the open day after `through_day` is summarised up to this instant too (a multiple of 15
   * minutes), in rows keyed `day` = −(partial_until / 60 000); null when it is not.
   */
  partial_until: number | null;
}

/** A member's 0–10 answer to "would you recommend us?", after a purchase or on its own. */
export interface NpsResponseTable {
  id: number;
  member_id: number;
  order_id: number | null;
  brand_id: number;
  store_id: number;
  score: number;
  comment: string | null;
  /** `<member>:order:<order>` or `<member>:day:<YYYY-MM-DD>`: one answer each. */
  answer_key: string;
  created_at: number;
}

/** Which member a legacy record became: the import is idempotent by external id. */
export interface MemberImportTable {
  external_id: string;
  member_id: number;
  phone_hash: string;
  program_id: number;
  opening_balance: number;
  run_id: number;
  created_at: number;
}

/** One import run (dry or real), with its progress while it runs. */
export interface ImportRunTable {
  id: number;
  actor: string;
  dry_run: number;
  /** 'running' | 'done' | 'failed' */
  status: string;
  /** Data rows read so far (the header is not one). */
  rows_done: number;
  bad: number;
  created: number;
  linked: number;
  unchanged: number;
  points: number;
  /** JSON: the first bad rows ({ line, reason }), for the progress view; the run's answer has them all. */
  first_errors: string;
  request_id: string | null;
  started_at: number;
  updated_at: number;
  finished_at: number | null;
}

/** 0007: tier moves per China day, program and (from, to); `from_code` '' for a first tier. */
export interface ReportTierDayTable {
  day: number;
  program_id: number;
  from_code: string;
  to_code: string;
  members: number;
}

/** 0007: a day on which the member earned, spent, held or exchanged points (churn warnings). */
export interface ReportMemberActiveDayTable {
  member_id: number;
  day: number;
}

export interface ReportTables {
  report_ledger_day: ReportLedgerDayTable;
  report_lot_day: ReportLotDayTable;
  report_order_day: ReportOrderDayTable;
  report_campaign_day: ReportCampaignDayTable;
  report_rollup: ReportRollupTable;
  report_tier_day: ReportTierDayTable;
  report_member_active_day: ReportMemberActiveDayTable;
  nps_response: NpsResponseTable;
  member_import: MemberImportTable;
  import_run: ImportRunTable;
}

/** Contracts of the HQ reports, the legacy member import, the member NPS answer and HQ privacy requests. */
import { z } from 'zod';
import { ReasonSchema } from './hq.js';

/** A China calendar date `YYYY-MM-DD` that exists. */
const ReportDateSchema = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be YYYY-MM-DD')
  .refine((s) => {
    const d = new Date(`${s}T00:00:00Z`);
    return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
  }, 'not a calendar date');

export const REPORT_NAMES = ['liability', 'inflation', 'flows', 'members', 'rfm', 'campaigns', 'nps'] as const;
export type ReportName = (typeof REPORT_NAMES)[number];

/**
 * `GET /api/admin/reports/<name>`: a China date range (inclusive; default the last 30 days), brand,
 * store and program codes, JSON or CSV (one table of the report: `table`, else its main one).
 */
export const ReportQuery = z.object({
  from: ReportDateSchema.optional(),
  to: ReportDateSchema.optional(),
  program: z.string().trim().min(1).max(32).optional(),
  brand: z.string().trim().min(1).max(32).optional(),
  store: z.string().trim().min(1).max(32).optional(),
  format: z.enum(['json', 'csv']).default('json'),
  granularity: z.enum(['day', 'month']).optional(),
  table: z
    .string()
    .regex(/^[a-z_]{1,32}$/)
    .optional(),
  /** RFM member list (JSON): page size and the last member id of the previous page. */
  limit: z.coerce.number().int().min(1).max(1000).optional(),
  after: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER).optional(),
});
export type ReportQuery = z.infer<typeof ReportQuery>;

/** `POST /api/member/nps`: "how likely are you to recommend us?" 0–10, after a purchase or on its own. */
export const NpsRequest = z.object({
  orderId: z.number().int().positive().max(Number.MAX_SAFE_INTEGER).optional(),
  score: z.number().int().min(0).max(10),
  comment: z.string().trim().max(500).optional(),
});
export type NpsRequest = z.infer<typeof NpsRequest>;

export interface NpsResponse {
  id: number;
  score: number;
  orderId: number | null;
  /** True when this answer had already been given (the same order, or the same day without one). */
  replayed: boolean;
}

/**
 * `GET /api/member/nps/pending`: the member's latest purchase of the last NPS_ASK_DAYS days not yet
 * rated, wherever it was paid (in the mini-program, or at a till that scanned the member code), for the
 * question on the member card. Null when there is none.
 */
export interface NpsPendingResponse {
  order: { orderId: number; storeName: string; placedAt: string; amountFen: number } | null;
}

/** How long after a purchase the member card still asks about it. */
export const NPS_ASK_DAYS = 7;

/** `POST /api/admin/imports?dryRun=true|false` (text/csv body); a dry run unless told otherwise. */
export const ImportQuery = z.object({
  dryRun: z.enum(['true', 'false']).default('true'),
});

export interface ImportRowError {
  /** Line of the file where the record starts (the header is line 1). */
  line: number;
  externalId: string | null;
  reason: string;
}

export interface ImportReport {
  runId: number;
  dryRun: boolean;
  status: 'done' | 'failed';
  rows: number;
  /** New members (a dry run: would be created). */
  created: number;
  /** Existing members (same phone) the record was linked to. */
  linked: number;
  /** Already imported by an earlier run: nothing changed. */
  unchanged: number;
  /** Opening-balance points credited (or to be credited) by this run. */
  points: number;
  bad: number;
  errors: ImportRowError[];
}

export interface ImportRunView {
  runId: number;
  actor: string;
  dryRun: boolean;
  status: string;
  rows: number;
  bad: number;
  created: number;
  linked: number;
  unchanged: number;
  points: number;
  firstErrors: ImportRowError[];
  startedAt: string;
  updatedAt: string;
  finishedAt: string | null;
}

/**
 * `POST /api/admin/members/:id/export` and `/erase`: a member's request, made to HQ (by phone, in a
 * store), for a copy of their data or its erasure; the reason names the request (a ticket number).
 */
export const PrivacyRequest = z.object({ reason: ReasonSchema });
export type PrivacyRequest = z.infer<typeof PrivacyRequest>;

export interface ErasureResponse {
  memberId: number;
  /** False when the member had already been erased (nothing changed). */
  erased: boolean;
}

/**
 * Row types of every table, as Kysely sees them. Times are epoch milliseconds (BIGINT) on both
 * dialects: one representation, no driver-specific Date handling, and index-friendly comparisons.
 * JSON columns are TEXT serialised by the application (MySQL and SQLite disagree on JSON binding).
 */
export interface ProgramTable {
  id: number;
  code: string;
  name: string;
  /** Value of 100 points in fen (100 → "100 points = ￥1"). */
  point_value_fen: number;
  expiry_policy: string;
  return_window_days: number;
  tier_set: string;
  is_default: number;
  created_at: number;
}

export interface BrandTable {
  id: number;
  code: string;
  name: string;
  program_id: number;
  created_at: number;
}

export interface StoreTable {
  id: number;
  code: string;
  name: string;
  brand_id: number;
  address: string;
  created_at: number;
}

export interface TerminalTable {
  id: number;
  store_id: number;
  name: string;
  token_hash: string;
  revoked_at: number | null;
  created_at: number;
}

export interface StaffTable {
  id: number;
  username: string;
  password_hash: string;
  role: string;
  store_id: number | null;
  failed_attempts: number;
  locked_until: number | null;
  created_at: number;
}

export interface StaffSessionTable {
  token_hash: string;
  staff_id: number;
  expires_at: number;
  created_at: number;
}

export interface MemberTable {
  id: number;
  openid: string | null;
  unionid: string | null;
  phone_enc: string | null;
  phone_hash: string | null;
  name: string | null;
  /** 'MM-DD' (the year is not needed for birthday rules and is not collected). */
  birthday: string | null;
  consent_version: string | null;
  referral_code: string;
  referred_by: number | null;
  status: string;
  created_at: number;
}

export interface AccountTable {
  id: number;
  member_id: number;
  program_id: number;
  available: number;
  pending: number;
  held: number;
  lifetime_earned: number;
  growth: number;
  tier_code: string;
  tier_since: number;
  tier_warned_at: number | null;
  entry_seq: number;
  updated_at: number;
}

export interface LedgerEntryTable {
  account_id: number;
  entry_seq: number;
  id: number;
  /** SHA-256 of (source, key): 32 raw bytes, half the index of its hex form. */
  idem_hash: Buffer;
  input_hash: Buffer;
  kind: string;
  /** Change to available points (signed). */
  points: number;
  pending_delta: number;
  held_delta: number;
  growth_delta: number;
  available_after: number;
  pending_after: number;
  held_after: number;
  lot_id: number | null;
  ref_entry_id: number | null;
  order_ref: string | null;
  reason: string;
  trace: string | null;
  actor: string | null;
  created_at: number;
}

export interface LotTable {
  id: number;
  account_id: number;
  source_entry_id: number;
  original: number;
  remaining: number;
  /** 'pending' until the return window passes, then 'available'. */
  status: string;
  earned_at: number;
  release_at: number | null;
  expires_at: number | null;
  /** Sort key for "oldest first": expires_at, or a far-future value for points that never expire. */
  spend_order: number;
}

export interface LotMovementTable {
  id: number;
  account_id: number;
  lot_id: number;
  entry_id: number;
  /** spend | hold | expire | reverse | restore | debt | excused */
  kind: string;
  /** Signed change to the lot's remaining points; 0 for 'excused' (a record, not a movement). */
  points: number;
  /** For 'excused': expired points a reversal did not charge again. */
  excused: number;
}

export interface HoldTable {
  id: number;
  account_id: number;
  points: number;
  status: string;
  hold_entry_id: number;
  settle_entry_id: number | null;
  created_at: number;
}

export interface RuleSetTable {
  id: number;
  program_id: number;
  /** 0 for the program-wide rule set; a brand id for a brand's own rules. */
  brand_id: number;
  version: number;
  rules: string;
  status: string;
  effective_from: number;
  created_at: number;
  created_by: string | null;
}

export interface TierHistoryTable {
  id: number;
  account_id: number;
  from_code: string | null;
  to_code: string;
  reason: string;
  created_at: number;
}

export interface AuditLogTable {
  id: number;
  actor: string;
  action: string;
  target: string;
  before_state: string | null;
  after_state: string | null;
  ip: string | null;
  request_id: string | null;
  created_at: number;
}

export interface ExchangeRateTable {
  from_program_id: number;
  to_program_id: number;
  /** `from_points` of the source program buy `to_points` of the target program (rounded down). */
  from_points: number;
  to_points: number;
  enabled: number;
  updated_at: number;
}

export interface JobLeaseTable {
  name: string;
  owner: string;
  lease_until: number;
  fence: number;
}

export interface Database {
  program: ProgramTable;
  brand: BrandTable;
  store: StoreTable;
  terminal: TerminalTable;
  staff: StaffTable;
  staff_session: StaffSessionTable;
  member: MemberTable;
  account: AccountTable;
  ledger_entry: LedgerEntryTable;
  lot: LotTable;
  lot_movement: LotMovementTable;
  hold: HoldTable;
  rule_set: RuleSetTable;
  tier_history: TierHistoryTable;
  audit_log: AuditLogTable;
  job_lease: JobLeaseTable;
  exchange_rate: ExchangeRateTable;
}

/**
 * Row types of every table, as Kysely sees them. Times are epoch milliseconds (BIGINT) on both
 * dialects: one representation, no driver-specific Date handling, and index-friendly comparisons.
 * JSON columns are TEXT serialised by the application (MySQL and SQLite disagree on JSON binding).
 */
import type { ColumnType } from 'kysely';
import type { ReportTables } from './report-schema.js';

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

export interface PayOrderTable {
  id: number;
  out_trade_no: string;
  client_order_id: string | null;
  /** 'pos' | 'miniprogram' */
  channel: string;
  terminal_id: number | null;
  store_id: number;
  brand_id: number;
  program_id: number;
  member_id: number | null;
  /** 'wechat_native' | 'wechat_jsapi' | 'wechat_code' | 'cash' */
  payment_method: string;
  /** 'pending' | 'paid' | 'closed' | 'refunded' | 'partially_refunded' */
  status: string;
  description: string;
  /** JSON: the order lines as the rules engine reads them. */
  lines: string;
  amount_fen: number;
  points_paid: number;
  points_paid_fen: number;
  /** What WeChat (or the cash drawer) is asked for: amount − the part paid with points. */
  payable_fen: number;
  hold_id: number | null;
  /** The rule set in force when the order was placed: settlement uses exactly this version. */
  rule_set_id: number | null;
  code_url: string | null;
  prepay_id: string | null;
  transaction_id: string | null;
  payer_openid: string | null;
  payer_total_fen: number | null;
  coupon_fen: number;
  earn_entry_id: number | null;
  points_earned: number;
  refunded_fen: number;
  /** Set by reconciliation when WeChat and Jifen disagree. */
  flag: string | null;
  placed_at: number;
  expires_at: number;
  paid_at: number | null;
  updated_at: number;
}

export interface RefundTable {
  id: number;
  out_refund_no: string;
  order_id: number;
  /** Value of the goods refunded (part of amount_fen). */
  amount_fen: number;
  /** The cash part sent back through WeChat (or the drawer). */
  wechat_fen: number;
  /** Points paid with that go back to the member. */
  points_returned: number;
  /** Points earned on the order that are taken back. */
  points_reversed: number;
  /** 'processing' | 'success' | 'closed' | 'abnormal' */
  status: string;
  reason: string;
  lines: string | null;
  requested_by: string;
  wechat_refund_id: string | null;
  created_at: number;
  settled_at: number | null;
}

export interface OutboxTable {
  id: number;
  dedupe_key: string;
  kind: string;
  payload: string;
  /** 'pending' | 'sent' | 'gave_up' */
  status: string;
  attempts: number;
  next_attempt_at: number;
  last_error: string | null;
  created_at: number;
  done_at: number | null;
}

/** A mini-program session: the token is stored only as its SHA-256, so a database reader cannot use it. */
export interface MemberSessionTable {
  token_hash: string;
  openid: string;
  unionid: string | null;
  /** Set once the WeChat user is (or becomes) a member. */
  member_id: number | null;
  expires_at: number;
  created_at: number;
}

/** A batch of product codes (一物一码): the codes themselves are signed, not stored. */
export interface ProductCodeBatchTable {
  id: number;
  program_id: number;
  sku: string;
  name: string;
  /** Points one code of this batch credits. */
  points: number;
  /** Serials 0 … code_count − 1 are valid. */
  code_count: number;
  /** 'active' | 'void' */
  status: string;
  expires_at: number;
  created_by: string | null;
  created_at: number;
}

/** One claimed code: `code_ref` is unique, so a code is claimed once whoever tries. */
export interface MemberClaimTable {
  id: number;
  member_id: number;
  /** 'receipt' | 'product' */
  kind: string;
  /** 'receipt:<order id>' or 'product:<batch id>:<serial>'. */
  code_ref: string;
  order_id: number | null;
  batch_id: number | null;
  points: number;
  entry_id: number | null;
  claimed_at: number;
}

/** Fixed-window counters (rate limits) shared by every server process. */
export interface RateLimitTable {
  bucket: string;
  window_start: number;
  hits: number;
}

export interface RewardTable {
  id: number;
  program_id: number;
  name: string;
  description: string;
  points_cost: number;
  /** null: unlimited. */
  stock: number | null;
  per_member_limit: number | null;
  /** JSON array of tier codes that may redeem it; [] for everyone. */
  tiers: string;
  active: number;
  sort_order: number;
  created_at: number;
  updated_at: number;
}

export interface VoucherTable {
  id: number;
  code: string;
  reward_id: number;
  member_id: number;
  program_id: number;
  /** SHA-256 of (member, idempotency key): a replayed redemption finds its voucher. */
  idem_hash: string;
  points: number;
  debit_entry_id: number;
  /** 'active' | 'used' (expiry is read from expires_at) */
  status: string;
  expires_at: number;
  used_at: number | null;
  /** 'terminal:<id>' that took it. */
  used_by: string | null;
  created_at: number;
}

/** What requestSubscribeMessage answered, counted per member and kind. */
export interface MemberSubscriptionTable {
  member_id: number;
  kind: string;
  accepted: number;
  rejected: number;
  updated_at: number;
}

/**
 * Columns 0003 added to pay_order. Write-only in the row type (never in `Selectable`), so OrderRow
 * literals written before them need not name them; `SELECT *` still returns them, and presentOrder
 * reads them as optional fields.
 */
export interface PayOrderCodeColumns {
  /** JFR1.…: set at settlement of a POS sale paid without a member. */
  receipt_code: ColumnType<never, string | null | undefined, string | null>;
  /** JFO1.…: set when a wechat_jsapi order is created, the QR the kiosk shows. */
  order_code: ColumnType<never, string | null | undefined, string | null>;
}

/**
 * Columns 0004 added to existing tables (HQ admin). Kept out of the original row types, so row
 * literals written before them need not name them: `frozen_at` is write-only in the type (SELECT *
 * returns it; the ledger reads it from the row it locks), the others are optional on insert.
 */
export interface StaffHqColumns {
  /** scrypt hash of a cashier's 4–8 digit PIN (the till), or null. */
  pin_hash: ColumnType<string | null, string | null | undefined, string | null>;
  deactivated_at: ColumnType<number | null, number | null | undefined, number | null>;
  password_changed_at: ColumnType<number | null, number | null | undefined, number | null>;
}

export interface AccountFreezeColumns {
  /** Set while the account is frozen (fraud): debits and earning are refused with ACCOUNT_FROZEN. */
  frozen_at: ColumnType<never, number | null | undefined, number | null>;
}

export interface ProgramHqColumns {
  /** Most of an order (percent) that may be paid with points. */
  max_points_share_percent: ColumnType<number, number | undefined, number>;
}

/** A draft of one configuration object; published drafts are its immutable version history. */
export interface ConfigDraftTable {
  id: number;
  /** 'program' | 'brand' | 'store' | 'tiers' | 'exchange_rate' | 'rules' */
  kind: string;
  /** The object's code ('JIFEN', 'S001', 'JIFEN>SPORT', 'JIFEN/TEA' for a brand's rules). */
  target: string;
  /** 'draft' | 'published' | 'discarded' */
  status: string;
  base_version: number;
  version: number | null;
  /** JSON: the object as the draft would make it. */
  body: string;
  created_by: string;
  created_at: number;
  updated_at: number;
  published_by: string | null;
  published_at: number | null;
  effective_from: number | null;
  /** For rules: the rule_set row the draft became. */
  published_ref: number | null;
}

/** A manual adjustment above the approval threshold, waiting for a second staff member. */
export interface AdjustmentRequestTable {
  id: number;
  member_id: number;
  program_code: string | null;
  points: number;
  reason: string;
  idempotency_key: string;
  /** SHA-256 (hex) of the request's inputs: the same key with other inputs is a conflict. */
  input_hash: string;
  /** 'pending' | 'approved' | 'rejected' */
  status: string;
  requested_by_id: number;
  requested_by: string;
  requested_at: number;
  decided_by: string | null;
  decided_at: number | null;
  decision_reason: string | null;
  entry_id: number | null;
}

/** A member merged into another: the source's status is 'merged'. */
export interface MemberMergeTable {
  source_member_id: number;
  target_member_id: number;
  reason: string;
  actor: string;
  created_at: number;
}

/** A product of a brand's catalogue (migration 0006): every store of the brand sells it unless overridden. */
export interface ProductTable {
  id: number;
  brand_id: number;
  sku: string;
  barcode: string | null;
  name: string;
  /** Pinyin initials for the till's search (鲜榨橙汁 → xzcz), supplied with the catalogue. */
  initials: string;
  category: string | null;
  unit: string | null;
  price_fen: number;
  /** Position among the till's quick keys, or null. */
  quick_key: number | null;
  active: number;
  created_at: number;
  updated_at: number;
}

/** One store's own price (null: the brand's) and availability of a product. */
export interface StoreProductTable {
  store_id: number;
  product_id: number;
  price_fen: number | null;
  available: number;
  updated_at: number;
}

/** A cashier's shift at one till, from the PIN sign-in to the Z-report. */
export interface PosShiftTable {
  id: string;
  terminal_id: number;
  store_id: number;
  staff_id: number;
  /** `<terminal>:<staff>` while open (unique: one open shift per cashier per till), null once closed. */
  open_key: string | null;
  opened_at: number;
  opening_float_fen: number;
  closed_at: number | null;
  counted_cash_fen: number | null;
}

/** Columns 0006 added to pay_order and refund; optional on insert, so older row literals stay valid. */
export interface PayOrderPosColumns {
  shift_id: ColumnType<string | null, string | null | undefined, string | null>;
  /** 1: an offline sale, placed_at is the till's clock. */
  device_time: ColumnType<number, number | undefined, number>;
}

export interface RefundPosColumns {
  shift_id: ColumnType<string | null, string | null | undefined, string | null>;
}

/** Migration 0005's tables (reports, NPS, imports) are typed in report-schema.ts. */
export interface Database extends ReportTables {
  program: ProgramTable & ProgramHqColumns;
  brand: BrandTable;
  store: StoreTable;
  terminal: TerminalTable;
  staff: StaffTable & StaffHqColumns;
  staff_session: StaffSessionTable;
  member: MemberTable;
  account: AccountTable & AccountFreezeColumns;
  ledger_entry: LedgerEntryTable;
  lot: LotTable;
  lot_movement: LotMovementTable;
  hold: HoldTable;
  rule_set: RuleSetTable;
  tier_history: TierHistoryTable;
  audit_log: AuditLogTable;
  job_lease: JobLeaseTable;
  exchange_rate: ExchangeRateTable;
  pay_order: PayOrderTable & PayOrderCodeColumns & PayOrderPosColumns;
  refund: RefundTable & RefundPosColumns;
  outbox: OutboxTable;
  member_session: MemberSessionTable;
  product_code_batch: ProductCodeBatchTable;
  member_claim: MemberClaimTable;
  rate_limit: RateLimitTable;
  reward: RewardTable;
  voucher: VoucherTable;
  member_subscription: MemberSubscriptionTable;
  config_draft: ConfigDraftTable;
  adjustment_request: AdjustmentRequestTable;
  member_merge: MemberMergeTable;
  product: ProductTable;
  store_product: StoreProductTable;
  pos_shift: PosShiftTable;
}

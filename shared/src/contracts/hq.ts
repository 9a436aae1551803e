/**
 * Contracts of the HQ admin API beyond the fixed few in admin.ts: staff and roles, versioned
 * configuration (drafts → publish), rule drafts and back-tests, rewards, product-code batches,
 * member service and the audit log. The server validates every write with these schemas (a 400
 * names the first failing field) and the OpenAPI document is generated from them.
 */
import { z } from 'zod';
import { ExpiryPolicySchema } from '../domain/expiry.js';
import { RuleSetSchema } from '../domain/rules/schema.js';
import { TierSetSchema } from '../domain/tiers.js';
import { IsoInstantSchema } from '../domain/time.js';
import { PhoneSchema, StaffRoleSchema } from './admin.js';

/** A program, brand or store code: what receipts, rule sets and scripts use. */
export const OrgCodeSchema = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9_-]{1,32}$/, 'letters, digits, _ and - (1 to 32)');
const DisplayName = z.string().trim().min(1).max(64);
/** Why a staff member did something: kept in the audit log. */
export const ReasonSchema = z.string().trim().min(2, 'a reason is required').max(200);

/** A China calendar date, YYYY-MM-DD. */
export const ChinaDateSchema = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be YYYY-MM-DD')
  .refine((s) => {
    const d = new Date(`${s}T00:00:00Z`);
    return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
  }, 'not a calendar date');

const BooleanQuery = z.enum(['true', 'false']).transform((v) => v === 'true');
const LimitQuery = z.coerce.number().int().min(1).max(500).default(50);

// ── Staff and sessions ──────────────────────────────────────────────────────────────────────────

export const ChangePasswordRequest = z
  .object({
    currentPassword: z.string().min(1).max(256),
    newPassword: z.string().min(10, 'must be at least 10 characters').max(256),
  })
  .refine((b) => b.newPassword !== b.currentPassword, { message: 'must differ from the current password', path: ['newPassword'] });
export type ChangePasswordRequest = z.infer<typeof ChangePasswordRequest>;

export const ChangeStaffRoleRequest = z.object({
  role: StaffRoleSchema,
  /** The store of a store_manager or cashier; null clears it (HQ roles have none). */
  storeCode: OrgCodeSchema.nullable().optional(),
});
export type ChangeStaffRoleRequest = z.infer<typeof ChangeStaffRoleRequest>;

export const SetPinRequest = z.object({ pin: z.string().regex(/^\d{4,8}$/, 'must be 4 to 8 digits') });
export type SetPinRequest = z.infer<typeof SetPinRequest>;

export const StaffListQuery = z.object({
  storeCode: OrgCodeSchema.optional(),
  role: StaffRoleSchema.optional(),
  includeInactive: BooleanQuery.optional(),
});
export type StaffListQuery = z.infer<typeof StaffListQuery>;

export interface StaffView {
  id: number;
  username: string;
  role: string;
  storeCode: string | null;
  active: boolean;
  locked: boolean;
  hasPin: boolean;
  createdAt: string;
}

export interface MeView {
  id: number;
  username: string;
  role: string;
  storeCode: string | null;
  permissions: string[];
}

// ── Terminals ───────────────────────────────────────────────────────────────────────────────────

export const TerminalListQuery = z.object({
  storeCode: OrgCodeSchema.optional(),
  includeRevoked: BooleanQuery.optional(),
});
export type TerminalListQuery = z.infer<typeof TerminalListQuery>;

export interface TerminalView {
  terminalId: number;
  storeCode: string;
  name: string;
  revokedAt: string | null;
  createdAt: string;
}

// ── Versioned configuration: drafts → publish ───────────────────────────────────────────────────

export const ProgramConfigBody = z.strictObject({
  name: DisplayName,
  /** Value of 100 points in fen (100 → "100 points = ￥1"). */
  pointValueFen: z.int().min(1).max(100_000),
  expiryPolicy: ExpiryPolicySchema,
  /** Days purchase points stay pending (the return window). */
  returnWindowDays: z.int().min(0).max(365),
  /** Most of an order (percent) that may be paid with points. */
  maxPointsSharePercent: z.int().min(0).max(100),
  /** The program new members join. Only on creation or to move the default here. */
  isDefault: z.boolean().optional(),
  /** Only when the program is created (later changes are `tiers` drafts); the usual four tiers when absent. */
  tiers: TierSetSchema.optional(),
});
export const BrandConfigBody = z.strictObject({ name: DisplayName, programCode: OrgCodeSchema });
export const StoreConfigBody = z.strictObject({
  name: DisplayName,
  brandCode: OrgCodeSchema,
  address: z.string().trim().max(255).default(''),
});
export const ExchangeRateConfigBody = z.strictObject({
  /** `fromPoints` of the source program buy `toPoints` of the target (rounded down). */
  fromPoints: z.int().min(1).max(1_000_000),
  toPoints: z.int().min(1).max(1_000_000),
  enabled: z.boolean(),
});
/** `FROM>TO`: program codes of an exchange rate. */
export const ExchangeRateTargetSchema = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9_-]{1,32}>[A-Za-z0-9_-]{1,32}$/, 'must be FROM>TO (two program codes)')
  .refine((s) => s.split('>')[0] !== s.split('>')[1], 'the two programs must differ');

export const ConfigKindSchema = z.enum(['program', 'brand', 'store', 'tiers', 'exchange_rate']);
export type ConfigKind = z.infer<typeof ConfigKindSchema>;

/** The body schema of each configuration kind (a draft's body is validated again when it is edited). */
export const CONFIG_BODY_SCHEMAS = {
  program: ProgramConfigBody,
  brand: BrandConfigBody,
  store: StoreConfigBody,
  tiers: TierSetSchema,
  exchange_rate: ExchangeRateConfigBody,
} as const;

export const CreateConfigDraftRequest = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('program'), target: OrgCodeSchema, body: ProgramConfigBody }),
  z.object({ kind: z.literal('brand'), target: OrgCodeSchema, body: BrandConfigBody }),
  z.object({ kind: z.literal('store'), target: OrgCodeSchema, body: StoreConfigBody }),
  /** target: the program code whose tier set this replaces. */
  z.object({ kind: z.literal('tiers'), target: OrgCodeSchema, body: TierSetSchema }),
  z.object({ kind: z.literal('exchange_rate'), target: ExchangeRateTargetSchema, body: ExchangeRateConfigBody }),
]);
export type CreateConfigDraftRequest = z.infer<typeof CreateConfigDraftRequest>;

/** Replaces a draft's body; validated with its kind's schema. */
export const UpdateDraftRequest = z.object({ body: z.unknown() });

export const DraftListQuery = z.object({
  kind: z.union([ConfigKindSchema, z.literal('rules')]).optional(),
  status: z.enum(['draft', 'published', 'discarded']).optional(),
  target: z.string().trim().min(1).max(64).optional(),
});
export type DraftListQuery = z.infer<typeof DraftListQuery>;

export interface DraftView {
  id: number;
  kind: ConfigKind | 'rules';
  target: string;
  status: 'draft' | 'published' | 'discarded';
  /** The published version the draft was based on (0: none yet). */
  baseVersion: number;
  /** The version it became when published. */
  version: number | null;
  body: unknown;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
  publishedBy: string | null;
  publishedAt: string | null;
  effectiveFrom: string | null;
}

export const ConfigVersionsQuery = z.object({
  kind: ConfigKindSchema,
  target: z.string().trim().min(1).max(64),
});

// ── Earning rules: drafts, publish, back-test ───────────────────────────────────────────────────

export const CreateRuleDraftRequest = z.object({
  programCode: OrgCodeSchema,
  /** A brand's own rules; the program-wide set when absent. */
  brandCode: OrgCodeSchema.optional(),
  rules: RuleSetSchema,
});
export type CreateRuleDraftRequest = z.infer<typeof CreateRuleDraftRequest>;

export const UpdateRuleDraftRequest = z.object({ rules: RuleSetSchema });

export const PublishRulesRequest = z.object({
  /** When the new version takes over (default: now); never in the past. */
  effectiveFrom: IsoInstantSchema.optional(),
});

export const RuleVersionsQuery = z.object({
  programCode: OrgCodeSchema.optional(),
  brandCode: OrgCodeSchema.optional(),
});

export const BacktestRequest = z
  .object({
    /** First and last China dates replayed (inclusive), at most 93 days. */
    from: ChinaDateSchema,
    to: ChinaDateSchema,
    brandCode: OrgCodeSchema.optional(),
  })
  .refine((b) => b.from <= b.to, { message: 'must not be before from', path: ['to'] })
  .refine((b) => Date.parse(`${b.to}T00:00:00Z`) - Date.parse(`${b.from}T00:00:00Z`) <= 92 * 86_400_000, {
    message: 'at most 93 days',
    path: ['to'],
  });
export type BacktestRequest = z.infer<typeof BacktestRequest>;

export interface BacktestFigures {
  orders: number;
  /** What the orders actually earned when they settled. */
  issuedPoints: number;
  /** Replayed under the rule set each order settled with (same approximations as the draft column). */
  currentPoints: number;
  draftPoints: number;
  deltaPoints: number;
  currentCostFen: number;
  draftCostFen: number;
  deltaCostFen: number;
}

export interface BacktestRow extends BacktestFigures {
  date: string;
  brandCode: string;
}

export interface BacktestReport {
  draftId: number;
  scope: { programCode: string; brandCode: string | null };
  from: string;
  to: string;
  pointValueFen: number;
  rows: BacktestRow[];
  totals: BacktestFigures;
  approximations: string[];
}

// ── Rewards ─────────────────────────────────────────────────────────────────────────────────────

export const CreateRewardRequest = z.object({
  programCode: OrgCodeSchema.optional(),
  name: z.string().trim().min(1).max(64),
  description: z.string().trim().max(255).optional(),
  pointsCost: z.int().min(1).max(100_000_000),
  /** null or absent: unlimited. */
  stock: z.int().min(0).max(100_000_000).nullable().optional(),
  perMemberLimit: z.int().min(1).max(10_000).nullable().optional(),
  /** Tier codes that may redeem it; empty or absent: everyone. */
  tiers: z.array(z.string().min(1).max(32)).max(5).optional(),
  active: z.boolean().optional(),
  sortOrder: z.int().min(0).max(10_000).optional(),
});
export type CreateRewardRequest = z.infer<typeof CreateRewardRequest>;

export const UpdateRewardRequest = z
  .object({
    name: z.string().trim().min(1).max(64).optional(),
    description: z.string().trim().max(255).optional(),
    pointsCost: z.int().min(1).max(100_000_000).optional(),
    /** Sets the stock (null: unlimited). Use addStock for a delivery while members redeem. */
    stock: z.int().min(0).max(100_000_000).nullable().optional(),
    /** Adds (or with a negative number removes) items, atomically with redemptions. */
    addStock: z
      .int()
      .min(-100_000_000)
      .max(100_000_000)
      .refine((n) => n !== 0, 'must not be zero')
      .optional(),
    perMemberLimit: z.int().min(1).max(10_000).nullable().optional(),
    tiers: z.array(z.string().min(1).max(32)).max(5).optional(),
    sortOrder: z.int().min(0).max(10_000).optional(),
  })
  .refine((b) => !(b.stock !== undefined && b.addStock !== undefined), { message: 'give stock or addStock, not both', path: ['addStock'] })
  .refine((b) => Object.values(b).some((v) => v !== undefined), { message: 'nothing to change', path: ['name'] });
export type UpdateRewardRequest = z.infer<typeof UpdateRewardRequest>;

export const RewardListQuery = z.object({ programCode: OrgCodeSchema.optional(), includeInactive: BooleanQuery.optional() });

export interface AdminRewardView {
  id: number;
  programCode: string;
  name: string;
  description: string;
  pointsCost: number;
  stock: number | null;
  perMemberLimit: number | null;
  tiers: string[];
  active: boolean;
  sortOrder: number;
  issued: number;
  updatedAt: string;
}

// ── Product-code batches (一物一码) ──────────────────────────────────────────────────────────────

export const CreateCodeBatchRequest = z.object({
  sku: z.string().trim().min(1).max(64),
  name: z.string().trim().min(1).max(60),
  points: z.int().min(1).max(100_000),
  count: z.int().min(1).max(100_000),
  expiresAt: IsoInstantSchema,
  programCode: OrgCodeSchema.optional(),
});
export type CreateCodeBatchRequest = z.infer<typeof CreateCodeBatchRequest>;

export interface CodeBatchView {
  batchId: number;
  programCode: string;
  sku: string;
  name: string;
  points: number;
  count: number;
  claimed: number;
  status: 'active' | 'void';
  expiresAt: string;
  createdBy: string | null;
  createdAt: string;
}

// ── Member service ──────────────────────────────────────────────────────────────────────────────

export const MemberSearchQuery = z
  .object({
    phone: PhoneSchema.optional(),
    id: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER).optional(),
    openid: z.string().trim().min(1).max(128).optional(),
  })
  .refine((q) => [q.phone, q.id, q.openid].filter((v) => v !== undefined).length === 1, {
    message: 'give exactly one of phone, id, openid',
    path: ['phone'],
  });
export type MemberSearchQuery = z.infer<typeof MemberSearchQuery>;

export interface MemberSummary {
  id: number;
  phone: string | null;
  name: string | null;
  status: string;
  tier: { code: string; name: string };
  balance: number;
  createdAt: string;
}

export const RevealRequest = z.object({ reason: ReasonSchema });

export const FreezeRequest = z.object({
  reason: ReasonSchema,
  /** One program's account; every account of the member when absent. */
  programCode: OrgCodeSchema.optional(),
});
export type FreezeRequest = z.infer<typeof FreezeRequest>;

export const MergeRequest = z.object({
  /** The member who keeps the points; the member in the path is marked merged into it. */
  intoMemberId: z.int().positive().max(Number.MAX_SAFE_INTEGER),
  reason: ReasonSchema,
});
export type MergeRequest = z.infer<typeof MergeRequest>;

export interface MergeResult {
  sourceId: number;
  targetId: number;
  moved: Array<{ programCode: string; points: number; outEntryId: number; inEntryId: number | null }>;
  /** Points still pending on the merged member: run the merge again after they are released. */
  pendingLeft: Array<{ programCode: string; points: number }>;
}

export const AdjustmentListQuery = z.object({
  status: z.enum(['pending', 'approved', 'rejected']).default('pending'),
  memberId: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER).optional(),
  limit: LimitQuery,
});

export const RejectAdjustmentRequest = z.object({ reason: ReasonSchema });

export interface PendingAdjustmentView {
  approvalId: number;
  memberId: number;
  programCode: string | null;
  points: number;
  reason: string;
  idempotencyKey: string;
  status: 'pending' | 'approved' | 'rejected';
  requestedBy: string;
  requestedAt: string;
  decidedBy: string | null;
  decidedAt: string | null;
  decisionReason: string | null;
  entryId: number | null;
}

export interface MemberPicture {
  member: {
    id: number;
    phone: string | null;
    name: string | null;
    birthday: string | null;
    openid: string | null;
    status: string;
    referralCode: string;
    createdAt: string;
    mergedInto: number | null;
    mergedFrom: number[];
  };
  accounts: Array<{
    accountId: number;
    programCode: string;
    programName: string;
    balance: number;
    pending: number;
    held: number;
    lifetimeEarned: number;
    growth: number;
    tier: { code: string; name: string };
    frozen: boolean;
    frozenAt: string | null;
  }>;
  ledger: Array<{
    entryId: number;
    programCode: string;
    kind: string;
    points: number;
    pendingDelta: number;
    balanceAfter: number;
    reason: string;
    orderRef: string | null;
    actor: string | null;
    createdAt: string;
  }>;
  orders: Array<{
    orderId: number;
    outTradeNo: string;
    status: string;
    storeCode: string;
    amountFen: number;
    pointsEarned: number;
    pointsPaid: number;
    refundedFen: number;
    placedAt: string;
  }>;
  tierHistory: Array<{ programCode: string; from: string | null; to: string; reason: string; at: string }>;
  vouchers: Array<{ id: number; rewardName: string; points: number; status: string; expiresAt: string; usedAt: string | null }>;
  claims: Array<{ kind: string; codeRef: string; points: number; claimedAt: string }>;
  adjustments: PendingAdjustmentView[];
}

// ── Audit log ───────────────────────────────────────────────────────────────────────────────────

export const AuditQuery = z.object({
  actor: z.string().trim().min(1).max(64).optional(),
  action: z.string().trim().min(1).max(64).optional(),
  target: z.string().trim().min(1).max(128).optional(),
  from: IsoInstantSchema.optional(),
  to: IsoInstantSchema.optional(),
  /** The `nextCursor` of the previous page. */
  cursor: z
    .string()
    .regex(/^\d+\.\d+$/, 'not a cursor from this API')
    .optional(),
  limit: LimitQuery,
});
export type AuditQuery = z.infer<typeof AuditQuery>;

export interface AuditEntryView {
  id: number;
  at: string;
  actor: string;
  action: string;
  target: string;
  before: unknown;
  after: unknown;
  ip: string | null;
  requestId: string | null;
}

// ── Payments ────────────────────────────────────────────────────────────────────────────────────

export const ReconcileRequest = z.object({ date: ChinaDateSchema });

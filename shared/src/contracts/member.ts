/**
 * Contracts of the member (mini-program) API. The server validates requests with these schemas and
 * the mini-program's services/ layer uses the same types, so both sides agree on every field.
 * Money is integer fen, points integer points, times ISO-8601 strings.
 */
import { z } from 'zod';
import { IdempotencyKeySchema } from './admin.js';

/** POST /api/member/session — the code from wx.login. */
export const MemberSessionRequest = z.object({ code: z.string().trim().min(1).max(128) });
export type MemberSessionRequest = z.infer<typeof MemberSessionRequest>;

/** POST /api/member/register — after the privacy consent and the getPhoneNumber button. */
export const RegisterRequest = z.object({
  /** The single-use code from <Button openType="getPhoneNumber">; the server exchanges it. */
  phoneCode: z.string().trim().min(1).max(128),
  /** The privacy policy version the shopper agreed to (recorded with the member). */
  consentVersion: z.string().trim().min(1).max(32),
  birthday: z
    .string()
    .regex(/^(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/, 'must be MM-DD')
    .optional(),
  nickname: z.string().trim().min(1).max(32).optional(),
  referralCode: z.string().trim().toUpperCase().length(8).optional(),
});
export type RegisterRequest = z.infer<typeof RegisterRequest>;

export interface TierView {
  code: string;
  name: string;
}

export interface MemberProfile {
  id: number;
  nickname: string | null;
  /** Masked (138****8000): the full number never leaves the server. */
  phone: string | null;
  birthday: string | null;
  referralCode: string;
  tier: TierView;
}

/** POST /api/member/register → 201. `linked`: the phone belonged to a member HQ imported, now joined to this WeChat user. */
export interface RegisterResponse {
  member: MemberProfile;
  linked: boolean;
}

export interface MemberSessionResponse {
  token: string;
  expiresAt: string;
  /** null until the shopper has registered. */
  member: MemberProfile | null;
}

/** GET /api/member/me */
export interface MemberMe extends MemberProfile {
  points: {
    balance: number;
    pending: number;
    /** Available points that expire within 30 days, and the first date among them. */
    expiringSoon: number;
    expiringSoonDate: string | null;
  };
  /** Tier progress, e.g. "再消费￥38.00升级黄金会员". */
  progress: { text: string; next: TierView | null; fenNeeded: number | null };
  growth: number;
}

/** GET /api/member/me/code — the member code the cashier scans: JFM1.…, valid 60 s, refresh every 30 s. */
export interface MemberCodeResponse {
  code: string;
  expiresAt: string;
  refreshAfterSeconds: number;
}

/** GET /api/member/me/history?cursor=&limit=&program= (program: a program code; the default program when absent). */
export const HistoryQuery = z.object({
  cursor: z.string().max(64).optional(),
  limit: z.coerce.number().int().min(1).max(50).default(20),
  program: z.string().min(1).max(32).optional(),
});

export interface HistoryEntry {
  id: number;
  kind: string;
  /** Signed change to the member's points (pending credits included). */
  points: number;
  /** True while the points are pending (the return window). */
  pending: boolean;
  /** Member-readable reason, e.g. "消费￥128.00，会员日双倍积分". */
  reason: string;
  createdAt: string;
  /** When these points become available (pending credits). */
  releaseAt: string | null;
  /** When these points expire (credits). */
  expiresAt: string | null;
}

export interface HistoryPage {
  entries: HistoryEntry[];
  nextCursor: string | null;
}

/** POST /api/member/claims — a receipt code (JFR1.…) printed for a sale with no member, or a product code. */
export const ClaimRequest = z.object({ code: z.string().trim().min(4).max(256) });
export type ClaimRequest = z.infer<typeof ClaimRequest>;

export interface ClaimResponse {
  kind: 'receipt' | 'product';
  pointsEarned: number;
  pending: boolean;
  balance: number;
  /** Member-readable, e.g. "扫码积分到账 +128（退货期后可用）". */
  message: string;
}

/** Error codes a claim can answer with (clients show a clear message for each). */
export const CLAIM_ERRORS = [
  'CODE_USED',
  'CODE_EXPIRED',
  'CODE_VOID',
  'CODE_UNKNOWN',
  'CODE_FORGED',
  'CLAIM_LIMIT_REACHED',
  'RATE_LIMITED',
] as const;

export interface RewardView {
  id: number;
  name: string;
  description: string;
  pointsCost: number;
  /** null: unlimited. */
  stock: number | null;
  perMemberLimit: number | null;
  /** Tier codes that may redeem it; empty: everyone. */
  tiers: string[];
  redeemedByMe: number;
  /** Whether this member can redeem it now, and if not, why (in Chinese). */
  available: boolean;
  unavailableReason: string | null;
}

/** GET /api/member/rewards */
export interface RewardsResponse {
  rewards: RewardView[];
}

/** POST /api/member/rewards/:id/redeem */
export const RedeemRequest = z.object({ idempotencyKey: IdempotencyKeySchema });
export type RedeemRequest = z.infer<typeof RedeemRequest>;

/** 201 with the voucher; the same idempotencyKey again → 200 with the same voucher. */
export interface RedeemResponse {
  voucher: VoucherView;
  /** Available points after the redemption. */
  balance: number;
}

export interface VoucherView {
  id: number;
  /** JFV1.… shown as a QR code for the kiosk to scan; single use. */
  code: string;
  rewardName: string;
  status: 'active' | 'used' | 'expired';
  expiresAt: string;
  usedAt: string | null;
}

/** GET /api/member/vouchers */
export interface VouchersResponse {
  vouchers: VoucherView[];
}

export interface ExchangeRateView {
  from: { code: string; name: string };
  to: { code: string; name: string };
  fromPoints: number;
  toPoints: number;
}

/** GET /api/member/exchange/rates */
export interface ExchangeRatesResponse {
  rates: ExchangeRateView[];
}

/** POST /api/member/exchange */
export const ExchangeRequest = z.object({
  fromProgram: z.string().min(1).max(32),
  toProgram: z.string().min(1).max(32),
  points: z.number().int().min(1).max(10_000_000),
  idempotencyKey: IdempotencyKeySchema,
});
export type ExchangeRequest = z.infer<typeof ExchangeRequest>;

export interface ExchangeResponse {
  debited: number;
  credited: number;
  fromBalance: number;
  toBalance: number;
}

/** POST /api/member/subscriptions — what requestSubscribeMessage answered, per template. */
export const SubscriptionsRequest = z.object({
  results: z
    .array(z.object({ kind: z.enum(['points_arrived', 'points_expiring']), accepted: z.boolean() }))
    .min(1)
    .max(3),
});
export type SubscriptionsRequest = z.infer<typeof SubscriptionsRequest>;

/** What the member has accepted so far, per kind (WeChat itself counts the one-time sends left). */
export interface SubscriptionsResponse {
  subscriptions: Array<{ kind: 'points_arrived' | 'points_expiring'; accepted: number; rejected: number }>;
}

/** GET /api/member/orders/:orderId — an order opened from the kiosk's order QR (JFO1.…) or a link. */
export interface MemberOrderView {
  orderId: number;
  storeName: string;
  status: string;
  amountFen: number;
  payableFen: number;
  lines: Array<{ name: string; qty: number; unitPriceFen: number }>;
  pointsPreview: number;
  /** Points credited once paid (0 until the payment is settled on WeChat's notification). */
  pointsEarned: number;
  /** An unpaid order closes at this instant. */
  expiresAt: string;
}

/** POST /api/member/orders/:orderId/pay — what Taro.requestPayment needs (appId is signed, not passed). */
export interface MemberPayResponse {
  timeStamp: string;
  nonceStr: string;
  package: string;
  signType: 'RSA';
  paySign: string;
  outTradeNo: string;
}

/** GET /api/member/me/export — everything Jifen holds about the member (PIPL art. 45). */
export interface MemberExport {
  exportedAt: string;
  profile: MemberProfile & { phone: string | null; consentVersion: string | null; status: string; createdAt: string };
  accounts: Array<{
    programCode: string;
    programName: string;
    balance: number;
    pending: number;
    held: number;
    growth: number;
    tier: TierView;
  }>;
  ledger: Array<HistoryEntry & { programCode: string }>;
  orders: Array<{
    orderId: number;
    placedAt: string;
    status: string;
    amountFen: number;
    pointsEarned: number;
    pointsPaid: number;
    storeName: string;
  }>;
  vouchers: VoucherView[];
  claims: Array<{ kind: string; points: number; claimedAt: string }>;
  subscriptions: SubscriptionsResponse['subscriptions'];
}

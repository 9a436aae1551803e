/**
 * Stable error codes. Clients branch on `code`, never on `message`.
 * Each code maps to exactly one HTTP status so server and clients agree.
 */
export const errorStatus = {
  VALIDATION_FAILED: 400,
  UNAUTHENTICATED: 401,
  INVALID_CREDENTIALS: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  MEMBER_NOT_FOUND: 404,
  ACCOUNT_NOT_FOUND: 404,
  PROGRAM_NOT_FOUND: 404,
  MEMBER_EXISTS: 409,
  STAFF_EXISTS: 409,
  IDEMPOTENCY_CONFLICT: 409,
  POINTS_INSUFFICIENT: 409,
  ACCOUNT_IN_DEBT: 409,
  ACCOUNT_FROZEN: 409,
  HOLD_NOT_ACTIVE: 409,
  ALREADY_REVERSED: 409,
  REVERSAL_EXCEEDS_ORIGINAL: 409,
  EXCHANGE_NOT_ALLOWED: 409,
  RULESET_NOT_FOUND: 404,
  REFERRAL_INVALID: 409,
  ORDER_NOT_FOUND: 404,
  ORDER_NOT_PAYABLE: 409,
  ORDER_NOT_REFUNDABLE: 409,
  REFUND_EXCEEDS_ORDER: 409,
  PAYMENT_MISMATCH: 400,
  PAYMENT_FAILED: 402,
  PAYMENTS_NOT_CONFIGURED: 503,
  MEMBER_CODE_INVALID: 400,
  MEMBER_CODE_EXPIRED: 400,
  TERMINAL_REVOKED: 401,
  RATE_LIMITED: 429,
  /** Member (mini-program) API: sessions, registration, codes, claims, rewards. */
  MEMBER_NOT_REGISTERED: 403,
  PHONE_CODE_INVALID: 400,
  MINIPROGRAM_NOT_CONFIGURED: 503,
  CODE_FORGED: 400,
  CODE_UNKNOWN: 404,
  CODE_USED: 409,
  CODE_EXPIRED: 410,
  CODE_VOID: 410,
  CLAIM_LIMIT_REACHED: 409,
  REWARD_NOT_FOUND: 404,
  REWARD_UNAVAILABLE: 409,
  REWARD_SOLD_OUT: 409,
  REWARD_LIMIT_REACHED: 409,
  REWARD_TIER_REQUIRED: 409,
  /** HQ admin (issue 6, part A): staff, configuration drafts, member service. */
  STAFF_NOT_FOUND: 404,
  STAFF_LAST_ADMIN: 409,
  PASSWORD_MISMATCH: 403,
  STORE_NOT_FOUND: 404,
  BRAND_NOT_FOUND: 404,
  TERMINAL_NOT_FOUND: 404,
  DRAFT_NOT_FOUND: 404,
  DRAFT_NOT_EDITABLE: 409,
  DRAFT_STALE: 409,
  CONFIG_CONFLICT: 409,
  ADJUSTMENT_NOT_FOUND: 404,
  ADJUSTMENT_NOT_PENDING: 409,
  SECOND_APPROVER_REQUIRED: 403,
  MERGE_NOT_ALLOWED: 409,
  BATCH_NOT_FOUND: 404,
  /** POS (kiosk): a sale or report for a shift that was already closed. */
  SHIFT_CLOSED: 409,
  INTERNAL: 500,
  UNAVAILABLE: 503,
} as const;

export type ErrorCode = keyof typeof errorStatus;

export interface ErrorBody {
  error: { code: ErrorCode; message: string; field?: string };
}

/** A domain error: thrown by commands, mapped to HTTP by one middleware. */
export class JifenError extends Error {
  readonly code: ErrorCode;
  readonly field: string | undefined;
  constructor(code: ErrorCode, message: string, field?: string) {
    super(message);
    this.name = 'JifenError';
    this.code = code;
    this.field = field;
  }
  get status(): number {
    return errorStatus[this.code];
  }
  toBody(): ErrorBody {
    return {
      error: { code: this.code, message: this.message, ...(this.field ? { field: this.field } : {}) },
    };
  }
}

export function isJifenError(e: unknown): e is JifenError {
  return e instanceof JifenError;
}

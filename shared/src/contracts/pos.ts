/** Contracts of the POS (kiosk) API. */
import { z } from 'zod';
import { IdempotencyKeySchema, PhoneSchema } from './admin.js';

export const OrderLineSchema = z.object({
  sku: z.string().trim().min(1).max(64),
  name: z.string().trim().min(1).max(60),
  qty: z.number().int().min(1).max(9999),
  unitPriceFen: z.number().int().min(0).max(100_000_000),
  category: z.string().trim().min(1).max(64).optional(),
  discountFen: z.number().int().min(0).optional(),
});
export type OrderLine = z.infer<typeof OrderLineSchema>;

/** A member as the till identifies them: the scanned member code (JFM1.…) or the typed phone. */
export const MemberQuerySchema = z.union([z.object({ code: z.string().trim().min(8).max(256) }), z.object({ phone: PhoneSchema })]);
export type MemberQuery = z.infer<typeof MemberQuerySchema>;

/** …or the till-scoped reference a member lookup answered (JFK1.…, valid 2 hours). */
export const MemberRefSchema = z.union([MemberQuerySchema, z.object({ ref: z.string().trim().min(8).max(256) })]);
export type MemberRef = z.infer<typeof MemberRefSchema>;

export const ShiftIdSchema = z
  .string()
  .trim()
  .regex(/^[\w.:-]{4,64}$/, 'a shift id');

/** wechat_jsapi: the kiosk shows a Jifen order QR and the shopper pays inside the mini-program. */
export const PaymentMethodSchema = z.enum(['wechat_native', 'wechat_code', 'wechat_jsapi', 'cash']);
export type PosPaymentMethod = z.infer<typeof PaymentMethodSchema>;

/** WeChat 付款码: 18 digits starting 10–15. */
export const WechatAuthCodeSchema = z.string().regex(/^1[0-5]\d{16}$/, 'must be a WeChat payment code (18 digits starting 10–15)');

export const CreatePosOrderRequest = z
  .object({
    clientOrderId: IdempotencyKeySchema,
    lines: z.array(OrderLineSchema).min(1).max(200),
    member: MemberRefSchema.optional(),
    redeemPoints: z.number().int().min(1).optional(),
    payment: z.object({ method: PaymentMethodSchema, authCode: WechatAuthCodeSchema.optional() }),
    /** The cashier's shift (from the PIN sign-in) the sale counts toward. */
    shiftId: ShiftIdSchema.optional(),
    /**
     * A sale the kiosk journaled while the server was unreachable, posted now: placed at the device's
     * time (kept flagged as such), cash only, no points spent.
     */
    offlineSale: z.object({ deviceTime: z.iso.datetime({ offset: true }) }).optional(),
  })
  .superRefine((o, ctx) => {
    if (o.offlineSale && (o.payment.method !== 'cash' || o.redeemPoints !== undefined)) {
      ctx.addIssue({ code: 'custom', message: 'an offline sale is paid in cash and spends no points', path: ['offlineSale'] });
    }
    if (o.payment.method === 'wechat_code' && !o.payment.authCode) {
      ctx.addIssue({ code: 'custom', message: 'a payment code is required', path: ['payment', 'authCode'] });
    }
    if (o.redeemPoints !== undefined && !o.member) {
      ctx.addIssue({ code: 'custom', message: 'paying with points needs a member', path: ['redeemPoints'] });
    }
  });
export type CreatePosOrderRequest = z.infer<typeof CreatePosOrderRequest>;

export const OrderStatusSchema = z.enum(['pending', 'paid', 'closed', 'refunded', 'partially_refunded']);
export type OrderStatus = z.infer<typeof OrderStatusSchema>;

export const CreateRefundRequest = z.object({
  outRefundNo: IdempotencyKeySchema.optional(),
  /** Value of the goods refunded, in fen; the whole remaining amount when absent. */
  amountFen: z.number().int().min(1).optional(),
  reason: z.string().trim().min(1).max(80),
  /** Which lines (sku, qty) are taken back; kept with the refund, and no line is refunded beyond its quantity. */
  lines: z
    .array(z.object({ sku: z.string().trim().min(1).max(64), qty: z.number().int().min(1).max(9999) }))
    .min(1)
    .max(200)
    .optional(),
  /** The shift (of the cashier giving the money back) the refund counts toward. */
  shiftId: ShiftIdSchema.optional(),
});
export type CreateRefundRequest = z.infer<typeof CreateRefundRequest>;

/** A refund as the server presents it (`POST /api/pos/orders/:orderId/refunds` answers it). */
export interface PosRefundView {
  outRefundNo: string;
  orderId: number;
  status: string;
  amountFen: number;
  /**
   * Of amountFen, the money part (the rest was paid with points and comes back as points). Despite the
   * name it is also set for cash orders: that money is paid back in cash from the drawer.
   */
  wechatFen: number;
  pointsReturned: number;
  pointsReversed: number;
}

export const CreateTerminalRequest = z.object({
  storeCode: z.string().trim().min(1).max(32),
  name: z.string().trim().min(1).max(64).optional(),
});

export interface PosOrderView {
  orderId: number;
  outTradeNo: string;
  status: OrderStatus;
  amountFen: number;
  payableFen: number;
  pointsPaid: number;
  memberId: number | null;
  pointsEarned: number;
  pointsPreview: number;
  /** wechat_native: the weixin://wxpay/… URL to show as a QR code. */
  codeUrl?: string;
  /** For a paid sale with no member: the scan-to-earn code printed on the receipt (JFR1.…). */
  receiptCode?: string;
  /** For a wechat_jsapi order: the order QR (JFO1.…) the shopper opens in the mini-program. */
  orderCode?: string;
  /** When the order was placed (server time; the device's for an offline sale). */
  placedAt?: string;
  paidAt?: string | null;
  /** The sale was journaled offline and placedAt is the till's clock. */
  deviceTime?: boolean;
}

// ── The kiosk's other calls: terminal, staff shifts, catalogue, members, preview, receipts, vouchers ──

/** `GET /api/pos/terminal`: who this token is. */
export interface PosTerminalInfo {
  terminalId: number;
  name?: string;
  store: { code: string; name: string; address?: string };
  program: {
    code: string;
    name: string;
    /** Fen that 100 points are worth (JIFEN: 100). Points are spent in units worth whole fen. */
    pointValueFen: number;
    /** Largest share of an order points may pay (server: 50). */
    maxPointsSharePercent: number;
  };
  serverTime: string;
}

export const PosSignInRequest = z.object({
  username: z.string().trim().min(1).max(64),
  pin: z.string().regex(/^\d{4,8}$/, 'must be 4 to 8 digits'),
  openingFloatFen: z.number().int().min(0).max(10_000_000).optional(),
});
export type PosSignInRequest = z.infer<typeof PosSignInRequest>;

export interface PosStaffSession {
  staff: { id: number; username: string; name: string; role: string };
  shift: { shiftId: string; openedAt: string; openingFloatFen: number; resumed: boolean };
}

/** Money by payment method. `wechat` covers Native QR, payment code and mini-program (JSAPI) payments. */
export interface ByMethod {
  cash: number;
  wechat: number;
  points: number;
}

/** The X-report (open shift) and the Z-report (closed). */
export interface PosShiftReport {
  shiftId: string;
  terminalId: number;
  staff: { id: number; name: string };
  openedAt: string;
  closedAt: string | null;
  openingFloatFen: number;
  sales: { count: number; amountFen: number; byMethod: ByMethod };
  refunds: { count: number; amountFen: number; byMethod: ByMethod };
  points: { issued: number; taken: number; reversed: number; returned: number };
  /** openingFloat + cash sales − cash refunds. */
  cashExpectedFen: number;
  cashCountedFen: number | null;
  /** counted − expected (negative: short). */
  cashDifferenceFen: number | null;
}

export const CloseShiftRequest = z.object({ countedCashFen: z.number().int().min(0).max(100_000_000) });
export type CloseShiftRequest = z.infer<typeof CloseShiftRequest>;

/** A product as the till sells it (the store's price). */
export interface PosProduct {
  sku: string;
  /** The barcode printed on the item (EAN-13/EAN-8/UPC-A), when it has one. */
  barcode?: string;
  name: string;
  unitPriceFen: number;
  /** Rule category (e.g. `fresh`), passed on to the order line. */
  category?: string;
  /** Shown after the quantity, e.g. 瓶. */
  unit?: string;
}

/** `:barcode` of `GET /api/pos/products/:barcode`: an EAN/UPC or the store SKU. */
export const ProductCodeParam = z.string().trim().min(1).max(64);

export const SearchProductsQuery = z.object({
  q: z.string().trim().min(1).max(40),
  limit: z.coerce.number().int().min(1).max(50).default(20),
});
export type SearchProductsQuery = z.infer<typeof SearchProductsQuery>;

export interface PosMemberView {
  memberId: number;
  /** 李** */
  maskedName: string;
  /** 138****8000 */
  maskedPhone: string;
  tier: { code: string; name: string };
  /** Spendable points. */
  available: number;
  pending: number;
  /** e.g. 再消费￥120.00升级为黄金会员 */
  tierProgress?: string;
  /**
   * A till-scoped reference to send as `member: {ref}` when creating the order (valid 2 hours), because
   * a scanned member code expires after 60 s and the sale may take longer. Optional: without it the
   * kiosk sends the original code or phone.
   */
  ref?: string;
}

export const PosPreviewRequest = z.object({
  lines: z.array(OrderLineSchema).min(1).max(200),
  member: MemberRefSchema,
  redeemPoints: z.number().int().min(0).optional(),
});
export type PosPreviewRequest = z.infer<typeof PosPreviewRequest>;

export interface PosPreviewResult {
  pointsEarned: number;
  /** One line per rule step, for the member panel (消费￥128.00，会员日双倍积分). */
  trace: string[];
  /** Spending points: the most this order allows (share cap, balance, whole-fen units). */
  redeem: { maxPoints: number; maxFen: number; unitPoints: number };
}

/** `GET /api/pos/receipts/:code`: the order behind a receipt (JFR1 code or the printed order number). */
export interface PosOrderDetail extends PosOrderView {
  paymentMethod: PosPaymentMethod;
  lines: { sku: string; name: string; qty: number; unitPriceFen: number; category?: string }[];
  /** Refunded or being refunded. */
  refundedFen: number;
  /** Quantities already taken back, by SKU (from refunds that named their lines). */
  refundedLines: { sku: string; qty: number }[];
  member?: { maskedPhone: string; tierName?: string };
  placedAt: string;
}

/** `:code` of `GET /api/pos/receipts/:code`: a JFR1 receipt code, a JFO1 order code or the printed order number. */
export const ReceiptCodeParam = z.string().trim().min(1).max(256);

export const RedeemVoucherRequest = z.object({ code: z.string().trim().min(8).max(256) });
export type RedeemVoucherRequest = z.infer<typeof RedeemVoucherRequest>;

export interface PosVoucherRedemption {
  voucherId: number;
  rewardName: string;
  memberId: number;
  usedAt: string;
}

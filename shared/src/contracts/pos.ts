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

/** wechat_jsapi: the kiosk shows a Jifen order QR and the shopper pays inside the mini-program. */
export const PaymentMethodSchema = z.enum(['wechat_native', 'wechat_code', 'wechat_jsapi', 'cash']);
export type PosPaymentMethod = z.infer<typeof PaymentMethodSchema>;

/** WeChat 付款码: 18 digits starting 10–15. */
export const WechatAuthCodeSchema = z.string().regex(/^1[0-5]\d{16}$/, 'must be a WeChat payment code (18 digits starting 10–15)');

export const CreatePosOrderRequest = z
  .object({
    clientOrderId: IdempotencyKeySchema,
    lines: z.array(OrderLineSchema).min(1).max(200),
    member: z.union([z.object({ code: z.string().min(8).max(256) }), z.object({ phone: PhoneSchema })]).optional(),
    redeemPoints: z.number().int().min(1).optional(),
    payment: z.object({ method: PaymentMethodSchema, authCode: WechatAuthCodeSchema.optional() }),
  })
  .superRefine((o, ctx) => {
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
});
export type CreateRefundRequest = z.infer<typeof CreateRefundRequest>;

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
  codeUrl?: string;
  /** For a paid sale with no member: the scan-to-earn code printed on the receipt (JFR1.…). */
  receiptCode?: string;
  /** For a wechat_jsapi order: the order QR (JFO1.…) the shopper opens in the mini-program. */
  orderCode?: string;
}

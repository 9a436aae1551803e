/**
 * WeChat Pay's notifications. Verified over the raw body bytes (signature, known serial, ±300 s,
 * probes refused), decrypted with the tag checked, matched against the order, then settled in one
 * transaction. 204 when taken (a replay too); 4xx when it can never be taken as sent; 5xx when a
 * retry may succeed. WeChat counts anything slower than 5 s as a failure: nothing here waits on
 * anything but the database.
 */
import Router from '@koa/router';
import { JifenError } from '@jifen/shared';
import { z } from 'zod';
import { settleOrderPaid } from '../../../commands/orders.js';
import { settleRefund } from '../../../commands/refunds.js';
import type { AppContext, AppState, Services } from '../../context.js';
import type { WxTransaction } from '../../../wechat/types.js';

const TransactionSchema = z.looseObject({
  appid: z.string(),
  mchid: z.string(),
  out_trade_no: z.string(),
  transaction_id: z.string(),
  trade_state: z.enum(['SUCCESS', 'REFUND', 'NOTPAY', 'CLOSED', 'REVOKED', 'USERPAYING', 'PAYERROR']),
  success_time: z.string().optional(),
  payer: z.object({ openid: z.string() }).optional(),
  amount: z.object({ total: z.number().int(), payer_total: z.number().int().optional(), currency: z.string().optional() }),
});

const RefundResourceSchema = z.looseObject({
  mchid: z.string(),
  out_trade_no: z.string(),
  out_refund_no: z.string(),
  refund_id: z.string().optional(),
  refund_status: z.enum(['SUCCESS', 'CLOSED', 'ABNORMAL']),
  amount: z.object({
    total: z.number().int(),
    refund: z.number().int(),
    payer_total: z.number().int().optional(),
    payer_refund: z.number().int().optional(),
  }),
});

function fail(ctx: AppContext, status: number, message: string): void {
  ctx.status = status;
  ctx.body = { code: 'FAIL', message };
}

/** Maps a settlement error to WeChat's answer: retry (5xx) only when a retry could succeed. */
function answerError(ctx: AppContext, services: Services, kind: string, e: unknown): void {
  if (e instanceof JifenError && (e.code === 'PAYMENT_MISMATCH' || e.code === 'ORDER_NOT_FOUND' || e.code === 'NOT_FOUND')) {
    services.metrics.notifications.inc({ kind, outcome: e.code.toLowerCase() });
    ctx.state.log.error({ code: e.code, msg: e.message }, 'notification refused');
    fail(ctx, e.code === 'PAYMENT_MISMATCH' ? 400 : 404, e.code === 'PAYMENT_MISMATCH' ? '订单信息不一致' : '订单不存在');
    return;
  }
  services.metrics.notifications.inc({ kind, outcome: 'error' });
  ctx.state.log.error({ err: e }, 'notification not settled; WeChat will retry');
  fail(ctx, 500, '处理失败，请重试');
}

export const WXPAY_NOTIFY_PREFIX = '/api/wxpay/notify';

export function wxpayNotifyRoutes(services: Services): Router<AppState> {
  const router = new Router<AppState>({ prefix: WXPAY_NOTIFY_PREFIX });

  const verified = (ctx: AppContext, kind: string) => {
    if (!services.wxpay) {
      fail(ctx, 503, '未配置微信支付');
      return null;
    }
    const check = services.wxpay.verifier.verify(ctx.headers, ctx.state.rawBody ?? Buffer.alloc(0));
    if (!check.ok) {
      services.metrics.notifications.inc({ kind, outcome: check.reason });
      ctx.state.log.warn({ reason: check.reason }, 'notification refused');
      fail(ctx, 401, '签名验证失败');
      return null;
    }
    return check;
  };

  router.post('/payment', async (ctx) => {
    const check = verified(ctx, 'payment');
    if (!check) return;
    if (check.eventType !== 'TRANSACTION.SUCCESS') {
      ctx.status = 204;
      return;
    }
    const parsed = TransactionSchema.safeParse(check.resource);
    if (!parsed.success) {
      services.metrics.notifications.inc({ kind: 'payment', outcome: 'bad_resource' });
      return fail(ctx, 400, '通知内容无效');
    }
    const started = performance.now();
    try {
      const result = await settleOrderPaid(services.paymentDeps(), {
        outTradeNo: parsed.data.out_trade_no,
        tx: parsed.data as WxTransaction,
        source: 'notify',
      });
      services.metrics.settlementSeconds.observe({ source: 'notify' }, (performance.now() - started) / 1000);
      services.metrics.notifications.inc({ kind: 'payment', outcome: result.settled ? 'settled' : 'replay' });
      ctx.status = 204;
    } catch (e) {
      answerError(ctx, services, 'payment', e);
    }
  });

  router.post('/refund', async (ctx) => {
    const check = verified(ctx, 'refund');
    if (!check) return;
    const parsed = RefundResourceSchema.safeParse(check.resource);
    if (!parsed.success || parsed.data.mchid !== services.wxpay?.mchid) {
      services.metrics.notifications.inc({ kind: 'refund', outcome: 'bad_resource' });
      return fail(ctx, 400, '通知内容无效');
    }
    const r = parsed.data;
    try {
      const result = await settleRefund(services.paymentDeps(), {
        outRefundNo: r.out_refund_no,
        status: r.refund_status,
        wx: {
          out_refund_no: r.out_refund_no,
          out_trade_no: r.out_trade_no,
          refund_id: r.refund_id,
          status: r.refund_status,
          amount: r.amount,
        },
      });
      services.metrics.notifications.inc({ kind: 'refund', outcome: result.settled ? 'settled' : 'replay' });
      ctx.status = 204;
    } catch (e) {
      answerError(ctx, services, 'refund', e);
    }
  });

  return router;
}

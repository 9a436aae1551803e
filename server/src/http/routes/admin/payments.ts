/** Finance: matching WeChat Pay's trade bill against the orders of a day. */
import { JifenError, ReconcileRequest } from '@jifen/shared';
import { record } from '../../../commands/hq-common.js';
import { reconcileDay } from '../../../jobs/payment-jobs.js';
import type { Services } from '../../context.js';
import { validate } from '../../middleware/request.js';
import { actorOf, route } from './route.js';
import type { AdminRouter } from './route.js';

export function paymentRoutes(router: AdminRouter, services: Services): void {
  route(
    router,
    services,
    {
      method: 'post',
      path: '/reconciliation',
      permission: 'payments.reconcile',
      doc: {
        tag: 'Payments',
        summary: 'Reconcile a China date: settle what WeChat paid and Jifen missed, flag what Jifen has and the bill lacks (safe to rerun)',
        body: ReconcileRequest,
        responses: { 200: 'ReconcileReport' },
        errors: ['PAYMENTS_NOT_CONFIGURED'],
      },
    },
    async (ctx) => {
      const { date } = validate(ReconcileRequest, ctx.request.body);
      if (!services.wxpay) throw new JifenError('PAYMENTS_NOT_CONFIGURED', 'WeChat Pay is not configured on this server');
      const report = await reconcileDay(services.paymentDeps(), services.wxpay.client, date);
      await record(services.db.kysely, actorOf(ctx), services.now(), {
        action: 'payments.reconcile',
        target: `day:${date}`,
        after: { billRows: report.billRows, matched: report.matched, settledNow: report.settledNow.length, flagged: report.flagged.length },
      });
      ctx.body = report;
    },
  );
}

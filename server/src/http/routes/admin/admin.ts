/**
 * HQ admin API. Each route: authenticate → validate with the shared schema → one command → present.
 */
import Router from '@koa/router';
import {
  AdjustmentRequest,
  AdminSessionRequest,
  CreateMemberRequest,
  CreateRefundRequest,
  CreateStaffRequest,
  CreateTerminalRequest,
  IdParam,
  JifenError,
} from '@jifen/shared';
import { requestRefund } from '../../../commands/refunds.js';
import { issueTerminal } from '../../../commands/terminals.js';
import { createStaff } from '../../../commands/staff.js';
import { adjustPoints } from '../../../commands/adjustments.js';
import { getMember, memberView, registerMember } from '../../../commands/members.js';
import { createSession } from '../../../commands/staff.js';
import { findOrderById } from '../../../repositories/order.repository.js';
import { appendAudit } from '../../../repositories/audit.repository.js';
import type { AppContext, AppState, Services, StaffPrincipal } from '../../context.js';
import { requireStaff } from '../../middleware/auth.js';
import { validate } from '../../middleware/request.js';
import { can } from '../../policies.js';

function actorOf(ctx: AppContext) {
  const staff = ctx.state.staff as StaffPrincipal;
  return { staffId: staff.staffId, username: staff.username, ip: ctx.ip, requestId: ctx.state.requestId };
}

export function adminRoutes(services: Services): Router<AppState> {
  const router = new Router<AppState>({ prefix: '/api/admin' });
  const memberDeps = { db: services.db, cipher: services.cipher, now: services.now };

  router.post('/session', async (ctx) => {
    const body = validate(AdminSessionRequest, ctx.request.body);
    const session = await createSession(services.db, body.username, body.password, services.now(), services.config.JIFEN_SESSION_HOURS);
    ctx.body = { token: session.token, expiresAt: new Date(session.expiresAt).toISOString() };
  });

  router.post('/members', requireStaff(services, 'members.write'), async (ctx) => {
    const body = validate(CreateMemberRequest, ctx.request.body);
    const { id } = await registerMember(memberDeps, {
      phone: body.phone,
      name: body.name,
      birthday: body.birthday,
      referralCode: body.referralCode,
      grantBonuses: false,
    });
    await appendAudit(services.db.kysely, {
      actor: `staff:${actorOf(ctx).username}`,
      action: 'member.create',
      target: `member:${id}`,
      after: { name: body.name ?? null },
      ip: ctx.ip,
      requestId: ctx.state.requestId,
      at: services.now(),
    });
    ctx.status = 201;
    ctx.body = { id };
  });

  router.get('/members/:id', requireStaff(services, 'members.read'), async (ctx) => {
    const id = validate(IdParam, ctx.params.id);
    const member = await getMember(services.db, id);
    const staff = ctx.state.staff as StaffPrincipal;
    const reveal = can(staff.role, 'members.pii');
    if (reveal && member.phone_enc) {
      // Every read of personal data in full is on the record.
      await appendAudit(services.db.kysely, {
        actor: `staff:${staff.username}`,
        action: 'member.pii.read',
        target: `member:${id}`,
        ip: ctx.ip,
        requestId: ctx.state.requestId,
        at: services.now(),
      });
    }
    ctx.body = await memberView(memberDeps, member, reveal);
  });

  router.post('/members/:id/adjustments', requireStaff(services, 'points.adjust'), async (ctx) => {
    const id = validate(IdParam, ctx.params.id);
    const body = validate(AdjustmentRequest, ctx.request.body);
    const result = await adjustPoints({ db: services.db, now: services.now }, id, body, actorOf(ctx));
    // A replay answers exactly as the first time; the header tells a curious client it was one.
    if (result.replayed) ctx.set('Idempotent-Replayed', 'true');
    ctx.status = 201;
    ctx.body = { entryId: result.entryId, balance: result.available, pending: result.pending };
  });

  router.post('/terminals', requireStaff(services, 'org.write'), async (ctx) => {
    const body = validate(CreateTerminalRequest, ctx.request.body);
    const result = await issueTerminal(services.db, body, services.now());
    await appendAudit(services.db.kysely, {
      actor: `staff:${actorOf(ctx).username}`,
      action: 'terminal.issue',
      target: `terminal:${result.terminalId}`,
      after: { storeCode: body.storeCode, name: body.name ?? null },
      ip: ctx.ip,
      requestId: ctx.state.requestId,
      at: services.now(),
    });
    ctx.status = 201;
    ctx.body = result;
  });

  router.post('/staff', requireStaff(services, 'staff.write'), async (ctx) => {
    const body = validate(CreateStaffRequest, ctx.request.body);
    let storeId: number | null = null;
    if (body.storeCode) {
      const store = await services.db.kysely.selectFrom('store').select('id').where('code', '=', body.storeCode).executeTakeFirst();
      if (!store) throw new JifenError('NOT_FOUND', `store ${body.storeCode} not found`, 'storeCode');
      storeId = store.id;
    }
    const { id } = await createStaff(
      services.db,
      { username: body.username, password: body.password, role: body.role, storeId },
      services.now(),
    );
    await appendAudit(services.db.kysely, {
      actor: `staff:${actorOf(ctx).username}`,
      action: 'staff.create',
      target: `staff:${body.username}`,
      after: { role: body.role, storeCode: body.storeCode ?? null },
      ip: ctx.ip,
      requestId: ctx.state.requestId,
      at: services.now(),
    });
    ctx.status = 201;
    ctx.body = { id };
  });

  router.post('/orders/:orderId/refunds', requireStaff(services, 'members.write'), async (ctx) => {
    const id = validate(IdParam, ctx.params.orderId);
    const body = validate(CreateRefundRequest, ctx.request.body);
    const order = await findOrderById(services.db.kysely, id);
    if (!order) throw new JifenError('ORDER_NOT_FOUND', `order ${id} not found`);
    const refund = await requestRefund(services.paymentDeps(), {
      orderId: id,
      amountFen: body.amountFen,
      outRefundNo: body.outRefundNo,
      reason: body.reason,
      actor: `staff:${actorOf(ctx).username}`,
    });
    await appendAudit(services.db.kysely, {
      actor: `staff:${actorOf(ctx).username}`,
      action: 'order.refund',
      target: `order:${id}`,
      after: refund,
      ip: ctx.ip,
      requestId: ctx.state.requestId,
      at: services.now(),
    });
    ctx.status = 201;
    ctx.body = refund;
  });

  return router;
}

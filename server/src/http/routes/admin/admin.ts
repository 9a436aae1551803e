/**
 * HQ admin API. Each route: authenticate (one permission) → validate with the shared schema → one
 * command → present. The contract's endpoints live here; the rest of the admin API is in the
 * modules mounted at the end, all on this one router, each route declared through route() so the
 * OpenAPI document and the role tests read the same table the server serves.
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
import { requestAdjustment } from '../../../commands/hq-adjustments.js';
import { createStaffMember } from '../../../commands/hq-staff.js';
import { issueTerminalFor } from '../../../commands/hq-terminals.js';
import { getMember, memberView, registerMember } from '../../../commands/members.js';
import { createSession } from '../../../commands/staff.js';
import { findOrderById } from '../../../repositories/order.repository.js';
import { appendAudit } from '../../../repositories/audit.repository.js';
import type { AppState, Services, StaffPrincipal } from '../../context.js';
import { validate } from '../../middleware/request.js';
import { can } from '../../policies.js';
import { auditRoutes } from './audit.js';
import { catalogueRoutes } from './catalogue.js';
import { configRoutes } from './config.js';
import { memberServiceRoutes } from './members.js';
import { openapiRoutes } from './openapi.js';
import { paymentRoutes } from './payments.js';
import { productRoutes } from './products.js';
import { ADMIN_PREFIX, actorOf, route } from './route.js';
import { rulesRoutes } from './rules.js';
import { staffRoutes } from './staff.js';
import { terminalRoutes } from './terminals.js';

export function adminRoutes(services: Services): Router<AppState> {
  const router = new Router<AppState>({ prefix: ADMIN_PREFIX });
  const memberDeps = { db: services.db, cipher: services.cipher, now: services.now };
  const hqDeps = { db: services.db, now: services.now };

  route(
    router,
    services,
    {
      method: 'post',
      path: '/session',
      permission: 'public',
      doc: {
        tag: 'Staff',
        summary: 'Sign in: { token, expiresAt }; five failures in a row lock the account for 15 minutes',
        body: AdminSessionRequest,
        responses: { 200: '{ token, expiresAt }' },
        errors: ['INVALID_CREDENTIALS'],
      },
    },
    async (ctx) => {
      const body = validate(AdminSessionRequest, ctx.request.body);
      const session = await createSession(services.db, body.username, body.password, services.now(), services.config.JIFEN_SESSION_HOURS);
      ctx.body = { token: session.token, expiresAt: new Date(session.expiresAt).toISOString() };
    },
  );

  route(
    router,
    services,
    {
      method: 'post',
      path: '/members',
      permission: 'members.write',
      doc: {
        tag: 'Member service',
        summary: 'Import one member (no signup bonus): { id }',
        body: CreateMemberRequest,
        responses: { 201: '{ id }' },
        errors: ['MEMBER_EXISTS'],
      },
    },
    async (ctx) => {
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
        // Which personal fields were given, never their values: the audit log is read without personal-data rights.
        after: { name: body.name ? 'set' : null, birthday: body.birthday ? 'set' : null },
        ip: ctx.ip,
        requestId: ctx.state.requestId,
        at: services.now(),
      });
      ctx.status = 201;
      ctx.body = { id };
    },
  );

  route(
    router,
    services,
    {
      method: 'get',
      path: '/members/:id',
      permission: 'members.read',
      doc: {
        tag: 'Member service',
        summary:
          'The member: tier, points, accounts; phone masked (138****1234) unless the role reads personal data (that read is audited)',
        responses: { 200: 'MemberView' },
        errors: ['MEMBER_NOT_FOUND'],
      },
    },
    async (ctx) => {
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
    },
  );

  route(
    router,
    services,
    {
      method: 'post',
      path: '/members/:id/adjustments',
      permission: 'points.adjust',
      doc: {
        tag: 'Member service',
        summary:
          'Adjust points with a reason: 201 { entryId, balance } — or, above JIFEN_ADJUST_APPROVAL_POINTS, 202 pending a second person’s approval',
        description:
          'Idempotent by idempotencyKey: the same key again answers as the first time (the posting, or the pending request until it is approved); the same key with other inputs is 409 IDEMPOTENCY_CONFLICT.',
        body: AdjustmentRequest,
        responses: {
          201: '{ entryId, balance, pending }',
          202: '{ approvalId, status: "pending_approval" | "rejected", points, memberId }',
        },
        errors: ['MEMBER_NOT_FOUND', 'PROGRAM_NOT_FOUND', 'IDEMPOTENCY_CONFLICT', 'POINTS_INSUFFICIENT', 'ACCOUNT_FROZEN'],
      },
    },
    async (ctx) => {
      const id = validate(IdParam, ctx.params.id);
      const body = validate(AdjustmentRequest, ctx.request.body);
      const outcome = await requestAdjustment(
        { ...hqDeps, approvalThreshold: services.config.JIFEN_ADJUST_APPROVAL_POINTS },
        actorOf(ctx),
        id,
        body,
      );
      if (outcome.kind === 'pending') {
        ctx.status = 202;
        const r = outcome.request;
        ctx.body = {
          approvalId: r.approvalId,
          status: r.status === 'pending' ? 'pending_approval' : r.status,
          points: r.points,
          memberId: r.memberId,
        };
        return;
      }
      const result = outcome.posting;
      // A replay answers exactly as the first time; the header tells a curious client it was one.
      if (result.replayed) ctx.set('Idempotent-Replayed', 'true');
      ctx.status = 201;
      ctx.body = { entryId: result.entryId, balance: result.available, pending: result.pending };
    },
  );

  route(
    router,
    services,
    {
      method: 'post',
      path: '/terminals',
      permission: 'terminals.write',
      doc: {
        tag: 'Terminals',
        summary: 'Issue a till token for a store (shown once): { terminalId, token }; a store manager for its own store',
        body: CreateTerminalRequest,
        responses: { 201: '{ terminalId, token }' },
        errors: ['NOT_FOUND'],
      },
    },
    async (ctx) => {
      ctx.status = 201;
      ctx.body = await issueTerminalFor(hqDeps, actorOf(ctx), validate(CreateTerminalRequest, ctx.request.body));
    },
  );

  route(
    router,
    services,
    {
      method: 'post',
      path: '/staff',
      permission: 'staff.write',
      doc: {
        tag: 'Staff',
        summary:
          'Create a staff account: { id }; till roles need a store and may have a 4–8 digit PIN; a store manager creates its own store’s cashiers',
        body: CreateStaffRequest,
        responses: { 201: '{ id }' },
        errors: ['STAFF_EXISTS', 'STORE_NOT_FOUND'],
      },
    },
    async (ctx) => {
      ctx.status = 201;
      ctx.body = await createStaffMember(hqDeps, actorOf(ctx), validate(CreateStaffRequest, ctx.request.body));
    },
  );

  route(
    router,
    services,
    {
      method: 'post',
      path: '/orders/:orderId/refunds',
      permission: 'orders.refund',
      doc: {
        tag: 'Payments',
        summary: 'Refund (part of) an order through WeChat Pay or the cash drawer; the points it earned are reversed in proportion',
        body: CreateRefundRequest,
        responses: { 201: 'the refund' },
        errors: ['ORDER_NOT_FOUND', 'ORDER_NOT_REFUNDABLE', 'REFUND_EXCEEDS_ORDER'],
      },
    },
    async (ctx) => {
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
    },
  );

  staffRoutes(router, services);
  terminalRoutes(router, services);
  configRoutes(router, services);
  rulesRoutes(router, services);
  catalogueRoutes(router, services);
  memberServiceRoutes(router, services);
  auditRoutes(router, services);
  paymentRoutes(router, services);
  productRoutes(router, services);
  openapiRoutes(router, services);
  return router;
}

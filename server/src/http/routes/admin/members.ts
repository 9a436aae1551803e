/** Member service: search, the member's picture, reveal, freeze, merge, and approving large adjustments. */
import {
  AdjustmentListQuery,
  FreezeRequest,
  IdParam,
  MemberSearchQuery,
  MergeRequest,
  RejectAdjustmentRequest,
  RevealRequest,
} from '@jifen/shared';
import { approveAdjustment, listAdjustments, rejectAdjustment } from '../../../commands/hq-adjustments.js';
import { memberPicture, mergeMembers, revealMember, searchMembers, setMemberFrozen } from '../../../commands/hq-members.js';
import type { Services, StaffPrincipal } from '../../context.js';
import { validate } from '../../middleware/request.js';
import { can } from '../../policies.js';
import { actorOf, route } from './route.js';
import type { AdminRouter } from './route.js';

const tag = 'Member service';

export function memberServiceRoutes(router: AdminRouter, services: Services): void {
  const deps = { db: services.db, cipher: services.cipher, now: services.now };
  const clearFor = (staff: unknown) => can((staff as StaffPrincipal).role, 'members.pii');

  route(
    router,
    services,
    {
      method: 'get',
      path: '/members',
      permission: 'members.read',
      doc: {
        tag,
        summary: 'Find a member by phone (exact, through the keyed hash), member id or openid; personal data masked',
        query: MemberSearchQuery,
        responses: { 200: '{ members: MemberSummary[] }' },
      },
    },
    async (ctx) => {
      ctx.body = { members: await searchMembers(deps, validate(MemberSearchQuery, ctx.query), clearFor(ctx.state.staff)) };
    },
  );

  route(
    router,
    services,
    {
      method: 'get',
      path: '/members/:id/picture',
      permission: 'members.read',
      doc: {
        tag,
        summary:
          'The member’s whole picture: masked profile, accounts (frozen?), recent ledger, orders, tier history, vouchers, claims, adjustments',
        responses: { 200: 'MemberPicture' },
        errors: ['MEMBER_NOT_FOUND'],
      },
    },
    async (ctx) => {
      ctx.body = await memberPicture(deps, validate(IdParam, ctx.params.id), clearFor(ctx.state.staff));
    },
  );

  route(
    router,
    services,
    {
      method: 'post',
      path: '/members/:id/reveal',
      permission: 'members.reveal',
      doc: {
        tag,
        summary: 'Reveal the member’s personal data in full (phone, name, birthday, openid); each reveal is audited with its reason',
        body: RevealRequest,
        responses: { 200: '{ id, phone, name, birthday, openid }' },
        errors: ['MEMBER_NOT_FOUND'],
      },
    },
    async (ctx) => {
      const id = validate(IdParam, ctx.params.id);
      ctx.body = await revealMember(deps, actorOf(ctx), id, validate(RevealRequest, ctx.request.body).reason);
    },
  );

  for (const frozen of [true, false]) {
    route(
      router,
      services,
      {
        method: 'post',
        path: `/members/:id/${frozen ? 'freeze' : 'unfreeze'}`,
        permission: 'members.freeze',
        doc: {
          tag,
          summary: frozen
            ? 'Freeze the member’s accounts (fraud): spending, holds, debits, exchanges and earning answer ACCOUNT_FROZEN'
            : 'Unfreeze the member’s accounts',
          body: FreezeRequest,
          responses: { 200: '{ memberId, accounts: [{ programCode, frozen, frozenAt }] }' },
          errors: ['MEMBER_NOT_FOUND', 'PROGRAM_NOT_FOUND'],
        },
      },
      async (ctx) => {
        const id = validate(IdParam, ctx.params.id);
        ctx.body = await setMemberFrozen(deps, actorOf(ctx), id, validate(FreezeRequest, ctx.request.body), frozen);
      },
    );
  }

  route(
    router,
    services,
    {
      method: 'post',
      path: '/members/:id/merge',
      permission: 'members.merge',
      doc: {
        tag,
        summary:
          'Merge this member into another: available points move by linked exchange_out/exchange_in entries; this member is marked merged',
        description: 'Pending and held points stay until released; run the merge again to move them (pendingLeft says how many).',
        body: MergeRequest,
        responses: { 200: 'MergeResult' },
        errors: ['MEMBER_NOT_FOUND', 'MERGE_NOT_ALLOWED', 'ACCOUNT_FROZEN', 'ACCOUNT_IN_DEBT'],
      },
    },
    async (ctx) => {
      const id = validate(IdParam, ctx.params.id);
      ctx.body = await mergeMembers(deps, actorOf(ctx), id, validate(MergeRequest, ctx.request.body));
    },
  );

  const approvals = { db: services.db, now: services.now };
  route(
    router,
    services,
    {
      method: 'get',
      path: '/adjustments',
      permission: 'points.approve',
      doc: {
        tag,
        summary: 'Adjustments above the approval threshold, by status (default pending)',
        query: AdjustmentListQuery,
        responses: { 200: '{ adjustments: PendingAdjustmentView[] }' },
      },
    },
    async (ctx) => {
      ctx.body = { adjustments: await listAdjustments(approvals, validate(AdjustmentListQuery, ctx.query)) };
    },
  );

  route(
    router,
    services,
    {
      method: 'post',
      path: '/adjustments/:id/approve',
      permission: 'points.approve',
      doc: {
        tag,
        summary: 'Approve a pending adjustment (not one’s own): it posts now',
        responses: { 201: '{ entryId, balance, pending, approvalId, status }' },
        errors: ['ADJUSTMENT_NOT_FOUND', 'ADJUSTMENT_NOT_PENDING', 'SECOND_APPROVER_REQUIRED', 'POINTS_INSUFFICIENT', 'ACCOUNT_FROZEN'],
      },
    },
    async (ctx) => {
      const { posting, request } = await approveAdjustment(approvals, actorOf(ctx), validate(IdParam, ctx.params.id));
      ctx.status = 201;
      ctx.body = {
        entryId: posting.entryId,
        balance: posting.available,
        pending: posting.pending,
        approvalId: request.approvalId,
        status: request.status,
      };
    },
  );

  route(
    router,
    services,
    {
      method: 'post',
      path: '/adjustments/:id/reject',
      permission: 'points.approve',
      doc: {
        tag,
        summary: 'Reject (or withdraw) a pending adjustment; nothing posts',
        body: RejectAdjustmentRequest,
        responses: { 200: 'PendingAdjustmentView' },
        errors: ['ADJUSTMENT_NOT_FOUND', 'ADJUSTMENT_NOT_PENDING'],
      },
    },
    async (ctx) => {
      const id = validate(IdParam, ctx.params.id);
      ctx.body = await rejectAdjustment(approvals, actorOf(ctx), id, validate(RejectAdjustmentRequest, ctx.request.body).reason);
    },
  );
}

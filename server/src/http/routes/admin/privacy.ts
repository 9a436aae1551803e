/**
 * A member's privacy requests made to HQ rather than in the mini-program (PIPL arts. 45 and 47): a
 * copy of their data, and erasure. Both need `members.privacy` (admin, support), name the request in
 * `reason`, and are audited; erasure is the very one the member can do themselves.
 */
import Router from '@koa/router';
import { IdParam, PrivacyRequest } from '@jifen/shared';
import type { ErasureResponse } from '@jifen/shared';
import { eraseMember, exportOnRequest } from '../../../commands/member-privacy.js';
import type { AppState, Services } from '../../context.js';
import { validate } from '../../middleware/request.js';
import { ADMIN_PREFIX, actorOf, route } from './route.js';

export function privacyRoutes(services: Services): Router<AppState> {
  const router = new Router<AppState>({ prefix: ADMIN_PREFIX });
  const deps = { db: services.db, cipher: services.cipher, codes: services.codes, mp: services.mp, now: () => services.now() };
  const tag = 'Member privacy';

  route(
    router,
    services,
    {
      method: 'post',
      path: '/members/:id/export',
      permission: 'members.privacy',
      doc: {
        tag,
        summary:
          'A copy of everything held about the member (profile with the phone in full, accounts, ledger, orders, vouchers, claims), for their request; audited with the reason',
        body: PrivacyRequest,
        responses: { 200: 'MemberExport' },
        errors: ['MEMBER_NOT_FOUND'],
      },
    },
    async (ctx) => {
      const id = validate(IdParam, ctx.params.id);
      const { reason } = validate(PrivacyRequest, ctx.request.body);
      ctx.set('Cache-Control', 'no-store');
      ctx.body = await exportOnRequest(deps, actorOf(ctx), id, reason);
    },
  );

  route(
    router,
    services,
    {
      method: 'post',
      path: '/members/:id/erase',
      permission: 'members.privacy',
      doc: {
        tag,
        summary:
          'Erase the member’s personal data on their request (phone, name, birthday, WeChat identities, sessions, NPS comments); the ledger and orders stay under the member id. Idempotent; audited with the reason',
        body: PrivacyRequest,
        responses: { 200: '{ memberId, erased }: erased false when already erased' },
        errors: ['MEMBER_NOT_FOUND'],
      },
    },
    async (ctx) => {
      const id = validate(IdParam, ctx.params.id);
      const { reason } = validate(PrivacyRequest, ctx.request.body);
      const actor = actorOf(ctx);
      const erased = await eraseMember(deps, id, { actor: `staff:${actor.username}`, reason, ip: actor.ip, requestId: actor.requestId });
      const answer: ErasureResponse = { memberId: id, erased };
      ctx.body = answer;
    },
  );
  return router;
}

/** Scan to earn: POST /api/member/claims with a receipt (JFR1.) or product (JFP1.) code. */
import type Router from '@koa/router';
import { ClaimRequest } from '@jifen/shared';
import { claimCode } from '../../../commands/member-claims.js';
import type { AppState, Services } from '../../context.js';
import { validate } from '../../middleware/request.js';
import { memberDeps, memberOf, requireRegistered } from './auth.js';

export function claimRoutes(router: Router<AppState>, services: Services): void {
  router.post('/claims', requireRegistered(services), async (ctx) => {
    const body = validate(ClaimRequest, ctx.request.body);
    ctx.status = 201;
    ctx.body = await claimCode(memberDeps(services), memberOf(ctx), body.code);
  });
}

/**
 * The member (mini-program) API under /api/member. Each route: authenticate (session, or registered
 * member) → validate with the shared schema → one command → present. Resources live beside this
 * file: claims.ts, rewards.ts (rewards, vouchers, exchange), orders.ts (paying in the mini-program).
 */
import Router from '@koa/router';
import { HistoryQuery, MemberSessionRequest, NpsRequest, RegisterRequest, SubscriptionsRequest, toIsoUtc } from '@jifen/shared';
import type { MemberSessionResponse, RegisterResponse } from '@jifen/shared';
import { memberCode, memberHistory, memberMe, recordSubscriptions, subscriptionsOf } from '../../../commands/member-account.js';
import { eraseMember, exportMemberData } from '../../../commands/member-privacy.js';
import { presentProfile, registerFromMiniProgram, startMemberSession } from '../../../commands/member-session.js';
import { pendingNps, recordNps } from '../../../commands/report-nps.js';
import type { AppState, Services } from '../../context.js';
import { validate } from '../../middleware/request.js';
import { memberDeps, memberOf, requireMember, requireRegistered, sessionOf } from './auth.js';
import { claimRoutes } from './claims.js';
import { orderRoutes } from './orders.js';
import { rewardRoutes } from './rewards.js';

export function memberRoutes(services: Services): Router<AppState> {
  const router = new Router<AppState>({ prefix: '/api/member' });
  const registered = requireRegistered(services);

  router.post('/session', async (ctx) => {
    const body = validate(MemberSessionRequest, ctx.request.body);
    const deps = memberDeps(services);
    const { token, session } = await startMemberSession(deps, body.code);
    const answer: MemberSessionResponse = {
      token,
      expiresAt: toIsoUtc(session.expiresAt),
      member: session.member ? await presentProfile(deps, session.member) : null,
    };
    ctx.body = answer;
  });

  router.post('/register', requireMember(services), async (ctx) => {
    const body = validate(RegisterRequest, ctx.request.body);
    const deps = memberDeps(services);
    const { member, linked } = await registerFromMiniProgram(deps, sessionOf(ctx), body, { ip: ctx.ip, requestId: ctx.state.requestId });
    const answer: RegisterResponse = { member: await presentProfile(deps, member), linked };
    ctx.status = 201;
    ctx.body = answer;
  });

  router.get('/me', registered, async (ctx) => {
    ctx.body = await memberMe(memberDeps(services), memberOf(ctx));
  });

  router.get('/me/code', registered, (ctx) => {
    // A member code must never be served from a cache: it rotates every 30 s.
    ctx.set('Cache-Control', 'no-store');
    ctx.body = memberCode(memberDeps(services), memberOf(ctx));
  });

  router.get('/me/history', registered, async (ctx) => {
    const query = validate(HistoryQuery, ctx.query);
    ctx.body = await memberHistory(memberDeps(services), memberOf(ctx), query);
  });

  router.get('/me/export', registered, async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.body = await exportMemberData(memberDeps(services), memberOf(ctx));
  });

  router.delete('/me', registered, async (ctx) => {
    await eraseMember(memberDeps(services), memberOf(ctx).id, { ip: ctx.ip, requestId: ctx.state.requestId });
    ctx.status = 204;
  });

  router.get('/subscriptions', registered, async (ctx) => {
    ctx.body = await subscriptionsOf(memberDeps(services), memberOf(ctx));
  });

  router.post('/subscriptions', registered, async (ctx) => {
    const body = validate(SubscriptionsRequest, ctx.request.body);
    ctx.body = await recordSubscriptions(memberDeps(services), memberOf(ctx), body);
  });

  // "How likely are you to recommend us?" after a purchase: one answer per order (or per day).
  router.post('/nps', registered, async (ctx) => {
    const body = validate(NpsRequest, ctx.request.body);
    const answer = await recordNps(services, memberOf(ctx), body);
    ctx.status = answer.replayed ? 200 : 201;
    ctx.body = answer;
  });

  router.get('/nps/pending', registered, async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.body = await pendingNps(services, memberOf(ctx));
  });

  claimRoutes(router, services);
  rewardRoutes(router, services);
  orderRoutes(router, services);
  return router;
}

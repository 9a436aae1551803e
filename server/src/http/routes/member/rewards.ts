/** Rewards, vouchers and exchanging points between programs. */
import type Router from '@koa/router';
import { ExchangeRequest, IdParam, RedeemRequest } from '@jifen/shared';
import type { ExchangeRatesResponse, RewardsResponse, VouchersResponse } from '@jifen/shared';
import { exchangePoints, exchangeRates } from '../../../commands/member-exchange.js';
import { redeemReward, rewardsFor, vouchersFor } from '../../../commands/member-rewards.js';
import type { AppState, Services } from '../../context.js';
import { validate } from '../../middleware/request.js';
import { memberDeps, memberOf, requireRegistered } from './auth.js';

export function rewardRoutes(router: Router<AppState>, services: Services): void {
  const registered = requireRegistered(services);

  router.get('/rewards', registered, async (ctx) => {
    const answer: RewardsResponse = { rewards: await rewardsFor(memberDeps(services), memberOf(ctx)) };
    ctx.body = answer;
  });

  router.post('/rewards/:id/redeem', registered, async (ctx) => {
    const id = validate(IdParam, ctx.params.id);
    const body = validate(RedeemRequest, ctx.request.body);
    const { replayed, ...answer } = await redeemReward(memberDeps(services), memberOf(ctx), id, body.idempotencyKey);
    // A replay answers exactly as the first time; the header tells a curious client it was one.
    if (replayed) ctx.set('Idempotent-Replayed', 'true');
    ctx.status = 201;
    ctx.body = answer;
  });

  router.get('/vouchers', registered, async (ctx) => {
    const answer: VouchersResponse = { vouchers: await vouchersFor(memberDeps(services), memberOf(ctx)) };
    ctx.body = answer;
  });

  router.get('/exchange/rates', registered, async (ctx) => {
    const answer: ExchangeRatesResponse = { rates: await exchangeRates(services.db) };
    ctx.body = answer;
  });

  router.post('/exchange', registered, async (ctx) => {
    const body = validate(ExchangeRequest, ctx.request.body);
    const { replayed, ...answer } = await exchangePoints(memberDeps(services), memberOf(ctx), body);
    if (replayed) ctx.set('Idempotent-Replayed', 'true');
    ctx.status = 201;
    ctx.body = answer;
  });
}

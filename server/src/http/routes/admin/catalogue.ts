/** The rewards catalogue and product-code batches (一物一码). */
import { Readable } from 'node:stream';
import { CreateCodeBatchRequest, CreateRewardRequest, IdParam, RewardListQuery, UpdateRewardRequest } from '@jifen/shared';
import {
  addReward,
  batchCsv,
  batchView,
  createBatch,
  editReward,
  listBatches,
  listRewardsFor,
  setRewardActive,
  voidBatch,
} from '../../../commands/hq-catalogue.js';
import type { Services } from '../../context.js';
import { validate } from '../../middleware/request.js';
import { actorOf, route } from './route.js';
import type { AdminRouter } from './route.js';

export function catalogueRoutes(router: AdminRouter, services: Services): void {
  const deps = { db: services.db, now: services.now, codes: services.codes };
  let tag = 'Rewards';

  route(
    router,
    services,
    {
      method: 'get',
      path: '/rewards',
      permission: 'rewards.read',
      doc: {
        tag,
        summary: 'The catalogue, with vouchers issued so far',
        query: RewardListQuery,
        responses: { 200: '{ rewards: AdminRewardView[] }' },
      },
    },
    async (ctx) => {
      ctx.body = { rewards: await listRewardsFor(deps, validate(RewardListQuery, ctx.query)) };
    },
  );

  route(
    router,
    services,
    {
      method: 'post',
      path: '/rewards',
      permission: 'rewards.write',
      doc: {
        tag,
        summary: 'Add a reward: cost, stock (null: unlimited), per-member limit, tiers',
        body: CreateRewardRequest,
        responses: { 201: 'AdminRewardView' },
        errors: ['PROGRAM_NOT_FOUND'],
      },
    },
    async (ctx) => {
      ctx.status = 201;
      ctx.body = await addReward(deps, actorOf(ctx), validate(CreateRewardRequest, ctx.request.body));
    },
  );

  route(
    router,
    services,
    {
      method: 'patch',
      path: '/rewards/:id',
      permission: 'rewards.write',
      doc: {
        tag,
        summary: 'Edit a reward; addStock adds items atomically with redemptions under way',
        body: UpdateRewardRequest,
        responses: { 200: 'AdminRewardView' },
        errors: ['REWARD_NOT_FOUND', 'CONFIG_CONFLICT'],
      },
    },
    async (ctx) => {
      const id = validate(IdParam, ctx.params.id);
      ctx.body = await editReward(deps, actorOf(ctx), id, validate(UpdateRewardRequest, ctx.request.body));
    },
  );

  for (const active of [true, false]) {
    route(
      router,
      services,
      {
        method: 'post',
        path: `/rewards/:id/${active ? 'activate' : 'deactivate'}`,
        permission: 'rewards.write',
        doc: {
          tag,
          summary: active ? 'Offer a reward to members' : 'Withdraw a reward from the catalogue (vouchers issued stay valid)',
          responses: { 200: 'AdminRewardView' },
          errors: ['REWARD_NOT_FOUND'],
        },
      },
      async (ctx) => {
        ctx.body = await setRewardActive(deps, actorOf(ctx), validate(IdParam, ctx.params.id), active);
      },
    );
  }

  tag = 'Product codes';
  route(
    router,
    services,
    {
      method: 'get',
      path: '/product-codes/batches',
      permission: 'codes.read',
      doc: { tag, summary: 'Product-code batches, newest first, with codes claimed', responses: { 200: '{ batches: CodeBatchView[] }' } },
    },
    async (ctx) => {
      ctx.body = { batches: await listBatches(deps) };
    },
  );

  route(
    router,
    services,
    {
      method: 'get',
      path: '/product-codes/batches/:id',
      permission: 'codes.read',
      doc: { tag, summary: 'One batch', responses: { 200: 'CodeBatchView' }, errors: ['BATCH_NOT_FOUND'] },
    },
    async (ctx) => {
      ctx.body = await batchView(deps, validate(IdParam, ctx.params.id));
    },
  );

  route(
    router,
    services,
    {
      method: 'post',
      path: '/product-codes/batches',
      permission: 'codes.write',
      doc: {
        tag,
        summary: 'Create N signed codes for a SKU (download them as CSV)',
        body: CreateCodeBatchRequest,
        responses: { 201: 'CodeBatchView' },
        errors: ['PROGRAM_NOT_FOUND'],
      },
    },
    async (ctx) => {
      ctx.status = 201;
      ctx.body = await createBatch(deps, actorOf(ctx), validate(CreateCodeBatchRequest, ctx.request.body));
    },
  );

  route(
    router,
    services,
    {
      method: 'get',
      path: '/product-codes/batches/:id/codes.csv',
      permission: 'codes.write',
      doc: {
        tag,
        summary: 'The batch’s codes as CSV for the packaging printer, streamed (serial, code, sku, points, expires_at); audited',
        responses: { 200: { description: 'CSV', contentType: 'text/csv' } },
        errors: ['BATCH_NOT_FOUND'],
      },
    },
    async (ctx) => {
      const csv = await batchCsv(deps, actorOf(ctx), validate(IdParam, ctx.params.id));
      ctx.type = 'text/csv; charset=utf-8';
      ctx.attachment(csv.filename);
      ctx.body = Readable.from(csv.lines);
    },
  );

  route(
    router,
    services,
    {
      method: 'post',
      path: '/product-codes/batches/:id/void',
      permission: 'codes.write',
      doc: {
        tag,
        summary: 'Void a batch: its unclaimed codes answer CODE_VOID',
        responses: { 200: 'CodeBatchView' },
        errors: ['BATCH_NOT_FOUND'],
      },
    },
    async (ctx) => {
      ctx.body = await voidBatch(deps, actorOf(ctx), validate(IdParam, ctx.params.id));
    },
  );
}

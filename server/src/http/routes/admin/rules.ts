/** Earning rules and campaigns: versions, drafts, publish, back-test. */
import {
  BacktestRequest,
  CreateRuleDraftRequest,
  DraftListQuery,
  IdParam,
  PublishRulesRequest,
  RuleVersionsQuery,
  UpdateRuleDraftRequest,
} from '@jifen/shared';
import { discardDraft, getDraft, listConfigDrafts, presentDraft } from '../../../commands/hq-config.js';
import {
  backtestRuleDraft,
  createRuleDraft,
  getRuleVersion,
  listRuleVersions,
  publishRuleDraft,
  updateRuleDraft,
} from '../../../commands/hq-rules.js';
import type { Services } from '../../context.js';
import { validate } from '../../middleware/request.js';
import { actorOf, route } from './route.js';
import type { AdminRouter } from './route.js';

const tag = 'Rules';
const RULES = ['rules'] as const;

export function rulesRoutes(router: AdminRouter, services: Services): void {
  const deps = { db: services.db, now: services.now };

  route(
    router,
    services,
    {
      method: 'get',
      path: '/rules',
      permission: 'rules.read',
      doc: {
        tag,
        summary: 'Published rule set versions, and which is in force now',
        query: RuleVersionsQuery,
        responses: { 200: '{ versions: [...] }' },
        errors: ['PROGRAM_NOT_FOUND', 'BRAND_NOT_FOUND'],
      },
    },
    async (ctx) => {
      ctx.body = { versions: await listRuleVersions(deps, validate(RuleVersionsQuery, ctx.query)) };
    },
  );

  route(
    router,
    services,
    {
      method: 'get',
      path: '/rules/versions/:id',
      permission: 'rules.read',
      doc: { tag, summary: 'One published version with its rules', responses: { 200: 'rule set' }, errors: ['RULESET_NOT_FOUND'] },
    },
    async (ctx) => {
      ctx.body = await getRuleVersion(deps, validate(IdParam, ctx.params.id));
    },
  );

  route(
    router,
    services,
    {
      method: 'get',
      path: '/rules/drafts',
      permission: 'rules.read',
      doc: { tag, summary: 'Rule set drafts', query: DraftListQuery, responses: { 200: '{ drafts: DraftView[] }' } },
    },
    async (ctx) => {
      ctx.body = { drafts: await listConfigDrafts(deps, { ...validate(DraftListQuery, ctx.query), kind: 'rules' }, RULES) };
    },
  );

  route(
    router,
    services,
    {
      method: 'get',
      path: '/rules/drafts/:id',
      permission: 'rules.read',
      doc: { tag, summary: 'One rule set draft', responses: { 200: 'DraftView' }, errors: ['DRAFT_NOT_FOUND'] },
    },
    async (ctx) => {
      ctx.body = presentDraft(await getDraft(deps, validate(IdParam, ctx.params.id), RULES));
    },
  );

  route(
    router,
    services,
    {
      method: 'post',
      path: '/rules/drafts',
      permission: 'rules.write',
      doc: {
        tag,
        summary: 'Open a rule set draft for a program or one brand (validated with RuleSetSchema)',
        body: CreateRuleDraftRequest,
        responses: { 201: 'DraftView' },
        errors: ['PROGRAM_NOT_FOUND', 'BRAND_NOT_FOUND'],
      },
    },
    async (ctx) => {
      ctx.status = 201;
      ctx.body = await createRuleDraft(deps, actorOf(ctx), validate(CreateRuleDraftRequest, ctx.request.body));
    },
  );

  route(
    router,
    services,
    {
      method: 'put',
      path: '/rules/drafts/:id',
      permission: 'rules.write',
      doc: {
        tag,
        summary: 'Replace a draft’s rules',
        body: UpdateRuleDraftRequest,
        responses: { 200: 'DraftView' },
        errors: ['DRAFT_NOT_FOUND', 'DRAFT_NOT_EDITABLE'],
      },
    },
    async (ctx) => {
      const id = validate(IdParam, ctx.params.id);
      ctx.body = await updateRuleDraft(deps, actorOf(ctx), id, validate(UpdateRuleDraftRequest, ctx.request.body).rules);
    },
  );

  route(
    router,
    services,
    {
      method: 'post',
      path: '/rules/drafts/:id/discard',
      permission: 'rules.write',
      doc: { tag, summary: 'Discard a rule set draft', responses: { 200: 'DraftView' }, errors: ['DRAFT_NOT_FOUND', 'DRAFT_NOT_EDITABLE'] },
    },
    async (ctx) => {
      ctx.body = await discardDraft(deps, actorOf(ctx), validate(IdParam, ctx.params.id), RULES);
    },
  );

  route(
    router,
    services,
    {
      method: 'post',
      path: '/rules/drafts/:id/publish',
      permission: 'rules.publish',
      doc: {
        tag,
        summary: 'Publish a draft as the next version, in force from effectiveFrom (default now)',
        description: 'Orders placed before keep the version they were placed under; published versions never change.',
        body: PublishRulesRequest,
        responses: { 200: 'DraftView (status published, version, effectiveFrom)' },
        errors: ['DRAFT_NOT_FOUND', 'DRAFT_NOT_EDITABLE', 'DRAFT_STALE'],
      },
    },
    async (ctx) => {
      const id = validate(IdParam, ctx.params.id);
      ctx.body = await publishRuleDraft(deps, actorOf(ctx), id, validate(PublishRulesRequest, ctx.request.body).effectiveFrom);
    },
  );

  route(
    router,
    services,
    {
      method: 'post',
      path: '/rules/:draftId/backtest',
      permission: 'rules.read',
      doc: {
        tag,
        summary: 'Replay a period’s paid orders under a draft and under their settled rules: points and cost per brand per day',
        description: 'Writes nothing. The approximations made are listed in the answer.',
        body: BacktestRequest,
        responses: { 200: 'BacktestReport' },
        errors: ['DRAFT_NOT_FOUND', 'BRAND_NOT_FOUND'],
      },
    },
    async (ctx) => {
      const id = validate(IdParam, ctx.params.draftId);
      ctx.body = await backtestRuleDraft(deps, id, validate(BacktestRequest, ctx.request.body));
    },
  );
}

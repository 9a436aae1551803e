/** Versioned configuration: live programs, brands, stores and exchange rates; drafts → publish; versions. */
import { ConfigVersionsQuery, CreateConfigDraftRequest, DraftListQuery, IdParam, UpdateDraftRequest } from '@jifen/shared';
import {
  CONFIG_KINDS,
  configVersions,
  createConfigDraft,
  discardDraft,
  getDraft,
  listConfigDrafts,
  liveConfiguration,
  presentDraft,
  publishConfigDraft,
  updateConfigDraft,
} from '../../../commands/hq-config.js';
import type { Services } from '../../context.js';
import { validate } from '../../middleware/request.js';
import { actorOf, route } from './route.js';
import type { AdminRouter } from './route.js';

const tag = 'Configuration';

export function configRoutes(router: AdminRouter, services: Services): void {
  const deps = { db: services.db, now: services.now };

  const live = [
    {
      path: '/programs',
      kind: 'programs',
      key: 'programs',
      summary: 'Programs: point value, expiry policy, return window, share payable with points, tiers, version',
    },
    { path: '/brands', kind: 'brands', key: 'brands', summary: 'Brands and their program, with version' },
    { path: '/stores', kind: 'stores', key: 'stores', summary: 'Stores and their brand, with version' },
    { path: '/exchange-rates', kind: 'exchange_rates', key: 'exchangeRates', summary: 'Exchange rates between programs, with version' },
  ] as const;
  for (const l of live) {
    route(
      router,
      services,
      { method: 'get', path: l.path, permission: 'org.read', doc: { tag, summary: l.summary, responses: { 200: `{ ${l.key}: [...] }` } } },
      async (ctx) => {
        ctx.body = { [l.key]: await liveConfiguration(deps, l.kind) };
      },
    );
  }

  route(
    router,
    services,
    {
      method: 'get',
      path: '/config/drafts',
      permission: 'org.read',
      doc: {
        tag,
        summary: 'Configuration drafts (and published or discarded ones)',
        query: DraftListQuery,
        responses: { 200: '{ drafts: DraftView[] }' },
      },
    },
    async (ctx) => {
      ctx.body = { drafts: await listConfigDrafts(deps, validate(DraftListQuery, ctx.query), CONFIG_KINDS) };
    },
  );

  route(
    router,
    services,
    {
      method: 'get',
      path: '/config/drafts/:id',
      permission: 'org.read',
      doc: { tag, summary: 'One configuration draft', responses: { 200: 'DraftView' }, errors: ['DRAFT_NOT_FOUND'] },
    },
    async (ctx) => {
      ctx.body = presentDraft(await getDraft(deps, validate(IdParam, ctx.params.id), CONFIG_KINDS));
    },
  );

  route(
    router,
    services,
    {
      method: 'post',
      path: '/config/drafts',
      permission: 'org.write',
      doc: {
        tag,
        summary: 'Open a draft of a program, brand, store, tier set or exchange rate (new or existing)',
        description:
          'The draft is based on the object’s latest published version; publishing it after another version was published answers DRAFT_STALE.',
        body: CreateConfigDraftRequest,
        responses: { 201: 'DraftView' },
        errors: ['PROGRAM_NOT_FOUND', 'BRAND_NOT_FOUND', 'CONFIG_CONFLICT'],
      },
    },
    async (ctx) => {
      ctx.status = 201;
      ctx.body = await createConfigDraft(deps, actorOf(ctx), validate(CreateConfigDraftRequest, ctx.request.body));
    },
  );

  route(
    router,
    services,
    {
      method: 'put',
      path: '/config/drafts/:id',
      permission: 'org.write',
      doc: {
        tag,
        summary: 'Replace a draft’s body (validated with its kind’s schema)',
        body: UpdateDraftRequest,
        responses: { 200: 'DraftView' },
        errors: ['DRAFT_NOT_FOUND', 'DRAFT_NOT_EDITABLE', 'CONFIG_CONFLICT'],
      },
    },
    async (ctx) => {
      const id = validate(IdParam, ctx.params.id);
      ctx.body = await updateConfigDraft(deps, actorOf(ctx), id, validate(UpdateDraftRequest, ctx.request.body).body);
    },
  );

  route(
    router,
    services,
    {
      method: 'post',
      path: '/config/drafts/:id/publish',
      permission: 'org.write',
      doc: {
        tag,
        summary: 'Publish a draft: applied now, recorded as the object’s next (immutable) version',
        responses: { 200: 'DraftView (status published, version)' },
        errors: ['DRAFT_NOT_FOUND', 'DRAFT_NOT_EDITABLE', 'DRAFT_STALE', 'CONFIG_CONFLICT', 'PROGRAM_NOT_FOUND', 'BRAND_NOT_FOUND'],
      },
    },
    async (ctx) => {
      ctx.body = await publishConfigDraft(deps, actorOf(ctx), validate(IdParam, ctx.params.id));
    },
  );

  route(
    router,
    services,
    {
      method: 'post',
      path: '/config/drafts/:id/discard',
      permission: 'org.write',
      doc: {
        tag,
        summary: 'Discard a draft',
        responses: { 200: 'DraftView (status discarded)' },
        errors: ['DRAFT_NOT_FOUND', 'DRAFT_NOT_EDITABLE'],
      },
    },
    async (ctx) => {
      ctx.body = await discardDraft(deps, actorOf(ctx), validate(IdParam, ctx.params.id), CONFIG_KINDS);
    },
  );

  route(
    router,
    services,
    {
      method: 'get',
      path: '/config/versions',
      permission: 'org.read',
      doc: {
        tag,
        summary: 'The published versions of one object, newest first',
        query: ConfigVersionsQuery,
        responses: { 200: '{ versions: DraftView[] }' },
      },
    },
    async (ctx) => {
      const q = validate(ConfigVersionsQuery, ctx.query);
      ctx.body = { versions: await configVersions(deps, q.kind, q.target) };
    },
  );
}

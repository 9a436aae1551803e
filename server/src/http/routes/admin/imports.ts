/**
 * Legacy member import: `POST /api/admin/imports?dryRun=true|false` with the CSV as the body
 * (`text/csv`, UTF-8 or `charset=gb18030`), read as it arrives — a file of any size in constant
 * memory. A dry run unless `dryRun=false`. The answer is the report (every bad row with its line);
 * while a large file runs, `GET /api/admin/imports` and `/:id` show its progress.
 */
import Router from '@koa/router';
import { IdParam, ImportQuery, JifenError } from '@jifen/shared';
import { csvEncoding, decodeText, limited } from '../../../commands/import-csv.js';
import { importMembers, presentRun } from '../../../commands/import-members.js';
import { findImportRun, recentImportRuns } from '../../../repositories/import.repository.js';
import type { AppState, Services, StaffPrincipal } from '../../context.js';
import { validate } from '../../middleware/request.js';
import { ADMIN_PREFIX, route } from './route.js';

/** 512 MiB: about five million members. */
const MAX_IMPORT_BYTES = 512 * 1024 * 1024;

export function importRoutes(services: Services): Router<AppState> {
  const router = new Router<AppState>({ prefix: ADMIN_PREFIX });
  const deps = { db: services.db, cipher: services.cipher, now: () => services.now() };
  const tag = 'Member import';

  route(
    router,
    services,
    {
      method: 'post',
      path: '/imports',
      permission: 'import.write',
      doc: {
        tag,
        summary:
          'Import legacy members and opening balances: the CSV is the body (text/csv; charset=utf-8 or gb18030), columns phone, name?, birthday?, program?, openingBalance?, externalId; a dry run unless dryRun=false; safe to repeat',
        query: ImportQuery,
        responses: { 200: '{ runId, dryRun, rows, created, linked, unchanged, points, bad, errors: [{ line, externalId, reason }] }' },
      },
    },
    async (ctx) => {
      const query = validate(ImportQuery, ctx.query);
      if (!ctx.is('text/csv')) throw new JifenError('VALIDATION_FAILED', 'send the file as the body with Content-Type: text/csv');
      const encoding = csvEncoding(ctx.request.charset || undefined);
      const staff = ctx.state.staff as StaffPrincipal;
      ctx.body = await importMembers(deps, decodeText(limited(ctx.req as AsyncIterable<Buffer>, MAX_IMPORT_BYTES), encoding), {
        dryRun: query.dryRun === 'true',
        actor: `staff:${staff.username}`,
        requestId: ctx.state.requestId,
      });
    },
  );

  route(
    router,
    services,
    {
      method: 'get',
      path: '/imports',
      permission: 'import.write',
      doc: {
        tag,
        summary: 'The 20 latest import runs with their progress (rows read, bad rows so far)',
        responses: { 200: '{ runs: ImportRunView[] }' },
      },
    },
    async (ctx) => {
      ctx.body = { runs: (await recentImportRuns(services.db.kysely, 20)).map(presentRun) };
    },
  );

  route(
    router,
    services,
    {
      method: 'get',
      path: '/imports/:id',
      permission: 'import.write',
      doc: { tag, summary: 'One import run and its progress', responses: { 200: 'ImportRunView' }, errors: ['NOT_FOUND'] },
    },
    async (ctx) => {
      const run = await findImportRun(services.db.kysely, validate(IdParam, ctx.params.id));
      if (!run) throw new JifenError('NOT_FOUND', 'no such import run');
      ctx.body = presentRun(run);
    },
  );
  return router;
}

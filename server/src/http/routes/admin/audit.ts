/** The audit log: search and CSV export. Read-only: no route changes the log. */
import { Readable } from 'node:stream';
import { AuditQuery } from '@jifen/shared';
import { exportAudit, searchAudit } from '../../../commands/hq-audit.js';
import type { Services } from '../../context.js';
import { validate } from '../../middleware/request.js';
import { actorOf, route } from './route.js';
import type { AdminRouter } from './route.js';

const tag = 'Audit log';

export function auditRoutes(router: AdminRouter, services: Services): void {
  const deps = { db: services.db, now: services.now };

  route(
    router,
    services,
    {
      method: 'get',
      path: '/audit',
      permission: 'audit.read',
      doc: {
        tag,
        summary: 'Search the audit log (actor, action or prefix*, target, from/to), newest first, paged by cursor',
        query: AuditQuery,
        responses: { 200: '{ items: AuditEntryView[], nextCursor }' },
      },
    },
    async (ctx) => {
      ctx.body = await searchAudit(deps, validate(AuditQuery, ctx.query));
    },
  );

  route(
    router,
    services,
    {
      method: 'get',
      path: '/audit.csv',
      permission: 'audit.read',
      doc: {
        tag,
        summary: 'Export the matching audit rows as CSV, streamed page by page (the export is itself audited)',
        query: AuditQuery,
        responses: { 200: { description: 'CSV', contentType: 'text/csv' } },
      },
    },
    async (ctx) => {
      const lines = await exportAudit(deps, actorOf(ctx), validate(AuditQuery, ctx.query));
      ctx.type = 'text/csv; charset=utf-8';
      ctx.attachment('audit.csv');
      ctx.body = Readable.from(lines);
    },
  );
}

/**
 * HQ reports: `GET /api/admin/reports/<name>?from=&to=&program=&brand=&store=&format=json|csv`,
 * declared with route() so the OpenAPI document lists them with their permission.
 * Each report names its permission: the money reports (liability, inflation, cross-brand flows)
 * `reports.finance`, the others `reports.read`; the RFM member list also needs `reports.members`,
 * and personal data in it `reports.personal` (every such export is audited). CSV is streamed: the
 * first chunk is produced before the answer starts, so a failing query is still a JSON error.
 */
import { Readable } from 'node:stream';
import Router from '@koa/router';
import { JifenError, ReportQuery } from '@jifen/shared';
import type { ReportName } from '@jifen/shared';
import { csvChunks } from '../../../commands/report-csv.js';
import { buildReport, reportContext } from '../../../commands/reports.js';
import { appendAudit } from '../../../repositories/audit.repository.js';
import type { AppContext, AppState, Services, StaffPrincipal } from '../../context.js';
import { validate } from '../../middleware/request.js';
import { can } from '../../policies.js';
import type { Permission } from '../../policies.js';
import { ADMIN_PREFIX, route } from './route.js';

export const REPORT_PERMISSIONS: Record<ReportName, Permission> = {
  liability: 'reports.finance',
  inflation: 'reports.finance',
  flows: 'reports.finance',
  members: 'reports.read',
  rfm: 'reports.read',
  campaigns: 'reports.read',
  nps: 'reports.read',
};

const SUMMARIES: Record<ReportName, string> = {
  liability:
    'Points liability as of `to` by program and the brand and store that issued the points (tables rows, movement: monthly opening, issued, spent, expired, reversed, closing)',
  inflation: 'Issued vs spent vs expired vs reversed per day or month (granularity), with the net and the burn rate',
  flows: 'Cross-brand flows: points earned at one brand and spent at another, from the lots each spend consumed',
  members: 'Members: new, buyers, repurchase rate, purchase interval; tables periods, tiers (now), tier_movement',
  rfm: 'RFM segments with churn warnings (yellow: gap > 1.5 × usual interval; red: 30 days without activity); the member list (table members) needs reports.members, personal data reports.personal',
  campaigns:
    'Campaign cost (points from the rules trace × point value) and uplift (orders and amount during the window vs the same length before)',
  nps: 'NPS (promoters − detractors, %) per period and per brand, from POST /api/member/nps',
};

async function* prepend<T>(first: IteratorResult<T>, rest: AsyncGenerator<T>): AsyncGenerator<T> {
  if (first.done) return;
  yield first.value;
  yield* rest;
}

export function reportRoutes(services: Services): Router<AppState> {
  const router = new Router<AppState>({ prefix: ADMIN_PREFIX });
  const deps = { db: services.db, cipher: services.cipher, now: () => services.now() };

  const handle = (name: ReportName) => async (ctx: AppContext) => {
    const query = validate(ReportQuery, ctx.query);
    const staff = ctx.state.staff as StaffPrincipal;
    const access = { members: can(staff.role, 'reports.members'), personal: can(staff.role, 'reports.personal') };
    const report = buildReport(await reportContext(deps, query, access), name);
    const audit = (action: string, after: unknown) =>
      appendAudit(services.db.kysely, {
        actor: `staff:${staff.username}`,
        action,
        target: `report:${name}`,
        after,
        ip: ctx.ip,
        requestId: ctx.state.requestId,
        at: services.now(),
      });

    if (query.format === 'json') {
      ctx.body = await report.json();
      if (name === 'rfm' && access.personal) await audit('report.pii.read', { from: query.from ?? null, to: query.to ?? null });
      return;
    }
    const tableName = query.table ?? report.mainTable;
    const table = report.tables[tableName];
    if (!table) {
      throw new JifenError('VALIDATION_FAILED', `report ${name} has the tables ${Object.keys(report.tables).join(', ')}`, 'table');
    }
    if (table.listsMembers && !access.members) throw new JifenError('FORBIDDEN', `role ${staff.role} may not reports.members`);
    // Member lists leave the building: who took which, with or without personal data, is on record.
    if (table.listsMembers) {
      await audit(access.personal ? 'report.pii.export' : 'report.members.export', {
        table: tableName,
        from: query.from ?? null,
        to: query.to ?? null,
        personal: access.personal,
      });
    }
    const chunks = csvChunks(table.columns, table.rows());
    const first = await chunks.next();
    ctx.set('Content-Type', 'text/csv; charset=utf-8');
    ctx.set('Content-Disposition', `attachment; filename="jifen-${name}-${tableName}-${query.from ?? ''}-${query.to ?? ''}.csv"`);
    ctx.set('Cache-Control', 'no-store');
    ctx.body = Readable.from(prepend(first, chunks), { objectMode: false });
  };

  for (const [name, permission] of Object.entries(REPORT_PERMISSIONS) as Array<[ReportName, Permission]>) {
    route(
      router,
      services,
      {
        method: 'get',
        path: `/reports/${name}`,
        permission,
        doc: {
          tag: 'Reports',
          summary: SUMMARIES[name],
          query: ReportQuery,
          responses: {
            200: {
              description: 'JSON: every table of the report; format=csv: one table (table=…), streamed',
              contentType: 'application/json',
            },
          },
        },
      },
      handle(name),
    );
  }
  return router;
}

/**
 * The audit log for auditors and admins: search (actor, action, target, period) in keyset pages,
 * and a CSV export streamed page by page, so memory stays flat however long the log is. Both only
 * read; no endpoint changes the log. An export is itself put on the record.
 */
import type { AuditEntryView, AuditQuery } from '@jifen/shared';
import * as repo from '../repositories/hq-audit.repository.js';
import type { AuditFilter, AuditRow } from '../repositories/hq-audit.repository.js';
import { csvField } from './hq-catalogue.js';
import { iso, record } from './hq-common.js';
import type { HqActor, HqDeps } from './hq-common.js';

function parseJson(text: string | null): unknown {
  if (text === null) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function present(r: AuditRow): AuditEntryView {
  return {
    id: r.id,
    at: iso(r.created_at),
    actor: r.actor,
    action: r.action,
    target: r.target,
    before: parseJson(r.before_state),
    after: parseJson(r.after_state),
    ip: r.ip,
    requestId: r.request_id,
  };
}

function filterOf(q: AuditQuery): AuditFilter {
  return {
    // A bare username means the staff member of that name.
    actor: q.actor ? (q.actor.includes(':') ? q.actor : `staff:${q.actor}`) : undefined,
    action: q.action,
    target: q.target,
    from: q.from ? Date.parse(q.from) : undefined,
    to: q.to ? Date.parse(q.to) : undefined,
  };
}

function cursorOf(c: string | undefined): { at: number; id: number } | null {
  if (!c) return null;
  const [at, id] = c.split('.').map(Number) as [number, number];
  return { at, id };
}

export async function searchAudit(deps: HqDeps, q: AuditQuery): Promise<{ items: AuditEntryView[]; nextCursor: string | null }> {
  const rows = await repo.auditPage(deps.db.kysely, filterOf(q), cursorOf(q.cursor), q.limit + 1);
  const page = rows.slice(0, q.limit);
  const last = page[page.length - 1];
  return { items: page.map(present), nextCursor: rows.length > q.limit && last ? `${last.created_at}.${last.id}` : null };
}

const EXPORT_PAGE = 500;

/** The matching rows as CSV lines, newest first, read page by page while the client downloads. */
export async function exportAudit(deps: HqDeps, actor: HqActor, q: AuditQuery): Promise<AsyncIterable<string>> {
  const filter = filterOf(q);
  await record(deps.db.kysely, actor, deps.now(), {
    action: 'audit.export',
    target: 'audit_log',
    after: { filter: { ...q, cursor: undefined, limit: undefined } },
  });
  const db = deps.db.kysely;
  async function* lines(): AsyncIterable<string> {
    yield 'id,at,actor,action,target,before,after,ip,request_id\n';
    let after: { at: number; id: number } | null = null;
    for (;;) {
      const rows = await repo.auditPage(db, filter, after, EXPORT_PAGE);
      if (rows.length === 0) return;
      yield rows
        .map((r) =>
          [
            String(r.id),
            iso(r.created_at),
            r.actor,
            r.action,
            r.target,
            r.before_state ?? '',
            r.after_state ?? '',
            r.ip ?? '',
            r.request_id ?? '',
          ]
            .map(csvField)
            .join(','),
        )
        .join('\n')
        .concat('\n');
      const last = rows[rows.length - 1]!;
      after = { at: last.created_at, id: last.id };
      if (rows.length < EXPORT_PAGE) return;
    }
  }
  return lines();
}

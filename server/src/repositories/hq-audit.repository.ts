/** Reading the append-only audit log (writing is audit.repository.ts; nothing updates or deletes it). */
import type { Kysely, Selectable } from 'kysely';
import type { Trx } from '../db/dialect.js';
import type { AuditLogTable, Database } from '../db/schema.js';

type Q = Kysely<Database> | Trx;
export type AuditRow = Selectable<AuditLogTable>;

export interface AuditFilter {
  actor?: string;
  /** Exact, or a prefix when it ends with `*` (`member.*`). */
  action?: string;
  target?: string;
  from?: number;
  to?: number;
}

/** Newest first, keyset-paged by (created_at, id) so deep pages cost the same as the first. */
export function auditPage(db: Q, f: AuditFilter, after: { at: number; id: number } | null, limit: number): Promise<AuditRow[]> {
  let q = db.selectFrom('audit_log').selectAll();
  if (f.actor) q = q.where('actor', '=', f.actor);
  // A prefix search: `%` is dropped from the prefix; `_` may match any one character (harmless here,
  // and SQLite has no default LIKE escape to portably say otherwise).
  if (f.action)
    q = f.action.endsWith('*')
      ? q.where('action', 'like', `${f.action.slice(0, -1).replace(/%/g, '')}%`)
      : q.where('action', '=', f.action);
  if (f.target) q = q.where('target', '=', f.target);
  if (f.from !== undefined) q = q.where('created_at', '>=', f.from);
  if (f.to !== undefined) q = q.where('created_at', '<', f.to);
  if (after)
    q = q.where((eb) => eb.or([eb('created_at', '<', after.at), eb.and([eb('created_at', '=', after.at), eb('id', '<', after.id)])]));
  return q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
}

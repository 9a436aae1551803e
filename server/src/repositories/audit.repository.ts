/** The append-only audit log: inserted, never updated or deleted. */
import type { Kysely } from 'kysely';
import type { Trx } from '../db/dialect.js';
import type { Database } from '../db/schema.js';
import { newId } from '../lib/ids.js';

export interface AuditRecord {
  actor: string;
  action: string;
  target: string;
  before?: unknown;
  after?: unknown;
  ip?: string | null;
  requestId?: string | null;
  at: number;
}

export async function appendAudit(db: Kysely<Database> | Trx, r: AuditRecord): Promise<void> {
  await db
    .insertInto('audit_log')
    .values({
      id: newId(),
      actor: r.actor,
      action: r.action,
      target: r.target,
      before_state: r.before === undefined ? null : JSON.stringify(r.before),
      after_state: r.after === undefined ? null : JSON.stringify(r.after),
      ip: r.ip ?? null,
      request_id: r.requestId ?? null,
      created_at: r.at,
    })
    .execute();
}

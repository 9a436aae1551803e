/**
 * What every HQ command shares: who is acting (for the audit log and the store manager's scope)
 * and how a change is put on the record.
 */
import { JifenError } from '@jifen/shared';
import type { Kysely } from 'kysely';
import type { Db } from '../db/connect.js';
import type { Trx } from '../db/dialect.js';
import type { Database } from '../db/schema.js';
import { appendAudit } from '../repositories/audit.repository.js';

/** A signed-in staff member acting through the admin API. */
export interface HqActor {
  staffId: number;
  username: string;
  role: string;
  /** The store of a store_manager (or cashier); null for HQ roles. */
  storeId: number | null;
  ip: string | null;
  requestId: string | null;
}

export interface HqDeps {
  db: Db;
  now: () => number;
}

export function actorName(actor: Pick<HqActor, 'username'>): string {
  return `staff:${actor.username}`;
}

/** One row of the append-only audit log: who, when, what, the state before and after, from where. */
export async function record(
  q: Kysely<Database> | Trx,
  actor: HqActor,
  at: number,
  what: { action: string; target: string; before?: unknown; after?: unknown },
): Promise<void> {
  await appendAudit(q, {
    actor: actorName(actor),
    action: what.action,
    target: what.target,
    before: what.before,
    after: what.after,
    ip: actor.ip,
    requestId: actor.requestId,
    at,
  });
}

/** A store manager acts on its own store only. Throws FORBIDDEN. */
export function assertOwnStore(actor: HqActor, storeId: number): void {
  if (actor.role === 'store_manager' && actor.storeId !== storeId) {
    throw new JifenError('FORBIDDEN', 'a store manager may act on its own store only');
  }
}

/** The store a store manager is confined to, or undefined for HQ roles (every store). */
export function storeScope(actor: HqActor): number | undefined {
  if (actor.role !== 'store_manager') return undefined;
  // A store manager without a store has nothing to manage: scope it to a store that cannot exist.
  return actor.storeId ?? -1;
}

export function iso(ms: number): string;
export function iso(ms: number | null): string | null;
export function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

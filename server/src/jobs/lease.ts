/**
 * Job leases in the database, so any number of server processes can run the background jobs and
 * each piece of work is done by one holder at a time. Compare-and-set on one row; the fence
 * changes on every take-over, so a holder that lost its lease can tell (and the row count is the
 * same whether or not the driver reports "found" rows).
 */
import type { Db } from '../db/connect.js';
import { isDuplicateKeyError } from '../db/dialect.js';

export interface Lease {
  name: string;
  owner: string;
  fence: number;
}

export async function tryAcquire(db: Db, name: string, owner: string, ttlMs: number, now: number): Promise<Lease | null> {
  try {
    await db.kysely.insertInto('job_lease').values({ name, owner: '', lease_until: 0, fence: 0 }).execute();
  } catch (e) {
    if (!isDuplicateKeyError(e)) throw e;
  }
  const res = await db.kysely
    .updateTable('job_lease')
    .set((eb) => ({ owner, lease_until: now + ttlMs, fence: eb('fence', '+', 1) }))
    .where('name', '=', name)
    .where((eb) => eb.or([eb('lease_until', '<', now), eb('owner', '=', owner)]))
    .executeTakeFirst();
  if (Number(res.numUpdatedRows) !== 1) return null;
  const row = await db.kysely.selectFrom('job_lease').select(['fence', 'owner']).where('name', '=', name).executeTakeFirstOrThrow();
  return row.owner === owner ? { name, owner, fence: row.fence } : null;
}

/** Extends a held lease; false when another process has taken it over meanwhile. */
export async function renew(db: Db, lease: Lease, ttlMs: number, now: number): Promise<boolean> {
  const res = await db.kysely
    .updateTable('job_lease')
    .set({ lease_until: now + ttlMs })
    .where('name', '=', lease.name)
    .where('owner', '=', lease.owner)
    .where('fence', '=', lease.fence)
    .executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}

export async function release(db: Db, lease: Lease): Promise<void> {
  await db.kysely
    .updateTable('job_lease')
    .set({ lease_until: 0 })
    .where('name', '=', lease.name)
    .where('owner', '=', lease.owner)
    .where('fence', '=', lease.fence)
    .execute();
}

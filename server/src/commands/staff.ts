/** HQ staff accounts and their sessions. */
import { JifenError } from '@jifen/shared';
import type { Db } from '../db/connect.js';
import { isDuplicateKeyError } from '../db/dialect.js';
import { hashPassword, sha256Hex, verifyPassword } from '../lib/crypto.js';
import { newId, newToken } from '../lib/ids.js';
import { countStaffWithRole, findStaffByUsername } from '../repositories/org.repository.js';
import { appendAudit } from '../repositories/audit.repository.js';

export const MAX_FAILED_SIGN_INS = 5;
export const LOCKOUT_MS = 15 * 60 * 1000;

export async function createStaff(
  db: Db,
  input: { username: string; password: string; role: string; storeId?: number | null },
  now: number,
): Promise<{ id: number }> {
  if (await findStaffByUsername(db.kysely, input.username))
    throw new JifenError('STAFF_EXISTS', `staff ${input.username} already exists`, 'username');
  const id = newId();
  await db.kysely
    .insertInto('staff')
    .values({
      id,
      username: input.username,
      password_hash: await hashPassword(input.password),
      role: input.role,
      store_id: input.storeId ?? null,
      failed_attempts: 0,
      locked_until: null,
      created_at: now,
    })
    .execute();
  return { id };
}

/** Creates the configured admin when no admin exists yet (first start). Returns whether it did. */
export async function ensureBootstrapAdmin(db: Db, admin: { username: string; password: string } | null, now: number): Promise<boolean> {
  if (!admin) return false;
  if ((await countStaffWithRole(db.kysely, 'admin')) > 0) return false;
  if (await findStaffByUsername(db.kysely, admin.username)) return false;
  try {
    await createStaff(db, { ...admin, role: 'admin' }, now);
  } catch (e) {
    // Two servers starting together on a new database: the other one created it first.
    if (isDuplicateKeyError(e) || (e instanceof JifenError && e.code === 'STAFF_EXISTS')) return false;
    throw e;
  }
  await appendAudit(db.kysely, { actor: 'system', action: 'staff.bootstrap', target: `staff:${admin.username}`, at: now });
  return true;
}

/**
 * Signs a staff member in. Five failures in a row lock the account for 15 minutes; the answer
 * for a locked account, an unknown user and a wrong password is the same 401.
 * Throws INVALID_CREDENTIALS.
 */
export async function createSession(
  db: Db,
  username: string,
  password: string,
  now: number,
  hours: number,
): Promise<{ token: string; expiresAt: number }> {
  const staff = await findStaffByUsername(db.kysely, username);
  const invalid = new JifenError('INVALID_CREDENTIALS', 'wrong username or password, or the account is locked');
  if (!staff) {
    // Spend the same time as a real check so usernames cannot be probed by timing.
    await verifyPassword(password, 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
    throw invalid;
  }
  if (staff.locked_until !== null && staff.locked_until > now) throw invalid;
  if (staff.deactivated_at !== null) throw invalid;
  if (!(await verifyPassword(password, staff.password_hash))) {
    const failed = staff.failed_attempts + 1;
    await db.kysely
      .updateTable('staff')
      .set({
        failed_attempts: failed >= MAX_FAILED_SIGN_INS ? 0 : failed,
        locked_until: failed >= MAX_FAILED_SIGN_INS ? now + LOCKOUT_MS : staff.locked_until,
      })
      .where('id', '=', staff.id)
      .execute();
    if (failed >= MAX_FAILED_SIGN_INS)
      await appendAudit(db.kysely, { actor: 'system', action: 'staff.locked', target: `staff:${staff.username}`, at: now });
    throw invalid;
  }
  if (staff.failed_attempts > 0 || staff.locked_until !== null) {
    await db.kysely.updateTable('staff').set({ failed_attempts: 0, locked_until: null }).where('id', '=', staff.id).execute();
  }
  const token = newToken();
  const expiresAt = now + hours * 60 * 60 * 1000;
  await db.kysely
    .insertInto('staff_session')
    .values({ token_hash: sha256Hex(token), staff_id: staff.id, expires_at: expiresAt, created_at: now })
    .execute();
  return { token, expiresAt };
}

/**
 * Staff management for HQ and store managers: accounts, roles, cashier PINs, deactivation,
 * unlocking after the lock-out, and each staff member's own password. Every change is audited.
 * A store manager manages the cashiers of its own store only; role changes are HQ's (staff.roles).
 */
import { JifenError } from '@jifen/shared';
import type { ChangePasswordRequest, ChangeStaffRoleRequest, CreateStaffRequest, MeView, StaffListQuery, StaffView } from '@jifen/shared';
import { hashPassword, verifyPassword } from '../lib/crypto.js';
import {
  countActiveAdmins,
  deleteSessions,
  findStaffById,
  findStoreByCode,
  findStoreById,
  listStaff,
  updateStaff,
} from '../repositories/hq-staff.repository.js';
import type { HqStaffRow } from '../repositories/hq-staff.repository.js';
import { findStaffByUsername } from '../repositories/org.repository.js';
import { createStaff } from './staff.js';
import { assertOwnStore, iso, record, storeScope } from './hq-common.js';
import type { HqActor, HqDeps } from './hq-common.js';

/** Roles that work at a till and belong to one store; only they have a PIN. */
const STORE_ROLES = new Set(['store_manager', 'cashier']);

function present(
  row: {
    id: number;
    username: string;
    role: string;
    store_code: string | null;
    deactivated_at: number | null;
    locked_until: number | null;
    pin_hash: string | null;
    created_at: number;
  },
  now: number,
): StaffView {
  return {
    id: row.id,
    username: row.username,
    role: row.role,
    storeCode: row.store_code,
    active: row.deactivated_at === null,
    locked: row.locked_until !== null && row.locked_until > now,
    hasPin: row.pin_hash !== null,
    createdAt: iso(row.created_at),
  };
}

async function storeIdFor(deps: HqDeps, role: string, storeCode: string | null | undefined): Promise<number | null> {
  if (!STORE_ROLES.has(role)) {
    if (storeCode) throw new JifenError('VALIDATION_FAILED', `an ${role} belongs to HQ, not to a store`, 'storeCode');
    return null;
  }
  if (!storeCode) throw new JifenError('VALIDATION_FAILED', `a ${role} needs a store`, 'storeCode');
  const store = await findStoreByCode(deps.db.kysely, storeCode);
  if (!store) throw new JifenError('STORE_NOT_FOUND', `store ${storeCode} not found`, 'storeCode');
  return store.id;
}

/** A staff member this actor may manage: HQ anyone; a store manager its own store's cashiers. Throws STAFF_NOT_FOUND, FORBIDDEN. */
async function managed(deps: HqDeps, actor: HqActor, staffId: number): Promise<HqStaffRow> {
  const staff = await findStaffById(deps.db.kysely, staffId);
  if (!staff) throw new JifenError('STAFF_NOT_FOUND', `staff ${staffId} not found`);
  if (actor.role === 'store_manager') {
    if (staff.role !== 'cashier') throw new JifenError('FORBIDDEN', 'a store manager manages cashiers only');
    assertOwnStore(actor, staff.store_id ?? -1);
  }
  return staff;
}

export async function listStaffMembers(deps: HqDeps, actor: HqActor, query: StaffListQuery): Promise<StaffView[]> {
  let storeId = storeScope(actor);
  if (query.storeCode) {
    const store = await findStoreByCode(deps.db.kysely, query.storeCode);
    if (!store) throw new JifenError('STORE_NOT_FOUND', `store ${query.storeCode} not found`, 'storeCode');
    if (storeId !== undefined) assertOwnStore(actor, store.id);
    storeId = store.id;
  }
  const rows = await listStaff(deps.db.kysely, { storeId, role: query.role, includeInactive: query.includeInactive });
  const now = deps.now();
  return rows.map((r) => present(r, now));
}

/**
 * Creates a staff account (the contract's POST /api/admin/staff), with a PIN for till roles.
 * Throws STAFF_EXISTS, STORE_NOT_FOUND, VALIDATION_FAILED, FORBIDDEN (a store manager creating
 * anything but a cashier of its own store).
 */
export async function createStaffMember(deps: HqDeps, actor: HqActor, req: CreateStaffRequest): Promise<{ id: number }> {
  const now = deps.now();
  let storeCode = req.storeCode;
  if (actor.role === 'store_manager') {
    if (req.role !== 'cashier') throw new JifenError('FORBIDDEN', 'a store manager may create cashiers only');
    if (!storeCode) storeCode = (await findStoreById(deps.db.kysely, actor.storeId ?? -1))?.code;
  }
  const storeId = await storeIdFor(deps, req.role, storeCode);
  if (storeId !== null) assertOwnStore(actor, storeId);
  if (req.pin && !STORE_ROLES.has(req.role)) throw new JifenError('VALIDATION_FAILED', 'only till roles have a PIN', 'pin');
  if (await findStaffByUsername(deps.db.kysely, req.username))
    throw new JifenError('STAFF_EXISTS', `staff ${req.username} already exists`, 'username');
  const { id } = await createStaff(deps.db, { username: req.username, password: req.password, role: req.role, storeId }, now);
  if (req.pin) await updateStaff(deps.db.kysely, id, { pin_hash: await hashPassword(req.pin) });
  await record(deps.db.kysely, actor, now, {
    action: 'staff.create',
    target: `staff:${req.username}`,
    after: { id, role: req.role, storeCode: storeCode ?? null, pin: req.pin ? 'set' : null },
  });
  return { id };
}

/** An HQ admin changes a role (and the store that goes with it). Throws STAFF_NOT_FOUND, STAFF_LAST_ADMIN, VALIDATION_FAILED. */
export async function changeStaffRole(deps: HqDeps, actor: HqActor, staffId: number, req: ChangeStaffRoleRequest): Promise<StaffView> {
  const now = deps.now();
  const staff = await managed(deps, actor, staffId);
  if (staff.id === actor.staffId) throw new JifenError('FORBIDDEN', 'nobody changes their own role');
  const storeId = await storeIdFor(deps, req.role, req.storeCode === undefined ? await storeCodeOf(deps, staff.store_id) : req.storeCode);
  if (staff.role === 'admin' && req.role !== 'admin' && staff.deactivated_at === null && (await countActiveAdmins(deps.db.kysely)) <= 1)
    throw new JifenError('STAFF_LAST_ADMIN', 'the last active admin keeps the role');
  await updateStaff(deps.db.kysely, staff.id, {
    role: req.role,
    store_id: storeId,
    ...(STORE_ROLES.has(req.role) ? {} : { pin_hash: null }),
  });
  await record(deps.db.kysely, actor, now, {
    action: 'staff.role',
    target: `staff:${staff.username}`,
    before: { role: staff.role, storeCode: await storeCodeOf(deps, staff.store_id) },
    after: { role: req.role, storeCode: await storeCodeOf(deps, storeId) },
  });
  return view(deps, staff.id);
}

async function storeCodeOf(deps: HqDeps, storeId: number | null): Promise<string | null> {
  if (storeId === null) return null;
  return (await findStoreById(deps.db.kysely, storeId))?.code ?? null;
}

async function view(deps: HqDeps, staffId: number): Promise<StaffView> {
  const row = await findStaffById(deps.db.kysely, staffId);
  if (!row) throw new JifenError('STAFF_NOT_FOUND', `staff ${staffId} not found`);
  return present({ ...row, store_code: await storeCodeOf(deps, row.store_id) }, deps.now());
}

/** Deactivates an account and ends its sessions at once. Throws STAFF_NOT_FOUND, FORBIDDEN, STAFF_LAST_ADMIN. */
export async function deactivateStaff(deps: HqDeps, actor: HqActor, staffId: number): Promise<StaffView> {
  const now = deps.now();
  const staff = await managed(deps, actor, staffId);
  if (staff.id === actor.staffId) throw new JifenError('FORBIDDEN', 'nobody deactivates their own account');
  if (staff.deactivated_at !== null) return view(deps, staff.id);
  if (staff.role === 'admin' && (await countActiveAdmins(deps.db.kysely)) <= 1)
    throw new JifenError('STAFF_LAST_ADMIN', 'the last active admin cannot be deactivated');
  await updateStaff(deps.db.kysely, staff.id, { deactivated_at: now });
  await deleteSessions(deps.db.kysely, staff.id);
  await record(deps.db.kysely, actor, now, {
    action: 'staff.deactivate',
    target: `staff:${staff.username}`,
    before: { active: true },
    after: { active: false },
  });
  return view(deps, staff.id);
}

export async function reactivateStaff(deps: HqDeps, actor: HqActor, staffId: number): Promise<StaffView> {
  const now = deps.now();
  const staff = await managed(deps, actor, staffId);
  if (staff.deactivated_at === null) return view(deps, staff.id);
  await updateStaff(deps.db.kysely, staff.id, { deactivated_at: null, failed_attempts: 0, locked_until: null });
  await record(deps.db.kysely, actor, now, {
    action: 'staff.reactivate',
    target: `staff:${staff.username}`,
    before: { active: false },
    after: { active: true },
  });
  return view(deps, staff.id);
}

/** Lifts the lock-out after repeated failed sign-ins. Throws STAFF_NOT_FOUND, FORBIDDEN. */
export async function unlockStaff(deps: HqDeps, actor: HqActor, staffId: number): Promise<StaffView> {
  const now = deps.now();
  const staff = await managed(deps, actor, staffId);
  await updateStaff(deps.db.kysely, staff.id, { failed_attempts: 0, locked_until: null });
  await record(deps.db.kysely, actor, now, {
    action: 'staff.unlock',
    target: `staff:${staff.username}`,
    before: { failedAttempts: staff.failed_attempts, lockedUntil: iso(staff.locked_until) },
    after: { failedAttempts: 0, lockedUntil: null },
  });
  return view(deps, staff.id);
}

/** Sets a till PIN (stored as an scrypt hash, never shown again). Throws STAFF_NOT_FOUND, FORBIDDEN, VALIDATION_FAILED. */
export async function setStaffPin(deps: HqDeps, actor: HqActor, staffId: number, pin: string): Promise<StaffView> {
  const now = deps.now();
  const staff = await managed(deps, actor, staffId);
  if (!STORE_ROLES.has(staff.role)) throw new JifenError('VALIDATION_FAILED', 'only till roles have a PIN', 'pin');
  await updateStaff(deps.db.kysely, staff.id, { pin_hash: await hashPassword(pin) });
  await record(deps.db.kysely, actor, now, {
    action: 'staff.pin',
    target: `staff:${staff.username}`,
    before: { pin: staff.pin_hash === null ? null : 'set' },
    after: { pin: 'set' },
  });
  return view(deps, staff.id);
}

/**
 * A staff member changes their own password; every other session of theirs ends.
 * Throws PASSWORD_MISMATCH (the current password is wrong).
 */
export async function changeOwnPassword(deps: HqDeps, actor: HqActor, req: ChangePasswordRequest, currentTokenHash: string): Promise<void> {
  const now = deps.now();
  const staff = await findStaffById(deps.db.kysely, actor.staffId);
  if (!staff) throw new JifenError('STAFF_NOT_FOUND', 'this account no longer exists');
  if (!(await verifyPassword(req.currentPassword, staff.password_hash)))
    throw new JifenError('PASSWORD_MISMATCH', 'the current password is wrong', 'currentPassword');
  await updateStaff(deps.db.kysely, staff.id, { password_hash: await hashPassword(req.newPassword), password_changed_at: now });
  await deleteSessions(deps.db.kysely, staff.id, currentTokenHash);
  await record(deps.db.kysely, actor, now, {
    action: 'staff.password',
    target: `staff:${staff.username}`,
    before: { passwordChangedAt: iso(staff.password_changed_at) },
    after: { passwordChangedAt: iso(now), otherSessionsEnded: true },
  });
}

/** The signed-in staff member, with the permissions their role holds (the route reads them from the policy). */
export async function whoAmI(deps: HqDeps, actor: HqActor, permissions: readonly string[]): Promise<MeView> {
  return {
    id: actor.staffId,
    username: actor.username,
    role: actor.role,
    storeCode: await storeCodeOf(deps, actor.storeId),
    permissions: [...permissions],
  };
}

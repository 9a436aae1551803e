import { JifenError } from '@jifen/shared';
import type Koa from 'koa';
import { sha256Hex } from '../../lib/crypto.js';
import { findSession } from '../../repositories/org.repository.js';
import type { AppState, Services } from '../context.js';
import { can } from '../policies.js';
import type { Permission } from '../policies.js';

function bearer(header: string): string | null {
  const m = /^Bearer\s+([\w-]{16,128})$/.exec(header.trim());
  return m?.[1] ?? null;
}

/** requireStaff's middleware carries the permission it checks, so the route table can be read back (OpenAPI, role tests). */
export type StaffGuard = Koa.Middleware<AppState> & { readonly permission: Permission };

export function guardPermission(mw: unknown): Permission | undefined {
  return typeof mw === 'function' && 'permission' in mw ? (mw as StaffGuard).permission : undefined;
}

/** Requires a live HQ staff session holding `permission`: 401 without one, 403 outside it. */
export function requireStaff(services: Services, permission: Permission): StaffGuard {
  const guard: Koa.Middleware<AppState> = async (ctx, next) => {
    const token = bearer(ctx.get('authorization'));
    if (!token) throw new JifenError('UNAUTHENTICATED', 'sign in first: Authorization: Bearer <token>');
    const session = await findSession(services.db.kysely, sha256Hex(token), services.now());
    if (!session) throw new JifenError('UNAUTHENTICATED', 'the session has expired or is unknown');
    ctx.state.staff = { staffId: session.staffId, username: session.username, role: session.role, storeId: session.storeId };
    if (!can(session.role, permission)) throw new JifenError('FORBIDDEN', `role ${session.role} may not ${permission}`);
    await next();
  };
  return Object.assign(guard, { permission });
}

/** Staff and sessions: who am I, my password, sign-out; staff list, roles, PINs, deactivation, unlock. */
import { ChangePasswordRequest, ChangeStaffRoleRequest, IdParam, SetPinRequest, StaffListQuery } from '@jifen/shared';
import {
  changeOwnPassword,
  changeStaffRole,
  deactivateStaff,
  listStaffMembers,
  reactivateStaff,
  setStaffPin,
  unlockStaff,
  whoAmI,
} from '../../../commands/hq-staff.js';
import { sha256Hex } from '../../../lib/crypto.js';
import { deleteSession } from '../../../repositories/hq-staff.repository.js';
import type { AppContext, Services } from '../../context.js';
import { validate } from '../../middleware/request.js';
import { permissionsOf } from '../../policies.js';
import { actorOf, route } from './route.js';
import type { AdminRouter } from './route.js';

const tag = 'Staff';

function tokenHash(ctx: AppContext): string {
  return sha256Hex(
    ctx
      .get('authorization')
      .trim()
      .replace(/^Bearer\s+/, ''),
  );
}

export function staffRoutes(router: AdminRouter, services: Services): void {
  const deps = { db: services.db, now: services.now };

  route(
    router,
    services,
    {
      method: 'get',
      path: '/me',
      permission: 'account.self',
      doc: { tag, summary: 'The signed-in staff member and the permissions of their role', responses: { 200: 'MeView' } },
    },
    async (ctx) => {
      ctx.body = await whoAmI(deps, actorOf(ctx), permissionsOf(actorOf(ctx).role));
    },
  );

  route(
    router,
    services,
    {
      method: 'post',
      path: '/me/password',
      permission: 'account.self',
      doc: {
        tag,
        summary: 'Change my password (10+ characters); my other sessions end',
        body: ChangePasswordRequest,
        responses: { 204: 'changed' },
        errors: ['PASSWORD_MISMATCH'],
      },
    },
    async (ctx) => {
      const body = validate(ChangePasswordRequest, ctx.request.body);
      await changeOwnPassword(deps, actorOf(ctx), body, tokenHash(ctx));
      ctx.status = 204;
    },
  );

  route(
    router,
    services,
    {
      method: 'delete',
      path: '/session',
      permission: 'account.self',
      doc: { tag, summary: 'Sign out: this session ends now', responses: { 204: 'signed out' } },
    },
    async (ctx) => {
      await deleteSession(services.db.kysely, tokenHash(ctx));
      ctx.status = 204;
    },
  );

  route(
    router,
    services,
    {
      method: 'get',
      path: '/staff',
      permission: 'staff.read',
      doc: {
        tag,
        summary: 'Staff accounts (a store manager sees its own store only)',
        query: StaffListQuery,
        responses: { 200: '{ staff: StaffView[] }' },
        errors: ['STORE_NOT_FOUND'],
      },
    },
    async (ctx) => {
      ctx.body = { staff: await listStaffMembers(deps, actorOf(ctx), validate(StaffListQuery, ctx.query)) };
    },
  );

  route(
    router,
    services,
    {
      method: 'post',
      path: '/staff/:id/role',
      permission: 'staff.roles',
      doc: {
        tag,
        summary: 'Change a staff member’s role (and store); never one’s own; the last admin stays admin',
        body: ChangeStaffRoleRequest,
        responses: { 200: 'StaffView' },
        errors: ['STAFF_NOT_FOUND', 'STORE_NOT_FOUND', 'STAFF_LAST_ADMIN'],
      },
    },
    async (ctx) => {
      const id = validate(IdParam, ctx.params.id);
      ctx.body = await changeStaffRole(deps, actorOf(ctx), id, validate(ChangeStaffRoleRequest, ctx.request.body));
    },
  );

  const simple: Array<{ path: string; summary: string; run: typeof deactivateStaff; errors?: Array<'STAFF_LAST_ADMIN'> }> = [
    {
      path: '/staff/:id/deactivate',
      summary: 'Deactivate an account; its sessions end at once',
      run: deactivateStaff,
      errors: ['STAFF_LAST_ADMIN'],
    },
    { path: '/staff/:id/reactivate', summary: 'Reactivate a deactivated account', run: reactivateStaff },
    { path: '/staff/:id/unlock', summary: 'Lift the lock-out after five failed sign-ins', run: unlockStaff },
  ];
  for (const s of simple) {
    route(
      router,
      services,
      {
        method: 'post',
        path: s.path,
        permission: 'staff.write',
        doc: {
          tag,
          summary: `${s.summary} (a store manager: its own store’s cashiers)`,
          responses: { 200: 'StaffView' },
          errors: ['STAFF_NOT_FOUND', ...(s.errors ?? [])],
        },
      },
      async (ctx) => {
        ctx.body = await s.run(deps, actorOf(ctx), validate(IdParam, ctx.params.id));
      },
    );
  }

  route(
    router,
    services,
    {
      method: 'put',
      path: '/staff/:id/pin',
      permission: 'staff.write',
      doc: {
        tag,
        summary: 'Set a cashier’s (or store manager’s) 4–8 digit till PIN, stored hashed',
        body: SetPinRequest,
        responses: { 200: 'StaffView' },
        errors: ['STAFF_NOT_FOUND'],
      },
    },
    async (ctx) => {
      const id = validate(IdParam, ctx.params.id);
      ctx.body = await setStaffPin(deps, actorOf(ctx), id, validate(SetPinRequest, ctx.request.body).pin);
    },
  );
}

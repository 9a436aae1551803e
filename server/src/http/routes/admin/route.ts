/**
 * How an admin route is declared: method, path, exactly one permission (or `public`), its request
 * schemas and answers. One call registers the Koa route behind requireStaff and records its
 * documentation, so the OpenAPI document cannot forget a route or misstate its permission.
 */
import type Router from '@koa/router';
import type { ErrorCode } from '@jifen/shared';
import type Koa from 'koa';
import type { z } from 'zod';
import type { AppContext, AppState, Services, StaffPrincipal } from '../../context.js';
import { requireStaff } from '../../middleware/auth.js';
import type { Permission } from '../../policies.js';
import type { HqActor } from '../../../commands/hq-common.js';

export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface ResponseDoc {
  description: string;
  schema?: z.ZodType;
  /** Default application/json. */
  contentType?: string;
}

export interface RouteDoc {
  tag: string;
  summary: string;
  description?: string;
  query?: z.ZodType;
  body?: z.ZodType;
  /** Success answers by status. */
  responses: Record<number, string | ResponseDoc>;
  /** Error codes this route answers with besides 400/401/403. */
  errors?: ErrorCode[];
}

export interface RouteSpec {
  method: Method;
  /** Below /api/admin, Koa syntax (`/members/:id`). */
  path: string;
  permission: Permission | 'public';
  doc: RouteDoc;
}

export const ADMIN_PREFIX = '/api/admin';

const docs = new Map<string, RouteSpec>();

function key(method: string, fullPath: string): string {
  return `${method.toUpperCase()} ${fullPath}`;
}

/** The documentation of a route, by method and full path (`GET /api/admin/members/:id`). */
export function routeDoc(method: string, fullPath: string): RouteSpec | undefined {
  return docs.get(key(method, fullPath));
}

/**
 * Documents a route registered some other way (its own router behind requireStaff), so the OpenAPI
 * document describes it fully instead of marking it x-undocumented. `fullPath` as Koa sees it
 * (`/api/admin/reports/liability`).
 */
export function documentRoute(method: Method, fullPath: string, permission: Permission | 'public', doc: RouteDoc): void {
  docs.set(key(method, fullPath), { method, path: fullPath.slice(ADMIN_PREFIX.length), permission, doc });
}

export type AdminRouter = Router<AppState>;

/** Registers one admin route: requireStaff(permission) unless public, then the handler. */
export function route(router: AdminRouter, services: Services, spec: RouteSpec, handler: Koa.Middleware<AppState>): void {
  docs.set(key(spec.method, `${ADMIN_PREFIX}${spec.path}`), spec);
  const chain: Koa.Middleware<AppState>[] = spec.permission === 'public' ? [handler] : [requireStaff(services, spec.permission), handler];
  router[spec.method](spec.path, ...(chain as [Koa.Middleware<AppState>]));
}

/** The signed-in staff member as commands see them (who, which store, from where). */
export function actorOf(ctx: AppContext): HqActor {
  const staff = ctx.state.staff as StaffPrincipal;
  return {
    staffId: staff.staffId,
    username: staff.username,
    role: staff.role,
    storeId: staff.storeId,
    ip: ctx.ip,
    requestId: ctx.state.requestId,
  };
}

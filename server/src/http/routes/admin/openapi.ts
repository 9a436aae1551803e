/**
 * The OpenAPI 3.1 document of the admin API, generated from what the server really routes: every
 * Koa layer under /api/admin, the permission its requireStaff guard checks, and the request schemas
 * (the shared zod contracts, through z.toJSONSchema) and answers its route() declaration recorded.
 * A route registered without route() still appears, marked x-undocumented. The readable page at
 * /api/admin/docs is one self-contained HTML file: the document inline, a small script, no CDN.
 */
import { randomBytes } from 'node:crypto';
import { errorStatus } from '@jifen/shared';
import type { ErrorCode } from '@jifen/shared';
import { z } from 'zod';
import type { Services } from '../../context.js';
import { guardPermission } from '../../middleware/auth.js';
import { ROLES, can } from '../../policies.js';
import type { Permission } from '../../policies.js';
import { ADMIN_PREFIX, route, routeDoc } from './route.js';
import type { AdminRouter, ResponseDoc } from './route.js';

export interface AdminRouteEntry {
  method: string;
  /** Koa syntax, full path (`/api/admin/members/:id`). */
  path: string;
  /** The permission its guard checks; undefined for a public route. */
  permission: Permission | undefined;
  documented: boolean;
}

interface LayerLike {
  path: string | RegExp;
  methods: string[];
  stack: unknown[];
}

/** Every admin route the app serves, read from its routers (whoever registered them). */
export function adminRouteTable(app: { middleware: readonly unknown[] }): AdminRouteEntry[] {
  const out: AdminRouteEntry[] = [];
  for (const mw of app.middleware) {
    const router = (mw as { router?: { stack: LayerLike[] } }).router;
    if (!router) continue;
    for (const layer of router.stack) {
      if (typeof layer.path !== 'string' || !layer.path.startsWith(`${ADMIN_PREFIX}/`)) continue;
      const permission = layer.stack.map(guardPermission).find((p) => p !== undefined);
      for (const method of layer.methods.filter((m) => m !== 'HEAD')) {
        out.push({ method, path: layer.path, permission, documented: routeDoc(method, layer.path) !== undefined });
      }
    }
  }
  return out;
}

/** `/members/:id` → `/members/{id}`. */
export function openapiPath(koaPath: string): string {
  return koaPath.replace(/:([A-Za-z_]\w*)/g, '{$1}');
}

function jsonSchema(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
}

const ERROR_SCHEMA = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { type: 'string', enum: Object.keys(errorStatus) },
        message: { type: 'string' },
        field: { type: 'string', description: 'The first failing field of a 400' },
      },
    },
  },
};

function errorResponses(codes: ErrorCode[], guarded: boolean): Record<string, unknown> {
  const all: ErrorCode[] = ['VALIDATION_FAILED', ...(guarded ? (['UNAUTHENTICATED', 'FORBIDDEN'] as ErrorCode[]) : []), ...codes];
  const byStatus = new Map<number, ErrorCode[]>();
  for (const c of new Set(all)) byStatus.set(errorStatus[c], [...(byStatus.get(errorStatus[c]) ?? []), c]);
  return Object.fromEntries(
    [...byStatus.entries()].map(([status, list]) => [
      String(status),
      { description: list.join(' | '), content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
    ]),
  );
}

/** Builds the document from the app's routers. */
export function buildOpenApi(app: { middleware: readonly unknown[] }): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  const tags = new Set<string>();
  for (const entry of adminRouteTable(app)) {
    const spec = routeDoc(entry.method, entry.path);
    const doc = spec?.doc;
    const params: unknown[] = [...entry.path.matchAll(/:([A-Za-z_]\w*)/g)].map((m) => ({
      name: m[1],
      in: 'path',
      required: true,
      schema: { type: 'integer', minimum: 1 },
    }));
    if (doc?.query) {
      const q = jsonSchema(doc.query) as { properties?: Record<string, unknown>; required?: string[] };
      for (const [name, schema] of Object.entries(q.properties ?? {}))
        params.push({ name, in: 'query', required: q.required?.includes(name) ?? false, schema });
    }
    const responses: Record<string, unknown> = {};
    for (const [status, r] of Object.entries(doc?.responses ?? { 200: 'OK' })) {
      const res: ResponseDoc = typeof r === 'string' ? { description: r } : r;
      const contentType = res.contentType ?? 'application/json';
      responses[status] =
        status === '204'
          ? { description: res.description }
          : {
              description: res.description,
              content: {
                [contentType]: {
                  schema: res.schema
                    ? jsonSchema(res.schema)
                    : contentType === 'application/json'
                      ? { type: 'object' }
                      : { type: 'string' },
                },
              },
            };
    }
    Object.assign(responses, errorResponses(doc?.errors ?? [], entry.permission !== undefined));
    const tag = doc?.tag ?? 'Other';
    tags.add(tag);
    const op: Record<string, unknown> = {
      operationId: `${entry.method.toLowerCase()}${openapiPath(entry.path.slice(ADMIN_PREFIX.length)).replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ? c.toUpperCase() : ''))}`,
      tags: [tag],
      summary: doc?.summary ?? '(undocumented)',
      ...(doc?.description ? { description: doc.description } : {}),
      'x-permission': entry.permission ?? 'public',
      'x-roles': entry.permission ? ROLES.filter((r) => can(r, entry.permission!)) : ['anyone'],
      ...(spec ? {} : { 'x-undocumented': true }),
      security: entry.permission ? [{ staffSession: [] }] : [],
      ...(params.length ? { parameters: params } : {}),
      ...(doc?.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(doc.body) } } } } : {}),
      responses,
    };
    const p = openapiPath(entry.path);
    paths[p] = { ...paths[p], [entry.method.toLowerCase()]: op };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Jifen HQ admin API',
      version: '1',
      description:
        'Every endpoint names one permission (x-permission) and the roles that hold it (x-roles); other roles get 403 FORBIDDEN, no session 401. Sign in with POST /api/admin/session and send Authorization: Bearer <token>. Money is integer fen, points integer points.',
    },
    tags: [...tags].sort().map((name) => ({ name })),
    paths: Object.fromEntries(Object.entries(paths).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
    components: {
      securitySchemes: { staffSession: { type: 'http', scheme: 'bearer', description: 'The token of POST /api/admin/session' } },
      schemas: { Error: ERROR_SCHEMA },
    },
  };
}

const PAGE_SCRIPT = `
const doc = JSON.parse(document.getElementById('doc').textContent);
const main = document.getElementById('main');
const el = (tag, cls, text) => { const e = document.createElement(tag); if (cls) e.className = cls; if (text !== undefined) e.textContent = text; return e; };
const byTag = new Map();
for (const [path, ops] of Object.entries(doc.paths)) for (const [method, op] of Object.entries(ops)) {
  const t = (op.tags && op.tags[0]) || 'Other';
  if (!byTag.has(t)) byTag.set(t, []);
  byTag.get(t).push({ path, method, op });
}
const nav = document.getElementById('nav');
for (const [tag, ops] of [...byTag.entries()].sort()) {
  const a = el('a', '', tag); a.href = '#' + encodeURIComponent(tag); nav.append(a);
  const section = el('section'); section.id = tag; section.append(el('h2', '', tag));
  for (const { path, method, op } of ops) {
    const d = el('details', 'op');
    const s = el('summary');
    s.append(el('span', 'method ' + method, method.toUpperCase()), el('code', 'path', path), el('span', 'perm', op['x-permission']), el('span', 'sum', op.summary));
    d.append(s);
    if (op.description) d.append(el('p', '', op.description));
    d.append(el('p', 'roles', 'Roles: ' + op['x-roles'].join(', ')));
    if (op.parameters) {
      d.append(el('h4', '', 'Parameters'));
      const ul = el('ul');
      for (const p of op.parameters) ul.append(el('li', '', p.name + ' (' + p.in + (p.required ? ', required' : '') + '): ' + JSON.stringify(p.schema)));
      d.append(ul);
    }
    if (op.requestBody) { d.append(el('h4', '', 'Request body')); d.append(el('pre', '', JSON.stringify(op.requestBody.content['application/json'].schema, null, 2))); }
    d.append(el('h4', '', 'Responses'));
    const ul = el('ul');
    for (const [status, r] of Object.entries(op.responses)) ul.append(el('li', '', status + ' — ' + r.description));
    d.append(ul);
    section.append(d);
  }
  main.append(section);
}
`;

/** The readable page: the document inline (escaped for a script element) and a renderer; nothing fetched. */
export function docsPage(document: unknown, nonce: string): string {
  const json = JSON.stringify(document).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Jifen HQ admin API</title>
<style nonce="${nonce}">
body{font:14px/1.5 system-ui,-apple-system,"PingFang SC","Microsoft YaHei",sans-serif;margin:0;display:flex;color:#1f2328}
nav{position:sticky;top:0;height:100vh;overflow:auto;min-width:180px;padding:16px;background:#f6f8fa;border-right:1px solid #d0d7de}
nav a{display:block;color:#0969da;text-decoration:none;padding:2px 0}
main{padding:16px 24px;flex:1;min-width:0}
.op{border:1px solid #d0d7de;border-radius:6px;margin:6px 0;padding:4px 8px}
.op summary{cursor:pointer;display:flex;gap:8px;align-items:baseline;flex-wrap:wrap}
.method{font:bold 12px monospace;padding:1px 6px;border-radius:4px;color:#fff;background:#57606a}
.get{background:#1a7f37}.post{background:#0969da}.put,.patch{background:#9a6700}.delete{background:#cf222e}
.perm{font:12px monospace;background:#ddf4ff;border-radius:4px;padding:0 4px}
.sum{color:#57606a}.roles{color:#57606a;font-size:12px}
pre{background:#f6f8fa;padding:8px;overflow:auto;max-height:320px}
</style></head>
<body><nav id="nav"><strong>Jifen HQ API</strong></nav><main id="main"><h1>Jifen HQ admin API</h1>
<p>Every endpoint names one permission; other roles get 403, no session 401. The machine-readable document is <a href="openapi.json">openapi.json</a>.</p></main>
<script type="application/json" id="doc">${json}</script>
<script nonce="${nonce}">${PAGE_SCRIPT}</script>
</body></html>`;
}

export function openapiRoutes(router: AdminRouter, services: Services): void {
  const tag = 'Documentation';
  route(
    router,
    services,
    {
      method: 'get',
      path: '/openapi.json',
      permission: 'public',
      doc: {
        tag,
        summary: 'This document (OpenAPI 3.1), generated from the routes and the shared zod schemas',
        responses: { 200: 'OpenAPI document' },
      },
    },
    async (ctx) => {
      ctx.body = buildOpenApi(ctx.app);
    },
  );

  route(
    router,
    services,
    {
      method: 'get',
      path: '/docs',
      permission: 'public',
      doc: {
        tag,
        summary: 'A readable page of this document: self-contained HTML, nothing loaded from elsewhere',
        responses: { 200: { description: 'HTML', contentType: 'text/html' } },
      },
    },
    async (ctx) => {
      const nonce = randomBytes(16).toString('base64');
      ctx.set(
        'Content-Security-Policy',
        `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; connect-src 'none'; base-uri 'none'; form-action 'none'`,
      );
      ctx.type = 'text/html; charset=utf-8';
      ctx.body = docsPage(buildOpenApi(ctx.app), nonce);
    },
  );
}

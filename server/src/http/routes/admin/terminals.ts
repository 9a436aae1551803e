/** POS terminals: list, rotate, revoke (issuing is the contract's POST /api/admin/terminals, in admin.ts). */
import { IdParam, TerminalListQuery } from '@jifen/shared';
import { listTerminalsFor, revokeTerminal, rotateTerminal } from '../../../commands/hq-terminals.js';
import type { Services } from '../../context.js';
import { validate } from '../../middleware/request.js';
import { actorOf, route } from './route.js';
import type { AdminRouter } from './route.js';

const tag = 'Terminals';

export function terminalRoutes(router: AdminRouter, services: Services): void {
  const deps = { db: services.db, now: services.now };

  route(
    router,
    services,
    {
      method: 'get',
      path: '/terminals',
      permission: 'terminals.read',
      doc: {
        tag,
        summary: 'Terminals (a store manager sees its own store only)',
        query: TerminalListQuery,
        responses: { 200: '{ terminals: TerminalView[] }' },
        errors: ['STORE_NOT_FOUND'],
      },
    },
    async (ctx) => {
      ctx.body = { terminals: await listTerminalsFor(deps, actorOf(ctx), validate(TerminalListQuery, ctx.query)) };
    },
  );

  route(
    router,
    services,
    {
      method: 'post',
      path: '/terminals/:id/rotate',
      permission: 'terminals.write',
      doc: {
        tag,
        summary: 'A new token for the terminal, shown once; the old token is refused from now on',
        responses: { 201: '{ terminalId, token }' },
        errors: ['TERMINAL_NOT_FOUND', 'CONFIG_CONFLICT'],
      },
    },
    async (ctx) => {
      ctx.status = 201;
      ctx.body = await rotateTerminal(deps, actorOf(ctx), validate(IdParam, ctx.params.id));
    },
  );

  route(
    router,
    services,
    {
      method: 'post',
      path: '/terminals/:id/revoke',
      permission: 'terminals.write',
      doc: {
        tag,
        summary: 'Revoke the terminal’s token for good (POS calls answer TERMINAL_REVOKED)',
        responses: { 200: 'TerminalView' },
        errors: ['TERMINAL_NOT_FOUND'],
      },
    },
    async (ctx) => {
      ctx.body = await revokeTerminal(deps, actorOf(ctx), validate(IdParam, ctx.params.id));
    },
  );
}

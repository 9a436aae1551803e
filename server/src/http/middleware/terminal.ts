import { JifenError } from '@jifen/shared';
import type Koa from 'koa';
import { terminalByToken } from '../../commands/terminals.js';
import type { AppState, Services } from '../context.js';

/** POS calls carry the terminal token HQ issued: 401 without one, or when it was revoked. */
export function requireTerminal(services: Services): Koa.Middleware<AppState> {
  return async (ctx, next) => {
    const m = /^Bearer\s+([\w-]{16,128})$/.exec(ctx.get('authorization').trim());
    if (!m?.[1]) throw new JifenError('UNAUTHENTICATED', 'terminal token required: Authorization: Bearer <token>');
    ctx.state.terminal = await terminalByToken(services.db, m[1]);
    await next();
  };
}

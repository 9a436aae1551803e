import { JifenError } from '@jifen/shared';
import type Koa from 'koa';
import { sha256Hex } from '../../lib/crypto.js';
import type { AppState, Services } from '../context.js';

/** POS calls carry the terminal token HQ issued: 401 without one, or when it was revoked. */
export function requireTerminal(services: Services): Koa.Middleware<AppState> {
  return async (ctx, next) => {
    const m = /^Bearer\s+([\w-]{16,128})$/.exec(ctx.get('authorization').trim());
    if (!m?.[1]) throw new JifenError('UNAUTHENTICATED', 'terminal token required: Authorization: Bearer <token>');
    const terminal = await services.db.kysely
      .selectFrom('terminal')
      .select(['id', 'store_id', 'revoked_at'])
      .where('token_hash', '=', sha256Hex(m[1]))
      .executeTakeFirst();
    if (!terminal) throw new JifenError('UNAUTHENTICATED', 'unknown terminal token');
    if (terminal.revoked_at !== null) throw new JifenError('TERMINAL_REVOKED', 'this terminal’s token was revoked by HQ');
    ctx.state.terminal = { terminalId: terminal.id, storeId: terminal.store_id };
    await next();
  };
}

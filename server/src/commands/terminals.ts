/** POS terminals: each gets a bearer token (shown once, stored hashed). */
import { JifenError } from '@jifen/shared';
import type { Db } from '../db/connect.js';
import { sha256Hex } from '../lib/crypto.js';
import { newId, newToken } from '../lib/ids.js';
import { TtlCache } from '../lib/ttl-cache.js';

/** Throws NOT_FOUND (unknown store code). */
export async function issueTerminal(
  db: Db,
  input: { storeCode: string; name?: string },
  now: number,
): Promise<{ terminalId: number; token: string }> {
  const store = await db.kysely.selectFrom('store').select(['id', 'name']).where('code', '=', input.storeCode).executeTakeFirst();
  if (!store) throw new JifenError('NOT_FOUND', `store ${input.storeCode} not found`, 'storeCode');
  const token = newToken();
  const terminalId = newId();
  await db.kysely
    .insertInto('terminal')
    .values({
      id: terminalId,
      store_id: store.id,
      name: input.name ?? `${store.name} 收银台`,
      token_hash: sha256Hex(token),
      revoked_at: null,
      created_at: now,
    })
    .execute();
  return { terminalId, token };
}

export interface TerminalPrincipal {
  terminalId: number;
  storeId: number;
}

/**
 * How long a till's token check is remembered. Every scan at a till carries the token, so the check
 * would otherwise be a read per scan. Revoking or rotating on this server forgets at once; another
 * server of a scaled-out deployment refuses the old token within this time.
 */
export const TERMINAL_CACHE_MS = 2_000;
const byToken = new TtlCache<string, TerminalPrincipal>(TERMINAL_CACHE_MS, 20_000);

/**
 * The terminal a bearer token belongs to. Throws UNAUTHENTICATED (unknown token), TERMINAL_REVOKED.
 * Only good answers are remembered: a refused token is read again on its next call.
 */
export async function terminalByToken(db: Db, token: string, now: number = Date.now()): Promise<TerminalPrincipal> {
  const tokenHash = sha256Hex(token);
  const hit = byToken.get(tokenHash, now);
  if (hit) return hit;
  const row = await db.kysely
    .selectFrom('terminal')
    .select(['id', 'store_id', 'revoked_at'])
    .where('token_hash', '=', tokenHash)
    .executeTakeFirst();
  if (!row) throw new JifenError('UNAUTHENTICATED', 'unknown terminal token');
  if (row.revoked_at !== null) {
    byToken.delete(tokenHash);
    throw new JifenError('TERMINAL_REVOKED', 'this terminal’s token was revoked by HQ');
  }
  const terminal = { terminalId: row.id, storeId: row.store_id };
  byToken.set(tokenHash, terminal, now);
  return terminal;
}

/** Forgets every remembered token of this terminal (after HQ rotates or revokes it). */
export function forgetTerminal(terminalId: number): void {
  byToken.deleteWhere((t) => t.terminalId === terminalId);
}

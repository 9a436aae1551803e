/** POS terminals: each gets a bearer token (shown once, stored hashed). */
import { JifenError } from '@jifen/shared';
import type { Db } from '../db/connect.js';
import { sha256Hex } from '../lib/crypto.js';
import { newId, newToken } from '../lib/ids.js';

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

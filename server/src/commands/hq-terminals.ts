/**
 * POS terminals as HQ and store managers see them: list, issue, rotate (a new token; the old one
 * stops working at once) and revoke. Tokens are shown once and stored as SHA-256 only; the audit
 * log records that a token changed, never the token.
 */
import { JifenError } from '@jifen/shared';
import type { TerminalListQuery, TerminalView } from '@jifen/shared';
import { sha256Hex } from '../lib/crypto.js';
import { newToken } from '../lib/ids.js';
import { findStoreByCode } from '../repositories/hq-staff.repository.js';
import { findTerminal, listTerminals, revokeTerminalRow, setTerminalToken } from '../repositories/hq-org.repository.js';
import { forgetTerminal, issueTerminal } from './terminals.js';
import { assertOwnStore, iso, record, storeScope } from './hq-common.js';
import type { HqActor, HqDeps } from './hq-common.js';

export async function listTerminalsFor(deps: HqDeps, actor: HqActor, query: TerminalListQuery): Promise<TerminalView[]> {
  let storeId = storeScope(actor);
  if (query.storeCode) {
    const store = await findStoreByCode(deps.db.kysely, query.storeCode);
    if (!store) throw new JifenError('STORE_NOT_FOUND', `store ${query.storeCode} not found`, 'storeCode');
    assertOwnStore(actor, store.id);
    storeId = store.id;
  }
  const rows = await listTerminals(deps.db.kysely, { storeId, includeRevoked: query.includeRevoked });
  return rows.map((t) => ({
    terminalId: t.id,
    storeCode: t.store_code,
    name: t.name,
    revokedAt: iso(t.revoked_at),
    createdAt: iso(t.created_at),
  }));
}

/** The contract's POST /api/admin/terminals. Throws NOT_FOUND (unknown store), FORBIDDEN (another store's manager). */
export async function issueTerminalFor(
  deps: HqDeps,
  actor: HqActor,
  req: { storeCode: string; name?: string },
): Promise<{ terminalId: number; token: string }> {
  const store = await findStoreByCode(deps.db.kysely, req.storeCode);
  if (store) assertOwnStore(actor, store.id);
  const now = deps.now();
  const result = await issueTerminal(deps.db, req, now);
  await record(deps.db.kysely, actor, now, {
    action: 'terminal.issue',
    target: `terminal:${result.terminalId}`,
    after: { storeCode: req.storeCode, name: req.name ?? null },
  });
  return result;
}

async function managedTerminal(deps: HqDeps, actor: HqActor, terminalId: number) {
  const terminal = await findTerminal(deps.db.kysely, terminalId);
  if (!terminal) throw new JifenError('TERMINAL_NOT_FOUND', `terminal ${terminalId} not found`);
  assertOwnStore(actor, terminal.store_id);
  return terminal;
}

/**
 * A new token for the same terminal (its orders and idempotency keys stay with it); the old token is
 * refused from now on. Throws TERMINAL_NOT_FOUND, FORBIDDEN, CONFIG_CONFLICT (a revoked terminal).
 */
export async function rotateTerminal(deps: HqDeps, actor: HqActor, terminalId: number): Promise<{ terminalId: number; token: string }> {
  const terminal = await managedTerminal(deps, actor, terminalId);
  const token = newToken();
  if (!(await setTerminalToken(deps.db.kysely, terminal.id, sha256Hex(token))))
    throw new JifenError('CONFIG_CONFLICT', 'a revoked terminal stays revoked: issue a new one');
  forgetTerminal(terminal.id);
  const now = deps.now();
  await record(deps.db.kysely, actor, now, {
    action: 'terminal.rotate',
    target: `terminal:${terminal.id}`,
    before: { token: 'previous (revoked)' },
    after: { token: 'new' },
  });
  return { terminalId: terminal.id, token };
}

/** Revokes a terminal's token for good (idempotent). Throws TERMINAL_NOT_FOUND, FORBIDDEN. */
export async function revokeTerminal(deps: HqDeps, actor: HqActor, terminalId: number): Promise<TerminalView> {
  const terminal = await managedTerminal(deps, actor, terminalId);
  const now = deps.now();
  if (terminal.revoked_at === null) {
    await revokeTerminalRow(deps.db.kysely, terminal.id, now);
    forgetTerminal(terminal.id);
    await record(deps.db.kysely, actor, now, {
      action: 'terminal.revoke',
      target: `terminal:${terminal.id}`,
      before: { revokedAt: null },
      after: { revokedAt: iso(now) },
    });
  }
  const [view] = (await listTerminals(deps.db.kysely, { storeId: terminal.store_id, includeRevoked: true }))
    .filter((t) => t.id === terminal.id)
    .map((t) => ({ terminalId: t.id, storeCode: t.store_code, name: t.name, revokedAt: iso(t.revoked_at), createdAt: iso(t.created_at) }));
  if (!view) throw new JifenError('TERMINAL_NOT_FOUND', `terminal ${terminalId} not found`);
  return view;
}

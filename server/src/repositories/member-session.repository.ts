/** Mini-program sessions, and linking a WeChat user to a member HQ imported. */
import type { Kysely, Selectable } from 'kysely';
import type { Trx } from '../db/dialect.js';
import type { Database, MemberSessionTable } from '../db/schema.js';

export type MemberSessionRow = Selectable<MemberSessionTable>;
type Q = Kysely<Database> | Trx;

export async function insertSession(db: Q, row: MemberSessionRow): Promise<void> {
  await db.insertInto('member_session').values(row).execute();
}

export function findLiveSession(db: Q, tokenHash: string, now: number): Promise<MemberSessionRow | undefined> {
  return db.selectFrom('member_session').selectAll().where('token_hash', '=', tokenHash).where('expires_at', '>', now).executeTakeFirst();
}

/** Every live session of this WeChat user now belongs to the member (registered in one of them). */
export async function attachMemberToSessions(db: Q, openid: string, memberId: number, now: number): Promise<void> {
  await db.updateTable('member_session').set({ member_id: memberId }).where('openid', '=', openid).where('expires_at', '>', now).execute();
}

/** Housekeeping on each login: the user's expired sessions go (bounded by the openid index). */
export async function deleteExpiredSessions(db: Q, openid: string, now: number): Promise<void> {
  await db.deleteFrom('member_session').where('openid', '=', openid).where('expires_at', '<=', now).execute();
}

export async function deleteSessionsOf(db: Q, memberId: number, openid: string | null): Promise<void> {
  await db.deleteFrom('member_session').where('member_id', '=', memberId).execute();
  if (openid) await db.deleteFrom('member_session').where('openid', '=', openid).execute();
}

/**
 * Joins a WeChat user to an active member that has no openid yet (imported by HQ, or found by
 * unionid). Compare-and-set on `openid IS NULL`: false when someone else linked it first.
 */
export async function linkOpenid(
  db: Q,
  memberId: number,
  link: { openid: string; unionid: string | null; consentVersion?: string; name?: string; birthday?: string },
): Promise<boolean> {
  const res = await db
    .updateTable('member')
    .set((eb) => ({
      openid: link.openid,
      unionid: link.unionid === null ? eb.ref('unionid') : link.unionid,
      ...(link.consentVersion ? { consent_version: link.consentVersion } : {}),
      // What HQ imported wins; the shopper's nickname and birthday only fill gaps.
      ...(link.name ? { name: eb.fn.coalesce('name', eb.val(link.name)) } : {}),
      ...(link.birthday ? { birthday: eb.fn.coalesce('birthday', eb.val(link.birthday)) } : {}),
    }))
    .where('id', '=', memberId)
    .where('openid', 'is', null)
    .where('status', '=', 'active')
    .executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}

/** The earliest active member of this unionid (another app of the group) that has no openid here yet. */
export function findLinkableByUnionid(db: Q, unionid: string) {
  return db
    .selectFrom('member')
    .selectAll()
    .where('unionid', '=', unionid)
    .where('openid', 'is', null)
    .where('status', '=', 'active')
    .orderBy('created_at')
    .limit(1)
    .executeTakeFirst();
}

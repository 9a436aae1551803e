/** Erasure of a member's personal data; what stays is keyed by the member id alone (a pseudonym). */
import type { Trx } from '../db/dialect.js';

/** Personal data gone, status 'erased'. The id, referral code and consent version are not personal data. */
export async function erasePersonalData(trx: Trx, memberId: number): Promise<void> {
  await trx
    .updateTable('member')
    .set({ phone_enc: null, phone_hash: null, name: null, birthday: null, openid: null, unionid: null, status: 'erased' })
    .where('id', '=', memberId)
    .execute();
}

/** The WeChat identity that paid the member's orders is personal data too; the transaction ids stay. */
export async function forgetPayerOpenids(trx: Trx, memberId: number): Promise<void> {
  await trx.updateTable('pay_order').set({ payer_openid: null }).where('member_id', '=', memberId).execute();
}

/**
 * Queued or sent messages addressed to the openid: the payload is emptied and anything unsent is
 * given up. The payload is JSON text, so candidates are found with LIKE and confirmed by parsing.
 */
export async function forgetOutboxMessages(trx: Trx, openid: string, now: number): Promise<number> {
  const candidates = await trx.selectFrom('outbox').select(['id', 'payload', 'status']).where('payload', 'like', `%${openid}%`).execute();
  let n = 0;
  for (const row of candidates) {
    let to: unknown;
    try {
      to = (JSON.parse(row.payload) as { openid?: unknown }).openid;
    } catch {
      continue;
    }
    if (to !== openid) continue;
    await trx
      .updateTable('outbox')
      .set({
        payload: '{"erased":true}',
        ...(row.status === 'pending' ? { status: 'gave_up', last_error: 'member erased', done_at: now } : {}),
      })
      .where('id', '=', row.id)
      .execute();
    n += 1;
  }
  return n;
}

export async function deleteSubscriptions(trx: Trx, memberId: number): Promise<void> {
  await trx.deleteFrom('member_subscription').where('member_id', '=', memberId).execute();
}

/**
 * Jifen's own scannable codes: member codes (JFM1.), receipt claim codes (JFR1.), vouchers (JFV1.).
 * Each carries a prefix (so a scanner can never mistake it for an 18-digit payment code), an expiry,
 * and an HMAC under a key derived from JIFEN_SECRET; the kiosk cannot forge or extend one.
 */
import { timingSafeEqual } from 'node:crypto';
import { JifenError } from '@jifen/shared';
import { deriveKey, hmacHex } from './crypto.js';

export const MEMBER_CODE_PREFIX = 'JFM1';
/** A member code is shown for 30 s and accepted for 60 s (the till may be slow to scan). */
export const MEMBER_CODE_TTL_MS = 60_000;

export class CodeSigner {
  readonly #memberKey: Buffer;
  constructor(secret: string) {
    this.#memberKey = deriveKey(secret, 'member-code');
  }

  memberCode(memberId: number, now: number): { code: string; expiresAt: number } {
    const expiresAt = now + MEMBER_CODE_TTL_MS;
    const body = `${MEMBER_CODE_PREFIX}.${memberId.toString(36)}.${expiresAt.toString(36)}`;
    return { code: `${body}.${hmacHex(this.#memberKey, body).slice(0, 20)}`, expiresAt };
  }

  /** Throws MEMBER_CODE_INVALID (forged, malformed) or MEMBER_CODE_EXPIRED. */
  verifyMemberCode(code: string, now: number): number {
    const parts = code.trim().split('.');
    const [prefix, idText, expText, mac] = parts;
    if (parts.length !== 4 || prefix !== MEMBER_CODE_PREFIX || !idText || !expText || !mac) {
      throw new JifenError('MEMBER_CODE_INVALID', 'not a Jifen member code', 'member.code');
    }
    const expected = Buffer.from(hmacHex(this.#memberKey, `${prefix}.${idText}.${expText}`).slice(0, 20));
    const given = Buffer.from(mac);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new JifenError('MEMBER_CODE_INVALID', 'the member code is not genuine', 'member.code');
    }
    if (parseInt(expText, 36) < now)
      throw new JifenError('MEMBER_CODE_EXPIRED', 'the member code has expired: refresh it in the mini-program', 'member.code');
    return parseInt(idText, 36);
  }
}

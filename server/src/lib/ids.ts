import { randomBytes, randomInt } from 'node:crypto';

/**
 * Application-generated ids: random integers in [1, 2^53). Random keys spread inserts across a
 * distributed store (TiDB regions) and need no AUTO_INCREMENT or global counter; 53 bits keep them
 * exact as JavaScript numbers and JSON.
 */
export function newId(): number {
  const hi = randomInt(0, 2 ** 21);
  const lo = randomInt(0, 2 ** 32);
  const id = hi * 2 ** 32 + lo;
  return id === 0 ? 1 : id;
}

/** A URL-safe random token (256 bits by default). */
export function newToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

const REFERRAL_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
/** 8 characters without look-alikes (no 0/O, 1/I): easy to read aloud and type. */
export function newReferralCode(): string {
  let s = '';
  for (let i = 0; i < 8; i++) s += REFERRAL_ALPHABET[randomInt(0, REFERRAL_ALPHABET.length)];
  return s;
}

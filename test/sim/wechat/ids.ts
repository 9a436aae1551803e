/**
 * Identifier formats WeChat hands out, reproduced so that merchant-side validation (lengths, digit-only
 * checks, date parsing) sees realistic values.
 */
import { createHash, randomInt } from 'node:crypto';
import { compactChina, yyyymmddChina } from './clock.js';
import { randomNonce } from './crypto.js';

function digits(n: number): string {
  let out = '';
  for (let i = 0; i < n; i++) out += String(randomInt(10));
  return out;
}

/** A per-process counter keeps generated ids unique even within one millisecond. */
let sequence = randomInt(100_000);
function next(width: number): string {
  sequence = (sequence + 1) % 10 ** width;
  return String(sequence).padStart(width, '0');
}

/** 28 digits embedding the China-time date, like `4200001596 20220906 6064970025`. */
export function transactionId(nowMs: number): string {
  return `4200${next(6)}${yyyymmddChina(nowMs)}${digits(10)}`;
}

/** 29 digits, like `50000408942018111907145868882` (prefix, date, sequence). */
export function refundId(nowMs: number): string {
  return `5030${next(6)}${yyyymmddChina(nowMs)}${digits(11)}`;
}

/** `weixin://wxpay/bizpayurl?pr=XXXXXXXXX` (9 chars, as observed). */
export function codeUrl(): string {
  return `weixin://wxpay/bizpayurl?pr=${randomNonce(9)}`;
}

/** `wx` + yyyyMMddHHmmss + 22 hex-ish chars, e.g. `wx201410272009395522657a690389285100`. */
export function prepayId(nowMs: number): string {
  return `wx${compactChina(nowMs)}${randomNonce(22, '0123456789abcdef')}`;
}

/**
 * A stable 28-char openid for (appid, seed): the same simulated user gets the same openid in login and
 * payments, and different mini-programs see different openids, as on WeChat.
 */
export function deriveOpenid(appid: string, seed: string): string {
  return `o${createHash('sha256').update(`${appid}|${seed}`).digest('base64url').slice(0, 27)}`;
}

/** unionid: shared across an Open Platform account's apps, so it does not depend on the appid. */
export function deriveUnionid(seed: string): string {
  return `o${createHash('sha256').update(`union|${seed}`).digest('base64url').slice(0, 27)}`;
}

/** WeChat's `rid` suffix in mini-program error messages: `rid: 668f2aa4-51c08c03-3d141241`. */
export function rid(): string {
  const hex = '0123456789abcdef';
  return `${randomNonce(8, hex)}-${randomNonce(8, hex)}-${randomNonce(8, hex)}`;
}

/** v3 `Request-ID`: hex, then `-0` on success or `-<internal code>` on error. */
export function requestId(errorCode?: number): string {
  return `${randomNonce(44, '0123456789ABCDEF')}-${errorCode ?? 0}`;
}

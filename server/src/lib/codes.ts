/**
 * Jifen's own scannable codes: member codes (JFM1.), receipt claim codes (JFR1.), vouchers (JFV1.),
 * order QR codes (JFO1.) and product codes (JFP1., 一物一码).
 * Each carries a prefix (so a scanner can never mistake it for an 18-digit payment code), an expiry
 * where it has one, and an HMAC under a key derived from JIFEN_SECRET, one key per kind; the kiosk
 * cannot forge or extend one, and a code of one kind never verifies as another.
 */
import { timingSafeEqual } from 'node:crypto';
import { JifenError } from '@jifen/shared';
import { deriveKey, hmacHex } from './crypto.js';

export const MEMBER_CODE_PREFIX = 'JFM1';
/** A member code is shown for 30 s and accepted for 60 s (the till may be slow to scan). */
export const MEMBER_CODE_TTL_MS = 60_000;

export const RECEIPT_CODE_PREFIX = 'JFR1';
export const ORDER_CODE_PREFIX = 'JFO1';
export const VOUCHER_CODE_PREFIX = 'JFV1';
export const PRODUCT_CODE_PREFIX = 'JFP1';
/** A member reference a till gets from a member lookup: never printed or scanned, only sent back. */
export const MEMBER_REF_PREFIX = 'JFK1';
/** A lookup's reference outlives the 60 s member code, for a sale that takes a while. */
export const MEMBER_REF_TTL_MS = 2 * 3_600_000;
/** A receipt printed for a sale without a member can be claimed in the mini-program for 7 days. */
export const RECEIPT_CODE_TTL_MS = 7 * 86_400_000;

const MAC_CHARS = 20;
const B36 = /^[0-9a-z]{1,11}$/;

function b36(text: string | undefined): number | null {
  if (!text || !B36.test(text)) return null;
  const n = parseInt(text, 36);
  return Number.isSafeInteger(n) ? n : null;
}

export class CodeSigner {
  readonly #memberKey: Buffer;
  readonly #receiptKey: Buffer;
  readonly #orderKey: Buffer;
  readonly #voucherKey: Buffer;
  readonly #productKey: Buffer;
  readonly #memberRefKey: Buffer;
  constructor(secret: string) {
    this.#memberRefKey = deriveKey(secret, 'pos-member-ref');
    this.#memberKey = deriveKey(secret, 'member-code');
    this.#receiptKey = deriveKey(secret, 'receipt-code');
    this.#orderKey = deriveKey(secret, 'order-code');
    this.#voucherKey = deriveKey(secret, 'voucher-code');
    this.#productKey = deriveKey(secret, 'product-code');
  }

  #sign(key: Buffer, body: string): string {
    return `${body}.${hmacHex(key, body).slice(0, MAC_CHARS)}`;
  }

  /**
   * The fields of a `<prefix>.<field>….<mac>` code after its MAC checked out. Throws CODE_UNKNOWN when
   * the text is not shaped like this kind of code, CODE_FORGED when the MAC does not match.
   */
  #open(key: Buffer, prefix: string, fields: number, code: string): string[] {
    const parts = code.trim().split('.');
    if (parts.length !== fields + 2 || parts[0] !== prefix || parts.some((p) => p === '')) {
      throw new JifenError('CODE_UNKNOWN', 'this is not a code Jifen knows', 'code');
    }
    const mac = parts[parts.length - 1]!;
    const expected = Buffer.from(hmacHex(key, parts.slice(0, -1).join('.')).slice(0, MAC_CHARS));
    const given = Buffer.from(mac);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new JifenError('CODE_FORGED', 'this code is not genuine', 'code');
    }
    return parts.slice(1, -1);
  }

  /** JFR1.<order id>.<expiry>.<mac>: printed on the receipt of a sale paid without a member. */
  receiptCode(orderId: number, expiresAt: number): string {
    return this.#sign(this.#receiptKey, `${RECEIPT_CODE_PREFIX}.${orderId.toString(36)}.${expiresAt.toString(36)}`);
  }

  /** Throws CODE_UNKNOWN (not a receipt code), CODE_FORGED. The caller decides about expiry (used beats expired). */
  openReceiptCode(code: string): { orderId: number; expiresAt: number } {
    const [idText, expText] = this.#open(this.#receiptKey, RECEIPT_CODE_PREFIX, 2, code);
    const orderId = b36(idText);
    const expiresAt = b36(expText);
    if (orderId === null || expiresAt === null) throw new JifenError('CODE_FORGED', 'this code is not genuine', 'code');
    return { orderId, expiresAt };
  }

  /** JFO1.<order id>.<mac>: the QR a kiosk shows for an order the shopper pays in the mini-program. */
  orderCode(orderId: number): string {
    return this.#sign(this.#orderKey, `${ORDER_CODE_PREFIX}.${orderId}`);
  }

  /** Throws CODE_UNKNOWN, CODE_FORGED. */
  verifyOrderCode(code: string): number {
    const [idText] = this.#open(this.#orderKey, ORDER_CODE_PREFIX, 1, code);
    const id = /^\d{1,16}$/.test(idText ?? '') ? Number(idText) : NaN;
    if (!Number.isSafeInteger(id)) throw new JifenError('CODE_FORGED', 'this code is not genuine', 'code');
    return id;
  }

  /** JFV1.<voucher id>.<expiry>.<mac>: a reward voucher, shown as a QR for the kiosk. */
  voucherCode(voucherId: number, expiresAt: number): string {
    return this.#sign(this.#voucherKey, `${VOUCHER_CODE_PREFIX}.${voucherId.toString(36)}.${expiresAt.toString(36)}`);
  }

  /** Throws CODE_UNKNOWN, CODE_FORGED. */
  openVoucherCode(code: string): { voucherId: number; expiresAt: number } {
    const [idText, expText] = this.#open(this.#voucherKey, VOUCHER_CODE_PREFIX, 2, code);
    const voucherId = b36(idText);
    const expiresAt = b36(expText);
    if (voucherId === null || expiresAt === null) throw new JifenError('CODE_FORGED', 'this code is not genuine', 'code');
    return { voucherId, expiresAt };
  }

  /**
   * JFP1.<batch id>.<serial>.<mac>: one code of an HQ batch (一物一码). The batch row holds the points,
   * expiry and status, so HQ can void or extend a batch after printing it.
   */
  productCode(batchId: number, serial: number): string {
    return this.#sign(this.#productKey, `${PRODUCT_CODE_PREFIX}.${batchId.toString(36)}.${serial.toString(36)}`);
  }

  /** Throws CODE_UNKNOWN, CODE_FORGED. */
  openProductCode(code: string): { batchId: number; serial: number } {
    const [batchText, serialText] = this.#open(this.#productKey, PRODUCT_CODE_PREFIX, 2, code);
    const batchId = b36(batchText);
    const serial = b36(serialText);
    if (batchId === null || serial === null) throw new JifenError('CODE_FORGED', 'this code is not genuine', 'code');
    return { batchId, serial };
  }

  /** JFK1.<member id>.<terminal id>.<expiry>.<mac>: good only at the till that looked the member up. */
  memberRef(memberId: number, terminalId: number, expiresAt: number): string {
    return this.#sign(
      this.#memberRefKey,
      `${MEMBER_REF_PREFIX}.${memberId.toString(36)}.${terminalId.toString(36)}.${expiresAt.toString(36)}`,
    );
  }

  /**
   * The member a till's reference names. Throws MEMBER_CODE_INVALID (not a reference, forged, or
   * another till's) or MEMBER_CODE_EXPIRED.
   */
  openMemberRef(ref: string, terminalId: number, now: number): number {
    let fields: string[];
    try {
      fields = this.#open(this.#memberRefKey, MEMBER_REF_PREFIX, 3, ref);
    } catch {
      throw new JifenError('MEMBER_CODE_INVALID', 'not a member reference this server issued', 'member.ref');
    }
    const [memberId, terminal, expiresAt] = fields.map(b36);
    if (memberId == null || terminal == null || expiresAt == null || terminal !== terminalId)
      throw new JifenError('MEMBER_CODE_INVALID', 'this member reference belongs to another till', 'member.ref');
    if (expiresAt < now)
      throw new JifenError('MEMBER_CODE_EXPIRED', 'the member reference has expired: look the member up again', 'member.ref');
    return memberId;
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

/**
 * What a scanned code is. Pure (no Node, no DOM): it is meant to move to shared/.
 *
 * Order matters: Jifen's own codes are recognised by prefix first, then payment codes (which must
 * never be mistaken for anything else: a payment code is money), then product barcodes.
 */

export type ScanKind =
  'wechat_pay_code' | 'alipay_pay_code' | 'unionpay_qr' | 'member_code' | 'receipt_code' | 'voucher' | 'product' | 'order_qr' | 'unknown';

export type ProductSymbology = 'ean13' | 'ean8' | 'upca' | 'sku';

export type ScanClassification =
  | { kind: 'wechat_pay_code' | 'alipay_pay_code' | 'unionpay_qr'; code: string }
  /** Jifen codes: `payload` is what follows the prefix; its format is the server's business. */
  | { kind: 'member_code' | 'receipt_code' | 'voucher' | 'order_qr'; code: string; payload: string }
  | { kind: 'product'; code: string; symbology: ProductSymbology }
  | { kind: 'unknown'; code: string; reason: 'empty' | 'bad_check_digit' | 'unrecognised_digits' | 'unrecognised' };

/** Prefixes of Jifen's own codes (versioned: a new format gets JFM2. and so on). */
export const JIFEN_PREFIXES = {
  'JFM1.': 'member_code',
  'JFR1.': 'receipt_code',
  'JFV1.': 'voucher',
  'JFO1.': 'order_qr',
} as const satisfies Record<string, ScanKind>;

/** Longest plain SKU we accept as a product code. */
const MAX_SKU_LENGTH = 32;

/**
 * GS1 check digit (EAN-8, UPC-A, EAN-13, GTIN-14) for the digits without the check digit:
 * weights 3 and 1 alternate from the right.
 */
export function eanCheckDigit(digitsWithoutCheck: string): number {
  if (!/^\d+$/.test(digitsWithoutCheck)) throw new RangeError('check digit needs digits only');
  let sum = 0;
  for (let i = 0; i < digitsWithoutCheck.length; i++) {
    const digit = digitsWithoutCheck.charCodeAt(digitsWithoutCheck.length - 1 - i) - 48;
    sum += digit * (i % 2 === 0 ? 3 : 1);
  }
  return (10 - (sum % 10)) % 10;
}

/** Whether an EAN-8 / UPC-A / EAN-13 / GTIN-14 code ends in the right check digit. */
export function hasValidEanCheckDigit(code: string): boolean {
  if (!/^\d{8}$|^\d{12,14}$/.test(code)) return false;
  return eanCheckDigit(code.slice(0, -1)) === Number(code.slice(-1));
}

/** Payment codes are short-lived bearer tokens: never log, display or look them up as products. */
export function isPaymentCode(kind: ScanKind): boolean {
  return kind === 'wechat_pay_code' || kind === 'alipay_pay_code' || kind === 'unionpay_qr';
}

function prefixNumber(code: string): number {
  return Number(code.slice(0, 2));
}

export function classifyScan(raw: string): ScanClassification {
  // Scanners may add whitespace or a stray terminator; the code itself never contains any.
  const code = raw.trim();
  if (code === '') return { kind: 'unknown', code, reason: 'empty' };

  for (const [prefix, kind] of Object.entries(JIFEN_PREFIXES) as [
    keyof typeof JIFEN_PREFIXES,
    (typeof JIFEN_PREFIXES)[keyof typeof JIFEN_PREFIXES],
  ][]) {
    if (code.startsWith(prefix)) return { kind, code, payload: code.slice(prefix.length) };
  }

  if (/^\d+$/.test(code)) {
    const len = code.length;
    const p = prefixNumber(code);
    if (len === 18 && p >= 10 && p <= 15) return { kind: 'wechat_pay_code', code };
    if (len === 19 && code.startsWith('62')) return { kind: 'unionpay_qr', code };
    if (len >= 16 && len <= 24 && p >= 25 && p <= 30) return { kind: 'alipay_pay_code', code };
    // Long digit strings that match no known payment scheme may be a new payment code format:
    // do not treat them as a product (that would send a bearer token to a product lookup).
    if (len >= 16) return { kind: 'unknown', code, reason: 'unrecognised_digits' };
    if (len === 13 || len === 12 || len === 8) {
      if (!hasValidEanCheckDigit(code)) return { kind: 'unknown', code, reason: 'bad_check_digit' };
      return { kind: 'product', code, symbology: len === 13 ? 'ean13' : len === 12 ? 'upca' : 'ean8' };
    }
    return { kind: 'product', code, symbology: 'sku' };
  }

  if (code.length <= MAX_SKU_LENGTH && /^[A-Za-z0-9][A-Za-z0-9._\-/]*$/.test(code)) {
    return { kind: 'product', code, symbology: 'sku' };
  }
  return { kind: 'unknown', code, reason: 'unrecognised' };
}

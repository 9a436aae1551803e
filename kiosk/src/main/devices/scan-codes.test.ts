import { describe, expect, it } from 'vitest';
import { classifyScan, eanCheckDigit, hasValidEanCheckDigit, isPaymentCode } from './scan-codes.js';

describe('EAN check digit', () => {
  it('computes GS1 check digits', () => {
    expect(eanCheckDigit('690123456789')).toBe(2); // EAN-13 6901234567892
    expect(eanCheckDigit('9638507')).toBe(4); // EAN-8 96385074
    expect(eanCheckDigit('03600029145')).toBe(2); // UPC-A 036000291452
    expect(() => eanCheckDigit('12a')).toThrow(RangeError);
  });

  it('validates whole codes', () => {
    expect(hasValidEanCheckDigit('6901234567892')).toBe(true);
    expect(hasValidEanCheckDigit('6901234567893')).toBe(false);
    expect(hasValidEanCheckDigit('96385074')).toBe(true);
    expect(hasValidEanCheckDigit('036000291452')).toBe(true);
    expect(hasValidEanCheckDigit('12345')).toBe(false);
  });
});

describe('classifyScan', () => {
  it.each([
    ['134567890123456789', 'wechat_pay_code'],
    ['101234567890123456', 'wechat_pay_code'],
    ['151234567890123456', 'wechat_pay_code'],
    ['281234567890123456', 'alipay_pay_code'],
    ['2512345678901234', 'alipay_pay_code'],
    ['301234567890123456789012', 'alipay_pay_code'],
    ['6212345678901234567', 'unionpay_qr'],
    ['JFM1.eyJtIjoxfQ.sig', 'member_code'],
    ['JFR1.abc', 'receipt_code'],
    ['JFV1.abc', 'voucher'],
    ['JFO1.https://x', 'order_qr'],
    ['6901234567892', 'product'],
    ['96385074', 'product'],
    ['036000291452', 'product'],
    ['SKU-0042', 'product'],
    ['12345', 'product'],
  ])('%s → %s', (code, kind) => {
    expect(classifyScan(code).kind).toBe(kind);
  });

  it('gives the product symbology', () => {
    expect(classifyScan('6901234567892')).toEqual({ kind: 'product', code: '6901234567892', symbology: 'ean13' });
    expect(classifyScan('96385074')).toMatchObject({ symbology: 'ean8' });
    expect(classifyScan('036000291452')).toMatchObject({ symbology: 'upca' });
    expect(classifyScan('A-100')).toMatchObject({ symbology: 'sku' });
  });

  it('classifies Jifen codes by prefix only and hands over the rest', () => {
    expect(classifyScan('JFM1.anything at all')).toEqual({ kind: 'member_code', code: 'JFM1.anything at all', payload: 'anything at all' });
    // a lookalike without the exact prefix is not a member code
    expect(classifyScan('JFM2.abc').kind).not.toBe('member_code');
    expect(classifyScan('jfm1.abc').kind).not.toBe('member_code');
  });

  it('never takes a payment-like code for a product', () => {
    // 18 digits with prefix 16: not WeChat today, maybe tomorrow. Not a product either.
    expect(classifyScan('161234567890123456')).toMatchObject({ kind: 'unknown', reason: 'unrecognised_digits' });
    expect(classifyScan('3112345678901234')).toMatchObject({ kind: 'unknown' });
    expect(isPaymentCode(classifyScan('134567890123456789').kind)).toBe(true);
    expect(isPaymentCode(classifyScan('6901234567892').kind)).toBe(false);
  });

  it('rejects barcodes with a wrong check digit and odd input', () => {
    expect(classifyScan('6901234567893')).toMatchObject({ kind: 'unknown', reason: 'bad_check_digit' });
    expect(classifyScan('  ')).toMatchObject({ kind: 'unknown', reason: 'empty' });
    expect(classifyScan('https://example.com/x?y=1')).toMatchObject({ kind: 'unknown' });
    expect(classifyScan(' 6901234567892\r')).toMatchObject({ kind: 'product', code: '6901234567892' });
  });
});

it('does not import Node (it is meant for shared/)', async () => {
  const { readFile } = await import('node:fs/promises');
  const source = await readFile(new URL('./scan-codes.ts', import.meta.url), 'utf8');
  expect(source).not.toMatch(/from\s+['"](node:|fs|path|os|net|crypto)/);
  expect(source).not.toMatch(/\bimport\s/);
});

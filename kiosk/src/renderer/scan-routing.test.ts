import { describe, expect, it } from 'vitest';
import { classifyScan } from '../main/devices/scan-codes.js';
import { routeScan } from './scan-routing.js';
import type { ScanContext } from './scan-routing.js';

const selling: ScanContext = { screen: 'sale', signedIn: true, busy: false, hasLines: true };
const route = (code: string, ctx: Partial<ScanContext> = {}) => routeScan(classifyScan(code), { ...selling, ...ctx });

describe('scan routing by kind', () => {
  it('sends each kind of code where it belongs on the sale screen', () => {
    expect(route('6901234567892')).toEqual({ kind: 'addProduct', code: '6901234567892' });
    expect(route('JFM1.abc.def.0123456789')).toEqual({ kind: 'identifyMember', code: 'JFM1.abc.def.0123456789' });
    expect(route('134567890123456789')).toEqual({ kind: 'payByCode', authCode: '134567890123456789' });
    expect(route('JFV1.abc.def.0123456789')).toEqual({ kind: 'redeemVoucher', code: 'JFV1.abc.def.0123456789' });
    expect(route('JFR1.abc.def.0123456789')).toEqual({ kind: 'refundLookup', code: 'JFR1.abc.def.0123456789' });
    expect(route('281234567890123456')).toEqual({ kind: 'notice', notice: 'alipay' });
    expect(route('6212345678901234567')).toEqual({ kind: 'notice', notice: 'unionpay' });
    expect(route('6901234567891')).toEqual({ kind: 'notice', notice: 'unknown' }); // bad check digit
    expect(route('JFO1.abc.def.0123456789')).toEqual({ kind: 'notice', notice: 'unknown' });
  });

  it('a payment code pays only a sale with lines, only on the sale screen, and is never a product', () => {
    expect(route('134567890123456789', { hasLines: false })).toEqual({ kind: 'notice', notice: 'emptySale' });
    for (const screen of ['receipt', 'refund', 'voucher', 'shift', 'setup'] as const) {
      const action = route('134567890123456789', { screen });
      expect(action.kind, screen).toBe('notice');
    }
    // 18 digits that are no known scheme: never looked up as a product either.
    expect(route('991234567890123456')).toEqual({ kind: 'notice', notice: 'unknown' });
  });

  it('a new sale starts from the receipt screen; other screens ask to go back', () => {
    expect(route('6901234567892', { screen: 'receipt', hasLines: false })).toEqual({ kind: 'addProduct', code: '6901234567892' });
    expect(route('6901234567892', { screen: 'refund' })).toEqual({ kind: 'notice', notice: 'backToSale' });
    expect(route('JFR1.abc.def.0123456789', { screen: 'voucher' })).toEqual({ kind: 'refundLookup', code: 'JFR1.abc.def.0123456789' });
  });

  it('nothing happens before sign-in or while a payment is in flight', () => {
    expect(route('6901234567892', { signedIn: false })).toEqual({ kind: 'notice', notice: 'signInFirst' });
    expect(route('134567890123456789', { busy: true })).toEqual({ kind: 'notice', notice: 'busy' });
  });
});

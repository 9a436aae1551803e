/**
 * Where a scan goes (pure, so every case is a unit test): what it is (devices/scan-codes.ts) and what
 * the cashier is doing decide the action. A payment code is money: it only ever pays for a sale with
 * lines in it, and is never looked up as a product.
 */
import type { ScanClassification } from '../main/devices/scan-codes.js';

export type ScreenName = 'setup' | 'signIn' | 'sale' | 'receipt' | 'refund' | 'voucher' | 'shift';

export interface ScanContext {
  screen: ScreenName;
  signedIn: boolean;
  /** A payment or another server call is in flight. */
  busy: boolean;
  hasLines: boolean;
}

export type ScanNotice = 'signInFirst' | 'busy' | 'emptySale' | 'alipay' | 'unionpay' | 'unknown' | 'backToSale';

export type ScanAction =
  | { kind: 'addProduct'; code: string }
  | { kind: 'identifyMember'; code: string }
  | { kind: 'payByCode'; authCode: string }
  | { kind: 'redeemVoucher'; code: string }
  | { kind: 'refundLookup'; code: string }
  | { kind: 'notice'; notice: ScanNotice };

const notice = (n: ScanNotice): ScanAction => ({ kind: 'notice', notice: n });

export function routeScan(scan: ScanClassification, ctx: ScanContext): ScanAction {
  if (!ctx.signedIn) return notice('signInFirst');
  if (ctx.busy) return notice('busy');
  const selling = ctx.screen === 'sale' || ctx.screen === 'receipt';
  switch (scan.kind) {
    case 'product':
      return selling ? { kind: 'addProduct', code: scan.code } : notice('backToSale');
    case 'member_code':
      return selling ? { kind: 'identifyMember', code: scan.code } : notice('backToSale');
    case 'wechat_pay_code':
      if (ctx.screen !== 'sale') return notice('backToSale');
      return ctx.hasLines ? { kind: 'payByCode', authCode: scan.code } : notice('emptySale');
    case 'alipay_pay_code':
      return notice('alipay');
    case 'unionpay_qr':
      return notice('unionpay');
    case 'voucher':
      return { kind: 'redeemVoucher', code: scan.code };
    case 'receipt_code':
      return { kind: 'refundLookup', code: scan.code };
    case 'order_qr':
    case 'unknown':
      return notice('unknown');
  }
}

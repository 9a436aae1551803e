/**
 * Parser for WeChat Pay's daily trade bill file (the format is documented in test/sim/wechat/bill.ts;
 * production code must not depend on the simulator, hence this copy of the rules):
 *
 *   line 1        column names, comma-separated (27 in the current format; older bills have fewer)
 *   rows          every field prefixed with a backquote (`) so spreadsheets keep long digit strings;
 *                 amounts in yuan with 2 decimals; ids that do not apply are `0`
 *   summary       a line starting with 总交易单数, then one line of totals
 *
 * Columns are looked up by NAME, not position, so a format revision that adds or moves columns keeps
 * working; a bill missing a column we need fails loudly instead of being misread.
 */
import type { TradeBillRow } from './types.js';

export class TradeBillFormatError extends Error {
  override name = 'TradeBillFormatError';
}

const SUMMARY_FIRST_COLUMN = '总交易单数';

/** Yuan with up to 2 decimals ("12.30", "-0.06", "5") → integer fen, exactly (no floating point). */
export function yuanToFen(value: string): number {
  const m = /^(-?)(\d+)(?:\.(\d{1,2}))?$/.exec(value.trim());
  if (!m) throw new TradeBillFormatError(`not an amount: ${JSON.stringify(value)}`);
  const [, sign, whole = '0', frac = ''] = m;
  const fen = Number(whole) * 100 + Number(frac.padEnd(2, '0'));
  if (!Number.isSafeInteger(fen)) throw new TradeBillFormatError(`amount out of range: ${value}`);
  return sign === '-' && fen !== 0 ? -fen : fen;
}

/** Splits a data line: strip the leading backquote, then split on ",`" so commas inside a value survive. */
function splitDataLine(line: string): string[] {
  const body = line.startsWith('`') ? line.slice(1) : line;
  return body.split(',`');
}

/** "0" is WeChat's "does not apply" for ids: return "" instead, so callers can test for presence. */
const idOrEmpty = (v: string): string => (v === '0' ? '' : v);

export function parseTradeBill(text: string): TradeBillRow[] {
  const lines = text
    .replace(/^\ufeff/, '')
    .split(/\r?\n/)
    .filter((l) => l.trim() !== '');
  const header = lines[0];
  if (header === undefined) throw new TradeBillFormatError('empty bill');
  const columns = header.split(',').map((c) => c.trim());
  const summaryAt = lines.findIndex((l, i) => i > 0 && l.startsWith(SUMMARY_FIRST_COLUMN));
  if (summaryAt < 0) throw new TradeBillFormatError('no summary line (总交易单数): truncated download?');

  const index = (name: string, required = true): number => {
    const i = columns.indexOf(name);
    if (i < 0 && required) throw new TradeBillFormatError(`bill has no column ${name}`);
    return i;
  };
  const col = {
    tradeTime: index('交易时间'),
    transactionId: index('微信订单号'),
    outTradeNo: index('商户订单号'),
    openid: index('用户标识'),
    tradeType: index('交易类型'),
    tradeState: index('交易状态'),
    settled: index('应结订单金额'),
    coupon: index('代金券金额'),
    refundId: index('微信退款单号'),
    outRefundNo: index('商户退款单号'),
    refund: index('退款金额'),
    refundState: index('退款状态'),
    // Added to the format later (2017): absent from old bills, derived below.
    total: index('订单金额', false),
    requestedRefund: index('申请退款金额', false),
  };

  const rows = lines.slice(1, summaryAt).map((line, n): TradeBillRow => {
    const f = splitDataLine(line);
    if (f.length !== columns.length) throw new TradeBillFormatError(`row ${n + 1}: ${f.length} fields, header has ${columns.length}`);
    const at = (i: number): string => (i < 0 ? '' : (f[i] ?? ''));
    const couponFen = yuanToFen(at(col.coupon));
    return {
      tradeTime: at(col.tradeTime),
      transactionId: at(col.transactionId),
      outTradeNo: at(col.outTradeNo),
      openid: at(col.openid),
      tradeType: at(col.tradeType),
      tradeState: at(col.tradeState),
      // 订单金额 = the order amount (0.00 on refund rows); old bills: settled + coupon is the same number.
      totalFen: col.total >= 0 ? yuanToFen(at(col.total)) : yuanToFen(at(col.settled)) + couponFen,
      couponFen,
      refundId: idOrEmpty(at(col.refundId)),
      outRefundNo: idOrEmpty(at(col.outRefundNo)),
      // 申请退款金额 is what the merchant asked for (matches our refund records); 退款金额 is only its cash part.
      refundFen: col.requestedRefund >= 0 ? yuanToFen(at(col.requestedRefund)) : yuanToFen(at(col.refund)),
      refundState: at(col.refundState),
    };
  });
  // The summary's first value is the row count: a cheap guard against a bill cut short or mis-split.
  const count = splitDataLine(lines[summaryAt + 1] ?? '')[0];
  if (count === undefined || !/^\d+$/.test(count) || Number(count) !== rows.length)
    throw new TradeBillFormatError(`summary says ${count ?? '?'} rows, parsed ${rows.length}`);
  return rows;
}

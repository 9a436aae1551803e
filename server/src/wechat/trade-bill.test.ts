import { describe, expect, it } from 'vitest';
import { TradeBillFormatError, parseTradeBill, yuanToFen } from './trade-bill.js';

const COLUMNS =
  '交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注';
const SUMMARY = '总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额';
const row = (fields: string[]): string => fields.map((f) => `\`${f}`).join(',');

const PAYMENT = row([
  '2026-01-22 10:00:01',
  'wxd0000000000jifen',
  '1900000001',
  '0',
  '',
  '4200000000202601220000000001',
  'JF001',
  'oUser1',
  'JSAPI',
  'SUCCESS',
  'OTHERS',
  'CNY',
  '11.34',
  '1.00',
  '0',
  '0',
  '0.00',
  '0.00',
  '',
  '',
  '奶茶, 大杯',
  'store=1',
  '0.07',
  '0.60%',
  '12.34',
  '0.00',
  '',
]);
const REFUND = row([
  '2026-01-22 11:00:00',
  'wxd0000000000jifen',
  '1900000001',
  '0',
  '',
  '4200000000202601220000000001',
  'JF001',
  'oUser1',
  'JSAPI',
  'REFUND',
  'OTHERS',
  'CNY',
  '0.00',
  '0.00',
  '50000000000000000000000001',
  'RF001',
  '4.50',
  '0.00',
  'ORIGINAL',
  'SUCCESS',
  '奶茶, 大杯',
  'store=1',
  '-0.03',
  '0.60%',
  '0.00',
  '5.00',
  '',
]);

describe('trade bill parser', () => {
  it('maps columns by name into fen; ids that do not apply become ""; commas inside a value survive', () => {
    const text =
      '\ufeff' + [COLUMNS, PAYMENT, REFUND, SUMMARY, row(['2', '11.34', '4.50', '0.00', '0.04', '12.34', '5.00'])].join('\r\n') + '\r\n';
    expect(parseTradeBill(text)).toEqual([
      {
        tradeTime: '2026-01-22 10:00:01',
        transactionId: '4200000000202601220000000001',
        outTradeNo: 'JF001',
        openid: 'oUser1',
        tradeType: 'JSAPI',
        tradeState: 'SUCCESS',
        totalFen: 1234,
        couponFen: 100,
        refundId: '',
        outRefundNo: '',
        refundFen: 0,
        refundState: '',
      },
      {
        tradeTime: '2026-01-22 11:00:00',
        transactionId: '4200000000202601220000000001',
        outTradeNo: 'JF001',
        openid: 'oUser1',
        tradeType: 'JSAPI',
        tradeState: 'REFUND',
        totalFen: 0,
        couponFen: 0,
        refundId: '50000000000000000000000001',
        outRefundNo: 'RF001',
        refundFen: 500,
        refundState: 'SUCCESS',
      },
    ]);
  });

  it('an older bill without 订单金额/申请退款金额: total = settled + coupon, refund = 退款金额', () => {
    const cols = COLUMNS.split(',').slice(0, 24);
    const cut = (r: string): string => r.split(',`').slice(0, 24).join(',`');
    const text = [cols.join(','), cut(PAYMENT), cut(REFUND), SUMMARY, row(['2', '11.34', '4.50', '0.00', '0.04', '12.34', '5.00'])].join(
      '\n',
    );
    const [pay, refund] = parseTradeBill(text);
    expect(pay).toMatchObject({ totalFen: 1234, couponFen: 100 });
    expect(refund).toMatchObject({ refundFen: 450 });
  });

  it('refuses what it cannot read reliably', () => {
    expect(() => parseTradeBill('')).toThrow(TradeBillFormatError);
    expect(() => parseTradeBill([COLUMNS, PAYMENT].join('\n'))).toThrow(/summary/);
    expect(() => parseTradeBill([COLUMNS, PAYMENT, SUMMARY, row(['3'])].join('\n'))).toThrow(/3 rows, parsed 1/);
    expect(() => parseTradeBill([COLUMNS, PAYMENT.split(',`').slice(0, 5).join(',`'), SUMMARY, row(['1'])].join('\n'))).toThrow(/fields/);
    expect(() => parseTradeBill(['交易时间,商户订单号', SUMMARY, row(['0'])].join('\n'))).toThrow(/no column 微信订单号/);
  });

  it('yuan → fen exactly, no floating point', () => {
    expect(yuanToFen('12.30')).toBe(1230);
    expect(yuanToFen('0.07')).toBe(7);
    expect(yuanToFen('1.1')).toBe(110);
    expect(yuanToFen('5')).toBe(500);
    expect(yuanToFen('-0.03')).toBe(-3);
    expect(yuanToFen('19999999.99')).toBe(1999999999);
    expect(() => yuanToFen('1.234')).toThrow(TradeBillFormatError);
    expect(() => yuanToFen('')).toThrow(TradeBillFormatError);
  });
});

import { describe, expect, it } from 'vitest';
import type { ShiftReportView } from '../ipc-contract.js';
import { FAKE_MEMBER } from '../shared/fake-pos-api.js';
import type { CreateOrderRequest, OrderDetail, OrderView } from '../shared/pos-api.js';
import { markupToEscPos } from './devices/receipt.js';
import { encodeText } from './devices/text-codec.js';
import { receiptCodeExpiry, receiptCodeOrderId, refundSlip, saleReceipt } from './receipts.js';
import { zReportMarkup } from './z-report.js';

const ctx = { store: { name: '鲜果坊 南京西路店' }, terminalLabel: 'T07', cashierName: '张三' };
const request: CreateOrderRequest = {
  clientOrderId: 'K-0001',
  lines: [
    { sku: 'OJ', name: '鲜榨橙汁', qty: 2, unitPriceFen: 1500 },
    { sku: 'APPLE', name: '苹果', qty: 1, unitPriceFen: 990, category: 'fresh' },
  ],
  payment: { method: 'cash' },
};
const order: OrderView = {
  orderId: 1000,
  outTradeNo: 'JF1000',
  status: 'paid',
  amountFen: 3990,
  payableFen: 3490,
  pointsPaid: 500,
  memberId: 42,
  pointsEarned: 34,
  pointsPreview: 34,
};

describe('receipt models', () => {
  it('a member sale: totals, points paid, cash change, member masked, points earned and balance', () => {
    const r = saleReceipt({
      ctx,
      request,
      order,
      member: FAKE_MEMBER,
      time: new Date('2026-05-01T04:00:00Z'),
      deviceTime: false,
      method: 'cash',
      tenderedFen: 5000,
    });
    expect(r).toMatchObject({
      kind: 'sale',
      orderNo: 'JF1000',
      subtotalFen: 3990,
      totalFen: 3490,
      pointsPaid: { points: 500, amountFen: 500 },
      payments: [{ method: 'cash', amountFen: 3490, tenderedFen: 5000, changeFen: 1510 }],
      member: { phone: '139****9000', tierName: '白银' },
      points: { earned: 34, balance: 700 },
      deviceTime: false,
    });
    expect(r.claim).toBeUndefined();
  });

  it('an offline sale prints the client order id and device time; a no-member sale the claim code with its own expiry', () => {
    const offline = saleReceipt({
      ctx,
      request,
      order: null,
      member: null,
      time: new Date(),
      deviceTime: true,
      method: 'cash',
      tenderedFen: null,
    });
    expect(offline).toMatchObject({ orderNo: 'K-0001', deviceTime: true, totalFen: 3990 });
    const expiry = Date.UTC(2026, 4, 8, 15, 59);
    const code = `JFR1.${(1000).toString(36)}.${expiry.toString(36)}.0123456789abcdef0123`;
    expect(receiptCodeExpiry(code)?.getTime()).toBe(expiry);
    expect(receiptCodeOrderId(code)).toBe(1000);
    expect(receiptCodeOrderId('JFV1.rs.x.y')).toBeNull();
    const claim = saleReceipt({
      ctx,
      request,
      order: { ...order, memberId: null, pointsPaid: 0, payableFen: 3990, receiptCode: code },
      member: null,
      time: new Date(),
      deviceTime: false,
      method: 'wechat_native',
      tenderedFen: null,
    });
    expect(claim.claim).toEqual({ code, expiresAt: new Date(expiry).toISOString() });
    expect(claim.payments).toEqual([{ method: 'wechat_pay', amountFen: 3990 }]);
  });

  it('a refund slip lists the refunded lines and the points reversed', () => {
    const detail: OrderDetail = {
      ...order,
      paymentMethod: 'wechat_code',
      lines: request.lines,
      refundedFen: 0,
      refundedLines: [],
      placedAt: '2026-05-01T04:00:00Z',
      member: { maskedPhone: '139****9000' },
    };
    const slip = refundSlip({
      ctx,
      order: detail,
      refund: {
        outRefundNo: 'R1',
        orderId: 1000,
        status: 'processing',
        amountFen: 1500,
        wechatFen: 1312,
        pointsReturned: 188,
        pointsReversed: 12,
      },
      lines: [{ sku: 'OJ', qty: 1 }],
      reason: '退货',
      time: new Date(),
      deviceTime: false,
    });
    expect(slip).toMatchObject({
      kind: 'refund',
      originalOrderNo: 'JF1000',
      lines: [{ name: '鲜榨橙汁', qty: 1, amountFen: 1500 }],
      refundTotalFen: 1500,
      payments: [{ method: 'wechat_pay', amountFen: 1312 }],
      pointsReversed: 12,
      pointsReturned: 188,
    });
  });

  it('the Z-report prints the figures in GB18030', () => {
    const view: ShiftReportView = {
      source: 'server',
      queued: { count: 2, cashFen: 3000 },
      report: {
        shiftId: 'SH-0001',
        terminalId: 7,
        staff: { id: 3, name: '张三' },
        openedAt: '2026-05-01T01:00:00Z',
        closedAt: '2026-05-01T09:00:00Z',
        openingFloatFen: 20000,
        sales: { count: 12, amountFen: 45600, byMethod: { cash: 12300, wechat: 32800, points: 500 } },
        refunds: { count: 1, amountFen: 1500, byMethod: { cash: 1500, wechat: 0, points: 0 } },
        points: { issued: 456, taken: 500, reversed: 15, returned: 0 },
        cashExpectedFen: 30800,
        cashCountedFen: 30700,
        cashDifferenceFen: -100,
      },
    };
    const bytes = markupToEscPos(zReportMarkup(view, { storeName: '鲜果坊', terminalLabel: 'T07', deviceTime: false }));
    for (const text of [
      '交班报表',
      '张三',
      '￥456.00',
      '￥328.00',
      '-￥15.00',
      '+456',
      '￥308.00',
      '￥307.00',
      '-￥1.00',
      '离线未同步 2',
    ]) {
      expect(bytes.includes(encodeText(text)), text).toBe(true);
    }
  });
});

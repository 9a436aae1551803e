import * as receiptline from 'receiptline';
import { describe, expect, it } from 'vitest';
import {
  escapeMarkup,
  formatFen,
  formatReceiptTime,
  maskPhone,
  receiptToMarkup,
  renderReceipt,
  renderReceiptEscPos,
  renderReceiptSvg,
  sampleReceipt,
  sanitizeText,
} from './receipt.js';
import type { Fen, Points, RefundSlip, SaleReceipt } from './receipt.js';
import { RECEIPT_TEXT } from './receipt-text.js';
import { encodeText } from './text-codec.js';

const f = (n: number): Fen => n as Fen;
const p = (n: number): Points => n as Points;

/** The receipt as plain text lines, laid out by receiptline's own text renderer. */
function asText(markup: string, cpl = 32): string[] {
  return receiptline
    .transform(markup, { cpl, encoding: 'gb18030', command: 'text' })
    .split('\n')
    .map((l) => l.trimEnd());
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** Printed width in columns: GB18030 characters take two. */
const columns = (line: string): number => [...line].reduce((w, c) => w + ((c.codePointAt(0) ?? 0) < 0x80 ? 1 : 2), 0);

describe('money and masking', () => {
  it('formats integer fen as ￥ (U+FFE5) with two decimals', () => {
    expect(formatFen(1234)).toBe('￥12.34');
    expect(formatFen(5)).toBe('￥0.05');
    expect(formatFen(0)).toBe('￥0.00');
    expect(formatFen(-100)).toBe('-￥1.00');
    expect(formatFen(123456789)).toBe('￥1234567.89');
    expect(formatFen(1234).codePointAt(0)).toBe(0xffe5);
    expect(() => formatFen(12.5)).toThrow(RangeError);
  });

  it('masks phone numbers, also ones already masked', () => {
    expect(maskPhone('13812345678')).toBe('138****5678');
    expect(maskPhone('+86 138-1234-5678')).toBe('861****5678');
    expect(maskPhone('138****5678')).toBe('138****5678');
    expect(maskPhone('123')).toBe('****');
  });

  it('prints the store wall-clock time', () => {
    expect(formatReceiptTime(new Date('2025-05-01T16:05:09Z'))).toBe('2025-05-02 00:05:09');
    expect(formatReceiptTime(new Date('2025-05-01T16:05:09Z'), 'Asia/Shanghai', false)).toBe('2025-05-02 00:05');
  });
});

describe('markup escaping', () => {
  const nasty = '可乐|{w:1}~_"`^\\x41 \\n -=';

  it('keeps every special character literal and the columns intact', () => {
    const receipt: SaleReceipt = { ...sampleReceipt(), lines: [{ name: nasty, qty: 1, unitPriceFen: f(350), amountFen: f(350) }] };
    const lines = asText(receiptToMarkup(receipt));
    expect(lines).toContain(nasty);
    const amountLine = lines.find((l) => l.includes('1 × ￥3.50'));
    expect(amountLine).toBeDefined();
    expect(amountLine?.endsWith('￥3.50')).toBe(true);
    expect(columns(amountLine ?? '')).toBe(32);
  });

  it('escapes each character receiptline treats specially', () => {
    for (const ch of ['|', '{', '}', '\\', '~', '_', '"', '`', '^', '-', '=']) {
      expect(asText(`|${escapeMarkup(`a${ch}b`)}`)[0]).toBe(`a${ch}b`);
    }
    // a name made only of dashes would otherwise print as a rule; of '=' as a paper cut
    expect(asText(escapeMarkup('---'))[0]?.trim()).toBe('---');
    expect(asText(escapeMarkup('==='))[0]?.trim()).toBe('===');
  });

  it('strips control characters so a product name cannot send printer commands', () => {
    const name = 'Cola\u001bp\u0000\u0019\u00fa\u001dV\u0000';
    const receipt: SaleReceipt = { ...sampleReceipt(), lines: [{ name, qty: 1, unitPriceFen: f(1), amountFen: f(1) }] };
    const bytes = renderReceiptEscPos(receipt);
    expect(hex(bytes)).not.toContain('1b70');
    expect(sanitizeText(name)).toBe('Colapú' + 'V');
  });

  it('prints ¥ (U+00A5) as ￥ and emoji as ?', () => {
    expect(sanitizeText('¥5 🍎\n新品')).toBe('￥5 ? 新品');
  });
});

describe('receipt layout', () => {
  it('lays out a sale on 58 mm paper (32 columns)', () => {
    const lines = asText(receiptToMarkup(sampleReceipt()));
    expect(lines.every((l) => columns(l) <= 32)).toBe(true);
    const text = lines.join('\n');
    for (const s of [
      '积分便利店（人民路店）',
      '收银员',
      '张三',
      '可口可乐 330ml',
      '小计',
      '优惠',
      '积分抵扣 200积分',
      '合计',
      '现金',
      '实收',
      '找零',
      '138****5678',
      '金卡会员',
      '本单积分',
      '积分余额',
      '扫码领取积分',
      '有效期至 2025-05-08 23:59',
    ]) {
      expect(text).toContain(s);
    }
    expect(text).toContain('时间 2025-05-01 12:34:56');
    expect(text).not.toContain(RECEIPT_TEXT.deviceTime);
    expect(text).not.toContain('13812345678');
    expect(lines.find((l) => l.startsWith('合计'))?.endsWith('￥12.97')).toBe(true);
    expect(lines.find((l) => l.startsWith('  找零'))?.endsWith('￥7.03')).toBe(true);
    expect(lines.find((l) => l.includes('1.5kg × ￥5.98'))?.endsWith('￥8.97')).toBe(true);
  });

  it('uses 48 columns on 80 mm paper', () => {
    const lines = asText(receiptToMarkup(sampleReceipt(), { paper: '80mm' }), 48);
    expect(columns(lines.find((l) => l.startsWith('合计')) ?? '')).toBe(48);
  });

  it('marks the device clock when the time was taken offline', () => {
    const text = asText(receiptToMarkup({ ...sampleReceipt(), deviceTime: true })).join('\n');
    expect(text).toContain(`${RECEIPT_TEXT.deviceTime} 2025-05-01 12:34:56`);
  });

  it('prints a big 重印 mark on reprints only', () => {
    const markup = receiptToMarkup({ ...sampleReceipt(), reprint: true });
    expect(markup).toMatch(/\^\^\^\^重印\^\^\^\^/);
    expect(receiptToMarkup(sampleReceipt())).not.toContain('重印');
    // GS ! 0x22: triple width and height
    expect(hex(renderReceiptEscPos({ ...sampleReceipt(), reprint: true }))).toContain('1d2122' + '1b74001c26' + hex(encodeText('重')));
  });

  it('prints pending points and the voucher', () => {
    const receipt: SaleReceipt = {
      ...sampleReceipt(),
      points: { earned: p(12), pending: p(12) },
      voucher: { title: '满50减5', code: 'JFV1.abc', expiresAt: new Date('2025-06-01T15:59:59Z') },
    };
    const text = asText(receiptToMarkup(receipt)).join('\n');
    expect(text).toContain('待入账积分');
    expect(text).toContain('联网后自动入账');
    expect(text).toContain('赠券: 满50减5');
    expect(text).toContain('有效期至 2025-06-01 23:59');
  });

  it('prints a refund slip with the refunded lines and reversed points', () => {
    const refund: RefundSlip = {
      kind: 'refund',
      store: { name: '积分便利店' },
      terminalId: 'T01',
      cashierName: '李四',
      orderNo: 'RF-0002',
      originalOrderNo: 'JF20250501-0001',
      reason: '商品破损',
      time: new Date('2025-05-02T02:00:00Z'),
      deviceTime: false,
      lines: [{ name: '可口可乐 330ml', qty: 1, unitPriceFen: f(350), amountFen: f(350) }],
      refundTotalFen: f(350),
      payments: [{ method: 'wechat_pay', amountFen: f(350) }],
      member: { phone: '13812345678' },
      pointsReversed: p(3),
      points: { balance: p(1031) },
    };
    const lines = asText(receiptToMarkup(refund));
    const text = lines.join('\n');
    expect(text).toMatch(/退\s*款\s*单/);
    expect(text).toContain('原单号 JF20250501-0001');
    expect(text).toContain('退款原因: 商品破损');
    expect(lines.find((l) => l.startsWith('退回微信支付'))?.endsWith('￥3.50')).toBe(true);
    expect(lines.find((l) => l.startsWith('冲回积分'))?.endsWith('-3')).toBe(true);
    expect(text).not.toContain('扫码领取积分');
  });
});

describe('ESC/POS output', () => {
  const bytes = renderReceiptEscPos(sampleReceipt());
  const h = hex(bytes);

  it('switches Chinese mode on (FS &) before the GB18030 text', () => {
    expect(h.startsWith('1b40')).toBe(true);
    expect(h).toContain('1c26' + hex(encodeText('积分便利店')));
    // receiptline's initialise ends with FS . (Chinese off); every text run turns it back on
    const firstChinese = h.indexOf(hex(encodeText('积分便利店')));
    expect(h.lastIndexOf('1c26', firstChinese)).toBeGreaterThan(h.lastIndexOf('1c2e', firstChinese));
  });

  it('encodes ￥ as A3 A4, never the 4-byte ¥', () => {
    expect(h).toContain('a3a4' + hex(encodeText('12.97')));
    expect(h).not.toContain('81308436');
  });

  it('prints the claim QR as a raster image by default, natively on request', () => {
    expect(h).toContain('1d7630');
    expect(h).not.toContain('1d286b');
    const native = hex(renderReceiptEscPos(sampleReceipt(), { qr: 'native' }));
    expect(native).toContain('1d286b' + '1800' + '315030' + hex(encodeText('JFR1.7Hq2mZ0bXk.Sig_9')));
    expect(native).toContain('1d286b0300315130');
    expect(native).not.toContain('1d7630');
  });

  it('ends with a cut and without GS r (whose reply would confuse status reads)', () => {
    expect(h.endsWith('1d564200')).toBe(true);
    expect(h).not.toContain('1d7201');
  });

  it('also renders the same receipt as an SVG preview', () => {
    const svg = renderReceiptSvg(sampleReceipt());
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('width="384px"');
    expect(svg).toContain('<tspan');
    const all = renderReceipt(sampleReceipt(), { paper: '80mm' });
    expect(all.svg).toContain('width="576px"');
    expect(all.escpos.length).toBeGreaterThan(1000);
    expect(all.markup).toContain('{code:JFR1.7Hq2mZ0bXk.Sig_9; option:qrcode,6,m}');
  });

  it('renders cheaply once warm (logged, not asserted)', () => {
    renderReceiptEscPos(sampleReceipt());
    const start = performance.now();
    for (let i = 0; i < 10; i++) renderReceiptEscPos(sampleReceipt());
    console.log(`receipt render (ESC/POS, 58 mm, with raster QR): ${((performance.now() - start) / 10).toFixed(2)} ms each`);
  });
});

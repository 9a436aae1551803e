/**
 * Receipt model → receiptline markup → ESC/POS bytes (the printer) and SVG (the on-screen preview).
 *
 * Rendering is synchronous and cheap (a few ms once warm) because the order-paid → last-byte budget
 * is 300 ms; call `warmUpReceiptRenderer()` at start-up so the first receipt does not pay for JIT.
 */
import { nativeQr } from './escpos.js';
import { RECEIPT_TEXT as T } from './receipt-text.js';
import { encodeText } from './text-codec.js';
import { formatYuan, maskPhone } from '@jifen/shared';
import { transformToBytes, transformToSvg } from './receiptline-adapter.js';
import type { CommandOverrides, ReceiptlinePrinter, ReceiptlineQrSymbol } from './receiptline-adapter.js';

import type { Fen, Points } from '@jifen/shared';

export type { Fen, Points };

export interface ReceiptStore {
  name: string;
  address?: string;
}

export interface ReceiptItem {
  name: string;
  /** Integer for pieces; up to three decimals for weighed goods. */
  qty: number;
  /** Printed after the quantity, e.g. 'kg'. */
  unit?: string;
  unitPriceFen: Fen;
  amountFen: Fen;
}

export type ReceiptPayment =
  { method: 'wechat_pay'; amountFen: Fen } | { method: 'cash'; amountFen: Fen; tenderedFen: Fen; changeFen: Fen };

export interface ReceiptMember {
  /** Full or already masked; the receipt only ever prints the masked form (138****1234). */
  phone: string;
  tierName?: string;
}

export interface ReceiptPoints {
  earned?: Points;
  /** Owed to the member but not yet settled (sold offline); settled once the server is back. */
  pending?: Points;
  balance?: Points;
}

export interface ReceiptClaimCode {
  /** A `JFR1.` code the customer scans in the mini-program to collect the points. */
  code: string;
  expiresAt: Date;
}

export interface ReceiptVoucher {
  title: string;
  /** A `JFV1.` code, printed as a QR code. */
  code: string;
  expiresAt?: Date;
}

interface ReceiptCommon {
  store: ReceiptStore;
  terminalId: string;
  cashierName: string;
  orderNo: string;
  time: Date;
  /** The time came from the device clock while offline: printed as 设备时间, not 时间. */
  deviceTime: boolean;
  lines: readonly ReceiptItem[];
  payments: readonly ReceiptPayment[];
  member?: ReceiptMember;
  points?: ReceiptPoints;
  /** Server-provided sentence such as 再消费￥120.00升级为金卡. */
  tierProgress?: string;
  /** Printed again on request: a big 重印 mark so it cannot pass as a second original. */
  reprint?: boolean;
}

export interface SaleReceipt extends ReceiptCommon {
  kind: 'sale';
  subtotalFen: Fen;
  discountFen?: Fen;
  /** Points spent on this order (积分抵扣) and the amount they covered. */
  pointsPaid?: { points: Points; amountFen: Fen };
  totalFen: Fen;
  claim?: ReceiptClaimCode;
  voucher?: ReceiptVoucher;
}

/** A refund slip (退款单): the refunded lines, where the money went back, and the points reversed. */
export interface RefundSlip extends ReceiptCommon {
  kind: 'refund';
  originalOrderNo: string;
  reason?: string;
  refundTotalFen: Fen;
  /** Points earned by the original order taken back (printed negative). */
  pointsReversed?: Points;
  /** Points the customer had spent, given back. */
  pointsReturned?: Points;
}

export type Receipt = SaleReceipt | RefundSlip;

export type PaperWidth = '58mm' | '80mm';

export interface ReceiptRenderOptions {
  /** 58 mm = 32 columns, 80 mm = 48 columns. Default 58 mm. */
  paper?: PaperWidth;
  /**
   * 'raster' (default) prints QR codes as GS v 0 images, which every printer supports;
   * 'native' sends GS ( k, smaller and sharper, but missing on some cheap clones.
   */
  qr?: 'raster' | 'native';
  /** receiptline command set. 'generic' (default) uses GS v 0 for images, the widest supported. */
  commandSet?: 'generic' | 'escpos';
  /** Time zone of the printed time. Default Asia/Shanghai. */
  timeZone?: string;
}

export interface RenderedReceipt {
  markup: string;
  escpos: Buffer;
  svg: string;
}

const CPL: Record<PaperWidth, number> = { '58mm': 32, '80mm': 48 };
const QR_CELL: Record<PaperWidth, number> = { '58mm': 5, '80mm': 6 };
const QR_LEVEL: ReceiptlineQrSymbol['level'] = 'm';

/** ￥ (U+FFE5, `A3 A4` in GB18030/GBK) with two decimals from integer fen: 1234 → ￥12.34, -5 → -￥0.05. */
export function formatFen(amount: number): string {
  if (!Number.isSafeInteger(amount)) throw new RangeError(`fen must be an integer, got ${amount}`);
  return formatYuan(amount);
}

export { maskPhone };

/**
 * Makes arbitrary text printable and inert: control characters (which would reach the printer as
 * commands) removed, line breaks and tabs become spaces, `¥` (4 bytes in GB18030, misprinted)
 * becomes `￥`, characters outside the BMP (emoji: no glyph in printer fonts) become `?`.
 */
export function sanitizeText(text: string): string {
  return (
    text
      .replace(/[\r\n\t\u2028\u2029]+/g, ' ')
      // Control characters are exactly what must not reach the printer (ESC p, GS V...).
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u001f\u007f-\u009f]/g, '')
      .replace(/\u00a5/g, '￥')
      .replace(/[\ud800-\udbff][\udc00-\udfff]/g, '?')
      .replace(/[\ud800-\udfff]/g, '')
      .replace(/ {2,}/g, ' ')
      .trim()
  );
}

/**
 * Escapes text for a receiptline text column so it prints literally: `\ | { }` (structure), `~`
 * (space), `_ " \` ^` (decoration toggles) and `- =` (a line of them is a rule or a cut).
 */
export function escapeMarkup(text: string): string {
  return sanitizeText(text).replace(/[\\|{}~_"`^=-]/g, (c) => `\\${c}`);
}

/** Escapes a receiptline property value (`{code:...}`), where `;` separates members. */
function escapeProperty(value: string): string {
  return sanitizeText(value).replace(/[\\|{};]/g, (c) => `\\${c}`);
}

const dateFormats = new Map<string, Intl.DateTimeFormat>();

/** 'YYYY-MM-DD HH:mm:ss' in the given zone (the store's wall clock, not the kiosk's TZ setting). */
export function formatReceiptTime(time: Date, timeZone = 'Asia/Shanghai', withSeconds = true): string {
  let format = dateFormats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    });
    dateFormats.set(timeZone, format);
  }
  const parts: Partial<Record<Intl.DateTimeFormatPartTypes, string>> = {};
  for (const p of format.formatToParts(time)) parts[p.type] = p.value;
  const date = `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}`;
  return withSeconds ? `${date}:${parts.second}` : date;
}

function formatQty(item: ReceiptItem): string {
  const qty = Number.isInteger(item.qty) ? String(item.qty) : item.qty.toFixed(3).replace(/0+$/, '');
  return item.unit ? `${qty}${sanitizeText(item.unit)}` : qty;
}

/** Builds markup line by line; every user-provided string goes through escapeMarkup. */
class Markup {
  private readonly out: string[] = [];
  constructor(private readonly cpl: number) {}

  /** Full-width lines from here on. */
  full(): this {
    this.out.push('{w:auto}');
    return this;
  }
  /** Label/value rows from here on: the value column fits ￥99999.99 and 138****1234 (11 columns). */
  pairs(): this {
    this.out.push('{w:*,11}');
    return this;
  }
  raw(line: string): this {
    this.out.push(line);
    return this;
  }
  center(text: string, decoration = ''): this {
    this.out.push(`${decoration}${escapeMarkup(text)}${decoration}`);
    return this;
  }
  left(text: string): this {
    this.out.push(`|${escapeMarkup(text)}`);
    return this;
  }
  /** Label left, value right. `indent` spaces (as `~`) before the label. */
  pair(label: string, value: string, options: { indent?: number; decoration?: string } = {}): this {
    const d = options.decoration ?? '';
    const indent = '~'.repeat(options.indent ?? 0);
    this.out.push(`${indent}${d}${escapeMarkup(label)}${d} | ${d}${escapeMarkup(value)}${d}`);
    return this;
  }
  separator(): this {
    this.out.push('\\-'.repeat(this.cpl));
    return this;
  }
  blank(): this {
    this.out.push('');
    return this;
  }
  qr(data: string, cell: number): this {
    this.out.push(`{code:${escapeProperty(data)}; option:qrcode,${cell},${QR_LEVEL}}`);
    return this;
  }
  toString(): string {
    return `${this.out.join('\n')}\n`;
  }
}

/** The receipt as receiptline markup (the single source of both the printout and the preview). */
export function receiptToMarkup(receipt: Receipt, options: ReceiptRenderOptions = {}): string {
  const paper = options.paper ?? '58mm';
  const cpl = CPL[paper];
  const cell = QR_CELL[paper];
  const timeZone = options.timeZone ?? 'Asia/Shanghai';
  const m = new Markup(cpl).full();

  if (receipt.reprint) m.center(T.reprint, '^^^^').blank();
  if (receipt.kind === 'refund') m.center(T.refundTitle, '^^^');
  m.center(receipt.store.name, '^^');
  if (receipt.store.address) m.center(receipt.store.address);
  m.separator().pairs();
  m.pair(T.terminal, receipt.terminalId).pair(T.cashier, receipt.cashierName);
  m.full().left(`${T.orderNo} ${receipt.orderNo}`);
  if (receipt.kind === 'refund') m.left(`${T.originalOrderNo} ${receipt.originalOrderNo}`);
  m.left(`${receipt.deviceTime ? T.deviceTime : T.time} ${formatReceiptTime(receipt.time, timeZone)}`);
  if (receipt.deviceTime) m.left(T.deviceTimeNote);
  m.separator();

  m.pairs().pair(T.item, T.amount);
  for (const item of receipt.lines) {
    m.full().left(item.name);
    m.pairs().pair(`${formatQty(item)} × ${formatFen(item.unitPriceFen)}`, formatFen(item.amountFen), { indent: 2 });
  }
  m.full().separator().pairs();

  if (receipt.kind === 'sale') {
    m.pair(T.subtotal, formatFen(receipt.subtotalFen));
    if (receipt.discountFen) m.pair(T.discount, formatFen(-receipt.discountFen));
    if (receipt.pointsPaid) {
      m.pair(`${T.pointsPaid} ${receipt.pointsPaid.points}${T.points}`, formatFen(-receipt.pointsPaid.amountFen));
    }
    m.pair(T.total, formatFen(receipt.totalFen), { decoration: '"' });
  } else {
    m.pair(T.refundTotal, formatFen(receipt.refundTotalFen), { decoration: '"' });
    if (receipt.reason) m.full().left(`${T.refundReason}: ${receipt.reason}`).pairs();
  }
  for (const p of receipt.payments) {
    const label = T.paymentMethod[p.method];
    m.pair(receipt.kind === 'refund' ? `${T.refundTo}${label}` : label, formatFen(p.amountFen));
    if (p.method === 'cash' && receipt.kind === 'sale') {
      m.pair(T.tendered, formatFen(p.tenderedFen), { indent: 2 }).pair(T.change, formatFen(p.changeFen), { indent: 2 });
    }
  }

  const points = receipt.points;
  const hasPointsSection =
    receipt.member || points || receipt.tierProgress || (receipt.kind === 'refund' && (receipt.pointsReversed || receipt.pointsReturned));
  if (hasPointsSection) {
    m.full().separator().pairs();
    if (receipt.member) {
      m.pair(T.member, maskPhone(receipt.member.phone));
      if (receipt.member.tierName) m.pair(T.tier, receipt.member.tierName);
    }
    if (receipt.kind === 'refund') {
      if (receipt.pointsReversed) m.pair(T.pointsReversed, `-${receipt.pointsReversed}`);
      if (receipt.pointsReturned) m.pair(`${T.pointsPaid}${T.refundTo}`, `+${receipt.pointsReturned}`);
    }
    if (points?.earned !== undefined) m.pair(T.pointsEarned, `+${points.earned}`);
    if (points?.pending) {
      m.pair(T.pointsPending, `+${points.pending}`);
      m.full().left(T.pointsPendingNote).pairs();
    }
    if (points?.balance !== undefined) m.pair(T.pointsBalance, String(points.balance));
    if (receipt.tierProgress) m.full().left(receipt.tierProgress);
  }

  if (receipt.kind === 'sale' && receipt.claim) {
    m.full().separator().qr(receipt.claim.code, cell).center(T.claimHint, '"');
    m.center(`${T.validUntil} ${formatReceiptTime(receipt.claim.expiresAt, timeZone, false)}`);
  }
  if (receipt.kind === 'sale' && receipt.voucher) {
    m.full().separator().center(`${T.voucher}: ${receipt.voucher.title}`, '"').qr(receipt.voucher.code, cell);
    if (receipt.voucher.expiresAt) {
      m.center(`${T.validUntil} ${formatReceiptTime(receipt.voucher.expiresAt, timeZone, false)}`);
    }
  }
  m.full().separator().center(T.thanks);
  if (receipt.reprint) m.center(T.reprint, '^^^^');
  return m.toString();
}

/**
 * receiptline's ESC/POS output needs two adjustments:
 * - it ends with `GS r 1` (transmit paper status). The printer answers that byte on the same socket
 *   where we read `DLE EOT` replies, so it is left out: status is checked with `DLE EOT` instead.
 * - `qr: 'native'` replaces its raster QR with `GS ( k`.
 * Chinese mode needs nothing: with encoding gb18030 it prefixes every text run with `ESC t 0 FS &`
 * (after `FS .` in its initialise sequence), which the tests check byte by byte.
 */
function overridesFor(options: ReceiptRenderOptions): CommandOverrides {
  const overrides: CommandOverrides = { close: (cutting, cut) => (cutting ? cut() : '') };
  if (options.qr === 'native') {
    const paper = options.paper ?? '58mm';
    overrides.qrcode = (symbol) =>
      Buffer.from(nativeQr(encodeText(symbol.data), { moduleSize: QR_CELL[paper], level: 'M' })).toString('binary');
  }
  return overrides;
}

function printerFor(options: ReceiptRenderOptions): ReceiptlinePrinter {
  return { cpl: CPL[options.paper ?? '58mm'], encoding: 'gb18030', cutting: true };
}

/** Markup → ESC/POS bytes (GB18030 text, Chinese mode on, cut at the end). */
export function markupToEscPos(markup: string, options: ReceiptRenderOptions = {}): Buffer {
  return transformToBytes(markup, printerFor(options), options.commandSet ?? 'generic', overridesFor(options));
}

/** Markup → SVG for the cashier's preview (QR codes always drawn). */
export function markupToSvg(markup: string, options: ReceiptRenderOptions = {}): string {
  return transformToSvg(markup, { ...printerFor(options), cutting: false });
}

export function renderReceiptEscPos(receipt: Receipt, options: ReceiptRenderOptions = {}): Buffer {
  return markupToEscPos(receiptToMarkup(receipt, options), options);
}

export function renderReceiptSvg(receipt: Receipt, options: ReceiptRenderOptions = {}): string {
  return markupToSvg(receiptToMarkup(receipt, options), options);
}

/** Markup, printer bytes and preview from one pass over the model. */
export function renderReceipt(receipt: Receipt, options: ReceiptRenderOptions = {}): RenderedReceipt {
  const markup = receiptToMarkup(receipt, options);
  return { markup, escpos: markupToEscPos(markup, options), svg: markupToSvg(markup, options) };
}

/** The QR cell (dots per module) used for a paper width, for checking printed raster QR codes. */
export function qrCellFor(paper: PaperWidth = '58mm'): number {
  return QR_CELL[paper];
}

/**
 * A complete sale (member, points, cash change, claim code): the on-screen preview's placeholder,
 * the renderer warm-up and the tests' fixture.
 */
export function sampleReceipt(): SaleReceipt {
  const f = (n: number): Fen => n as Fen;
  const p = (n: number): Points => n as Points;
  return {
    kind: 'sale',
    store: { name: '积分便利店（人民路店）', address: '上海市黄浦区人民路100号' },
    terminalId: 'T01',
    cashierName: '张三',
    orderNo: 'JF20250501-0001',
    time: new Date('2025-05-01T04:34:56Z'),
    deviceTime: false,
    lines: [
      { name: '可口可乐 330ml', qty: 2, unitPriceFen: f(350), amountFen: f(700) },
      { name: '散装大米', qty: 1.5, unit: 'kg', unitPriceFen: f(598), amountFen: f(897) },
    ],
    subtotalFen: f(1597),
    discountFen: f(100),
    pointsPaid: { points: p(200), amountFen: f(200) },
    totalFen: f(1297),
    payments: [{ method: 'cash', amountFen: f(1297), tenderedFen: f(2000), changeFen: f(703) }],
    member: { phone: '13812345678', tierName: '金卡会员' },
    points: { earned: p(12), balance: p(1034) },
    tierProgress: '再消费￥120.00升级为铂金卡',
    claim: { code: 'JFR1.7Hq2mZ0bXk.Sig_9', expiresAt: new Date('2025-05-08T15:59:00Z') },
  };
}

/** Renders the sample once so receiptline and its QR encoder are compiled before the first sale. */
export function warmUpReceiptRenderer(): void {
  renderReceipt(sampleReceipt());
}

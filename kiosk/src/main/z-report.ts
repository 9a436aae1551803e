/**
 * The shift report as printed (交班报表, the Z-report when the shift closes): sales by payment method,
 * refunds, points issued and taken, cash expected against counted. receiptline markup, rendered like
 * every receipt (devices/receipt.ts) to ESC/POS and SVG.
 */
import type { ShiftReportView } from '../ipc-contract.js';
import { escapeMarkup, formatFen, formatReceiptTime } from './devices/receipt.js';
import type { PaperWidth } from './devices/receipt.js';

/** Every printed word of the report, in one place. */
export const Z_REPORT_TEXT = {
  titleOpen: '班次报表（未交班）',
  titleClosed: '交班报表',
  store: '门店',
  terminal: '终端',
  cashier: '收银员',
  shift: '班次',
  opened: '开班',
  closed: '交班',
  deviceTimeNote: '（时间取自本机）',
  sales: '销售',
  refunds: '退款',
  count: '笔数',
  total: '金额',
  cash: '现金',
  wechat: '微信支付',
  points: '积分抵扣',
  pointsSection: '积分',
  pointsIssued: '发放积分',
  pointsTaken: '抵扣积分',
  pointsReversed: '退款冲回',
  pointsReturned: '退回积分',
  drawer: '钱箱',
  openingFloat: '备用金',
  cashExpected: '应有现金',
  cashCounted: '实点现金',
  difference: '差额',
  queued: '离线未同步',
  queuedNote: '以上未计入离线未同步的销售',
  localSource: '服务器不可用：按本机记录统计',
  signature: '收银员签字：',
} as const;

const T = Z_REPORT_TEXT;

function pair(label: string, value: string, indent = 0): string {
  return `${'~'.repeat(indent)}${escapeMarkup(label)} | ${escapeMarkup(value)}`;
}

export function zReportMarkup(
  view: ShiftReportView,
  ctx: { storeName: string; terminalLabel: string; deviceTime: boolean },
  options: { paper?: PaperWidth } = {},
): string {
  const r = view.report;
  const cpl = (options.paper ?? '58mm') === '58mm' ? 32 : 48;
  const rule = '\\-'.repeat(cpl);
  const when = (iso: string): string => formatReceiptTime(new Date(iso));
  const out: string[] = [
    '{w:auto}',
    `^^${escapeMarkup(r.closedAt ? T.titleClosed : T.titleOpen)}^^`,
    escapeMarkup(ctx.storeName),
    rule,
    '{w:*,16}',
  ];
  out.push(pair(T.terminal, ctx.terminalLabel), pair(T.cashier, r.staff.name), pair(T.shift, r.shiftId.slice(-12)));
  out.push(pair(T.opened, when(r.openedAt)));
  if (r.closedAt) out.push(pair(T.closed, when(r.closedAt)));
  if (ctx.deviceTime) out.push(`{w:auto}`, `|${escapeMarkup(T.deviceTimeNote)}`, '{w:*,16}');
  if (view.source === 'local') out.push('{w:auto}', `|${escapeMarkup(T.localSource)}`, '{w:*,16}');

  out.push('{w:auto}', rule, `"${escapeMarkup(T.sales)}"`, '{w:*,16}');
  out.push(pair(T.count, String(r.sales.count)), pair(T.total, formatFen(r.sales.amountFen)));
  out.push(pair(T.cash, formatFen(r.sales.byMethod.cash), 2), pair(T.wechat, formatFen(r.sales.byMethod.wechat), 2));
  out.push(pair(T.points, formatFen(r.sales.byMethod.points), 2));

  out.push('{w:auto}', rule, `"${escapeMarkup(T.refunds)}"`, '{w:*,16}');
  out.push(pair(T.count, String(r.refunds.count)), pair(T.total, formatFen(-r.refunds.amountFen)));
  out.push(pair(T.cash, formatFen(-r.refunds.byMethod.cash), 2), pair(T.wechat, formatFen(-r.refunds.byMethod.wechat), 2));
  out.push(pair(T.points, formatFen(-r.refunds.byMethod.points), 2));

  out.push('{w:auto}', rule, `"${escapeMarkup(T.pointsSection)}"`, '{w:*,16}');
  out.push(pair(T.pointsIssued, `+${r.points.issued}`), pair(T.pointsTaken, `-${r.points.taken}`));
  out.push(pair(T.pointsReversed, `-${r.points.reversed}`), pair(T.pointsReturned, `+${r.points.returned}`));

  out.push('{w:auto}', rule, `"${escapeMarkup(T.drawer)}"`, '{w:*,16}');
  out.push(pair(T.openingFloat, formatFen(r.openingFloatFen)), pair(T.cashExpected, formatFen(r.cashExpectedFen)));
  if (r.cashCountedFen !== null) out.push(pair(T.cashCounted, formatFen(r.cashCountedFen)));
  if (r.cashDifferenceFen !== null) out.push(`"${escapeMarkup(T.difference)}" | "${escapeMarkup(formatFen(r.cashDifferenceFen))}"`);
  if (view.queued.count > 0) {
    out.push('{w:auto}', rule, '{w:*,16}', pair(`${T.queued} ${view.queued.count}`, formatFen(view.queued.cashFen)));
    out.push('{w:auto}', `|${escapeMarkup(T.queuedNote)}`);
  }
  out.push('{w:auto}', rule, `|${escapeMarkup(T.signature)}`, '', '');
  return `${out.join('\n')}\n`;
}

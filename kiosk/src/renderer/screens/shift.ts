/** Closing the shift: the figures so far, the counted cash, then the Z-report printed and the cashier signed out. */
import type { ShiftReportView } from '../../ipc-contract.js';
import { formatFen, parseYuan } from '../../shared/money.js';
import type { KioskApp, Screen } from '../app.js';
import { fill, h, svgImage } from '../dom.js';
import { zh } from '../zh.js';
import { printStatusView } from './print-status.js';

function figures(view: ShiftReportView): HTMLElement {
  const r = view.report;
  const row = (label: string, value: string, id?: string): HTMLElement[] => [
    h('dt', {}, label),
    h('dd', id ? { 'data-testid': id } : {}, value),
  ];
  return h(
    'div',
    {},
    view.source === 'local' ? h('p', { class: 'notice' }, zh.localReport) : null,
    h(
      'dl',
      { class: 'figures', 'data-testid': 'shift-figures' },
      ...row(zh.salesCount, String(r.sales.count), 'sales-count'),
      ...row(zh.salesAmount, formatFen(r.sales.amountFen), 'sales-amount'),
      ...row(zh.byCash, formatFen(r.sales.byMethod.cash)),
      ...row(zh.byWechat, formatFen(r.sales.byMethod.wechat)),
      ...row(zh.byPoints, formatFen(r.sales.byMethod.points)),
      ...row(zh.refundsAmount, formatFen(r.refunds.amountFen)),
      ...row(zh.pointsIssued, String(r.points.issued)),
      ...row(zh.pointsTaken, String(r.points.taken)),
      ...row(zh.cashExpected, formatFen(r.cashExpectedFen), 'cash-expected'),
      ...(r.cashDifferenceFen !== null ? row(zh.difference, formatFen(r.cashDifferenceFen), 'cash-difference') : []),
    ),
    view.queued.count > 0
      ? h('p', { class: 'notice offline' }, zh.queuedNotSynced(view.queued.count, formatFen(view.queued.cashFen)))
      : null,
  );
}

export function shiftScreen(app: KioskApp): Screen {
  const report = h('div', { 'data-testid': 'shift-report' }, zh.loading);
  const counted = h('input', { 'data-testid': 'counted-cash', inputmode: 'decimal', maxlength: 10 });
  const closeButton = h('button', { class: 'big primary', 'data-testid': 'close-shift' }, zh.closeShift);
  const el = h(
    'section',
    { class: 'card', 'data-testid': 'screen-shift' },
    h('h1', {}, zh.shiftTitle),
    report,
    h('label', {}, zh.countedCash, counted),
    closeButton,
  );
  const close = async (): Promise<void> => {
    const fen = parseYuan(counted.value);
    if (fen === null) {
      app.toast(zh.invalidAmount, 'error');
      counted.focus();
      return;
    }
    try {
      const result = await app.busy(() => app.client.closeShift(fen));
      app.setSession(null);
      fill(
        el,
        h('h1', {}, zh.shiftClosed),
        figures(result),
        printStatusView(app, result.receipt.print),
        svgImage(result.receipt.svg, zh.shiftClosed, 'receipt-image'),
        h('button', { class: 'big primary', 'data-testid': 'after-close', onclick: () => app.go('signIn') }, zh.ok),
      );
    } catch (err) {
      app.error(err);
    }
  };
  closeButton.addEventListener('click', () => void close());
  counted.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') {
      e.preventDefault();
      void close();
    }
  });
  void app.client.shiftReport().then(
    (view) => fill(report, h('h2', {}, zh.shiftReportTitle), figures(view)),
    (err: unknown) => {
      fill(report);
      app.error(err);
    },
  );
  return { name: 'shift', el, focus: () => counted.focus() };
}

/** After a sale: the change due (large), the receipt preview, the print status, reprint, next customer (Enter). */
import { formatFen } from '../../shared/money.js';
import type { KioskApp, Screen, ScreenParams } from '../app.js';
import { h, svgImage } from '../dom.js';
import { zh } from '../zh.js';
import { printStatusView } from './print-status.js';

export function receiptScreen(app: KioskApp, params: ScreenParams): Screen {
  const outcome = params.outcome;
  if (!outcome) {
    app.go('sale');
    return { name: 'receipt', el: h('section', {}) };
  }
  const next = (): void => {
    app.newSale();
    app.go('sale');
  };
  const el = h(
    'section',
    { class: 'receipt-screen', 'data-testid': 'screen-receipt' },
    h(
      'div',
      { class: 'receipt-summary' },
      h('h1', {}, zh.receiptTitle),
      outcome.changeFen !== null
        ? h('div', { class: 'change-due', 'data-testid': 'change-due' }, `${zh.changeDue} `, h('b', {}, formatFen(outcome.changeFen)))
        : null,
      h('div', { class: 'due' }, `${zh.payable} `, h('b', { 'data-testid': 'receipt-payable' }, formatFen(outcome.payableFen))),
      outcome.queued ? h('p', { class: 'notice offline', 'data-testid': 'queued-notice' }, zh.queuedNotice) : null,
      outcome.deviceTime ? h('p', { class: 'hint' }, zh.deviceTimeMark) : null,
      outcome.order?.receiptCode ? h('p', { class: 'hint' }, zh.claimNotice) : null,
      outcome.drawer && !outcome.drawer.ok && outcome.drawer.reason !== 'disabled' ? h('p', { class: 'notice' }, zh.drawerFailed) : null,
      printStatusView(app, outcome.receipt.print),
      h(
        'div',
        { class: 'actions' },
        h('button', { class: 'big primary', 'data-testid': 'next-customer', onclick: next }, zh.nextCustomer, h('kbd', {}, 'Enter')),
        h(
          'button',
          {
            class: 'big',
            'data-testid': 'reprint',
            onclick: () =>
              void app
                .busy(() => app.client.reprint(outcome.clientOrderId))
                .then(
                  () => app.toast(zh.reprintDone, 'ok'),
                  (e: unknown) => app.error(e),
                ),
          },
          zh.reprint,
        ),
      ),
    ),
    h(
      'div',
      { class: 'receipt-preview', 'data-testid': 'receipt-preview' },
      svgImage(outcome.receipt.svg, zh.receiptTitle, 'receipt-image'),
    ),
  );
  return {
    name: 'receipt',
    el,
    onKey(event) {
      if (event.key === 'Enter' && !(event.target instanceof HTMLButtonElement)) {
        next();
        return true;
      }
      return false;
    },
  };
}

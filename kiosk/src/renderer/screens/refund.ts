/**
 * Refunds: scan the receipt's QR (or type the order number), pick the lines and quantities, a reason,
 * confirm. The money goes back the way it came (the server decides); cash is counted out of the drawer.
 * One refund id per looked-up order, so a retried confirmation never refunds twice.
 */
import type { OrderDetail } from '../../shared/pos-api.js';
import { formatFen } from '../../shared/money.js';
import type { ScanAction } from '../scan-routing.js';
import type { KioskApp, Screen, ScreenParams } from '../app.js';
import { fill, h, svgImage } from '../dom.js';
import { newClientOrderId } from '../sale-state.js';
import { zh } from '../zh.js';
import { printStatusView } from './print-status.js';

export function refundScreen(app: KioskApp, params: ScreenParams): Screen {
  const input = h('input', { 'data-testid': 'refund-code', placeholder: zh.refundHint, maxlength: 256, autocomplete: 'off' });
  const body = h('div', { class: 'refund-body', 'data-testid': 'refund-body' });
  let order: OrderDetail | null = null;
  let refundId = '';
  const picks = new Map<string, number>();
  let reason: string = zh.reasons[0];

  const amount = (): number => {
    if (!order) return 0;
    let sum = 0;
    for (const l of order.lines) sum += (picks.get(l.sku) ?? 0) * l.unitPriceFen;
    return sum;
  };

  const renderOrder = (): void => {
    const o = order;
    if (!o) return;
    const remaining = o.amountFen - o.refundedFen;
    const total = amount();
    const confirm = h(
      'button',
      { class: 'big primary', 'data-testid': 'confirm-refund', disabled: total <= 0 || total > remaining },
      zh.confirmRefund,
    );
    confirm.addEventListener('click', () => void submit());
    fill(
      body,
      h(
        'div',
        { class: 'order-head' },
        h('span', {}, `${zh.orderNo} ${o.outTradeNo}`),
        h('span', {}, zh.orderStatus[o.status] ?? o.status),
        h('span', {}, `${zh.refundable} `, h('b', { 'data-testid': 'refundable' }, formatFen(remaining))),
        o.member ? h('span', {}, `${zh.member} ${o.member.maskedPhone}`) : null,
      ),
      h(
        'div',
        { class: 'lines' },
        ...o.lines.map((l) => {
          const qty = picks.get(l.sku) ?? 0;
          const set = (n: number): void => {
            picks.set(l.sku, Math.max(0, Math.min(l.qty, n)));
            renderOrder();
          };
          return h(
            'div',
            { class: 'line', 'data-testid': `refund-line-${l.sku}` },
            h('span', { class: 'name' }, l.name),
            h('span', {}, `${formatFen(l.unitPriceFen)} × ${l.qty}`),
            h(
              'span',
              { class: 'qty' },
              h('button', { class: 'step', onclick: () => set(qty - 1) }, '−'),
              h('b', { 'data-testid': `refund-qty-${l.sku}` }, qty),
              h('button', { class: 'step', 'data-testid': `refund-plus-${l.sku}`, onclick: () => set(qty + 1) }, '+'),
            ),
          );
        }),
      ),
      h(
        'div',
        { class: 'reasons' },
        zh.reason,
        ...zh.reasons.map((r) =>
          h(
            'button',
            {
              class: `chip${r === reason ? ' active' : ''}`,
              onclick: () => {
                reason = r;
                renderOrder();
              },
            },
            r,
          ),
        ),
      ),
      h(
        'div',
        { class: 'totals' },
        h('div', { class: 'payable' }, h('span', {}, zh.refundAmount), h('b', { 'data-testid': 'refund-amount' }, formatFen(total))),
      ),
      confirm,
    );
  };

  const lookup = async (code: string): Promise<void> => {
    try {
      order = await app.busy(() => app.client.findOrder(code.trim()));
      refundId = `R${newClientOrderId()}`;
      picks.clear();
      input.value = '';
      renderOrder();
    } catch (err) {
      order = null;
      fill(body);
      app.error(err);
    }
  };

  const submit = async (): Promise<void> => {
    const o = order;
    if (!o) return;
    const lines = [...picks.entries()].filter(([, q]) => q > 0).map(([sku, qty]) => ({ sku, qty }));
    if (lines.length === 0) return app.toast(zh.pickLines, 'error');
    try {
      const r = await app.busy(() => app.client.refund({ refundId, order: o, lines, reason }));
      order = null;
      fill(
        body,
        h(
          'div',
          { class: 'refund-done', 'data-testid': 'refund-done' },
          h('h2', {}, zh.refundDone),
          r.cashFen > 0 ? h('p', { class: 'change-due' }, zh.refundCash(formatFen(r.cashFen))) : null,
          r.cashFen === 0 && r.refund.wechatFen > 0 ? h('p', { class: 'big-hint' }, zh.refundWechat(formatFen(r.refund.wechatFen))) : null,
          r.refund.pointsReversed || r.refund.pointsReturned
            ? h('p', {}, zh.refundPoints(r.refund.pointsReversed, r.refund.pointsReturned))
            : null,
          printStatusView(app, r.receipt.print),
          svgImage(r.receipt.svg, zh.refundDone, 'receipt-image'),
        ),
      );
    } catch (err) {
      app.error(err);
    }
  };

  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && input.value.trim()) {
      e.preventDefault();
      void lookup(input.value);
    }
  });
  const el = h(
    'section',
    { class: 'card', 'data-testid': 'screen-refund' },
    h('h1', {}, zh.refundTitle),
    h(
      'div',
      { class: 'row' },
      input,
      h(
        'button',
        { class: 'big', 'data-testid': 'refund-lookup', onclick: () => input.value.trim() && void lookup(input.value) },
        zh.lookup,
      ),
    ),
    body,
  );
  if (params.code) void lookup(params.code);
  return {
    name: 'refund',
    el,
    onScan(action: ScanAction) {
      if (action.kind === 'refundLookup') void lookup(action.code);
    },
    focus: () => input.focus(),
  };
}

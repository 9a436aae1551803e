/**
 * The sale: lines, quick keys, search, the member panel (masked name, tier, points, the preview, the
 * points toggle) and the three ways to pay. A normal sale needs no mouse: scan products, scan the
 * member code, scan the shopper's payment code (it pays at once) — or F4 for cash, Enter to confirm.
 */
import type { CheckoutPayment, CheckoutRequest, SaleOutcome } from '../../ipc-contract.js';
import { computeChange, formatFen, parseYuan, pointsToFen, suggestTenders } from '../../shared/money.js';
import type { MemberQuery, Product } from '../../shared/pos-api.js';
import type { KioskApp, ModalHandle, Screen } from '../app.js';
import { fill, h, svgImage } from '../dom.js';
import { errorCode } from '../../shared/kiosk-client.js';
import type { ScanAction } from '../scan-routing.js';
import { errorText, zh } from '../zh.js';

type Completed = Extract<SaleOutcome, { state: 'completed' }>;

/** Errors after which the same clientOrderId would find a closed order at the server: the sale takes a new id. */
const KEEP_ID = new Set(['PAYMENT_UNKNOWN']);

export function saleScreen(app: KioskApp): Screen {
  const sale = app.sale;
  const program = (): NonNullable<KioskApp['session']>['program'] => app.session?.program ?? null;
  const linesEl = h('div', { class: 'lines', 'data-testid': 'lines' });
  const totalsEl = h('div', { class: 'totals', 'data-testid': 'totals' });
  const memberEl = h('div', { class: 'member-panel', 'data-testid': 'member-panel' });
  const resultsEl = h('div', { class: 'search-results', 'data-testid': 'search-results' });
  const quickEl = h('div', { class: 'quick-keys', 'data-testid': 'quick-keys' });
  const search = h('input', { class: 'search-input', 'data-testid': 'search', placeholder: zh.searchPlaceholder, maxlength: 40 });
  const phone = h('input', {
    class: 'phone-input',
    'data-testid': 'phone',
    placeholder: zh.phonePlaceholder,
    inputmode: 'numeric',
    maxlength: 13,
  });
  let previewTimer: number | null = null;
  let disposed = false;
  let wasOffline = app.isOffline();
  const subs: (() => void)[] = [];

  // ---------------------------------------------------------------- rendering

  const renderLines = (): void => {
    if (sale.lines.length === 0) {
      fill(linesEl, h('div', { class: 'empty' }, zh.scanHint));
      return;
    }
    fill(
      linesEl,
      h(
        'div',
        { class: 'line head' },
        h('span', {}, zh.item),
        h('span', {}, zh.price),
        h('span', {}, zh.qty),
        h('span', {}, zh.amount),
        h('span', {}),
      ),
      ...sale.lines.map((l) =>
        h(
          'div',
          { class: 'line', 'data-testid': `line-${l.sku}` },
          h('span', { class: 'name' }, l.name),
          h('span', {}, formatFen(l.unitPriceFen)),
          h(
            'span',
            { class: 'qty' },
            h('button', { class: 'step', 'aria-label': '-', onclick: () => change(() => sale.setQty(l.sku, l.qty - 1)) }, '−'),
            h('b', { 'data-testid': `qty-${l.sku}` }, l.qty),
            h('button', { class: 'step', 'aria-label': '+', onclick: () => change(() => sale.setQty(l.sku, l.qty + 1)) }, '+'),
          ),
          h('span', { class: 'amount' }, formatFen(l.unitPriceFen * l.qty)),
          h('button', { class: 'remove', onclick: () => change(() => sale.remove(l.sku)) }, zh.remove),
        ),
      ),
    );
  };

  const renderTotals = (): void => {
    const pointsFen = sale.pointsFen(program());
    fill(
      totalsEl,
      h(
        'div',
        {},
        h('span', {}, `${zh.total}（${zh.lines(sale.itemCount())}）`),
        h('b', { 'data-testid': 'total' }, formatFen(sale.totalFen())),
      ),
      pointsFen > 0 ? h('div', {}, h('span', {}, zh.usePoints(sale.redeemPoints(program()), '')), h('b', {}, formatFen(-pointsFen))) : null,
      h(
        'div',
        { class: 'payable' },
        h('span', {}, zh.payable),
        h('b', { 'data-testid': 'payable' }, formatFen(sale.payableFen(program()))),
      ),
    );
  };

  const renderMember = (): void => {
    const m = sale.member;
    if (!m) {
      // Redrawn while the cashier types a phone number (a scanned product's line arrived): the input is
      // moved, not rebuilt, and must keep the focus and caret, or the next keys land nowhere.
      const typing = app.win.document.activeElement === phone;
      const caret = [phone.selectionStart, phone.selectionEnd] as const;
      fill(
        memberEl,
        h('h3', {}, zh.member),
        h('p', { class: 'hint' }, zh.memberHint),
        h(
          'div',
          { class: 'row' },
          phone,
          h('button', { 'data-testid': 'lookup-phone', onclick: () => void lookupPhone() }, zh.lookup, h('kbd', {}, 'F3')),
        ),
      );
      if (typing) {
        phone.focus();
        if (caret[0] !== null && caret[1] !== null) phone.setSelectionRange(caret[0], caret[1]);
      }
      return;
    }
    const v = m.view;
    const max = sale.maxPoints(program());
    const p = program();
    const toggle =
      !v.unverified && p
        ? app.isOffline()
          ? h('p', { class: 'hint' }, zh.pointsOfflineNote)
          : max > 0
            ? h(
                'label',
                { class: 'check big-check' },
                h('input', {
                  type: 'checkbox',
                  'data-testid': 'use-points',
                  checked: sale.usePoints,
                  onchange: (e: Event) => change(() => (sale.usePoints = (e.target as HTMLInputElement).checked), false),
                }),
                zh.usePoints(max, formatFen(pointsToFen(max, p.pointValueFen))),
              )
            : h('p', { class: 'hint' }, zh.noPointsToUse)
        : null;
    fill(
      memberEl,
      h('h3', {}, zh.member),
      h(
        'div',
        { class: 'member-card', 'data-testid': 'member-card' },
        h(
          'div',
          { class: 'member-name' },
          v.maskedName || zh.memberNoName,
          ' ',
          h('span', { 'data-testid': 'member-phone' }, v.maskedPhone),
        ),
        v.unverified
          ? h('p', { class: 'hint' }, zh.memberUnverified)
          : h(
              'dl',
              {},
              h('dt', {}, zh.memberTier),
              h('dd', { 'data-testid': 'member-tier' }, v.tier.name),
              h('dt', {}, zh.memberPoints),
              h('dd', { 'data-testid': 'member-points' }, v.available),
              h('dt', {}, zh.memberPending),
              h('dd', {}, v.pending),
              h('dt', {}, zh.willEarn),
              h('dd', { 'data-testid': 'points-preview' }, sale.preview ? sale.preview.pointsEarned : zh.dash),
            ),
        v.tierProgress && !v.unverified ? h('p', { class: 'hint' }, v.tierProgress) : null,
        sale.preview && sale.preview.trace.length > 0
          ? h('ul', { class: 'trace' }, ...sale.preview.trace.map((t) => h('li', {}, t)))
          : null,
      ),
      toggle,
      h(
        'button',
        {
          class: 'link',
          'data-testid': 'remove-member',
          onclick: () => change(() => ((sale.member = null), (sale.preview = null), (sale.usePoints = false))),
        },
        zh.removeMember,
      ),
    );
  };

  const renderAll = (): void => {
    renderLines();
    renderTotals();
    renderMember();
  };

  /** After any change to the basket or member: redraw, and ask for a new points preview. */
  const change = (mutate: () => unknown, repreview = true): void => {
    mutate();
    if (repreview) schedulePreview();
    renderAll();
  };

  const schedulePreview = (): void => {
    sale.preview = null;
    if (previewTimer !== null) app.win.clearTimeout(previewTimer);
    const m = sale.member;
    if (!m || m.view.unverified || sale.lines.length === 0 || app.isOffline()) return;
    previewTimer = app.win.setTimeout(() => {
      previewTimer = null;
      const member = m.view.ref ? { ref: m.view.ref } : m.query;
      app.client.previewPoints({ lines: sale.orderLines(), member }).then(
        (p) => {
          if (disposed || sale.member !== m) return;
          sale.preview = p;
          renderAll();
        },
        () => undefined, // the panel shows '—'
      );
    }, 250);
  };

  // ---------------------------------------------------------------- products and members

  const addProduct = (p: Product): void => change(() => sale.addProduct(p));

  const addByCode = async (code: string): Promise<void> => {
    try {
      addProduct(await app.client.lookupProduct(code));
    } catch (err) {
      const c = errorCode(err);
      app.toast(c === 'NOT_FOUND' ? zh.productNotFound(code) : errorText(c), 'error');
    }
  };

  const identify = async (query: MemberQuery): Promise<void> => {
    try {
      const view = await app.busy(() => app.client.lookupMember(query));
      change(() => {
        sale.member = { query, view };
        sale.usePoints = false;
      });
    } catch (err) {
      app.error(err);
    }
  };

  const lookupPhone = async (): Promise<void> => {
    const digits = phone.value.replace(/[\s-]/g, '');
    if (!/^1[3-9]\d{9}$/.test(digits)) {
      app.toast(zh.invalidPhone, 'error');
      phone.focus();
      return;
    }
    phone.value = '';
    await identify({ phone: digits });
  };
  phone.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') {
      e.preventDefault();
      void lookupPhone();
    }
  });

  const runSearch = async (): Promise<void> => {
    const q = search.value.trim();
    if (!q) {
      fill(resultsEl);
      return;
    }
    try {
      const found = await app.client.searchProducts(q);
      fill(
        resultsEl,
        ...(found.length === 0
          ? [h('div', { class: 'hint' }, zh.noResults)]
          : found.map((p) =>
              h(
                'button',
                { class: 'result', 'data-testid': `result-${p.sku}`, onclick: () => addProduct(p) },
                h('span', {}, p.name),
                h('b', {}, formatFen(p.unitPriceFen)),
              ),
            )),
      );
    } catch (err) {
      app.error(err);
    }
  };
  search.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') {
      e.preventDefault();
      void runSearch();
    }
  });

  const loadQuickKeys = async (): Promise<void> => {
    try {
      const keys = await app.client.quickKeys();
      fill(
        quickEl,
        ...keys.map((p) =>
          h(
            'button',
            { class: 'quick', 'data-testid': `quick-${p.sku}`, onclick: () => addProduct(p) },
            h('span', {}, p.name),
            h('small', {}, formatFen(p.unitPriceFen)),
          ),
        ),
      );
    } catch {
      fill(quickEl);
    }
  };

  // ---------------------------------------------------------------- paying

  const finish = (outcome: Completed): void => {
    app.newSale();
    app.go('receipt', { outcome });
  };

  const checkout = async (payment: CheckoutPayment): Promise<SaleOutcome | null> => {
    const request: CheckoutRequest = sale.checkoutRequest(payment, program());
    try {
      return await app.busy(() => app.client.checkout(request));
    } catch (err) {
      const code = errorCode(err);
      if (code === 'PAYMENT_UNKNOWN') {
        paymentUnknown(payment);
        return null;
      }
      if (!KEEP_ID.has(code)) sale.renew();
      // Points cannot be spent offline: the toggle is off now, so the next try is a plain cash sale.
      if (code === 'OFFLINE_POINTS') change(() => (sale.usePoints = false), false);
      app.error(err);
      return null;
    }
  };

  const afterCheckout = (outcome: SaleOutcome | null): void => {
    if (!outcome) return;
    if (outcome.state === 'completed') finish(outcome);
    else if (outcome.state === 'awaiting_payment') showQr(outcome);
    else {
      sale.renew();
      app.toast(zh.qrClosed, 'error');
    }
  };

  const payCash = (): void => {
    if (sale.lines.length === 0) return app.toast(zh.emptySale, 'error');
    const due = sale.payableFen(program());
    const tendered = h('input', {
      'data-testid': 'tendered',
      inputmode: 'decimal',
      value: (due / 100).toFixed(2),
      maxlength: 10,
      autofocus: true,
    });
    const changeEl = h('div', { class: 'change', 'data-testid': 'change' });
    const confirm = h('button', { class: 'big primary', 'data-testid': 'confirm-cash' }, zh.confirmPayment, h('kbd', {}, 'Enter'));
    const update = (): number | null => {
      const fen = parseYuan(tendered.value);
      if (fen === null) {
        fill(changeEl, zh.invalidAmount);
        confirm.disabled = true;
        return null;
      }
      const r = computeChange(due, fen);
      fill(changeEl, r.ok ? `${zh.change} ${formatFen(r.changeFen)}` : zh.short(formatFen(r.shortFen)));
      confirm.disabled = !r.ok;
      return r.ok ? fen : null;
    };
    const submit = async (): Promise<void> => {
      const fen = update();
      if (fen === null) return;
      modal.close();
      afterCheckout(await checkout({ method: 'cash', tenderedFen: fen }));
    };
    tendered.addEventListener('input', update);
    tendered.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') {
        e.preventDefault();
        void submit();
      }
    });
    confirm.addEventListener('click', () => void submit());
    const quick = h(
      'div',
      { class: 'tenders' },
      ...suggestTenders(due).map((fen) =>
        h(
          'button',
          { class: 'tender', onclick: () => ((tendered.value = (fen / 100).toFixed(2)), update(), tendered.focus()) },
          formatFen(fen),
        ),
      ),
    );
    const modal = app.modal(
      zh.cashTitle,
      h(
        'div',
        {},
        h('div', { class: 'due' }, `${zh.payable} `, h('b', {}, formatFen(due))),
        h('label', {}, zh.tendered, tendered),
        quick,
        changeEl,
        confirm,
      ),
      { testId: 'cash-dialog' },
    );
    update();
    tendered.select();
  };

  let codeModal: ModalHandle | null = null;
  const askForCode = (): void => {
    if (sale.lines.length === 0) return app.toast(zh.emptySale, 'error');
    codeModal = app.modal(zh.codeTitle, h('div', { class: 'code-wait' }, h('p', { class: 'big-hint' }, zh.codeHint)), {
      testId: 'code-dialog',
      onClose: () => (codeModal = null),
    });
  };

  const payByCode = async (authCode: string): Promise<void> => {
    codeModal?.close();
    afterCheckout(await checkout({ method: 'wechat_code', authCode }));
  };

  const paymentUnknown = (payment: CheckoutPayment): void => {
    const again = h('button', { class: 'big primary', 'data-testid': 'query-again', autofocus: true }, zh.queryAgain);
    const m = app.modal(zh.paymentUnknownTitle, h('div', {}, h('p', {}, zh.paymentUnknownBody), again), { testId: 'unknown-dialog' });
    again.addEventListener('click', () => {
      m.close();
      void checkout(payment).then(afterCheckout);
    });
  };

  const payQr = async (): Promise<void> => {
    if (sale.lines.length === 0) return app.toast(zh.emptySale, 'error');
    afterCheckout(await checkout({ method: 'wechat_native' }));
  };

  const showQr = (waiting: Extract<SaleOutcome, { state: 'awaiting_payment' }>): void => {
    const id = waiting.clientOrderId;
    const statusEl = h('p', { class: 'big-hint', 'data-testid': 'qr-status' }, zh.qrWaiting);
    const cancel = h('button', { class: 'big', 'data-testid': 'qr-cancel' }, zh.qrCancel);
    let settled = false;
    const done = (outcome: SaleOutcome): void => {
      if (settled || outcome.clientOrderId !== id || outcome.state === 'awaiting_payment') return;
      settled = true;
      stop();
      modal.close();
      if (outcome.state === 'completed') finish(outcome);
      else {
        sale.renew();
        app.toast(zh.qrClosed, 'error');
      }
    };
    const unsubscribe = app.client.onSaleUpdate(done);
    // A safety net for a missed event (the browser's event stream reconnecting).
    const poll = app.win.setInterval(() => {
      void app.client.saleStatus(id).then(done, () => undefined);
    }, 3_000);
    const stop = (): void => {
      unsubscribe();
      app.win.clearInterval(poll);
    };
    cancel.addEventListener('click', () => {
      void app.busy(() => app.client.cancelSale(id)).then(done, (e: unknown) => app.error(e));
    });
    const modal = app.modal(
      zh.qrTitle,
      h(
        'div',
        { class: 'qr' },
        waiting.qrSvg ? svgImage(waiting.qrSvg, zh.qrTitle, 'qr-image') : null,
        h('div', { class: 'due' }, `${zh.payable} `, h('b', {}, formatFen(waiting.order.payableFen))),
        h('p', { class: 'hint', 'data-testid': 'qr-order' }, `${zh.orderNo} ${waiting.order.outTradeNo}`),
        statusEl,
        cancel,
      ),
      {
        testId: 'qr-dialog',
        // Closed any other way (Esc, leaving the screen): cancel the order, unless it was paid meanwhile.
        onClose: () => {
          if (settled) return;
          settled = true;
          stop();
          sale.renew();
          void app.client.cancelSale(id).then(
            (o) => {
              if (o.state === 'completed') app.toast(zh.qrPaidAfterCancel(formatFen(o.payableFen)), 'ok');
            },
            () => undefined,
          );
        },
      },
    );
    subs.push(() => {
      stop();
      modal.close();
    });
  };

  // ---------------------------------------------------------------- layout

  const payButtons = h(
    'div',
    { class: 'pay-buttons' },
    h('button', { class: 'big primary', 'data-testid': 'pay-cash', onclick: payCash }, zh.payCash, h('kbd', {}, 'F4')),
    h('button', { class: 'big wechat', 'data-testid': 'pay-code', onclick: askForCode }, zh.payCode, h('kbd', {}, 'F8')),
    h('button', { class: 'big wechat', 'data-testid': 'pay-qr', onclick: () => void payQr() }, zh.payQr, h('kbd', {}, 'F6')),
    h(
      'button',
      {
        class: 'big',
        'data-testid': 'clear-sale',
        onclick: () => {
          if (sale.lines.length === 0 || app.win.confirm(zh.confirmClear)) {
            app.newSale();
            app.go('sale');
          }
        },
      },
      zh.clearSale,
    ),
  );
  const el = h(
    'section',
    { class: 'sale', 'data-testid': 'screen-sale' },
    h('div', { class: 'sale-left' }, linesEl, totalsEl, payButtons),
    h(
      'div',
      { class: 'sale-right' },
      memberEl,
      h(
        'div',
        { class: 'search' },
        h('div', { class: 'row' }, search, h('button', { onclick: () => void runSearch() }, zh.search, h('kbd', {}, 'F2'))),
        resultsEl,
      ),
      h('h3', {}, zh.quickKeys),
      quickEl,
    ),
  );
  renderAll();
  void loadQuickKeys();
  if (sale.member) schedulePreview();

  return {
    name: 'sale',
    el,
    onScan(action: ScanAction) {
      switch (action.kind) {
        case 'addProduct':
          void addByCode(action.code);
          break;
        case 'identifyMember':
          void identify({ code: action.code });
          break;
        case 'payByCode':
          void payByCode(action.authCode);
          break;
        default:
          break;
      }
    },
    onKey(event) {
      switch (event.key) {
        case 'F2':
          search.focus();
          return true;
        case 'F3':
          phone.focus();
          return true;
        case 'F4':
          payCash();
          return true;
        case 'F6':
          void payQr();
          return true;
        case 'F8':
          askForCode();
          return true;
        default:
          return false;
      }
    },
    onQueue(queue) {
      // Going offline hides the points toggle (spending needs the server): it must not stay on unseen.
      // Redrawn only when online ↔ offline flips, so a phone number being typed keeps its focus.
      const offline = !queue.online;
      if (offline === wasOffline) return;
      wasOffline = offline;
      change(() => {
        if (offline) sale.usePoints = false;
      }, !offline);
    },
    dispose() {
      disposed = true;
      if (previewTimer !== null) app.win.clearTimeout(previewTimer);
      for (const s of subs.splice(0)) s();
    },
  };
}

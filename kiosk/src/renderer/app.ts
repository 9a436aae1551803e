/**
 * The cashier UI: a top bar (store, cashier, printer, navigation), the offline banner with the queue
 * length, one screen at a time, toasts and a modal layer. Scans from the wedge detector (keyboard.ts) or
 * a serial scanner (main) are classified and routed (scan-routing.ts) to the current screen.
 *
 * Function keys, so a sale needs no mouse: F4 现金 · F6 扫码支付 · F8 付款码 · F2 搜索 · F3 会员手机号 ·
 * F9 退款 · F10 兑换券 · F12 交班 · Esc 关闭/返回 · Enter 确认.
 */
import type { KioskConfigView, PrinterStatusView, QueueStatus, SaleOutcome, SessionView } from '../ipc-contract.js';
import { classifyScan } from '../main/devices/scan-codes.js';
import { formatFen } from '../shared/money.js';
import { byTestId, fill, h } from './dom.js';
import { installWedge } from './keyboard.js';
import type { WedgeInputOptions } from './keyboard.js';
import { errorCode } from '../shared/kiosk-client.js';
import type { KioskClient } from '../shared/kiosk-client.js';
import { Sale } from './sale-state.js';
import { routeScan } from './scan-routing.js';
import type { ScanAction, ScanNotice, ScreenName } from './scan-routing.js';
import { errorText, zh } from './zh.js';
import { receiptScreen } from './screens/receipt.js';
import { refundScreen } from './screens/refund.js';
import { saleScreen } from './screens/sale.js';
import { setupScreen } from './screens/setup.js';
import { shiftScreen } from './screens/shift.js';
import { signInScreen } from './screens/sign-in.js';
import { voucherScreen } from './screens/voucher.js';

export interface Screen {
  name: ScreenName;
  el: HTMLElement;
  /** A routed scan for this screen (addProduct, payByCode, …). */
  onScan?(action: ScanAction): void;
  /** A key the screen handles (after the wedge detector): return true when it did. */
  onKey?(event: KeyboardEvent): boolean;
  /** Called after the screen is in the document. */
  focus?(): void;
  /** The offline queue's status changed (online ↔ offline, queue length). */
  onQueue?(queue: QueueStatus): void;
  dispose?(): void;
}

export interface ScreenParams {
  /** receipt: the completed sale. */
  outcome?: Extract<SaleOutcome, { state: 'completed' }>;
  /** refund / voucher: a code scanned elsewhere. */
  code?: string;
}

export interface ModalHandle {
  el: HTMLElement;
  /** Which dialog (its data-testid). */
  kind: string;
  close(): void;
}

export interface AppDeps {
  client: KioskClient;
  window: Window;
  wedge?: WedgeInputOptions;
  /** How often the queue and printer status are asked again (events can be missed over SSE). Default 10 s; 0 = never. */
  refreshMs?: number;
}

export class KioskApp {
  readonly client: KioskClient;
  readonly win: Window;
  session: SessionView | null = null;
  config: KioskConfigView | null = null;
  queue: QueueStatus | null = null;
  printer: PrinterStatusView | null = null;
  /** The basket survives visits to other screens. */
  sale = new Sale();
  busyCount = 0;
  private screen: Screen | null = null;
  private readonly cleanups: (() => void)[] = [];
  private modalStack: ModalHandle[] = [];
  private readonly header = h('header', { class: 'topbar', 'data-testid': 'topbar' });
  private readonly banner = h('div', { class: 'banner', 'data-testid': 'offline-banner', hidden: true, role: 'status' });
  private readonly main = h('main', { class: 'screen' });
  private readonly toasts = h('div', { class: 'toasts', 'aria-live': 'polite', 'data-testid': 'toasts' });
  private readonly modals = h('div', { class: 'modals' });
  private readonly busyLayer = h(
    'div',
    { class: 'busy', hidden: true, 'data-testid': 'busy' },
    h('div', { class: 'busy-text' }, zh.processing),
  );

  constructor(
    readonly root: HTMLElement,
    private readonly deps: AppDeps,
  ) {
    this.client = deps.client;
    this.win = deps.window;
    root.classList.add('app');
    root.replaceChildren(this.header, this.banner, this.main, this.toasts, this.modals, this.busyLayer);
  }

  async start(): Promise<void> {
    try {
      this.config = await this.client.getConfig();
    } catch (err) {
      this.error(err);
    }
    // The scanner's timing as configured on the set-up screen (a restart of the page applies changes).
    const scanner = this.config?.scanner;
    const wedge = { ...(scanner ? { maxInterKeyMs: scanner.maxInterKeyMs, minLength: scanner.minLength } : {}), ...this.deps.wedge };
    this.cleanups.push(installWedge(this.win, (code) => this.handleScan(code), wedge));
    this.cleanups.push(this.client.onScan((e) => this.handleScan(e.code)));
    this.cleanups.push(this.client.onQueueStatus((q) => this.setQueue(q)));
    this.cleanups.push(this.client.onPrinterStatus((p) => this.setPrinter(p)));
    const onKey = (e: KeyboardEvent): void => this.handleKey(e);
    this.win.addEventListener('keydown', onKey);
    this.cleanups.push(() => this.win.removeEventListener('keydown', onKey));
    const refreshMs = this.deps.refreshMs ?? 10_000;
    if (refreshMs > 0) {
      const timer = this.win.setInterval(() => void this.refreshStatus(), refreshMs);
      this.cleanups.push(() => this.win.clearInterval(timer));
    }

    try {
      this.session = await this.client.currentSession();
    } catch (err) {
      this.error(err);
    }
    await this.refreshStatus();
    if (this.config && !this.config.hasToken) this.go('setup');
    else this.go(this.session ? 'sale' : 'signIn');
  }

  dispose(): void {
    this.screen?.dispose?.();
    for (const c of this.cleanups.splice(0)) c();
  }

  get screenName(): ScreenName | null {
    return this.screen?.name ?? null;
  }

  async refreshStatus(): Promise<void> {
    await Promise.all([
      this.client.queueStatus().then(
        (q) => this.setQueue(q),
        () => undefined,
      ),
      this.client.printerStatus().then(
        (p) => this.setPrinter(p),
        () => undefined,
      ),
    ]);
  }

  go(name: ScreenName, params: ScreenParams = {}): void {
    this.closeAllModals();
    this.screen?.dispose?.();
    const screen = this.makeScreen(name, params);
    this.screen = screen;
    fill(this.main, screen.el);
    this.renderHeader();
    screen.focus?.();
  }

  /** Starts a new basket (after a completed sale, or 清空). */
  newSale(): Sale {
    this.sale = new Sale();
    return this.sale;
  }

  setSession(session: SessionView | null): void {
    this.session = session;
    if (session) {
      // Signed in: a wrong-PIN message from a moment ago no longer applies.
      this.clearErrors();
      // The store's name from the server heads the screen after the shift too (not the set-up default).
      if (this.config) this.config = { ...this.config, storeName: session.store.name };
    }
    this.renderHeader();
  }

  setConfig(config: KioskConfigView): void {
    this.config = config;
  }

  setQueue(queue: QueueStatus): void {
    // Back online: the offline refusals shown a moment ago no longer apply.
    if (queue.online && this.queue && !this.queue.online) this.clearErrors();
    this.queue = queue;
    this.renderBanner();
    this.screen?.onQueue?.(queue);
  }

  setPrinter(printer: PrinterStatusView): void {
    this.printer = printer;
    this.renderHeader();
  }

  isOffline(): boolean {
    return this.queue !== null && !this.queue.online;
  }

  toast(text: string, kind: 'info' | 'error' | 'ok' = 'info'): void {
    const el = h('div', { class: `toast toast-${kind}`, role: kind === 'error' ? 'alert' : 'status' }, text);
    this.toasts.appendChild(el);
    this.win.setTimeout(() => el.remove(), kind === 'error' ? 6_000 : 3_000);
  }

  private clearErrors(): void {
    for (const t of this.toasts.querySelectorAll('.toast-error')) t.remove();
  }

  error(err: unknown): void {
    const code = errorCode(err);
    this.toast(errorText(code), 'error');
    // The shift was closed elsewhere (or the device service restarted): the cashier signs in again.
    if ((code === 'SHIFT_CLOSED' || code === 'NOT_SIGNED_IN') && this.session) {
      this.setSession(null);
      this.go('signIn');
    }
  }

  /** Runs a server call with the busy layer up; scans meanwhile are refused with a notice. */
  async busy<T>(work: () => Promise<T>): Promise<T> {
    this.busyCount++;
    this.busyLayer.hidden = false;
    try {
      return await work();
    } finally {
      this.busyCount--;
      if (this.busyCount === 0) this.busyLayer.hidden = true;
    }
  }

  modal(title: string, body: HTMLElement, options: { onClose?: () => void; testId?: string } = {}): ModalHandle {
    const box = h(
      'div',
      { class: 'modal', role: 'dialog', 'aria-modal': 'true', 'data-testid': options.testId ?? 'modal' },
      h('h2', {}, title),
      body,
    );
    const backdrop = h('div', { class: 'modal-backdrop' }, box);
    this.modals.appendChild(backdrop);
    const handle: ModalHandle = {
      el: box,
      kind: options.testId ?? 'modal',
      close: () => {
        if (!backdrop.isConnected) return;
        backdrop.remove();
        this.modalStack = this.modalStack.filter((m) => m !== handle);
        options.onClose?.();
      },
    };
    this.modalStack.push(handle);
    const first = box.querySelector<HTMLElement>('[autofocus], input, button');
    first?.focus();
    return handle;
  }

  closeAllModals(): void {
    for (const m of [...this.modalStack]) m.close();
  }

  handleScan(raw: string): void {
    const scan = classifyScan(raw);
    const action = routeScan(scan, {
      screen: this.screen?.name ?? 'signIn',
      signedIn: this.session !== null,
      busy: this.busyCount > 0,
      hasLines: this.sale.lines.length > 0,
    });
    if (action.kind === 'notice') {
      this.toast(noticeText(action.notice), 'error');
      return;
    }
    // A dialog is open (cash being counted, a QR shown): the basket must not change under it. A payment
    // code may still pay (it is what the 付款码 dialog waits for).
    const top = this.modalStack[this.modalStack.length - 1];
    if (top && !(action.kind === 'payByCode' && top.kind === 'code-dialog')) {
      this.toast(zh.finishDialogFirst, 'error');
      return;
    }
    if (action.kind === 'redeemVoucher' && this.screen?.name !== 'voucher') {
      this.go('voucher', { code: action.code });
      return;
    }
    if (action.kind === 'refundLookup' && this.screen?.name !== 'refund') {
      this.go('refund', { code: action.code });
      return;
    }
    if ((action.kind === 'addProduct' || action.kind === 'identifyMember') && this.screen?.name === 'receipt') {
      this.newSale();
      this.go('sale');
    }
    this.screen?.onScan?.(action);
  }

  private handleKey(event: KeyboardEvent): void {
    if (event.defaultPrevented) return;
    if (event.key === 'Escape' && this.modalStack.length > 0) {
      this.modalStack[this.modalStack.length - 1]?.close();
      event.preventDefault();
      return;
    }
    if (this.modalStack.length === 0 && this.screen?.onKey?.(event)) {
      event.preventDefault();
      return;
    }
    if (!this.session || this.modalStack.length > 0) return;
    const target: Partial<Record<string, ScreenName>> = { F9: 'refund', F10: 'voucher', F12: 'shift' };
    const to = target[event.key];
    if (to) {
      event.preventDefault();
      this.go(to);
    } else if (event.key === 'Escape' && this.screen?.name !== 'sale') {
      event.preventDefault();
      this.go('sale');
    }
  }

  private makeScreen(name: ScreenName, params: ScreenParams): Screen {
    switch (name) {
      case 'setup':
        return setupScreen(this);
      case 'signIn':
        return signInScreen(this);
      case 'sale':
        return saleScreen(this);
      case 'receipt':
        return receiptScreen(this, params);
      case 'refund':
        return refundScreen(this, params);
      case 'voucher':
        return voucherScreen(this, params);
      case 'shift':
        return shiftScreen(this);
    }
  }

  private renderHeader(): void {
    const s = this.session;
    const printer = this.printer;
    const pill = h(
      'button',
      {
        class: `pill printer-${printer?.condition ?? 'unknown'}`,
        'data-testid': 'printer-pill',
        title: printer?.detail ?? '',
        onclick: () => void this.refreshStatus(),
      },
      `${zh.printer}：${zh.printerCondition[printer?.condition ?? 'unknown']}`,
      printer && printer.heldJobs.length > 0 ? ` · ${printer.heldJobs.length}` : '',
    );
    const nav = (label: string, key: string, to: ScreenName): HTMLElement =>
      h(
        'button',
        { class: `nav${this.screen?.name === to ? ' active' : ''}`, onclick: () => this.go(to), 'data-testid': `nav-${to}` },
        label,
        h('kbd', {}, key),
      );
    fill(
      this.header,
      h(
        'div',
        { class: 'brand' },
        h('strong', {}, s?.store.name ?? this.config?.storeName ?? zh.appTitle),
        s ? ` · ${zh.terminal} ${s.terminalLabel}` : '',
      ),
      s ? h('div', { class: 'who' }, `${zh.cashier}：${s.staff.name}`) : null,
      pill,
      s
        ? h(
            'nav',
            {},
            nav(zh.saleTitle, 'Esc', 'sale'),
            nav(zh.refund, 'F9', 'refund'),
            nav(zh.voucher, 'F10', 'voucher'),
            nav(zh.signOutShift, 'F12', 'shift'),
          )
        : null,
    );
  }

  private renderBanner(): void {
    const q = this.queue;
    if (!q || (q.online && q.pending === 0 && q.rejected === 0)) {
      this.banner.hidden = true;
      this.banner.className = 'banner';
      return;
    }
    this.banner.hidden = false;
    this.banner.className = `banner ${q.online ? 'banner-syncing' : 'banner-offline'}`;
    fill(
      this.banner,
      h('span', { 'data-testid': 'banner-text' }, q.online ? zh.syncingBanner(q.pending) : zh.offlineBanner(q.pending)),
      q.rejected > 0 ? h('span', { class: 'banner-rejected' }, zh.rejectedBanner(q.rejected)) : null,
      q.pending > 0
        ? h(
            'button',
            {
              class: 'small',
              onclick: () =>
                void this.client.drainQueue().then(
                  (s) => this.setQueue(s),
                  (e: unknown) => this.error(e),
                ),
            },
            zh.syncNow,
          )
        : null,
    );
  }
}

function noticeText(n: ScanNotice): string {
  switch (n) {
    case 'signInFirst':
      return zh.errors.NOT_SIGNED_IN ?? '';
    case 'busy':
      return zh.busyIgnoredScan;
    case 'emptySale':
      return zh.emptySale;
    case 'alipay':
      return zh.alipayUnsupported;
    case 'unionpay':
      return zh.unionpayUnsupported;
    case 'backToSale':
      return zh.backToSale;
    case 'unknown':
      return zh.unknownCode;
  }
}

/** Money for display (the same ￥ the receipt prints). */
export const money = formatFen;

/** Query a test id under the app root (tests). */
export function find(app: KioskApp, id: string): HTMLElement | null {
  return byTestId(app.root, id);
}

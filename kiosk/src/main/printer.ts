/**
 * setupPrinter(): the receipt printer and the cash drawer for the rest of the kiosk and for the UI.
 * One PrinterService for the configured URI (rebuilt when the cashier changes it), its job journal in
 * the data directory so a retry after a restart still never prints twice, held jobs kept (bytes and
 * preview) until the cashier fixes the printer and presses 重试, status changes pushed to the UI.
 */
import { join } from 'node:path';
import type {
  DrawerResultView,
  JsonReceipt,
  KioskConfig,
  PrinterConditionView,
  PrinterStatusView,
  PrintResultView,
  ReceiptOutput,
} from '../ipc-contract.js';
import { KioskError } from '../shared/kiosk-error.js';
import type { ChannelRegistrar } from './ipc.js';
import type { ConfigStore } from './config.js';
import { createPrinterService } from './devices/printer.js';
import type { PrinterService, PrinterStatusSnapshot, PrintResult } from './devices/printer.js';
import { buildTestPage } from './devices/print-test.js';
import { markupToEscPos, markupToSvg, renderReceipt, warmUpReceiptRenderer } from './devices/receipt.js';
import type { Fen, Points, Receipt, ReceiptRenderOptions } from './devices/receipt.js';
import { openTransport } from './devices/transports.js';
import type { PrinterTransport } from './devices/transports.js';

export interface PrinterModuleDeps {
  config: ConfigStore;
  /** Where the job journal lives; null keeps it in memory (tests). */
  dataDir: string | null;
  /** Who is signed in, for the drawer log. */
  cashierId: () => string;
  /** Default: openTransport(uri). */
  transportFor?: (uri: string) => PrinterTransport;
  statusTimeoutMs?: number;
  /** While the printer is not ready, ask again this often so the UI sees it recover. Default 5000; 0 = never. */
  recheckMs?: number;
  log?: (line: string) => void;
}

export interface PrinterModule {
  /** Renders and prints a receipt once per jobId. Never throws for printer problems. */
  printReceipt(jobId: string, receipt: Receipt): Promise<ReceiptOutput>;
  /** Any receiptline markup (the Z-report). */
  printMarkup(jobId: string, markup: string): Promise<ReceiptOutput>;
  previewSvg(receipt: Receipt): string;
  openDrawer(): Promise<DrawerResultView>;
  status(): PrinterStatusView;
  qrSvg(text: string): string;
  renderOptions(): ReceiptRenderOptions;
  close(): Promise<void>;
}

interface HeldJob {
  bytes: Uint8Array;
  svg: string;
}

export async function setupPrinter(registrar: ChannelRegistrar, deps: PrinterModuleDeps): Promise<PrinterModule> {
  const log = deps.log ?? (() => undefined);
  const transportFor = deps.transportFor ?? ((uri: string) => openTransport(uri));
  const recheckMs = deps.recheckMs ?? 5_000;
  const held = new Map<string, HeldJob>();
  let service: PrinterService | null = null;
  let uri = '';
  let unsubscribe: () => void = () => undefined;
  let recheck: ReturnType<typeof setInterval> | null = null;
  let last: PrinterStatusView = { condition: 'not_configured', detail: null, at: new Date().toISOString(), heldJobs: [] };

  warmUpReceiptRenderer();

  const publish = (snapshot: PrinterStatusSnapshot | null): void => {
    last = {
      condition: snapshot ? (snapshot.condition as PrinterConditionView) : service ? 'unknown' : 'not_configured',
      detail: snapshot?.detail ?? null,
      at: (snapshot?.at ?? new Date()).toISOString(),
      heldJobs: [...held.keys()],
    };
    registrar.emit('printer:onStatus', last);
    const bad = snapshot !== null && snapshot.condition !== 'ready' && snapshot.condition !== 'paper_near_end';
    if (bad && recheckMs > 0 && !recheck) {
      recheck = setInterval(() => void service?.checkStatus(), recheckMs);
      recheck.unref?.();
    } else if (!bad && recheck) {
      clearInterval(recheck);
      recheck = null;
    }
  };

  const connect = async (config: KioskConfig, force = false): Promise<void> => {
    if (!force && config.printerUri === uri && (service || !uri)) return;
    unsubscribe();
    await service?.close().catch(() => undefined);
    service = null;
    uri = config.printerUri;
    if (uri) {
      service = await createPrinterService({
        transport: transportFor(uri),
        journalPath: deps.dataDir ? join(deps.dataDir, 'printer-journal.jsonl') : undefined,
        statusTimeoutMs: deps.statusTimeoutMs,
        drawer: { pin: config.drawer.pin },
      });
      unsubscribe = service.onStatusChange(publish);
      log(`printer ${uri}`);
    }
    publish(null);
  };
  await connect(deps.config.get());
  const stopWatching = deps.config.onChange((next, previous) => {
    // The drawer pulse is fixed per service: a new pin rebuilds it too.
    if (next.printerUri !== previous.printerUri || next.drawer.pin !== previous.drawer.pin) void connect(next, true);
  });

  const renderOptions = (): ReceiptRenderOptions => {
    const c = deps.config.get();
    return { paper: c.paper, qr: c.qr };
  };

  const send = async (jobId: string, bytes: Uint8Array, svg: string): Promise<PrintResultView> => {
    if (!service) return { jobId, status: 'no_printer', reason: null, warnings: [], mayHavePrinted: false, replayed: false };
    const result = await service.print({ jobId, bytes });
    const view = toView(result);
    const wasHeld = held.has(jobId);
    if (view.status === 'held' || (view.status === 'failed' && !view.mayHavePrinted)) held.set(jobId, { bytes, svg });
    else held.delete(jobId);
    if (wasHeld !== held.has(jobId)) publish(service.status);
    return view;
  };

  const module: PrinterModule = {
    async printReceipt(jobId, receipt) {
      const rendered = renderReceipt(receipt, renderOptions());
      return { jobId, svg: rendered.svg, print: await send(jobId, rendered.escpos, rendered.svg) };
    },
    async printMarkup(jobId, markup) {
      const options = renderOptions();
      const svg = markupToSvg(markup, options);
      return { jobId, svg, print: await send(jobId, markupToEscPos(markup, options), svg) };
    },
    previewSvg(receipt) {
      return renderReceipt(receipt, renderOptions()).svg;
    },
    async openDrawer() {
      if (!deps.config.get().drawer.enabled) return { ok: false, reason: 'disabled' };
      if (!service) return { ok: false, reason: 'no_printer' };
      const result = await service.openDrawer(deps.cashierId());
      return result.ok ? { ok: true, reason: result.warning } : { ok: false, reason: result.reason };
    },
    status: () => last,
    qrSvg(text) {
      if (!text || text.length > 1024) throw new KioskError('INVALID_INPUT', 'QR text must be 1–1024 characters');
      const escaped = text.replace(/[\\|{};]/g, (c) => `\\${c}`);
      return markupToSvg(`{code:${escaped}; option:qrcode,8,m}\n`, { paper: '58mm' });
    },
    renderOptions,
    async close() {
      stopWatching();
      unsubscribe();
      if (recheck) clearInterval(recheck);
      await service?.close().catch(() => undefined);
    },
  };

  registrar.handle('printer:status', async () => {
    if (service) publish(await service.checkStatus());
    return last;
  });
  registrar.handle('printer:print', (jobId, receipt) => {
    if (typeof jobId !== 'string' || jobId.length < 8) throw new KioskError('INVALID_INPUT', 'jobId must be a string of 8+ characters');
    return module.printReceipt(jobId, fromJsonReceipt(receipt));
  });
  registrar.handle('printer:preview', (receipt) => module.previewSvg(fromJsonReceipt(receipt)));
  registrar.handle('printer:testPrint', async () => {
    const bytes = buildTestPage({ uri: uri || '(none)', paper: deps.config.get().paper });
    return send(`print-test-${Date.now()}`, bytes, '');
  });
  registrar.handle('printer:retry', async (jobId) => {
    const job = held.get(jobId);
    if (!job) throw new KioskError('UNKNOWN_JOB', `no held job ${jobId}`);
    return send(jobId, job.bytes, job.svg);
  });
  registrar.handle('drawer:open', () => module.openDrawer());
  registrar.handle('qr:svg', (text) => module.qrSvg(text));
  return module;
}

function toView(result: PrintResult): PrintResultView {
  const base = { jobId: result.jobId, replayed: result.replayed };
  switch (result.status) {
    case 'printed':
      return { ...base, status: 'printed', reason: null, warnings: [...result.warnings], mayHavePrinted: true };
    case 'held':
      return { ...base, status: 'held', reason: result.reason, warnings: [], mayHavePrinted: false };
    case 'failed':
      return { ...base, status: 'failed', reason: result.error, warnings: [], mayHavePrinted: result.bytesMayHavePrinted };
  }
}

/** JSON receipt (ISO strings) → the devices' model (Dates, branded integers). */
export function fromJsonReceipt(json: JsonReceipt): Receipt {
  if (typeof json !== 'object' || json === null || (json.kind !== 'sale' && json.kind !== 'refund')) {
    throw new KioskError('INVALID_INPUT', 'not a receipt');
  }
  const date = (iso: string, field: string): Date => {
    const d = new Date(iso);
    if (Number.isNaN(d.getTime())) throw new KioskError('INVALID_INPUT', `${field} is not a date`);
    return d;
  };
  const f = (n: number): Fen => {
    if (!Number.isSafeInteger(n)) throw new KioskError('INVALID_INPUT', 'amounts are integer fen');
    return n as Fen;
  };
  const p = (n: number | undefined): Points | undefined => (n === undefined ? undefined : (n as Points));
  const common = {
    store: json.store,
    terminalId: json.terminalId,
    cashierName: json.cashierName,
    orderNo: json.orderNo,
    time: date(json.time, 'time'),
    deviceTime: json.deviceTime,
    lines: json.lines.map((l) => ({ ...l, unitPriceFen: f(l.unitPriceFen), amountFen: f(l.amountFen) })),
    payments: json.payments.map((pay) =>
      pay.method === 'cash'
        ? { method: 'cash' as const, amountFen: f(pay.amountFen), tenderedFen: f(pay.tenderedFen), changeFen: f(pay.changeFen) }
        : { method: 'wechat_pay' as const, amountFen: f(pay.amountFen) },
    ),
    member: json.member,
    points: json.points ? { earned: p(json.points.earned), pending: p(json.points.pending), balance: p(json.points.balance) } : undefined,
    tierProgress: json.tierProgress,
    reprint: json.reprint,
  };
  if (json.kind === 'sale') {
    return {
      ...common,
      kind: 'sale',
      subtotalFen: f(json.subtotalFen),
      discountFen: json.discountFen === undefined ? undefined : f(json.discountFen),
      pointsPaid: json.pointsPaid ? { points: json.pointsPaid.points as Points, amountFen: f(json.pointsPaid.amountFen) } : undefined,
      totalFen: f(json.totalFen),
      claim: json.claim ? { code: json.claim.code, expiresAt: date(json.claim.expiresAt, 'claim.expiresAt') } : undefined,
      voucher: json.voucher
        ? {
            title: json.voucher.title,
            code: json.voucher.code,
            expiresAt: json.voucher.expiresAt ? date(json.voucher.expiresAt, 'voucher.expiresAt') : undefined,
          }
        : undefined,
    };
  }
  return {
    ...common,
    kind: 'refund',
    originalOrderNo: json.originalOrderNo,
    reason: json.reason,
    refundTotalFen: f(json.refundTotalFen),
    pointsReversed: p(json.pointsReversed),
    pointsReturned: p(json.pointsReturned),
  };
}

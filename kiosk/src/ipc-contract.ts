/**
 * The one contract between the cashier UI (renderer) and the device side (Electron main, or the
 * browser-mode host): every request channel with its arguments and result, every event with its
 * payload, and the names the preload exposes them under.
 *
 * Everything crossing it is plain JSON (ISO strings, no Date, no Buffer): the same values go through
 * Electron's structured clone and through the host's HTTP/JSON API. Results travel in an `Envelope`
 * because an Error thrown in main loses its fields on the way through IPC and contextBridge.
 *
 * Pure types and constants: imported by main, preload, host and renderer alike.
 */
import type {
  MemberQuery,
  MemberView,
  OrderDetail,
  OrderLineInput,
  OrderView,
  PosErrorCode,
  PreviewRequest,
  PreviewResult,
  Product,
  RefundView,
  ShiftReport,
  SignInRequest,
  VoucherRedemption,
} from './shared/pos-api.js';

// ---------------------------------------------------------------------------------------------------
// Configuration

export type PaperWidth = '58mm' | '80mm';
export type ScannerMode = 'wedge' | 'serial';

export interface KioskConfig {
  /** e.g. http://127.0.0.1:3000 */
  serverUrl: string;
  /** Issued by HQ (`POST /api/admin/terminals`); write-only from the UI. */
  terminalToken: string;
  /** tcp://host:9100, file:/dev/usb/lp0, serial:/dev/ttyUSB0?baud=9600; '' = no printer. */
  printerUri: string;
  paper: PaperWidth;
  qr: 'raster' | 'native';
  scanner: {
    mode: ScannerMode;
    /** Serial mode: /dev/ttyACM0, COM3. */
    serialPath: string;
    baudRate: number;
    /** Wedge mode: longest gap between two keys of a scan, and fewest characters. */
    maxInterKeyMs: number;
    minLength: number;
  };
  drawer: { enabled: boolean; pin: 2 | 5 };
  /** Printed when the server cannot tell the store's name (offline, or before GET /api/pos/terminal exists). */
  storeName: string;
  /** Printed as 终端 on receipts. */
  terminalLabel: string;
}

/** The configuration as the UI sees it: the token is never sent back. */
export type KioskConfigView = Omit<KioskConfig, 'terminalToken'> & { hasToken: boolean };

/** `terminalToken: ''` clears it; an absent field keeps the current value. */
export type KioskConfigPatch = Partial<Omit<KioskConfig, 'scanner' | 'drawer'>> & {
  scanner?: Partial<KioskConfig['scanner']>;
  drawer?: Partial<KioskConfig['drawer']>;
};

// ---------------------------------------------------------------------------------------------------
// Printer, drawer

export type PrinterConditionView =
  | 'ready'
  | 'paper_near_end'
  | 'paper_out'
  | 'cover_open'
  | 'offline'
  | 'error'
  | 'no_status_reply'
  | 'status_unsupported'
  | 'unreachable'
  | 'not_configured'
  | 'unknown';

export interface PrinterStatusView {
  condition: PrinterConditionView;
  detail: string | null;
  at: string;
  /** Receipts held (nothing printed) until the cashier fixes the printer and retries. */
  heldJobs: string[];
}

export interface PrintResultView {
  jobId: string;
  status: 'printed' | 'held' | 'failed' | 'no_printer';
  /** held: paper_out / cover_open / offline / error; failed: the transport's error code. */
  reason: string | null;
  /** printed with warnings: paper_near_end, no_status_reply, not_ready_after_print … */
  warnings: string[];
  /** failed: may some of the receipt have printed (then reprint, never retry). */
  mayHavePrinted: boolean;
  /** An earlier attempt of this jobId already printed; nothing was sent now. */
  replayed: boolean;
}

/** A printed document and its on-screen preview. */
export interface ReceiptOutput {
  jobId: string;
  svg: string;
  print: PrintResultView;
}

export interface DrawerResultView {
  ok: boolean;
  reason: string | null;
}

/** A receipt as JSON (the devices' Receipt with ISO strings for dates). */
export interface JsonReceiptLine {
  name: string;
  qty: number;
  unit?: string;
  unitPriceFen: number;
  amountFen: number;
}
export type JsonReceiptPayment =
  { method: 'wechat_pay'; amountFen: number } | { method: 'cash'; amountFen: number; tenderedFen: number; changeFen: number };
interface JsonReceiptCommon {
  store: { name: string; address?: string };
  terminalId: string;
  cashierName: string;
  orderNo: string;
  time: string;
  deviceTime: boolean;
  lines: JsonReceiptLine[];
  payments: JsonReceiptPayment[];
  member?: { phone: string; tierName?: string };
  points?: { earned?: number; pending?: number; balance?: number };
  tierProgress?: string;
  reprint?: boolean;
}
export interface JsonSaleReceipt extends JsonReceiptCommon {
  kind: 'sale';
  subtotalFen: number;
  discountFen?: number;
  pointsPaid?: { points: number; amountFen: number };
  totalFen: number;
  claim?: { code: string; expiresAt: string };
  voucher?: { title: string; code: string; expiresAt?: string };
}
export interface JsonRefundSlip extends JsonReceiptCommon {
  kind: 'refund';
  originalOrderNo: string;
  reason?: string;
  refundTotalFen: number;
  pointsReversed?: number;
  pointsReturned?: number;
}
export type JsonReceipt = JsonSaleReceipt | JsonRefundSlip;

// ---------------------------------------------------------------------------------------------------
// Shift

export interface SessionView {
  staff: { id: number; username: string; name: string };
  shift: { shiftId: string; openedAt: string; openingFloatFen: number; resumed: boolean };
  store: { name: string; address?: string };
  terminalLabel: string;
  /** Unknown while the server cannot tell (then points cannot be spent anyway). */
  program: { name: string; pointValueFen: number; maxPointsSharePercent: number } | null;
}

export interface ShiftReportView {
  report: ShiftReport;
  /** Where the figures came from: the server, or this till's own log (server unreachable / endpoint missing). */
  source: 'server' | 'local';
  /** Sales still waiting in the offline queue (not in the server's figures yet). */
  queued: { count: number; cashFen: number };
}

export interface ShiftCloseResult extends ShiftReportView {
  receipt: ReceiptOutput;
}

// ---------------------------------------------------------------------------------------------------
// Sales

export type CheckoutPayment =
  | { method: 'cash'; tenderedFen: number }
  /** The shopper's 18-digit WeChat payment code, scanned. */
  | { method: 'wechat_code'; authCode: string }
  /** Show a Native QR (codeUrl) for the shopper to scan with WeChat. */
  | { method: 'wechat_native' };

export interface CheckoutRequest {
  /** Chosen by the UI when the sale starts and reused for every retry of it: the idempotency key. */
  clientOrderId: string;
  lines: OrderLineInput[];
  /** The member identified for this sale (the view is what the receipt prints). */
  member?: { query: MemberQuery; view: MemberView };
  redeemPoints?: number;
  payment: CheckoutPayment;
}

export type SaleOutcome =
  | {
      state: 'completed';
      clientOrderId: string;
      /** null when the sale was journaled offline. */
      order: OrderView | null;
      queued: boolean;
      /** The printed time; deviceTime when it came from the till's clock (offline). */
      time: string;
      deviceTime: boolean;
      payableFen: number;
      changeFen: number | null;
      receipt: ReceiptOutput;
      drawer: DrawerResultView | null;
    }
  | {
      state: 'awaiting_payment';
      clientOrderId: string;
      order: OrderView;
      /** Native QR as SVG (for wechat_native). */
      qrSvg: string | null;
    }
  | { state: 'closed'; clientOrderId: string; order: OrderView | null };

export interface RefundKioskRequest {
  /** Chosen by the UI when the refund screen opens: the idempotency key (outRefundNo). */
  refundId: string;
  order: OrderDetail;
  lines: { sku: string; qty: number }[];
  reason: string;
}

export interface RefundOutcome {
  refund: RefundView;
  receipt: ReceiptOutput;
  /** Cash part of the refund: the drawer opens to pay it back. */
  cashFen: number;
  drawer: DrawerResultView | null;
}

// ---------------------------------------------------------------------------------------------------
// Offline queue

export interface QueueStatus {
  /** The server answered the last call (or the last probe). */
  online: boolean;
  /** Sales journaled and not yet accepted by the server. */
  pending: number;
  /** Sales the server refused for good (need a supervisor); they stay in the journal. */
  rejected: number;
  draining: boolean;
  lastError: string | null;
  lastSyncAt: string | null;
}

// ---------------------------------------------------------------------------------------------------
// Scans

export interface ScanEvent {
  code: string;
  source: 'serial';
}

// ---------------------------------------------------------------------------------------------------
// Errors

/** The server's codes and the kiosk's own. The UI maps each to Chinese in renderer/zh.ts. */
export type KioskErrorCode =
  | PosErrorCode
  /** Offline, and this needs the server: WeChat Pay, spending points, refunds, vouchers, sign-in. */
  | 'OFFLINE_WECHAT'
  | 'OFFLINE_POINTS'
  | 'OFFLINE_REFUND'
  | 'OFFLINE_VOUCHER'
  | 'OFFLINE_SIGN_IN'
  /** A payment-code request got no answer: the shopper may have paid. Retry the same sale (same clientOrderId). */
  | 'PAYMENT_UNKNOWN'
  | 'NOT_SIGNED_IN'
  | 'NOT_CONFIGURED'
  | 'INVALID_INPUT'
  | 'TENDER_INSUFFICIENT'
  | 'NO_PRINTER'
  | 'UNKNOWN_JOB'
  | 'UNKNOWN_SALE'
  | 'UNTRUSTED_SENDER'
  | 'UNKNOWN_CHANNEL';

export interface ErrorBodyView {
  code: KioskErrorCode;
  /** English, for logs; the UI shows zh.ts's text for `code`. */
  message: string;
}

export type Envelope<T> = { ok: true; value: T } | { ok: false; error: ErrorBodyView };

// ---------------------------------------------------------------------------------------------------
// The channel map

export interface InvokeChannels {
  'config:get': () => KioskConfigView;
  'config:set': (patch: KioskConfigPatch) => KioskConfigView;
  /** Asks the server who this terminal is (the set-up screen's 测试连接). */
  'config:testServer': () => { ok: boolean; storeName: string | null; code: KioskErrorCode | null };

  'printer:status': () => PrinterStatusView;
  'printer:print': (jobId: string, receipt: JsonReceipt) => ReceiptOutput;
  'printer:preview': (receipt: JsonReceipt) => string;
  'printer:testPrint': () => PrintResultView;
  /** Sends a held job again (same jobId: it can never print twice). */
  'printer:retry': (jobId: string) => PrintResultView;
  'drawer:open': () => DrawerResultView;
  /** Any text as a QR code in SVG (the Native QR). */
  'qr:svg': (text: string) => string;

  'queue:status': () => QueueStatus;
  /** Try to send the queue now (the banner's 立即同步). */
  'queue:drain': () => QueueStatus;

  'shift:signIn': (request: SignInRequest) => SessionView;
  'shift:current': () => SessionView | null;
  'shift:report': () => ShiftReportView;
  'shift:close': (countedCashFen: number) => ShiftCloseResult;

  'pos:lookupProduct': (barcode: string) => Product;
  'pos:searchProducts': (q: string) => Product[];
  'pos:quickKeys': () => Product[];
  'pos:lookupMember': (query: MemberQuery) => MemberView;
  'pos:preview': (request: PreviewRequest) => PreviewResult;
  'pos:checkout': (request: CheckoutRequest) => SaleOutcome;
  /** The sale's state now (asks the server); completes and prints it if it was paid meanwhile. */
  'pos:saleStatus': (clientOrderId: string) => SaleOutcome;
  'pos:cancelSale': (clientOrderId: string) => SaleOutcome;
  /** Prints the sale's receipt again, marked 重印. */
  'pos:reprint': (clientOrderId: string) => ReceiptOutput;
  'pos:findOrder': (code: string) => OrderDetail;
  'pos:refund': (request: RefundKioskRequest) => RefundOutcome;
  'pos:redeemVoucher': (code: string) => VoucherRedemption;
}

export interface EventChannels {
  /** A serial scanner read a code (wedge scans are detected in the renderer itself). */
  'scanner:onScan': ScanEvent;
  'printer:onStatus': PrinterStatusView;
  'queue:onStatus': QueueStatus;
  /** A sale waiting for a WeChat payment changed (paid → completed with its receipt, or closed). */
  'sale:onUpdate': SaleOutcome;
}

export type InvokeChannel = keyof InvokeChannels;
export type EventChannel = keyof EventChannels;
export type InvokeArgs<C extends InvokeChannel> = Parameters<InvokeChannels[C]>;
export type InvokeResult<C extends InvokeChannel> = ReturnType<InvokeChannels[C]>;

/** Preload function name → channel. The preload exposes exactly these names, nothing else. */
export const invokeNames = {
  getConfig: 'config:get',
  setConfig: 'config:set',
  testServer: 'config:testServer',
  printerStatus: 'printer:status',
  printReceipt: 'printer:print',
  previewReceipt: 'printer:preview',
  testPrint: 'printer:testPrint',
  retryPrint: 'printer:retry',
  openDrawer: 'drawer:open',
  qrSvg: 'qr:svg',
  queueStatus: 'queue:status',
  drainQueue: 'queue:drain',
  signIn: 'shift:signIn',
  currentSession: 'shift:current',
  shiftReport: 'shift:report',
  closeShift: 'shift:close',
  lookupProduct: 'pos:lookupProduct',
  searchProducts: 'pos:searchProducts',
  quickKeys: 'pos:quickKeys',
  lookupMember: 'pos:lookupMember',
  previewPoints: 'pos:preview',
  checkout: 'pos:checkout',
  saleStatus: 'pos:saleStatus',
  cancelSale: 'pos:cancelSale',
  reprint: 'pos:reprint',
  findOrder: 'pos:findOrder',
  refund: 'pos:refund',
  redeemVoucher: 'pos:redeemVoucher',
} as const satisfies Record<string, InvokeChannel>;

/** Preload subscription name → event. Each returns an unsubscribe function. */
export const eventNames = {
  onScan: 'scanner:onScan',
  onPrinterStatus: 'printer:onStatus',
  onQueueStatus: 'queue:onStatus',
  onSaleUpdate: 'sale:onUpdate',
} as const satisfies Record<string, EventChannel>;

export type InvokeName = keyof typeof invokeNames;
export type EventName = keyof typeof eventNames;

/** Every channel once (the registration check: main must handle each). */
export const INVOKE_CHANNELS = Object.values(invokeNames) as InvokeChannel[];
export const EVENT_CHANNELS = Object.values(eventNames) as EventChannel[];

/** What the preload exposes as `window.jifenKiosk`: envelopes, so errors keep their code. */
export type KioskBridge = {
  [N in InvokeName]: (...args: InvokeArgs<(typeof invokeNames)[N]>) => Promise<Envelope<InvokeResult<(typeof invokeNames)[N]>>>;
} & {
  [N in EventName]: (listener: (payload: EventChannels[(typeof eventNames)[N]]) => void) => () => void;
};

/** The global name the preload exposes the bridge under. */
export const BRIDGE_GLOBAL = 'jifenKiosk';

/** Browser-mode host: `POST {HOST_API}/invoke/<channel>` with `{args}` → Envelope; `GET {HOST_API}/events` (SSE). */
export const HOST_API = '/api/kiosk';
/** Header every browser-mode call carries: it makes cross-site requests need a CORS preflight, which the host never grants. */
export const HOST_CLIENT_HEADER = 'x-jifen-kiosk';

/**
 * The server calls the kiosk makes, as one small interface (`PosApi`), with every request and response
 * type named. Pure types and one error class: no Node, no DOM, no Electron, so the main process,
 * the browser-mode host and the tests all use it. `HttpPosApi` (main/http-pos-api.ts) implements it over
 * HTTP; tests use a fake.
 *
 * Every endpoint below is on the server (server/src/http/routes/pos/pos.ts). The shapes are the
 * server's own, taken from its contracts (shared/src/contracts/pos.ts: the zod schemas' inferred types
 * and the answers' interfaces), never written again here; what is the kiosk's alone (the `PosApi`
 * interface, `PosApiError` and its extra codes, the list answers' wrappers, a member not yet verified)
 * is added below.
 *
 * Conventions (../../../shared/docs/contract.md): JSON in and out; money integer fen, points integer
 * points; failures `{"error":{"code","message","field?"}}` with codes from shared/src/errors.ts; every
 * call sends `Authorization: Bearer <terminal token>`; times are ISO-8601 instants with an offset.
 */
import type {
  ByMethod,
  CloseShiftRequest,
  CreatePosOrderRequest,
  CreateRefundRequest,
  ErrorCode,
  MemberQuery,
  MemberRef,
  OrderLine,
  OrderStatus,
  PosMemberView,
  PosOrderDetail,
  PosOrderView,
  PosPaymentMethod,
  PosPreviewRequest,
  PosPreviewResult,
  PosProduct,
  PosRefundView,
  PosShiftReport,
  PosSignInRequest,
  PosStaffSession,
  PosTerminalInfo,
  PosVoucherRedemption,
} from '@jifen/shared';

export type { ByMethod, CloseShiftRequest, MemberQuery, MemberRef, OrderStatus, PosPaymentMethod };

// ---------------------------------------------------------------------------------------------------
// Catalogue

export type Product = PosProduct;

/**
 * `GET /api/pos/products/:barcode` → 200 Product; 404 NOT_FOUND when the store does not sell it.
 * `:barcode` is an EAN/UPC or a store SKU. The lookup is one indexed read (≤ 50 ms p99 with 10,000 items).
 */
export type LookupProductResponse = Product;

/** `GET /api/pos/products?q=<text>&limit=<1..50, default 20>` → 200. Matches name, SKU, barcode, pinyin initials. */
export interface SearchProductsResponse {
  products: Product[];
}

/** `GET /api/pos/quick-keys` → 200: the store's quick keys (loose fruit, bags, …), in display order. */
export interface QuickKeysResponse {
  products: Product[];
}

// ---------------------------------------------------------------------------------------------------
// Terminal, staff and shifts

/** `GET /api/pos/terminal` → 200: who this token is; also the kiosk's "test connection". */
export type TerminalInfo = PosTerminalInfo;

/**
 * `POST /api/pos/staff/session` with this body → 201 StaffSession.
 * Staff are created by HQ (`POST /api/admin/staff`, role `cashier`, with a 4–8 digit `pin`).
 * If the cashier already has an open shift on this terminal it is resumed (the kiosk restarted) and
 * `openingFloatFen` is ignored; otherwise a shift is opened with it.
 * Errors: 401 INVALID_CREDENTIALS (unknown user or wrong PIN; same answer for both),
 * 403 FORBIDDEN (staff of another store), 429 RATE_LIMITED (5 wrong PINs in 15 minutes per user+terminal).
 */
export type SignInRequest = PosSignInRequest;

/** The signed-in cashier (role `cashier` or `supervisor`) and the shift opened or resumed. */
export type StaffSession = PosStaffSession;

/**
 * `GET /api/pos/shifts/:shiftId/report` → 200 (the X-report while open);
 * `POST /api/pos/shifts/:shiftId/close` `{countedCashFen}` (CloseShiftRequest) → 200 (the Z-report;
 * closing twice returns the first report; `closedAt` then set). Orders and refunds count toward the shift
 * whose id they carry (`shiftId` on both requests, below). Errors: 404 NOT_FOUND, 403 FORBIDDEN (another
 * terminal's shift).
 */
export type ShiftReport = PosShiftReport;

// ---------------------------------------------------------------------------------------------------
// Members and the points preview

/**
 * `POST /api/pos/members/lookup` with a MemberQuery body (POST keeps the phone out of URLs and
 * logs) → 200 MemberView. One indexed read by member id or phone hash: the till never loads members.
 * Errors: 404 MEMBER_NOT_FOUND, 400 MEMBER_CODE_INVALID, 400 MEMBER_CODE_EXPIRED.
 */
export interface MemberView extends PosMemberView {
  /**
   * Kiosk-side only, never sent by the server: the member could not be looked up (the server was
   * unreachable). Identified by phone or code only; nothing shown about
   * points; the order settles the points once it reaches the server.
   */
  unverified?: true;
}

/** Order lines exactly as POST /api/pos/orders takes them. */
export type OrderLineInput = OrderLine;

/**
 * `POST /api/pos/preview` → 200 PreviewResult: what the rules engine would credit for these lines
 * (the same `quotePurchase` settlement uses), and how many points the member may spend on them.
 * `member` takes `{code}` / `{phone}`, or `{ref}` from MemberView. Errors as member lookup.
 */
export type PreviewRequest = PosPreviewRequest;

export type PreviewResult = PosPreviewResult;

// ---------------------------------------------------------------------------------------------------
// Orders

/**
 * `POST /api/pos/orders` → 201 OrderView. The same clientOrderId from the same terminal returns
 * the same order (the offline queue relies on this to settle each sale exactly once).
 * Errors: 400 VALIDATION_FAILED, 404 MEMBER_NOT_FOUND, 400 MEMBER_CODE_INVALID/EXPIRED,
 * 409 POINTS_INSUFFICIENT, 402 PAYMENT_FAILED, 503 PAYMENTS_NOT_CONFIGURED.
 */
export type CreateOrderRequest = CreatePosOrderRequest;

/** As the server presents an order (GET /api/pos/orders/:orderId answers the same). */
export type OrderView = PosOrderView;

/** `POST /api/pos/orders/:orderId/cancel` → 200 OrderView (status `closed`; points held for it released).
 * Errors: 409 ORDER_NOT_PAYABLE when it was paid meanwhile (the kiosk then completes the sale). */
export type CancelOrderResponse = OrderView;

/**
 * `GET /api/pos/receipts/:code` (`:code` = a JFR1 receipt code or the printed order number,
 * the outTradeNo) → 200 OrderDetail: the order behind a receipt, for the refund screen. (Not under
 * /orders/: `GET /api/pos/orders/:orderId` would capture it.)
 * A receipt code is accepted even after its claim window (refunds outlive claims). Orders of other stores
 * answer 404 ORDER_NOT_FOUND.
 */
export type OrderDetail = PosOrderDetail;

/**
 * `POST /api/pos/orders/:orderId/refunds` → 201 RefundView. Money goes back the way it came
 * (WeChat to WeChat; the cash part in the drawer), points earned are reversed and points spent returned in
 * proportion. The same outRefundNo again returns the first refund.
 * Errors: 404 ORDER_NOT_FOUND, 409 ORDER_NOT_REFUNDABLE, 409 REFUND_EXCEEDS_ORDER, 409 IDEMPOTENCY_CONFLICT.
 */
export type RefundRequest = CreateRefundRequest;

export type RefundView = PosRefundView;

// ---------------------------------------------------------------------------------------------------
// Vouchers

/**
 * `POST /api/pos/vouchers/redeem` `{code}` → 200 VoucherRedemption. Used once.
 * Errors: 404 CODE_UNKNOWN, 400 CODE_FORGED, 409 CODE_USED, 410 CODE_EXPIRED,
 * 409 REWARD_UNAVAILABLE (the voucher belongs to another program's stores).
 */
export type VoucherRedemption = PosVoucherRedemption;

// ---------------------------------------------------------------------------------------------------
// The interface

export interface PosApi {
  /** `GET /healthz`: reachability, for the offline probe. */
  health(): Promise<void>;
  terminalInfo(): Promise<TerminalInfo>;
  signIn(request: SignInRequest): Promise<StaffSession>;
  lookupProduct(barcode: string): Promise<Product>;
  searchProducts(q: string): Promise<Product[]>;
  quickKeys(): Promise<Product[]>;
  lookupMember(query: MemberQuery): Promise<MemberView>;
  preview(request: PreviewRequest): Promise<PreviewResult>;
  createOrder(request: CreateOrderRequest): Promise<OrderView>;
  orderStatus(orderId: number): Promise<OrderView>;
  cancelOrder(orderId: number): Promise<OrderView>;
  findOrder(code: string): Promise<OrderDetail>;
  refund(orderId: number, request: RefundRequest): Promise<RefundView>;
  redeemVoucher(code: string): Promise<VoucherRedemption>;
  shiftReport(shiftId: string): Promise<ShiftReport>;
  closeShift(shiftId: string, request: CloseShiftRequest): Promise<ShiftReport>;
  /** Server time now, when a recent answer told it (the `Date` header); null when unknown. */
  serverNow(): Date | null;
}

// ---------------------------------------------------------------------------------------------------
// Errors

/**
 * The server's codes, plus the kiosk's own for failures that never reached a server answer:
 * - NETWORK: no connection (refused, DNS, reset) — the server is unreachable;
 * - TIMEOUT: no answer in time — the request may or may not have been processed;
 * - ENDPOINT_MISSING: the server answered "no route" (a server older than this kiosk);
 * - BAD_RESPONSE: an answer that is not the expected JSON.
 */
export type PosErrorCode = ErrorCode | 'NETWORK' | 'TIMEOUT' | 'ENDPOINT_MISSING' | 'BAD_RESPONSE';

export class PosApiError extends Error {
  readonly code: PosErrorCode;
  readonly status: number | null;
  readonly field: string | undefined;
  constructor(code: PosErrorCode, message: string, options: { status?: number | null; field?: string; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'PosApiError';
    this.code = code;
    this.status = options.status ?? null;
    this.field = options.field;
  }

  /** The server could not be reached (or is down behind a proxy): what sends cash sales to the offline queue. */
  get unreachable(): boolean {
    if (this.code === 'NETWORK' || this.code === 'TIMEOUT') return true;
    // A proxy's 502/504, or a 503 that is not the server's own answer about a missing configuration.
    return (
      this.status === 502 || this.status === 504 || (this.status === 503 && (this.code === 'UNAVAILABLE' || this.code === 'BAD_RESPONSE'))
    );
  }
}

export function isPosApiError(e: unknown): e is PosApiError {
  return e instanceof PosApiError;
}

/**
 * PosApi over HTTP (fetch). Lives on the main side only: the terminal token never reaches the renderer.
 * Every answer's `Date` header keeps an estimate of the server clock, so receipts printed online carry
 * the server's time rather than a possibly skewed till clock.
 */
import type {
  CloseShiftRequest,
  CreateOrderRequest,
  MemberQuery,
  MemberView,
  OrderDetail,
  OrderView,
  PosApi,
  PosErrorCode,
  PreviewRequest,
  PreviewResult,
  Product,
  QuickKeysResponse,
  RefundRequest,
  RefundView,
  SearchProductsResponse,
  ShiftReport,
  SignInRequest,
  StaffSession,
  TerminalInfo,
  VoucherRedemption,
} from '../shared/pos-api.js';
import { PosApiError } from '../shared/pos-api.js';

export interface HttpPosApiOptions {
  /** e.g. http://127.0.0.1:3000 */
  baseUrl: string;
  /** The terminal token HQ issued. */
  token: string;
  /** Default limit per call. Default 10 000 ms. */
  timeoutMs?: number;
  /**
   * A payment-code order waits while the shopper confirms on the phone (WeChat's USERPAYING loop):
   * the server may take half a minute. Default 60 000 ms.
   */
  paymentTimeoutMs?: number;
  fetch?: typeof fetch;
  /** Device clock (tests). */
  now?: () => number;
}

/** How long a server-clock estimate from a `Date` header is trusted without a fresh answer. */
const CLOCK_TRUST_MS = 10 * 60_000;

export class HttpPosApi implements PosApi {
  private readonly baseUrl: string;
  private readonly token: string;
  private readonly timeoutMs: number;
  private readonly paymentTimeoutMs: number;
  private readonly fetchImpl: typeof fetch;
  private readonly now: () => number;
  private clock: { offsetMs: number; at: number } | null = null;

  constructor(options: HttpPosApiOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.token = options.token;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.paymentTimeoutMs = options.paymentTimeoutMs ?? 60_000;
    this.fetchImpl = options.fetch ?? fetch;
    this.now = options.now ?? Date.now;
  }

  async health(): Promise<void> {
    await this.call('GET', '/healthz', undefined, { auth: false, timeoutMs: 3_000 });
  }

  terminalInfo(): Promise<TerminalInfo> {
    return this.call<TerminalInfo>('GET', '/api/pos/terminal');
  }

  signIn(request: SignInRequest): Promise<StaffSession> {
    return this.call<StaffSession>('POST', '/api/pos/staff/session', request);
  }

  lookupProduct(barcode: string): Promise<Product> {
    return this.call<Product>('GET', `/api/pos/products/${encodeURIComponent(barcode)}`);
  }

  async searchProducts(q: string): Promise<Product[]> {
    const params = new URLSearchParams({ q, limit: '20' });
    return (await this.call<SearchProductsResponse>('GET', `/api/pos/products?${params}`)).products;
  }

  async quickKeys(): Promise<Product[]> {
    return (await this.call<QuickKeysResponse>('GET', '/api/pos/quick-keys')).products;
  }

  lookupMember(query: MemberQuery): Promise<MemberView> {
    return this.call<MemberView>('POST', '/api/pos/members/lookup', query);
  }

  preview(request: PreviewRequest): Promise<PreviewResult> {
    return this.call<PreviewResult>('POST', '/api/pos/preview', request);
  }

  createOrder(request: CreateOrderRequest): Promise<OrderView> {
    const timeoutMs = request.payment.method === 'wechat_code' ? this.paymentTimeoutMs : this.timeoutMs;
    return this.call<OrderView>('POST', '/api/pos/orders', request, { timeoutMs });
  }

  orderStatus(orderId: number): Promise<OrderView> {
    return this.call<OrderView>('GET', `/api/pos/orders/${orderId}`);
  }

  cancelOrder(orderId: number): Promise<OrderView> {
    return this.call<OrderView>('POST', `/api/pos/orders/${orderId}/cancel`, {});
  }

  findOrder(code: string): Promise<OrderDetail> {
    return this.call<OrderDetail>('GET', `/api/pos/receipts/${encodeURIComponent(code)}`);
  }

  refund(orderId: number, request: RefundRequest): Promise<RefundView> {
    return this.call<RefundView>('POST', `/api/pos/orders/${orderId}/refunds`, request);
  }

  redeemVoucher(code: string): Promise<VoucherRedemption> {
    return this.call<VoucherRedemption>('POST', '/api/pos/vouchers/redeem', { code });
  }

  shiftReport(shiftId: string): Promise<ShiftReport> {
    return this.call<ShiftReport>('GET', `/api/pos/shifts/${encodeURIComponent(shiftId)}/report`);
  }

  closeShift(shiftId: string, request: CloseShiftRequest): Promise<ShiftReport> {
    return this.call<ShiftReport>('POST', `/api/pos/shifts/${encodeURIComponent(shiftId)}/close`, request);
  }

  serverNow(): Date | null {
    const now = this.now();
    if (!this.clock || now - this.clock.at > CLOCK_TRUST_MS) return null;
    return new Date(now + this.clock.offsetMs);
  }

  private async call<T>(
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
    options: { auth?: boolean; timeoutMs?: number } = {},
  ): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (options.auth !== false) headers.authorization = `Bearer ${this.token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    const sentAt = this.now();
    let response: Response;
    try {
      response = await this.fetchImpl(`${this.baseUrl}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (cause) {
      const name = cause instanceof Error ? cause.name : '';
      if (name === 'TimeoutError' || name === 'AbortError') {
        throw new PosApiError('TIMEOUT', `no answer from ${this.baseUrl} within ${timeoutMs} ms`, { cause });
      }
      throw new PosApiError('NETWORK', `cannot reach ${this.baseUrl}: ${describe(cause)}`, { cause });
    }
    this.noteServerDate(response.headers.get('date'), sentAt);
    const text = await response.text().catch(() => '');
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    if (response.ok) {
      if (json === undefined && method !== 'GET' && response.status === 204) return undefined as T;
      if (json === undefined || typeof json !== 'object' || json === null) {
        throw new PosApiError('BAD_RESPONSE', `${method} ${path}: expected JSON, got ${response.status}`, { status: response.status });
      }
      return json as T;
    }
    throw errorFrom(response.status, json, method, path);
  }

  private noteServerDate(header: string | null, sentAt: number): void {
    if (!header) return;
    const server = Date.parse(header);
    if (Number.isNaN(server)) return;
    const receivedAt = this.now();
    // The header has 1 s resolution: aim at the middle of the second and of the round trip.
    this.clock = { offsetMs: server + 500 - (sentAt + receivedAt) / 2, at: receivedAt };
  }
}

function errorFrom(status: number, json: unknown, method: string, path: string): PosApiError {
  const body = (json as { error?: { code?: unknown; message?: unknown; field?: unknown } } | undefined)?.error;
  if (!body || typeof body.code !== 'string') {
    return new PosApiError('BAD_RESPONSE', `${method} ${path}: HTTP ${status}`, { status });
  }
  const message = typeof body.message === 'string' ? body.message : body.code;
  // The server's router answers a path it does not know with NOT_FOUND "no route for …": a server older
  // than this kiosk, not a missing record (the only place the kiosk reads a message).
  if (status === 404 && body.code === 'NOT_FOUND' && message.startsWith('no route for')) {
    return new PosApiError('ENDPOINT_MISSING', `${method} ${path} is not on this server (older than the kiosk?)`, { status });
  }
  return new PosApiError(body.code as PosErrorCode, message, {
    status,
    field: typeof body.field === 'string' ? body.field : undefined,
  });
}

function describe(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as Error & { cause?: unknown }).cause;
    return cause instanceof Error ? `${err.message} (${cause.message})` : err.message;
  }
  return String(err);
}

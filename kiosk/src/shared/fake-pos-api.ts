/**
 * An in-memory PosApi that behaves like the server where the kiosk depends on it: a repeated
 * clientOrderId returns the order made the first time, cash orders are paid at once, WeChat orders wait
 * for `pay()`. It can be taken down (`down = true`: every call fails as unreachable) and made to fail
 * the next calls with given errors. For the kiosk's tests and the test/ package.
 */
import type {
  CloseShiftRequest,
  CreateOrderRequest,
  MemberQuery,
  MemberView,
  OrderDetail,
  OrderView,
  PosApi,
  PreviewRequest,
  PreviewResult,
  Product,
  RefundRequest,
  RefundView,
  ShiftReport,
  SignInRequest,
  StaffSession,
  TerminalInfo,
  VoucherRedemption,
} from './pos-api.js';
import { PosApiError } from './pos-api.js';

export const FAKE_PRODUCTS: Product[] = [
  { sku: 'OJ', barcode: '6901234567892', name: '鲜榨橙汁', unitPriceFen: 1500 },
  { sku: 'APPLE', barcode: '6900000001011', name: '红富士苹果 500g', unitPriceFen: 990, category: 'fresh' },
];

export const FAKE_MEMBER: MemberView = {
  memberId: 42,
  maskedName: '王**',
  maskedPhone: '139****9000',
  tier: { code: 'SILVER', name: '白银' },
  available: 1200,
  pending: 30,
  tierProgress: '再消费￥120.00升级为黄金',
};

export class FakePosApi implements PosApi {
  /** Every call fails as the network would (NETWORK). */
  down = false;
  /** Thrown (in order) by the next calls of any kind, before anything else happens; null lets that call through. */
  readonly failures: (PosApiError | null)[] = [];
  readonly calls: { method: string; arg?: unknown }[] = [];
  readonly createRequests: CreateOrderRequest[] = [];
  /** Orders by clientOrderId, in creation order. */
  readonly orders = new Map<string, OrderView & { request: CreateOrderRequest }>();
  readonly refunds = new Map<string, RefundView>();
  clock = new Date('2026-05-01T04:00:00Z');
  private nextId = 1000;

  private async enter(method: string, arg?: unknown): Promise<void> {
    this.calls.push({ method, arg });
    await Promise.resolve();
    if (this.down) throw new PosApiError('NETWORK', 'connect ECONNREFUSED');
    const failure = this.failures.shift();
    if (failure) throw failure;
  }

  /** Distinct orders the server made (the exactly-once check). */
  get orderCount(): number {
    return this.orders.size;
  }

  async health(): Promise<void> {
    await this.enter('health');
  }

  serverNow(): Date | null {
    return this.down ? null : this.clock;
  }

  async terminalInfo(): Promise<TerminalInfo> {
    await this.enter('terminalInfo');
    return {
      terminalId: 7,
      name: 'T07',
      store: { code: 'S001', name: '鲜果坊 南京西路店', address: '上海市静安区南京西路1001号' },
      program: { code: 'JIFEN', name: '集团通用积分', pointValueFen: 100, maxPointsSharePercent: 50 },
      serverTime: this.clock.toISOString(),
    };
  }

  async signIn(request: SignInRequest): Promise<StaffSession> {
    await this.enter('signIn', request);
    if (request.username !== 'zhang' || request.pin !== '2468') throw new PosApiError('INVALID_CREDENTIALS', 'bad PIN', { status: 401 });
    return {
      staff: { id: 3, username: 'zhang', name: '张三', role: 'cashier' },
      shift: { shiftId: 'SH-1', openedAt: this.clock.toISOString(), openingFloatFen: request.openingFloatFen ?? 0, resumed: false },
    };
  }

  async lookupProduct(barcode: string): Promise<Product> {
    await this.enter('lookupProduct', barcode);
    const p = FAKE_PRODUCTS.find((x) => x.barcode === barcode || x.sku === barcode);
    if (!p) throw new PosApiError('NOT_FOUND', 'no product', { status: 404 });
    return p;
  }

  async searchProducts(q: string): Promise<Product[]> {
    await this.enter('searchProducts', q);
    return FAKE_PRODUCTS.filter((p) => p.name.includes(q));
  }

  async quickKeys(): Promise<Product[]> {
    await this.enter('quickKeys');
    return FAKE_PRODUCTS;
  }

  async lookupMember(query: MemberQuery): Promise<MemberView> {
    await this.enter('lookupMember', query);
    if ('phone' in query && query.phone !== '13900139000') throw new PosApiError('MEMBER_NOT_FOUND', 'no member', { status: 404 });
    return { ...FAKE_MEMBER, ref: 'JFK1.ref' };
  }

  async preview(request: PreviewRequest): Promise<PreviewResult> {
    await this.enter('preview', request);
    const total = request.lines.reduce((s, l) => s + l.qty * l.unitPriceFen, 0);
    const maxPoints = Math.min(FAKE_MEMBER.available, Math.floor(total / 2));
    return {
      pointsEarned: Math.floor(total / 100),
      trace: [`消费￥${(total / 100).toFixed(2)}`],
      redeem: { maxPoints, maxFen: maxPoints, unitPoints: 1 },
    };
  }

  async createOrder(request: CreateOrderRequest): Promise<OrderView> {
    await this.enter('createOrder', request);
    this.createRequests.push(structuredClone(request));
    const existing = this.orders.get(request.clientOrderId);
    if (existing) return this.view(existing);
    const amountFen = request.lines.reduce((s, l) => s + l.qty * l.unitPriceFen, 0);
    const pointsPaid = request.redeemPoints ?? 0;
    const id = this.nextId++;
    const paid = request.payment.method === 'cash' || request.payment.method === 'wechat_code';
    const order = {
      request: structuredClone(request),
      orderId: id,
      outTradeNo: `JF${id}`,
      status: paid ? ('paid' as const) : ('pending' as const),
      amountFen,
      payableFen: amountFen - pointsPaid,
      pointsPaid,
      memberId: request.member ? FAKE_MEMBER.memberId : null,
      pointsEarned: request.member && paid ? Math.floor((amountFen - pointsPaid) / 100) : 0,
      pointsPreview: request.member ? Math.floor((amountFen - pointsPaid) / 100) : 0,
      ...(request.payment.method === 'wechat_native' ? { codeUrl: `weixin://wxpay/bizpayurl?pr=${id}` } : {}),
      ...(!request.member && paid
        ? { receiptCode: `JFR1.${id.toString(36)}.${(this.clock.getTime() + 7 * 86_400_000).toString(36)}.mac` }
        : {}),
      placedAt: this.clock.toISOString(),
    };
    this.orders.set(request.clientOrderId, order);
    return this.view(order);
  }

  /** The shopper pays a pending WeChat order. */
  pay(clientOrderId: string): void {
    const o = this.orders.get(clientOrderId);
    if (!o) throw new Error(`no order ${clientOrderId}`);
    o.status = 'paid';
    o.pointsEarned = o.pointsPreview;
  }

  async orderStatus(orderId: number): Promise<OrderView> {
    await this.enter('orderStatus', orderId);
    return this.view(this.byId(orderId));
  }

  async cancelOrder(orderId: number): Promise<OrderView> {
    await this.enter('cancelOrder', orderId);
    const o = this.byId(orderId);
    if (o.status === 'paid') throw new PosApiError('ORDER_NOT_PAYABLE', 'paid', { status: 409 });
    o.status = 'closed';
    return this.view(o);
  }

  async findOrder(code: string): Promise<OrderDetail> {
    await this.enter('findOrder', code);
    const o = [...this.orders.values()].find((x) => x.outTradeNo === code || x.receiptCode === code);
    if (!o) throw new PosApiError('ORDER_NOT_FOUND', 'no order', { status: 404 });
    const refundedFen = [...this.refunds.values()].filter((r) => r.orderId === o.orderId).reduce((s, r) => s + r.amountFen, 0);
    return {
      ...this.view(o),
      paymentMethod: o.request.payment.method,
      lines: o.request.lines,
      refundedFen,
      refundedLines: [],
      placedAt: o.placedAt ?? this.clock.toISOString(),
    };
  }

  async refund(orderId: number, request: RefundRequest): Promise<RefundView> {
    await this.enter('refund', { orderId, request });
    const key = request.outRefundNo ?? `auto-${this.refunds.size}`;
    const existing = this.refunds.get(key);
    if (existing) return existing;
    const o = this.byId(orderId);
    const amount = request.amountFen ?? o.amountFen;
    const refund: RefundView = {
      outRefundNo: key,
      orderId,
      status: 'success',
      amountFen: amount,
      wechatFen: Math.floor((o.payableFen * amount) / o.amountFen),
      pointsReturned: Math.floor((o.pointsPaid * amount) / o.amountFen),
      pointsReversed: Math.floor((o.pointsEarned * amount) / o.amountFen),
    };
    this.refunds.set(key, refund);
    o.status = 'partially_refunded';
    return refund;
  }

  async redeemVoucher(code: string): Promise<VoucherRedemption> {
    await this.enter('redeemVoucher', code);
    if (code.endsWith('.used')) throw new PosApiError('CODE_USED', 'used', { status: 409 });
    return { voucherId: 9, rewardName: '鲜榨橙汁兑换券', memberId: 42, usedAt: this.clock.toISOString() };
  }

  async shiftReport(shiftId: string): Promise<ShiftReport> {
    await this.enter('shiftReport', shiftId);
    return this.report(shiftId, null);
  }

  async closeShift(shiftId: string, request: CloseShiftRequest): Promise<ShiftReport> {
    await this.enter('closeShift', { shiftId, request });
    return this.report(shiftId, request.countedCashFen);
  }

  private report(shiftId: string, counted: number | null): ShiftReport {
    const cash = [...this.orders.values()].filter((o) => o.request.payment.method === 'cash' && o.status !== 'closed');
    const cashFen = cash.reduce((s, o) => s + o.payableFen, 0);
    const expected = 20000 + cashFen;
    return {
      shiftId,
      terminalId: 7,
      staff: { id: 3, name: '张三' },
      openedAt: this.clock.toISOString(),
      closedAt: counted === null ? null : this.clock.toISOString(),
      openingFloatFen: 20000,
      sales: { count: this.orders.size, amountFen: cashFen, byMethod: { cash: cashFen, wechat: 0, points: 0 } },
      refunds: { count: 0, amountFen: 0, byMethod: { cash: 0, wechat: 0, points: 0 } },
      points: { issued: 0, taken: 0, reversed: 0, returned: 0 },
      cashExpectedFen: expected,
      cashCountedFen: counted,
      cashDifferenceFen: counted === null ? null : counted - expected,
    };
  }

  private byId(orderId: number): OrderView & { request: CreateOrderRequest } {
    const o = [...this.orders.values()].find((x) => x.orderId === orderId);
    if (!o) throw new PosApiError('ORDER_NOT_FOUND', 'no order', { status: 404 });
    return o;
  }

  private view(o: OrderView & { request: CreateOrderRequest }): OrderView {
    const { request: _request, ...view } = o;
    return { ...view };
  }
}

/**
 * Until the server has the PROPOSED endpoints (shared/pos-api.ts), this decorator answers the ones it
 * lacks from local data, so the kiosk can be used against today's server (the sandbox). It acts only
 * on ENDPOINT_MISSING — the server's "no route" answer — so once an endpoint exists on the server, the
 * server's answer is used and the local one never again:
 *
 * - sign-in: staff given to the host (`--staff user:pin[:name]`); a shift id made up locally;
 * - terminal info: the store's name from the settings, the demo program's point value;
 * - products, search, quick keys: a local catalogue (`--catalogue file.json`, default the demo one);
 * - member lookup: the member is taken unverified (no name, tier or points shown; the order settles them);
 * - cancelling a QR order: left to the server's expiry (unpaid orders close after 15 minutes);
 * - finding an order for a refund: by receipt code or order number, lines from this till's sales log.
 *
 * Points preview, vouchers and shift reports have no local stand-in here (the UI shows '—', an error,
 * and this till's own report respectively).
 */
import { timingSafeEqual } from 'node:crypto';
import type { KioskConfig } from '../ipc-contract.js';
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
} from '../shared/pos-api.js';
import { isPosApiError, PosApiError } from '../shared/pos-api.js';
import type { SalesLog } from '../main/sales-log.js';
import { receiptCodeOrderId } from '../main/receipts.js';

export interface InterimStaff {
  username: string;
  pin: string;
  name: string;
}

export interface CatalogueProduct extends Product {
  quickKey?: boolean;
}

/** The demo catalogue (鲜果坊, the sandbox's store S001). Barcodes carry valid EAN-13 check digits. */
export const DEMO_CATALOGUE: readonly CatalogueProduct[] = [
  { sku: '6901234567892', barcode: '6901234567892', name: '鲜榨橙汁', unitPriceFen: 1500, unit: '瓶', quickKey: true },
  { sku: 'F-APPLE', barcode: '6900000001011', name: '红富士苹果 500g', unitPriceFen: 990, category: 'fresh', quickKey: true },
  { sku: 'F-BANANA', barcode: '6900000001028', name: '香蕉 500g', unitPriceFen: 650, category: 'fresh', quickKey: true },
  { sku: 'F-GRAPE', barcode: '6900000001035', name: '巨峰葡萄 500g', unitPriceFen: 1590, category: 'fresh', quickKey: true },
  { sku: 'F-CUT', barcode: '6900000001042', name: '鲜切果盒', unitPriceFen: 1800, category: 'fresh', quickKey: true },
  { sku: 'D-WATER', barcode: '6900000001059', name: '矿泉水 550ml', unitPriceFen: 200, unit: '瓶', quickKey: true },
  { sku: 'D-COLA', barcode: '6900000001066', name: '可口可乐 330ml', unitPriceFen: 350, unit: '罐' },
  { sku: 'D-YOGURT', barcode: '6900000001073', name: '原味酸奶', unitPriceFen: 450, unit: '杯' },
  { sku: 'G-NUTS', barcode: '6900000001080', name: '每日坚果礼盒', unitPriceFen: 12800, unit: '盒' },
  { sku: 'G-TEA', barcode: '6900000001097', name: '茶语 龙井礼盒', unitPriceFen: 26800, unit: '盒' },
  { sku: 'BAG', barcode: '6900000001103', name: '环保购物袋', unitPriceFen: 50, quickKey: true },
];

/** Only for a sandbox on this machine: a demo cashier when no `--staff` was given. */
export const DEMO_STAFF: InterimStaff = { username: 'cashier', pin: '1234', name: '演示收银员' };

export interface InterimOptions {
  staff: readonly InterimStaff[];
  catalogue: readonly CatalogueProduct[];
  config: () => KioskConfig;
  salesLog: SalesLog;
  now?: () => Date;
  log?: (line: string) => void;
}

export class InterimPosApi implements PosApi {
  private readonly warned = new Set<string>();
  private readonly shifts = new Map<string, StaffSession['shift']>();
  private readonly now: () => Date;

  constructor(
    private readonly inner: PosApi,
    private readonly options: InterimOptions,
  ) {
    this.now = options.now ?? (() => new Date());
  }

  health(): Promise<void> {
    return this.inner.health();
  }

  serverNow(): Date | null {
    return this.inner.serverNow();
  }

  createOrder(request: CreateOrderRequest): Promise<OrderView> {
    return this.inner.createOrder(request);
  }

  orderStatus(orderId: number): Promise<OrderView> {
    return this.inner.orderStatus(orderId);
  }

  refund(orderId: number, request: RefundRequest): Promise<RefundView> {
    return this.inner.refund(orderId, request);
  }

  preview(request: PreviewRequest): Promise<PreviewResult> {
    return this.inner.preview(request);
  }

  redeemVoucher(code: string): Promise<VoucherRedemption> {
    return this.inner.redeemVoucher(code);
  }

  shiftReport(shiftId: string): Promise<ShiftReport> {
    return this.inner.shiftReport(shiftId);
  }

  /** No local stand-in (the shift module reports from the till's log), but a locally opened shift ends here. */
  async closeShift(shiftId: string, request: CloseShiftRequest): Promise<ShiftReport> {
    try {
      return await this.inner.closeShift(shiftId, request);
    } catch (err) {
      if (isPosApiError(err) && err.code === 'ENDPOINT_MISSING') {
        for (const [user, shift] of this.shifts) if (shift.shiftId === shiftId) this.shifts.delete(user);
      }
      throw err;
    }
  }

  terminalInfo(): Promise<TerminalInfo> {
    return this.fallback(
      'terminalInfo',
      () => this.inner.terminalInfo(),
      () => {
        const c = this.options.config();
        return {
          terminalId: 0,
          name: c.terminalLabel,
          store: { code: '', name: c.storeName },
          // The demo program JIFEN: 100 points = ￥1, at most half an order.
          program: { code: 'JIFEN', name: '积分', pointValueFen: 100, maxPointsSharePercent: 50 },
          serverTime: this.now().toISOString(),
        };
      },
    );
  }

  signIn(request: SignInRequest): Promise<StaffSession> {
    return this.fallback(
      'signIn',
      () => this.inner.signIn(request),
      () => {
        const staff = this.options.staff.find((s) => s.username === request.username);
        const ok = staff !== undefined && sameText(staff.pin, request.pin);
        if (!staff || !ok) throw new PosApiError('INVALID_CREDENTIALS', 'unknown user or wrong PIN', { status: 401 });
        const open = this.shifts.get(staff.username);
        if (open) return { staff: this.staffView(staff), shift: { ...open, resumed: true } };
        const at = this.now();
        const shift = {
          shiftId: `L-${this.options.config().terminalLabel}-${at.getTime().toString(36)}`,
          openedAt: at.toISOString(),
          openingFloatFen: request.openingFloatFen ?? 0,
          resumed: false,
        };
        this.shifts.set(staff.username, shift);
        return { staff: this.staffView(staff), shift };
      },
    );
  }

  lookupProduct(barcode: string): Promise<Product> {
    return this.fallback(
      'lookupProduct',
      () => this.inner.lookupProduct(barcode),
      () => {
        const p = this.options.catalogue.find((c) => c.barcode === barcode || c.sku === barcode);
        if (!p) throw new PosApiError('NOT_FOUND', `no product ${barcode}`, { status: 404 });
        return product(p);
      },
    );
  }

  searchProducts(q: string): Promise<Product[]> {
    return this.fallback(
      'searchProducts',
      () => this.inner.searchProducts(q),
      () => {
        const needle = q.trim().toLowerCase();
        return this.options.catalogue
          .filter((p) => p.name.toLowerCase().includes(needle) || p.sku.toLowerCase().includes(needle) || p.barcode?.includes(needle))
          .slice(0, 20)
          .map(product);
      },
    );
  }

  quickKeys(): Promise<Product[]> {
    return this.fallback(
      'quickKeys',
      () => this.inner.quickKeys(),
      () => this.options.catalogue.filter((p) => p.quickKey).map(product),
    );
  }

  lookupMember(query: MemberQuery): Promise<MemberView> {
    return this.fallback(
      'lookupMember',
      () => this.inner.lookupMember(query),
      () => {
        const phone = 'phone' in query ? query.phone : '';
        return {
          memberId: 0,
          maskedName: '',
          maskedPhone: phone ? `${phone.slice(0, 3)}****${phone.slice(-4)}` : '****',
          tier: { code: '', name: '' },
          available: 0,
          pending: 0,
          unverified: true,
        };
      },
    );
  }

  cancelOrder(orderId: number): Promise<OrderView> {
    // The server closes an unpaid order itself after 15 minutes (and releases points held for it).
    return this.fallback(
      'cancelOrder',
      () => this.inner.cancelOrder(orderId),
      () => this.inner.orderStatus(orderId),
    );
  }

  findOrder(code: string): Promise<OrderDetail> {
    return this.fallback(
      'findOrder',
      () => this.inner.findOrder(code),
      async () => {
        const byCode = receiptCodeOrderId(code);
        const logged = this.options.salesLog.saleByOrder(byCode !== null ? { orderId: byCode } : { outTradeNo: code.trim() });
        const orderId = byCode ?? logged?.order?.orderId;
        if (orderId === undefined) throw new PosApiError('ORDER_NOT_FOUND', `no order ${code} on this till`, { status: 404 });
        const order = await this.inner.orderStatus(orderId);
        if (!logged)
          throw new PosApiError('ORDER_NOT_FOUND', `order ${orderId} was not sold at this till: its lines are unknown here`, {
            status: 404,
          });
        const refundedFen = this.options.salesLog.refundsOf(orderId).reduce((s, r) => s + r.refund.amountFen, 0);
        return {
          ...order,
          paymentMethod: logged.method,
          lines: logged.request.lines,
          refundedFen,
          placedAt: logged.at,
          ...(logged.receipt.member
            ? {
                member: {
                  maskedPhone: logged.receipt.member.phone,
                  ...(logged.receipt.member.tierName ? { tierName: logged.receipt.member.tierName } : {}),
                },
              }
            : {}),
        };
      },
    );
  }

  private staffView(staff: InterimStaff): StaffSession['staff'] {
    const id = [...staff.username].reduce((h, c) => (h * 31 + c.charCodeAt(0)) % 1_000_000, 7);
    return { id, username: staff.username, name: staff.name, role: 'cashier' };
  }

  private async fallback<T>(name: string, primary: () => Promise<T>, local: () => T | Promise<T>): Promise<T> {
    try {
      return await primary();
    } catch (err) {
      if (!isPosApiError(err) || err.code !== 'ENDPOINT_MISSING') throw err;
      if (!this.warned.has(name)) {
        this.warned.add(name);
        this.options.log?.(`interim: the server has no endpoint for ${name} yet; answering locally`);
      }
      return local();
    }
  }
}

function product(p: CatalogueProduct): Product {
  const { quickKey: _quickKey, ...rest } = p;
  return rest;
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** `user:pin[:name]` (the host's --staff flag). */
export function parseStaffFlag(text: string): InterimStaff {
  const [username, pin, ...name] = text.split(':');
  if (!username || !pin || !/^\d{4,8}$/.test(pin)) throw new Error(`--staff ${text}: expected user:pin[:name] with a 4–8 digit PIN`);
  return { username, pin, name: name.join(':') || username };
}

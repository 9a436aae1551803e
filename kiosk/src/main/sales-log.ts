/**
 * This till's own history: every sale and refund it completed, with the receipt it printed. Used for
 * reprints (重印), the refund screen's lines when the server cannot tell them, and the shift report
 * when the server cannot make one. Not the record of truth (the server is, and the offline journal
 * for unsent sales), so it is kept for RETENTION_DAYS only.
 */
import type { ByMethod, CreateOrderRequest, OrderView, PosPaymentMethod, RefundView, ShiftReport } from '../shared/pos-api.js';
import type { JsonRefundSlip, JsonSaleReceipt } from '../ipc-contract.js';
import { AppendLog } from '../host/append-log.js';

export interface LoggedSale {
  type: 'sale';
  clientOrderId: string;
  at: string;
  deviceTime: boolean;
  queued: boolean;
  shiftId: string | null;
  staffId: number | null;
  method: PosPaymentMethod;
  order: OrderView | null;
  request: CreateOrderRequest;
  amountFen: number;
  payableFen: number;
  pointsPaid: number;
  pointsFen: number;
  tenderedFen: number | null;
  changeFen: number | null;
  receipt: JsonSaleReceipt;
}

export interface LoggedRefund {
  type: 'refund';
  refundId: string;
  at: string;
  shiftId: string | null;
  staffId: number | null;
  orderId: number;
  outTradeNo: string;
  method: PosPaymentMethod;
  cashFen: number;
  refund: RefundView;
  receipt: JsonRefundSlip;
}

export type SalesLogEntry = LoggedSale | LoggedRefund;

const RETENTION_DAYS = 62;

export class SalesLog {
  private constructor(
    private readonly log: AppendLog<SalesLogEntry> | null,
    private readonly entries: SalesLogEntry[],
  ) {}

  /** `path: null` keeps it in memory (tests). */
  static async open(path: string | null, now: Date = new Date()): Promise<SalesLog> {
    if (!path) return new SalesLog(null, []);
    const { log, records } = await AppendLog.open<SalesLogEntry>(path);
    const cutoff = now.getTime() - RETENTION_DAYS * 86_400_000;
    return new SalesLog(
      log,
      records.filter((r) => Date.parse(r.at) >= cutoff),
    );
  }

  async add(entry: SalesLogEntry): Promise<void> {
    this.entries.push(entry);
    await this.log?.append(entry);
  }

  sale(clientOrderId: string): LoggedSale | null {
    for (let i = this.entries.length - 1; i >= 0; i--) {
      const e = this.entries[i];
      if (e?.type === 'sale' && e.clientOrderId === clientOrderId) return e;
    }
    return null;
  }

  ofShift(shiftId: string): SalesLogEntry[] {
    return this.entries.filter((e) => e.shiftId === shiftId);
  }

  async close(): Promise<void> {
    await this.log?.close();
  }
}

const methodKey = (m: PosPaymentMethod): 'cash' | 'wechat' => (m === 'cash' ? 'cash' : 'wechat');

/** A shift report from this till's log alone (the server cannot make one): same shape as the server's. */
export function localShiftReport(
  entries: readonly SalesLogEntry[],
  shift: { shiftId: string; terminalId: number; staff: { id: number; name: string }; openedAt: string; openingFloatFen: number },
  close: { closedAt: string; countedCashFen: number } | null,
): ShiftReport {
  const sales = { count: 0, amountFen: 0, byMethod: { cash: 0, wechat: 0, points: 0 } as ByMethod };
  const refunds = { count: 0, amountFen: 0, byMethod: { cash: 0, wechat: 0, points: 0 } as ByMethod };
  const points = { issued: 0, taken: 0, reversed: 0, returned: 0 };
  for (const e of entries) {
    if (e.type === 'sale') {
      sales.count++;
      sales.amountFen += e.amountFen;
      sales.byMethod[methodKey(e.method)] += e.payableFen;
      sales.byMethod.points += e.pointsFen;
      points.taken += e.pointsPaid;
      points.issued += e.order?.pointsEarned ?? 0;
    } else {
      refunds.count++;
      refunds.amountFen += e.refund.amountFen;
      // The server's wechatFen is the money part of the refund; for a cash order it goes back in cash.
      refunds.byMethod[methodKey(e.method)] += e.refund.wechatFen;
      refunds.byMethod.points += e.refund.amountFen - e.refund.wechatFen;
      points.reversed += e.refund.pointsReversed;
      points.returned += e.refund.pointsReturned;
    }
  }
  const cashExpectedFen = shift.openingFloatFen + sales.byMethod.cash - refunds.byMethod.cash;
  return {
    shiftId: shift.shiftId,
    terminalId: shift.terminalId,
    staff: shift.staff,
    openedAt: shift.openedAt,
    closedAt: close?.closedAt ?? null,
    openingFloatFen: shift.openingFloatFen,
    sales,
    refunds,
    points,
    cashExpectedFen,
    cashCountedFen: close?.countedCashFen ?? null,
    cashDifferenceFen: close ? close.countedCashFen - cashExpectedFen : null,
  };
}

/**
 * The basket being sold (pure data, no DOM): lines, the member, the points preview and the points toggle.
 * One `clientOrderId` per sale, chosen when the sale starts and kept across retries of its payment.
 */
import type { CheckoutRequest, SessionView } from '../ipc-contract.js';
import { maxRedeemablePoints, pointsToFen, totalFen } from '../shared/money.js';
import type { MemberQuery, MemberView, OrderLineInput, PreviewResult, Product } from '../shared/pos-api.js';

export interface SaleLine {
  sku: string;
  name: string;
  unitPriceFen: number;
  qty: number;
  category?: string;
  unit?: string;
}

export function newClientOrderId(): string {
  const bytes = new Uint8Array(10);
  globalThis.crypto.getRandomValues(bytes);
  return `K${Date.now().toString(36)}-${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

export class Sale {
  /**
   * The server answers a clientOrderId it has seen with the order it made then, whatever the basket
   * says now: so after an attempt that failed or was cancelled the sale takes a new one (renew), and
   * only "payment unknown" keeps it (the retry must find the same order).
   */
  clientOrderId: string;
  lines: SaleLine[] = [];
  member: { query: MemberQuery; view: MemberView } | null = null;
  preview: PreviewResult | null = null;
  usePoints = false;

  constructor(clientOrderId: string = newClientOrderId()) {
    this.clientOrderId = clientOrderId;
  }

  renew(): void {
    this.clientOrderId = newClientOrderId();
  }

  /** Scanning the same product again adds one to its line. */
  addProduct(p: Product): SaleLine {
    const existing = this.lines.find((l) => l.sku === p.sku);
    if (existing) {
      existing.qty = Math.min(existing.qty + 1, 9999);
      return existing;
    }
    const line: SaleLine = { sku: p.sku, name: p.name, unitPriceFen: p.unitPriceFen, qty: 1 };
    if (p.category) line.category = p.category;
    if (p.unit) line.unit = p.unit;
    this.lines.push(line);
    return line;
  }

  setQty(sku: string, qty: number): void {
    if (qty <= 0) {
      this.remove(sku);
      return;
    }
    const line = this.lines.find((l) => l.sku === sku);
    if (line) line.qty = Math.min(Math.floor(qty), 9999);
  }

  remove(sku: string): void {
    this.lines = this.lines.filter((l) => l.sku !== sku);
  }

  totalFen(): number {
    return totalFen(this.lines);
  }

  itemCount(): number {
    return this.lines.reduce((n, l) => n + l.qty, 0);
  }

  /** The points this sale would spend: the preview's maximum, else the local rule; 0 unless the toggle is on. */
  redeemPoints(program: SessionView['program']): number {
    if (!this.usePoints) return 0;
    return this.maxPoints(program);
  }

  maxPoints(program: SessionView['program']): number {
    const view = this.member?.view;
    if (!view || view.unverified || !program) return 0;
    if (this.preview) return this.preview.redeem.maxPoints;
    return maxRedeemablePoints(this.totalFen(), view.available, program.pointValueFen, program.maxPointsSharePercent);
  }

  pointsFen(program: SessionView['program']): number {
    return program ? pointsToFen(this.redeemPoints(program), program.pointValueFen) : 0;
  }

  payableFen(program: SessionView['program']): number {
    return this.totalFen() - this.pointsFen(program);
  }

  orderLines(): OrderLineInput[] {
    return this.lines.map((l) => ({
      sku: l.sku,
      name: l.name,
      qty: l.qty,
      unitPriceFen: l.unitPriceFen,
      ...(l.category ? { category: l.category } : {}),
    }));
  }

  checkoutRequest(payment: CheckoutRequest['payment'], program: SessionView['program']): CheckoutRequest {
    const points = this.redeemPoints(program);
    return {
      clientOrderId: this.clientOrderId,
      lines: this.orderLines(),
      ...(this.member ? { member: this.member } : {}),
      ...(points > 0 ? { redeemPoints: points } : {}),
      payment,
    };
  }
}

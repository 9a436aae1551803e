/**
 * The offline queue: cash sales made while the server is unreachable, journaled durably, then posted
 * in order once it is back — each exactly once.
 *
 * - `enqueue()` resolves only after the sale's record is fsync'd (AppendLog): the receipt is printed
 *   and the drawer opened after that, so a sale the cashier took money for is always on disk.
 * - Each sale is posted with its clientOrderId. The server answers a repeated clientOrderId with the
 *   order it already made, so a drain that crashed between the server's answer and the `settled`
 *   record simply asks again and gets the same order: never two.
 * - Strict order: a sale is posted only after every earlier one is settled or rejected, and one drain
 *   runs at a time (one process per data directory: data-lock.ts).
 * - A member the server no longer accepts (a member code that expired while offline) does not lose the
 *   sale: it is posted again without the member, and the record says so. Any other 4xx is a permanent
 *   rejection, kept for a supervisor; the queue goes on. Unreachable or 5xx: stop, retry with backoff.
 */
import type { QueueStatus } from '../ipc-contract.js';
import type { CreateOrderRequest, OrderView, PosApi } from '../shared/pos-api.js';
import { isPosApiError } from '../shared/pos-api.js';
import { AppendLog } from './append-log.js';

export interface QueuedSale {
  clientOrderId: string;
  /** When the cashier made the sale, by the till's clock (printed as 设备时间). */
  deviceTime: string;
  /** Exactly what will be posted (cash, no points spent). */
  request: CreateOrderRequest;
  staffId: number | null;
  shiftId: string | null;
  amountFen: number;
  tenderedFen: number;
}

export type JournalRecord =
  | ({ type: 'sale'; seq: number } & QueuedSale)
  | { type: 'settled'; clientOrderId: string; orderId: number; outTradeNo: string; at: string }
  | { type: 'member_dropped'; clientOrderId: string; code: string; at: string }
  | { type: 'rejected'; clientOrderId: string; code: string; message: string; at: string };

export interface PendingSale extends QueuedSale {
  seq: number;
  memberDropped: boolean;
}

export interface OfflineQueueOptions {
  journalPath: string;
  /** The server API now (it changes with the settings); null while not configured. */
  api: () => PosApi | null;
  /** First retry delay after a failed drain; doubles up to retryMaxMs. Default 2000 / 60000 ms. */
  retryMs?: number;
  retryMaxMs?: number;
  /** While offline, ask the server's /healthz this often. Default 10000 ms; 0 = never. */
  probeMs?: number;
  now?: () => Date;
  log?: (line: string) => void;
}

const MEMBER_CODES = new Set(['MEMBER_NOT_FOUND', 'MEMBER_CODE_EXPIRED', 'MEMBER_CODE_INVALID']);

export class OfflineQueue {
  private readonly pendingSales: PendingSale[] = [];
  private readonly settled = new Map<string, { orderId: number; outTradeNo: string }>();
  private rejectedCount = 0;
  private seq = 0;
  private online = true;
  private lastError: string | null = null;
  private lastSyncAt: string | null = null;
  private draining: Promise<QueueStatus> | null = null;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private probeTimer: ReturnType<typeof setInterval> | null = null;
  private retryDelay: number;
  private closed = false;
  private readonly listeners = new Set<(s: QueueStatus) => void>();
  private readonly now: () => Date;
  private readonly log: (line: string) => void;

  private constructor(
    private readonly journal: AppendLog<JournalRecord>,
    private readonly options: OfflineQueueOptions,
    records: JournalRecord[],
  ) {
    this.now = options.now ?? (() => new Date());
    this.log = options.log ?? (() => undefined);
    this.retryDelay = options.retryMs ?? 2_000;
    const bySale = new Map<string, PendingSale>();
    for (const r of records) {
      switch (r.type) {
        case 'sale': {
          const { type: _type, ...sale } = r;
          if (!bySale.has(r.clientOrderId) && !this.settled.has(r.clientOrderId))
            bySale.set(r.clientOrderId, { ...sale, memberDropped: false });
          this.seq = Math.max(this.seq, r.seq);
          break;
        }
        case 'settled':
          bySale.delete(r.clientOrderId);
          this.settled.set(r.clientOrderId, { orderId: r.orderId, outTradeNo: r.outTradeNo });
          break;
        case 'member_dropped': {
          const s = bySale.get(r.clientOrderId);
          if (s) s.memberDropped = true;
          break;
        }
        case 'rejected':
          if (bySale.delete(r.clientOrderId)) this.rejectedCount++;
          break;
      }
    }
    this.pendingSales.push(...[...bySale.values()].sort((a, b) => a.seq - b.seq));
  }

  static async open(options: OfflineQueueOptions): Promise<OfflineQueue> {
    const { log, records, repairedBytes, skippedLines } = await AppendLog.open<JournalRecord>(options.journalPath);
    const queue = new OfflineQueue(log, options, records);
    if (repairedBytes || skippedLines) {
      queue.log(`offline journal ${options.journalPath}: cut a torn last line (${repairedBytes} bytes), skipped ${skippedLines} bad lines`);
    }
    return queue;
  }

  /** Sales not yet accepted by the server, oldest first. */
  pending(): readonly PendingSale[] {
    return this.pendingSales;
  }

  /** The server's order for a sale the queue already delivered. */
  settledOrder(clientOrderId: string): { orderId: number; outTradeNo: string } | null {
    return this.settled.get(clientOrderId) ?? null;
  }

  status(): QueueStatus {
    return {
      online: this.online,
      pending: this.pendingSales.length,
      rejected: this.rejectedCount,
      draining: this.draining !== null,
      lastError: this.lastError,
      lastSyncAt: this.lastSyncAt,
    };
  }

  isOnline(): boolean {
    return this.online;
  }

  onStatus(listener: (s: QueueStatus) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** Journals a cash sale; resolves once it is on disk. A clientOrderId already in the journal is not added twice. */
  async enqueue(sale: QueuedSale): Promise<PendingSale> {
    const existing = this.pendingSales.find((s) => s.clientOrderId === sale.clientOrderId);
    if (existing) return existing;
    if (sale.request.payment.method !== 'cash' || sale.request.redeemPoints) {
      throw new Error('only cash sales without points can be queued');
    }
    const record: PendingSale = { ...sale, seq: ++this.seq, memberDropped: false };
    await this.journal.append({ type: 'sale', ...sale, seq: record.seq });
    this.pendingSales.push(record);
    this.emit();
    this.scheduleDrain(this.online ? 0 : this.retryDelay);
    return record;
  }

  /** Any call that reached the server: online again, so send the queue. */
  reportOnline(): void {
    if (this.online) return;
    this.online = true;
    this.lastError = null;
    this.retryDelay = this.options.retryMs ?? 2_000;
    this.stopProbe();
    this.emit();
    if (this.pendingSales.length > 0) this.scheduleDrain(0);
  }

  /** A call found the server unreachable. */
  reportUnreachable(message: string): void {
    this.lastError = message;
    if (!this.online) return;
    this.online = false;
    this.emit();
    this.startProbe();
  }

  /** Posts the queue now (single-flight: a second call joins the running drain). */
  drain(): Promise<QueueStatus> {
    if (this.draining) return this.draining;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.draining = this.drainNow().finally(() => {
      this.draining = null;
      this.emit();
    });
    this.emit();
    return this.draining;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.stopProbe();
    await this.draining?.catch(() => undefined);
    await this.journal.close();
  }

  private async drainNow(): Promise<QueueStatus> {
    const api = this.options.api();
    if (!api) return this.status();
    while (!this.closed) {
      const sale = this.pendingSales[0];
      if (!sale) break;
      const request: CreateOrderRequest = { ...sale.request, offlineSale: { deviceTime: sale.deviceTime } };
      if (sale.memberDropped) delete request.member;
      let order: OrderView;
      try {
        order = await api.createOrder(request);
      } catch (err) {
        if (!isPosApiError(err)) throw err;
        if (err.unreachable || err.status === null || err.status >= 500) {
          // Transient (unreachable, a server error): stop here, keep the order, try again later.
          if (err.unreachable) this.reportUnreachable(err.message);
          else this.lastError = err.message;
          this.scheduleDrain(this.retryDelay);
          this.retryDelay = Math.min(this.retryDelay * 2, this.options.retryMaxMs ?? 60_000);
          return this.status();
        }
        if (MEMBER_CODES.has(err.code) && request.member) {
          await this.journal.append({
            type: 'member_dropped',
            clientOrderId: sale.clientOrderId,
            code: err.code,
            at: this.now().toISOString(),
          });
          sale.memberDropped = true;
          this.log(`queued sale ${sale.clientOrderId}: member not accepted (${err.code}); posting it without the member`);
          continue;
        }
        await this.journal.append({
          type: 'rejected',
          clientOrderId: sale.clientOrderId,
          code: err.code,
          message: err.message,
          at: this.now().toISOString(),
        });
        this.pendingSales.shift();
        this.rejectedCount++;
        this.log(`queued sale ${sale.clientOrderId} rejected by the server: ${err.code} ${err.message}`);
        this.emit();
        continue;
      }
      await this.journal.append({
        type: 'settled',
        clientOrderId: sale.clientOrderId,
        orderId: order.orderId,
        outTradeNo: order.outTradeNo,
        at: this.now().toISOString(),
      });
      this.pendingSales.shift();
      this.settled.set(sale.clientOrderId, { orderId: order.orderId, outTradeNo: order.outTradeNo });
      this.lastSyncAt = this.now().toISOString();
      this.retryDelay = this.options.retryMs ?? 2_000;
      this.reportOnline();
      this.emit();
    }
    return this.status();
  }

  private scheduleDrain(delayMs: number): void {
    if (this.closed || this.retryTimer || this.pendingSales.length === 0) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.drain().catch((err: unknown) => this.log(`drain failed: ${String(err)}`));
    }, delayMs);
    this.retryTimer.unref?.();
  }

  private startProbe(): void {
    const every = this.options.probeMs ?? 10_000;
    if (every <= 0 || this.probeTimer || this.closed) return;
    this.probeTimer = setInterval(() => {
      const api = this.options.api();
      if (!api || this.draining) return;
      api.health().then(
        () => this.reportOnline(),
        () => undefined,
      );
    }, every);
    this.probeTimer.unref?.();
  }

  private stopProbe(): void {
    if (this.probeTimer) clearInterval(this.probeTimer);
    this.probeTimer = null;
  }

  private emit(): void {
    const s = this.status();
    for (const l of [...this.listeners]) l(s);
  }
}

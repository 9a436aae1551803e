/**
 * Notifications WeChat → merchant (§3, §8): envelope + AEAD_AES_256_GCM resource, signed per delivery,
 * retried on WeChat's schedule, with the faults the Jifen server must survive (duplicates, loss, delay,
 * probes, "notified before the create-order response", raw-body trap).
 *
 * Decisions:
 * - The envelope (and its ciphertext) is built once per event; every DELIVERY gets a fresh timestamp, nonce and
 *   signature, because SDKs reject timestamps older than 5 minutes and retries span 24 hours.
 * - A delivery succeeds only on HTTP 200/204 received within `deliveryTimeoutMs`; a late 2xx is logged but still
 *   a failure, and the retry is scheduled at the timeout, as WeChat does.
 * - Duplicates are concurrent copies of a round; the event is delivered if any copy succeeds.
 */
import { request as httpRequest, Agent as HttpAgent, type ClientRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest, Agent as HttpsAgent } from 'node:https';
import { performance } from 'node:perf_hooks';
import { randomUUID } from 'node:crypto';
import { aesGcmEncrypt, randomNonce, signResponse } from './crypto.js';
import { rfc3339China, type Clock, type TimerRegistry } from './clock.js';
import { ShareAccumulator, type PlatformKeys } from './auth.js';
import { RETRY_SCHEDULE_MS, type NotifyFaults, type ResolvedConfig } from './config.js';

export interface EnvelopeInput {
  id: string;
  createTime: string;
  eventType: string;
  summary: string;
  originalType: string;
  associatedData: string;
  /** The exact resource plaintext (already serialised in WeChat's key order). */
  plaintext: string;
  apiV3Key: string;
  /** 12 chars; random when omitted. */
  nonce?: string;
  rawBodyTrap?: boolean;
}

/** Escapes every non-ASCII character as \uXXXX (what some JSON encoders do, and what JSON.stringify does not). */
function escapeNonAscii(text: string): string {
  return text.replace(/[^\x20-\x7e\n]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Builds the notification body in the observed key order (§3). Pure: the golden-vector test diffs it. */
export function buildEnvelope(input: EnvelopeInput): { body: string; ciphertext: string; nonce: string } {
  const nonce = input.nonce ?? randomNonce(12);
  const ciphertext = aesGcmEncrypt(input.plaintext, input.apiV3Key, nonce, input.associatedData);
  const envelope = {
    id: input.id,
    create_time: input.createTime,
    resource_type: 'encrypt-resource',
    event_type: input.eventType,
    summary: input.summary,
    resource: {
      original_type: input.originalType,
      algorithm: 'AEAD_AES_256_GCM',
      ciphertext,
      associated_data: input.associatedData,
      nonce,
    },
  };
  // The trap: same JSON value, different bytes. A verifier that re-serialises the parsed body fails.
  const body = input.rawBodyTrap ? escapeNonAscii(JSON.stringify(envelope, null, 2)) : JSON.stringify(envelope);
  return { body, ciphertext, nonce };
}

export type EventState = 'pending' | 'delivered' | 'abandoned' | 'lost' | 'cancelled';

export interface NotificationEvent {
  id: string;
  eventType: string;
  summary: string;
  createTime: string;
  url: string;
  body: string;
  plaintext: string;
  outTradeNo: string;
  outRefundNo?: string;
  state: EventState;
  faults: NotifyFaults;
}

export interface DeliveryRecord {
  seq: number;
  eventId: string;
  eventType: string;
  outTradeNo: string;
  outRefundNo?: string;
  /** 0 = first delivery; 1… = retries after failures, or repeats after a success. */
  round: number;
  /** Index among the concurrent copies of a round (duplicates fault). */
  copy: number;
  url: string;
  headers: Record<string, string>;
  body: string;
  signedWith: 'certificate' | 'publicKey';
  serial: string;
  probe: boolean;
  startedAt: number;
  /** The merchant's HTTP status, even when it came too late; null when there was no answer. */
  status: number | null;
  responseBody?: string;
  /** Time to the answer's status line (even a late one); null while waiting or on a connection error. */
  latencyMs: number | null;
  timedOut: boolean;
  error?: string;
  /** 200/204 within the time limit: what WeChat counts as delivered. */
  success: boolean;
  /** True until the merchant answered, the connection failed, or the late-answer wait ended. */
  pending: boolean;
}

export interface DeliveryFilter {
  outTradeNo?: string;
  outRefundNo?: string;
  eventType?: string;
  eventId?: string;
}

export interface SendInput {
  eventType: string;
  summary: string;
  originalType: string;
  associatedData: string;
  plaintext: string;
  url: string;
  outTradeNo: string;
  outRefundNo?: string;
}

interface Waiter {
  check: () => boolean;
  resolve: () => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

/** After a timeout we still wait this long for a late answer (to log it), then drop the connection. */
const LATE_ANSWER_WAIT_MS = 30_000;

export class Notifier {
  readonly #events: NotificationEvent[] = [];
  readonly #log: DeliveryRecord[] = [];
  readonly #faults = new Map<string, NotifyFaults>();
  readonly #inflight = new Set<ClientRequest>();
  readonly #waiters = new Set<Waiter>();
  readonly #probeGate = new ShareAccumulator();
  readonly #httpAgent = new HttpAgent({ keepAlive: true });
  readonly #httpsAgent = new HttpsAgent({ keepAlive: true });
  #seq = 0;
  /** Bumped by reset()/close(): async delivery loops of an older generation stop at their next step. */
  #generation = 0;
  #closed = false;

  constructor(
    private readonly config: ResolvedConfig,
    private readonly keys: PlatformKeys,
    private readonly clock: Clock,
    private readonly timers: TimerRegistry,
  ) {}

  /** Faults for one out_trade_no / out_refund_no, or the global defaults when `key` is undefined. */
  setFaults(faults: NotifyFaults, key?: string): void {
    if (key === undefined) this.config.settings.faults = { ...faults };
    else this.#faults.set(key, { ...faults });
  }

  clearFaults(key?: string): void {
    if (key === undefined) {
      this.#faults.clear();
      this.config.settings.faults = {};
    } else this.#faults.delete(key);
  }

  /** Effective faults: global defaults, overridden by the order's, then the refund's. */
  faultsFor(...keys: (string | undefined)[]): NotifyFaults {
    let merged: NotifyFaults = { ...this.config.settings.faults };
    for (const k of keys) {
      const f = k === undefined ? undefined : this.#faults.get(k);
      if (f) merged = { ...merged, ...f };
    }
    return merged;
  }

  /**
   * Queues an event. `firstRound` settles when the first delivery round has been answered, has failed or timed
   * out (or at once for a lost notification); orders.ts awaits it for the beforeResponse fault.
   */
  send(input: SendInput): { event: NotificationEvent; firstRound: Promise<void> } {
    const faults = this.faultsFor(input.outTradeNo, input.outRefundNo);
    // UUID-like ids, as in real traffic; the same id is kept across retries of one event.
    const id = randomUUID();
    const createTime = rfc3339China(this.clock.nowMs());
    const { body } = buildEnvelope({
      id,
      createTime,
      eventType: input.eventType,
      summary: input.summary,
      originalType: input.originalType,
      associatedData: input.associatedData,
      plaintext: input.plaintext,
      apiV3Key: this.config.merchant.apiV3Key,
      rawBodyTrap: faults.rawBodyTrap ?? this.config.settings.rawBodyTrap,
    });
    const event: NotificationEvent = {
      id,
      eventType: input.eventType,
      summary: input.summary,
      createTime,
      url: input.url,
      body,
      plaintext: input.plaintext,
      outTradeNo: input.outTradeNo,
      state: faults.lose ? 'lost' : 'pending',
      faults,
    };
    if (input.outRefundNo !== undefined) event.outRefundNo = input.outRefundNo;
    this.#events.push(event);
    this.config.log(`notify ${event.eventType} ${event.outTradeNo} → ${event.url}${faults.lose ? ' (lost)' : ''}`);
    let markFirst: () => void = () => undefined;
    const firstRound = new Promise<void>((resolve) => (markFirst = resolve));
    if (faults.lose) markFirst();
    else void this.#run(event, this.#generation, markFirst).catch((err: unknown) => this.config.log(`notify loop failed: ${String(err)}`));
    this.#notifyWaiters();
    return { event, firstRound };
  }

  async #run(event: NotificationEvent, gen: number, markFirst: () => void): Promise<void> {
    // After reset()/close() the loop stops at its next step; markFirst() so nobody awaits it forever.
    const live = (): boolean => {
      const alive = gen === this.#generation && !this.#closed;
      if (!alive) markFirst();
      return alive;
    };
    // Read on every wait so configure({ timeFactor }) applies to events already in flight.
    const scaled = (ms: number): number => ms * this.config.settings.timeFactor;
    const { faults } = event;
    if (faults.delayMs) await this.timers.sleep(faults.delayMs);
    if (!live()) return;
    let round = 0;
    let ok = await this.#round(event, round, Math.max(1, faults.duplicates ?? 1), faults.probe ?? false);
    markFirst();
    for (let retry = 0; !ok; retry++) {
      const wait = RETRY_SCHEDULE_MS[retry];
      if (wait === undefined) {
        event.state = 'abandoned';
        this.#notifyWaiters();
        return;
      }
      await this.timers.sleep(scaled(wait));
      if (!live()) return;
      ok = await this.#round(event, ++round, 1, false);
    }
    event.state = 'delivered';
    this.#notifyWaiters();
    for (let k = 0; k < (faults.repeats ?? 0); k++) {
      await this.timers.sleep(scaled(RETRY_SCHEDULE_MS[k] ?? 0));
      if (!live()) return;
      await this.#round(event, ++round, 1, false);
    }
  }

  /** One round: `copies` concurrent deliveries, each freshly signed. True if any copy succeeded. */
  async #round(event: NotificationEvent, round: number, copies: number, probe: boolean): Promise<boolean> {
    const results = await Promise.all(Array.from({ length: copies }, (_, copy) => this.#deliver(event, round, copy, probe)));
    return results.some(Boolean);
  }

  #deliver(event: NotificationEvent, round: number, copy: number, forceProbe: boolean): Promise<boolean> {
    const s = this.config.settings;
    const signer = this.keys.notificationSigner(s.keyMode, s.publicKeyShare);
    const probe = forceProbe || this.#probeGate.take(s.probeRate);
    const signed = signResponse({
      body: event.body,
      privateKey: signer.privateKey,
      serial: signer.serial,
      timestamp: this.clock.nowSec(),
      probe,
    });
    // Observed header set (§3); Request-ID is not sent (unconfirmed for notifications).
    const headers: Record<string, string> = {
      'Content-Type': 'application/json',
      'User-Agent': 'Mozilla/4.0',
      Accept: '*/*',
      Pragma: 'no-cache',
      Connection: 'Keep-Alive',
      ...signed,
      'Content-Length': String(Buffer.byteLength(event.body, 'utf8')),
    };
    const record: DeliveryRecord = {
      seq: ++this.#seq,
      eventId: event.id,
      eventType: event.eventType,
      outTradeNo: event.outTradeNo,
      round,
      copy,
      url: event.url,
      headers,
      body: event.body,
      signedWith: signer.kind,
      serial: signer.serial,
      probe,
      startedAt: this.clock.nowMs(),
      status: null,
      latencyMs: null,
      timedOut: false,
      success: false,
      pending: true,
    };
    if (event.outRefundNo !== undefined) record.outRefundNo = event.outRefundNo;
    this.#log.push(record);

    let req: ClientRequest;
    try {
      const url = new URL(event.url);
      const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
      req = send(url, { method: 'POST', headers, agent: url.protocol === 'https:' ? this.#httpsAgent : this.#httpAgent });
    } catch (err) {
      record.error = err instanceof Error ? err.message : String(err);
      record.pending = false;
      this.#notifyWaiters();
      return Promise.resolve(false);
    }
    this.#inflight.add(req);

    return new Promise<boolean>((resolve) => {
      const started = performance.now();
      let settled = false;
      let lateTimer: NodeJS.Timeout | undefined;
      const timeout = this.timers.set(() => {
        record.timedOut = true;
        settle(false);
        // Keep listening for the late answer so the log shows it, but not forever.
        lateTimer = this.timers.set(() => {
          req.destroy(new Error('no answer'));
        }, LATE_ANSWER_WAIT_MS);
      }, s.deliveryTimeoutMs);
      const settle = (ok: boolean): void => {
        if (settled) return;
        settled = true;
        this.timers.clear(timeout);
        this.#notifyWaiters();
        resolve(ok);
      };
      const finish = (): void => {
        record.pending = false;
        this.timers.clear(lateTimer);
        this.#inflight.delete(req);
        this.#notifyWaiters();
      };
      req.on('response', (res: IncomingMessage) => {
        record.status = res.statusCode ?? null;
        record.latencyMs = Math.round(performance.now() - started);
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          if (size < 65536) chunks.push(chunk);
          size += chunk.length;
        });
        res.on('end', () => {
          record.responseBody = Buffer.concat(chunks).toString('utf8');
          finish();
        });
        res.on('error', () => finish());
        if (!settled) {
          record.success = res.statusCode === 200 || res.statusCode === 204;
          settle(record.success);
        }
      });
      req.on('error', (err: Error) => {
        if (record.status === null) record.error = err.message;
        finish();
        settle(false);
      });
      req.end(event.body);
    });
  }

  events(filter: DeliveryFilter = {}): NotificationEvent[] {
    return this.#events.filter(
      (e) =>
        (filter.outTradeNo === undefined || e.outTradeNo === filter.outTradeNo) &&
        (filter.outRefundNo === undefined || e.outRefundNo === filter.outRefundNo) &&
        (filter.eventType === undefined || e.eventType === filter.eventType) &&
        (filter.eventId === undefined || e.id === filter.eventId),
    );
  }

  deliveries(filter: DeliveryFilter = {}): DeliveryRecord[] {
    return this.#log.filter(
      (d) =>
        (filter.outTradeNo === undefined || d.outTradeNo === filter.outTradeNo) &&
        (filter.outRefundNo === undefined || d.outRefundNo === filter.outRefundNo) &&
        (filter.eventType === undefined || d.eventType === filter.eventType) &&
        (filter.eventId === undefined || d.eventId === filter.eventId),
    );
  }

  /** Resolves once `condition()` holds (re-checked after every delivery change); rejects after `timeoutMs`. */
  waitUntil(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
    if (condition()) return Promise.resolve();
    if (this.#closed) return Promise.reject(new Error('simulator closed'));
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        check: condition,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.#waiters.delete(waiter);
          reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
        }, timeoutMs),
      };
      this.#waiters.add(waiter);
    });
  }

  /** Waits until at least `count` matching deliveries have an outcome (answered, failed or timed out). */
  async waitForDeliveries(filter: DeliveryFilter, count = 1, timeoutMs = 10_000): Promise<DeliveryRecord[]> {
    const done = (): DeliveryRecord[] => this.deliveries(filter).filter((d) => !d.pending || d.timedOut);
    await this.waitUntil(() => done().length >= count, timeoutMs, `${count} deliveries matching ${JSON.stringify(filter)}`);
    return done();
  }

  #notifyWaiters(): void {
    for (const w of [...this.#waiters]) {
      if (w.check()) {
        clearTimeout(w.timer);
        this.#waiters.delete(w);
        w.resolve();
      }
    }
  }

  /** Drops all events, deliveries and per-key faults; stops pending retries. */
  reset(): void {
    this.#generation++;
    for (const e of this.#events) if (e.state === 'pending') e.state = 'cancelled';
    for (const req of this.#inflight) req.destroy();
    this.#inflight.clear();
    this.#events.length = 0;
    this.#log.length = 0;
    this.#faults.clear();
    this.#probeGate.reset();
  }

  close(): void {
    this.#closed = true;
    this.reset();
    for (const w of this.#waiters) {
      clearTimeout(w.timer);
      w.reject(new Error('simulator closed'));
    }
    this.#waiters.clear();
    this.#httpAgent.destroy();
    this.#httpsAgent.destroy();
  }
}

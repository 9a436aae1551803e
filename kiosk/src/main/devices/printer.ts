/**
 * The receipt printer as the rest of the kiosk sees it: print a job exactly once, hold it when the
 * printer cannot print, open the cash drawer, and report status changes to the UI.
 *
 * Exactly once: every job carries a jobId chosen by the caller (one per receipt, reused across
 * retries). Before the first byte is sent a `job_started` entry is written to the journal; after,
 * `job_finished` with the outcome. A retry of a jobId that printed, or that may have printed (the
 * write failed half-way, or the kiosk died between the two entries), returns the first outcome and
 * sends nothing: a second copy must be asked for as a reprint, with a new jobId and the 重印 mark.
 * A held job sent nothing and may be retried once the cashier has fixed the printer.
 */
import { createHash } from 'node:crypto';
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { decodeStatus, drawerKick, drawerPulseNow, notReadyReason } from './escpos.js';
import type { DrawerKickOptions, NotReadyReason, PrinterStatus } from './escpos.js';
import { TransportError } from './transports.js';
import type { PrinterTransport, TransportErrorCode } from './transports.js';

export interface PrintJob {
  /** Idempotency key: the same receipt keeps the same jobId across retries. */
  jobId: string;
  bytes: Uint8Array;
}

export type HeldReason = NotReadyReason;

export type PrintWarning =
  /** The printer did not answer DLE EOT before printing: printed anyway (tell the cashier to check). */
  | 'no_status_reply'
  /** The connection cannot read status (write-only device): printed without checking. */
  | 'status_unsupported'
  | 'paper_near_end'
  /** After printing the printer reported a problem (e.g. paper ran out): the receipt may be cut short. */
  | 'not_ready_after_print'
  /** The status query after printing got no reply. */
  | 'no_status_reply_after';

export type PrintOutcome =
  | {
      status: 'printed';
      jobId: string;
      warnings: PrintWarning[];
      statusBefore: PrinterStatus | null;
      statusAfter: PrinterStatus | null;
      /** Set with the warning not_ready_after_print. */
      problemAfter: NotReadyReason | null;
      byteCount: number;
      printedAt: string;
    }
  | { status: 'held'; jobId: string; reason: HeldReason; printerStatus: PrinterStatus }
  | {
      status: 'failed';
      jobId: string;
      error: TransportErrorCode | 'interrupted' | 'unknown';
      message: string;
      /** true: some bytes may have reached the printer, so the job is final (reprint, do not retry). */
      bytesMayHavePrinted: boolean;
    };

export type PrintResult = PrintOutcome & {
  /** This outcome was recorded by an earlier call with the same jobId; nothing was sent now. */
  replayed: boolean;
  /** A replay whose bytes differ from the first attempt's (e.g. re-rendered with a new time). */
  bytesDiffer: boolean;
};

/** What the UI shows for the printer. */
export type PrinterCondition = 'ready' | 'paper_near_end' | NotReadyReason | 'no_status_reply' | 'status_unsupported' | 'unreachable';

export interface PrinterStatusSnapshot {
  condition: PrinterCondition;
  /** Decoded status bytes, when the printer answered. */
  status: PrinterStatus | null;
  /** Why the printer is unreachable (the transport's message), for logs and the installer. */
  detail: string | null;
  at: Date;
}

export type DrawerResult =
  | { ok: true; warning: 'no_status_reply' | 'status_unsupported' | 'realtime_pulse' | null }
  | { ok: false; reason: NotReadyReason | 'unreachable'; message: string };

export interface DrawerLogEntry {
  type: 'drawer_opened';
  cashierId: string;
  at: string;
  ok: boolean;
  reason?: string;
}

type JournalEntry =
  | { type: 'job_started'; jobId: string; at: string; byteCount: number; sha256: string }
  | { type: 'job_finished'; jobId: string; at: string; sha256: string; outcome: PrintOutcome }
  | DrawerLogEntry;

export interface PrinterServiceOptions {
  transport: PrinterTransport;
  /** JSON-lines journal of jobs and drawer openings; without it the ledger lives in memory only. */
  journalPath?: string;
  /** Wait for each status reply. Default 800 ms. */
  statusTimeoutMs?: number;
  /**
   * After a printer failed to answer DLE EOT, skip status queries for this long so every receipt
   * does not pay the timeout (the 300 ms budget). Default 60 000 ms.
   */
  statusRetryAfterMs?: number;
  /** Journal entries older than this are not loaded. Default 7 days. */
  journalRetentionMs?: number;
  drawer?: DrawerKickOptions;
  now?: () => Date;
}

type StatusRead = { kind: 'status'; status: PrinterStatus } | { kind: 'timeout' } | { kind: 'unsupported' };

export class PrinterService {
  private readonly transport: PrinterTransport;
  private readonly journalPath: string | undefined;
  private readonly statusTimeoutMs: number;
  private readonly statusRetryAfterMs: number;
  private readonly drawerOptions: DrawerKickOptions;
  private readonly now: () => Date;
  private readonly finished = new Map<string, { sha256: string; outcome: PrintOutcome }>();
  private readonly inFlight = new Map<string, Promise<PrintResult>>();
  private readonly drawerEntries: DrawerLogEntry[] = [];
  private readonly listeners = new Set<(s: PrinterStatusSnapshot) => void>();
  private tail: Promise<unknown> = Promise.resolve();
  private noReplyUntil = 0;
  private last: PrinterStatusSnapshot | null = null;

  private constructor(options: PrinterServiceOptions) {
    this.transport = options.transport;
    this.journalPath = options.journalPath;
    this.statusTimeoutMs = options.statusTimeoutMs ?? 800;
    this.statusRetryAfterMs = options.statusRetryAfterMs ?? 60_000;
    this.drawerOptions = options.drawer ?? {};
    this.now = options.now ?? (() => new Date());
  }

  /** Loads the journal (if any) so retries after a restart are still recognised. */
  static async create(options: PrinterServiceOptions): Promise<PrinterService> {
    const service = new PrinterService(options);
    if (options.journalPath) {
      await service.loadJournal(options.journalPath, options.journalRetentionMs ?? 7 * 24 * 3600_000);
    }
    return service;
  }

  /** The latest known status (null before the first query). */
  get status(): PrinterStatusSnapshot | null {
    return this.last;
  }

  get drawerLog(): readonly DrawerLogEntry[] {
    return this.drawerEntries;
  }

  /** Listener is called when the printer's condition changes; returns an unsubscribe function. */
  onStatusChange(listener: (s: PrinterStatusSnapshot) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** The outcome recorded for a jobId, if it is final. */
  outcomeOf(jobId: string): PrintOutcome | null {
    return this.finished.get(jobId)?.outcome ?? null;
  }

  /** Queries the printer now (for a status light or before a shift). */
  checkStatus(): Promise<PrinterStatusSnapshot> {
    return this.exclusive(async () => {
      try {
        const read = await this.readStatus(true);
        return this.snapshotFrom(read);
      } catch (err) {
        return this.setCondition('unreachable', null, errorMessage(err));
      }
    });
  }

  /**
   * Prints a job once.
   * Returns held (nothing sent) when the printer reports paper out, cover open, an error or
   * offline; failed when it cannot be reached (nothing sent, retry allowed) or a write broke off
   * (final); printed with warnings otherwise. Never throws for printer problems.
   */
  print(job: PrintJob): Promise<PrintResult> {
    const sha256 = hashBytes(job.bytes);
    const done = this.replay(job.jobId, sha256);
    if (done) return Promise.resolve(done);
    const running = this.inFlight.get(job.jobId);
    if (running) return running.then((r) => ({ ...r, replayed: true, bytesDiffer: r.bytesDiffer || this.differs(job.jobId, sha256) }));
    const attempt = this.exclusive(() => this.printNow(job, sha256)).finally(() => this.inFlight.delete(job.jobId));
    this.inFlight.set(job.jobId, attempt);
    return attempt;
  }

  /**
   * Kicks the cash drawer (`ESC p`, pin 2 by default) and logs who asked. Out of paper, the printer
   * is offline and would keep `ESC p` until paper is loaded, so the real-time pulse (`DLE DC4`) is
   * sent instead. Otherwise offline (cover open, an error) it would pop the drawer later, when
   * nobody expects it, so then nothing is sent.
   */
  openDrawer(cashierId: string): Promise<DrawerResult> {
    return this.exclusive(async () => {
      let result: DrawerResult;
      try {
        const read = await this.readStatus(false);
        this.snapshotFrom(read);
        const reason = read.kind === 'status' ? notReadyReason(read.status) : null;
        if (reason === 'paper_out') {
          await this.transport.write(drawerPulseNow(this.drawerOptions.pin ?? 2));
          result = { ok: true, warning: 'realtime_pulse' };
        } else if (reason) {
          result = { ok: false, reason, message: `printer ${reason}: drawer not kicked` };
        } else {
          await this.transport.write(drawerKick(this.drawerOptions));
          result = {
            ok: true,
            warning: read.kind === 'timeout' ? 'no_status_reply' : read.kind === 'unsupported' ? 'status_unsupported' : null,
          };
        }
      } catch (err) {
        this.setCondition('unreachable', null, errorMessage(err));
        result = { ok: false, reason: 'unreachable', message: errorMessage(err) };
      }
      const entry: DrawerLogEntry = { type: 'drawer_opened', cashierId, at: this.now().toISOString(), ok: result.ok };
      if (!result.ok) entry.reason = result.reason;
      this.drawerEntries.push(entry);
      await this.journal(entry);
      return result;
    });
  }

  async close(): Promise<void> {
    await this.exclusive(() => this.transport.close());
  }

  private async printNow(job: PrintJob, sha256: string): Promise<PrintResult> {
    const done = this.replay(job.jobId, sha256);
    if (done) return done;
    const fresh = (outcome: PrintOutcome): PrintResult => ({ ...outcome, replayed: false, bytesDiffer: false });

    let before: StatusRead;
    try {
      before = await this.readStatus(false);
    } catch (err) {
      this.setCondition('unreachable', null, errorMessage(err));
      return fresh(failure(job.jobId, err, false));
    }
    this.snapshotFrom(before);
    const warnings: PrintWarning[] = [];
    let statusBefore: PrinterStatus | null = null;
    if (before.kind === 'status') {
      statusBefore = before.status;
      const reason = notReadyReason(before.status);
      if (reason) return fresh({ status: 'held', jobId: job.jobId, reason, printerStatus: before.status });
      if (before.status.paperNearEnd) warnings.push('paper_near_end');
    } else {
      warnings.push(before.kind === 'timeout' ? 'no_status_reply' : 'status_unsupported');
    }

    await this.journal({ type: 'job_started', jobId: job.jobId, at: this.now().toISOString(), byteCount: job.bytes.byteLength, sha256 });
    let outcome: PrintOutcome;
    try {
      await this.transport.write(job.bytes);
    } catch (err) {
      // A failed connect sent nothing; anything later may have printed part of the receipt.
      const nothingSent = err instanceof TransportError && (err.code === 'connect_failed' || err.code === 'connect_timeout');
      outcome = failure(job.jobId, err, !nothingSent);
      if (nothingSent) {
        this.setCondition('unreachable', null, errorMessage(err));
        await this.journal({ type: 'job_finished', jobId: job.jobId, at: this.now().toISOString(), sha256, outcome });
        return fresh(outcome);
      }
      return fresh(await this.finish(job.jobId, sha256, outcome));
    }

    let statusAfter: PrinterStatus | null = null;
    let problemAfter: NotReadyReason | null = null;
    if (before.kind === 'status') {
      try {
        const after = await this.readStatus(false);
        this.snapshotFrom(after);
        if (after.kind === 'status') {
          statusAfter = after.status;
          problemAfter = notReadyReason(after.status);
          if (problemAfter) warnings.push('not_ready_after_print');
          if (after.status.paperNearEnd && !warnings.includes('paper_near_end')) warnings.push('paper_near_end');
        } else if (after.kind === 'timeout') {
          warnings.push('no_status_reply_after');
        }
      } catch {
        warnings.push('no_status_reply_after');
      }
    }
    outcome = {
      status: 'printed',
      jobId: job.jobId,
      warnings,
      statusBefore,
      statusAfter,
      problemAfter,
      byteCount: job.bytes.byteLength,
      printedAt: this.now().toISOString(),
    };
    return fresh(await this.finish(job.jobId, sha256, outcome));
  }

  private async finish(jobId: string, sha256: string, outcome: PrintOutcome): Promise<PrintOutcome> {
    this.finished.set(jobId, { sha256, outcome });
    await this.journal({ type: 'job_finished', jobId, at: this.now().toISOString(), sha256, outcome });
    return outcome;
  }

  private replay(jobId: string, sha256: string): PrintResult | null {
    const entry = this.finished.get(jobId);
    if (!entry) return null;
    return { ...entry.outcome, replayed: true, bytesDiffer: entry.sha256 !== sha256 };
  }

  private differs(jobId: string, sha256: string): boolean {
    const entry = this.finished.get(jobId);
    return entry !== undefined && entry.sha256 !== sha256;
  }

  /**
   * DLE EOT 1, 2 and 4. A timeout on the first query skips the others; while in the no-reply window
   * (see statusRetryAfterMs) nothing is asked unless `force`.
   */
  private async readStatus(force: boolean): Promise<StatusRead> {
    if (!force && Date.now() < this.noReplyUntil) return { kind: 'timeout' };
    const first = await this.transport.queryStatus(1, this.statusTimeoutMs);
    if (first.kind !== 'byte') {
      if (first.kind === 'timeout') this.noReplyUntil = Date.now() + this.statusRetryAfterMs;
      return first;
    }
    this.noReplyUntil = 0;
    const replies: Partial<Record<1 | 2 | 4, number>> = { 1: first.byte };
    for (const n of [2, 4] as const) {
      const r = await this.transport.queryStatus(n, this.statusTimeoutMs);
      if (r.kind === 'byte') replies[n] = r.byte;
    }
    return { kind: 'status', status: decodeStatus(replies) };
  }

  private snapshotFrom(read: StatusRead): PrinterStatusSnapshot {
    if (read.kind === 'timeout') return this.setCondition('no_status_reply', null);
    if (read.kind === 'unsupported') return this.setCondition('status_unsupported', null);
    const reason = notReadyReason(read.status);
    return this.setCondition(reason ?? (read.status.paperNearEnd ? 'paper_near_end' : 'ready'), read.status);
  }

  private setCondition(condition: PrinterCondition, status: PrinterStatus | null, detail: string | null = null): PrinterStatusSnapshot {
    const snapshot: PrinterStatusSnapshot = { condition, status, detail, at: this.now() };
    const changed = this.last?.condition !== condition;
    this.last = snapshot;
    if (changed) for (const l of [...this.listeners]) l(snapshot);
    return snapshot;
  }

  /** One printer, one conversation: jobs, status checks and drawer kicks never interleave. */
  private exclusive<T>(op: () => Promise<T>): Promise<T> {
    const result = this.tail.then(op, op);
    this.tail = result.catch(() => undefined);
    return result;
  }

  private async journal(entry: JournalEntry): Promise<void> {
    if (!this.journalPath) return;
    await appendFile(this.journalPath, `${JSON.stringify(entry)}\n`, 'utf8');
  }

  private async loadJournal(path: string, retentionMs: number): Promise<void> {
    await mkdir(dirname(path), { recursive: true });
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return;
      throw err;
    }
    const cutoff = this.now().getTime() - retentionMs;
    const started = new Map<string, string>();
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      let entry: JournalEntry;
      try {
        entry = JSON.parse(line) as JournalEntry;
      } catch {
        continue; // a torn last line after a crash
      }
      if (Date.parse(entry.at) < cutoff) continue;
      if (entry.type === 'job_started') started.set(entry.jobId, entry.sha256);
      else if (entry.type === 'job_finished') {
        started.delete(entry.jobId);
        // A journalled failure that sent nothing is not final.
        if (entry.outcome.status === 'failed' && !entry.outcome.bytesMayHavePrinted) continue;
        this.finished.set(entry.jobId, { sha256: entry.sha256, outcome: entry.outcome });
      } else if (entry.type === 'drawer_opened') this.drawerEntries.push(entry);
    }
    // Started but never finished: the kiosk stopped mid-job, so the receipt may have printed.
    for (const [jobId, sha256] of started) {
      if (this.finished.has(jobId)) continue;
      this.finished.set(jobId, {
        sha256,
        outcome: {
          status: 'failed',
          jobId,
          error: 'interrupted',
          message: 'the kiosk stopped while this job was printing',
          bytesMayHavePrinted: true,
        },
      });
    }
  }
}

export function createPrinterService(options: PrinterServiceOptions): Promise<PrinterService> {
  return PrinterService.create(options);
}

function failure(jobId: string, err: unknown, bytesMayHavePrinted: boolean): PrintOutcome {
  return {
    status: 'failed',
    jobId,
    error: err instanceof TransportError ? err.code : 'unknown',
    message: errorMessage(err),
    bytesMayHavePrinted,
  };
}

function hashBytes(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function errnoCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string' ? err.code : undefined;
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createPrinterService } from './printer.js';
import type { PrinterStatusSnapshot } from './printer.js';
import { TransportError } from './transports.js';
import type { PrinterTransport, StatusReply } from './transports.js';

type State = 'ready' | 'paper_out' | 'cover_open' | 'offline' | 'near_end' | 'silent' | 'down';

const REPLIES: Record<Exclude<State, 'silent' | 'down'>, Record<1 | 2 | 4, number>> = {
  ready: { 1: 0x12, 2: 0x12, 4: 0x12 },
  near_end: { 1: 0x12, 2: 0x12, 4: 0x1e },
  paper_out: { 1: 0x1a, 2: 0x32, 4: 0x72 },
  cover_open: { 1: 0x1a, 2: 0x16, 4: 0x12 },
  offline: { 1: 0x1a, 2: 0x12, 4: 0x12 },
};

/** A printer in memory: `state` decides the replies; `writes` is what reached it. */
class FakeTransport implements PrinterTransport {
  readonly uri = 'fake:';
  state: State = 'ready';
  /** State to switch to right after the next write (paper running out mid-receipt). */
  afterWrite: State | null = null;
  failWrite: TransportError | null = null;
  writes: Uint8Array[] = [];
  queries: number[] = [];
  closed = false;

  async write(bytes: Uint8Array): Promise<void> {
    if (this.state === 'down') throw new TransportError('connect_failed', 'ECONNREFUSED');
    if (this.failWrite) throw this.failWrite;
    this.writes.push(bytes);
    if (this.afterWrite) this.state = this.afterWrite;
  }

  async queryStatus(n: 1 | 2 | 4): Promise<StatusReply> {
    this.queries.push(n);
    if (this.state === 'down') throw new TransportError('connect_failed', 'ECONNREFUSED');
    if (this.state === 'silent') return { kind: 'timeout' };
    return { kind: 'byte', byte: REPLIES[this.state][n] };
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

const job = (jobId: string, text = 'receipt') => ({ jobId, bytes: new TextEncoder().encode(text) });

describe('PrinterService.print', () => {
  let t: FakeTransport;
  beforeEach(() => {
    t = new FakeTransport();
  });

  it('checks status before and after and prints on a ready printer', async () => {
    const service = await createPrinterService({ transport: t });
    const r = await service.print(job('order-1'));
    expect(r).toMatchObject({ status: 'printed', jobId: 'order-1', warnings: [], replayed: false, problemAfter: null, byteCount: 7 });
    expect(t.writes).toHaveLength(1);
    expect(t.queries).toEqual([1, 2, 4, 1, 2, 4]);
  });

  it.each([
    ['paper_out', 'paper_out'],
    ['cover_open', 'cover_open'],
    ['offline', 'offline'],
  ] as const)('holds the job when the printer reports %s, sending nothing', async (state, reason) => {
    t.state = state;
    const service = await createPrinterService({ transport: t });
    const r = await service.print(job('order-1'));
    expect(r).toMatchObject({ status: 'held', reason });
    expect(t.writes).toHaveLength(0);
  });

  it('prints a held job once the cashier fixed the printer', async () => {
    t.state = 'paper_out';
    const service = await createPrinterService({ transport: t });
    expect((await service.print(job('order-1'))).status).toBe('held');
    t.state = 'ready';
    expect(await service.print(job('order-1'))).toMatchObject({ status: 'printed', replayed: false });
    expect(t.writes).toHaveLength(1);
  });

  it('never prints the same jobId twice: a retry gets the first outcome', async () => {
    const service = await createPrinterService({ transport: t });
    const first = await service.print(job('order-1'));
    const again = await service.print(job('order-1'));
    expect(again).toMatchObject({
      status: 'printed',
      replayed: true,
      bytesDiffer: false,
      printedAt: first.status === 'printed' ? first.printedAt : '',
    });
    expect((await service.print(job('order-1', 're-rendered'))).bytesDiffer).toBe(true);
    expect(t.writes).toHaveLength(1);
  });

  it('prints once when the same job is sent twice at the same time', async () => {
    const service = await createPrinterService({ transport: t });
    const [a, b] = await Promise.all([service.print(job('order-1')), service.print(job('order-1'))]);
    expect(t.writes).toHaveLength(1);
    expect([a.replayed, b.replayed].sort()).toEqual([false, true]);
  });

  it('prints anyway but warns when the printer does not answer DLE EOT, then stops asking for a while', async () => {
    t.state = 'silent';
    const service = await createPrinterService({ transport: t });
    const r = await service.print(job('order-1'));
    expect(r).toMatchObject({ status: 'printed', warnings: ['no_status_reply'], statusBefore: null, statusAfter: null });
    expect(t.queries).toEqual([1]);
    const r2 = await service.print(job('order-2'));
    expect(r2).toMatchObject({ status: 'printed', warnings: ['no_status_reply'] });
    expect(t.queries).toEqual([1]); // the timeout is not paid again on every receipt
    expect(t.writes).toHaveLength(2);
  });

  it('warns when paper is nearly out, and when the printer stops during the receipt', async () => {
    t.state = 'near_end';
    const service = await createPrinterService({ transport: t });
    expect(await service.print(job('a'))).toMatchObject({ status: 'printed', warnings: ['paper_near_end'] });
    t.state = 'ready';
    t.afterWrite = 'paper_out';
    expect(await service.print(job('b'))).toMatchObject({
      status: 'printed',
      warnings: ['not_ready_after_print'],
      problemAfter: 'paper_out',
    });
  });

  it('fails without recording when the printer is unreachable (retry allowed)', async () => {
    t.state = 'down';
    const service = await createPrinterService({ transport: t });
    expect(await service.print(job('order-1'))).toMatchObject({ status: 'failed', error: 'connect_failed', bytesMayHavePrinted: false });
    t.state = 'ready';
    expect(await service.print(job('order-1'))).toMatchObject({ status: 'printed', replayed: false });
  });

  it('treats a write that broke off as final: the receipt may be half printed', async () => {
    t.failWrite = new TransportError('write_failed', 'EPIPE');
    const service = await createPrinterService({ transport: t });
    expect(await service.print(job('order-1'))).toMatchObject({ status: 'failed', error: 'write_failed', bytesMayHavePrinted: true });
    t.failWrite = null;
    expect(await service.print(job('order-1'))).toMatchObject({ status: 'failed', replayed: true });
    expect(t.writes).toHaveLength(0);
  });

  it('emits status changes for the UI', async () => {
    const service = await createPrinterService({ transport: t });
    const seen: PrinterStatusSnapshot['condition'][] = [];
    const off = service.onStatusChange((s) => seen.push(s.condition));
    await service.checkStatus();
    await service.checkStatus();
    t.state = 'cover_open';
    await service.print(job('x'));
    t.state = 'near_end';
    await service.checkStatus();
    t.state = 'down';
    await service.checkStatus();
    off();
    t.state = 'ready';
    await service.checkStatus();
    expect(seen).toEqual(['ready', 'cover_open', 'paper_near_end', 'unreachable']);
    expect(service.status?.condition).toBe('ready');
  });
});

describe('journal', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'jifen-printer-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true });
  });

  it('remembers printed jobs across restarts', async () => {
    const journalPath = join(dir, 'printer.jsonl');
    const t = new FakeTransport();
    const first = await createPrinterService({ transport: t, journalPath });
    await first.print(job('order-1'));
    const restarted = await createPrinterService({ transport: t, journalPath });
    expect(await restarted.print(job('order-1'))).toMatchObject({ status: 'printed', replayed: true });
    expect(t.writes).toHaveLength(1);
    const lines = (await readFile(journalPath, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string });
    expect(lines.map((l) => l.type)).toEqual(['job_started', 'job_finished']);
  });

  it('does not reprint a job the kiosk was printing when it died', async () => {
    const journalPath = join(dir, 'printer.jsonl');
    const at = new Date().toISOString();
    await writeFile(
      journalPath,
      `${JSON.stringify({ type: 'job_started', jobId: 'order-9', at, byteCount: 7, sha256: 'x' })}\n{"type":"job_fin`,
    );
    const t = new FakeTransport();
    const service = await createPrinterService({ transport: t, journalPath });
    expect(await service.print(job('order-9'))).toMatchObject({ status: 'failed', error: 'interrupted', replayed: true });
    expect(t.writes).toHaveLength(0);
  });

  it('logs drawer openings with the cashier', async () => {
    const journalPath = join(dir, 'printer.jsonl');
    const t = new FakeTransport();
    const now = (): Date => new Date('2025-05-01T00:00:00Z');
    const service = await createPrinterService({ transport: t, journalPath, now });
    expect(await service.openDrawer('cashier-7')).toEqual({ ok: true, warning: null });
    expect([...(t.writes[0] ?? [])]).toEqual([0x1b, 0x70, 0x00, 0x19, 0xfa]);
    expect(service.drawerLog).toEqual([{ type: 'drawer_opened', cashierId: 'cashier-7', at: '2025-05-01T00:00:00.000Z', ok: true }]);
    const restarted = await createPrinterService({ transport: t, journalPath, now });
    expect(restarted.drawerLog).toHaveLength(1);
    // entries past the retention window are not loaded
    const later = await createPrinterService({ transport: t, journalPath, now: () => new Date('2025-06-01T00:00:00Z') });
    expect(later.drawerLog).toHaveLength(0);
  });
});

describe('PrinterService.openDrawer', () => {
  it('does not send a kick an offline printer would run later, and says why', async () => {
    const t = new FakeTransport();
    t.state = 'cover_open';
    const service = await createPrinterService({ transport: t });
    expect(await service.openDrawer('c1')).toMatchObject({ ok: false, reason: 'cover_open' });
    expect(t.writes).toHaveLength(0);
    expect(service.drawerLog[0]).toMatchObject({ cashierId: 'c1', ok: false, reason: 'cover_open' });
  });

  it('out of paper, pulses the drawer in real time (DLE DC4), which the printer runs while offline', async () => {
    const t = new FakeTransport();
    t.state = 'paper_out';
    const service = await createPrinterService({ transport: t, drawer: { pin: 5 } });
    expect(await service.openDrawer('c1')).toEqual({ ok: true, warning: 'realtime_pulse' });
    expect(t.writes.map((w) => [...w])).toEqual([[0x10, 0x14, 0x01, 0x01, 0x01]]);
    expect(service.drawerLog[0]).toMatchObject({ cashierId: 'c1', ok: true });
  });

  it('kicks anyway when status cannot be read, with a warning', async () => {
    const t = new FakeTransport();
    t.state = 'silent';
    const service = await createPrinterService({ transport: t, drawer: { pin: 5 } });
    expect(await service.openDrawer('c1')).toEqual({ ok: true, warning: 'no_status_reply' });
    expect([...(t.writes[0] ?? [])]).toEqual([0x1b, 0x70, 0x01, 0x19, 0xfa]);
  });

  it('closes the transport', async () => {
    const t = new FakeTransport();
    const service = await createPrinterService({ transport: t });
    await service.close();
    expect(t.closed).toBe(true);
  });
});

import { spawn } from 'node:child_process';
import { appendFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakePosApi } from '../shared/fake-pos-api.js';
import { PosApiError } from '../shared/pos-api.js';
import type { CreateOrderRequest } from '../shared/pos-api.js';
import { AppendLog } from './append-log.js';
import { OfflineQueue } from './offline-queue.js';
import type { JournalRecord, QueuedSale } from './offline-queue.js';

const QUEUE_MODULE = fileURLToPath(new URL('./offline-queue.ts', import.meta.url));

function cashSale(n: number, extra: Partial<CreateOrderRequest> = {}): QueuedSale {
  const clientOrderId = `offline-sale-${String(n).padStart(4, '0')}`;
  return {
    clientOrderId,
    deviceTime: new Date(Date.UTC(2026, 4, 1, 4, 0, n)).toISOString(),
    request: {
      clientOrderId,
      lines: [{ sku: 'OJ', name: '鲜榨橙汁', qty: 1 + (n % 3), unitPriceFen: 1500 }],
      payment: { method: 'cash' },
      shiftId: 'SH-1',
      ...extra,
    },
    staffId: 3,
    shiftId: 'SH-1',
    amountFen: 1500 * (1 + (n % 3)),
    tenderedFen: 10000,
  };
}

let dir: string;
let journalPath: string;
const open: OfflineQueue[] = [];

async function openQueue(api: FakePosApi | null): Promise<OfflineQueue> {
  const q = await OfflineQueue.open({ journalPath, api: () => api, retryMs: 60_000, retryMaxMs: 60_000, probeMs: 0 });
  open.push(q);
  return q;
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kiosk-queue-'));
  journalPath = join(dir, 'offline-journal.jsonl');
});

afterEach(async () => {
  for (const q of open.splice(0)) await q.close();
  await rm(dir, { recursive: true, force: true });
});

describe('offline journal', () => {
  it('keeps every acknowledged sale when the writing process is killed with SIGKILL mid-stream', async () => {
    // A separate process journals sales as fast as it can and reports each one once enqueue() resolved
    // (after fsync). It is killed without warning; every reported sale must be in the journal, in order.
    const script = `
      const { OfflineQueue } = await import(${JSON.stringify(QUEUE_MODULE)});
      const q = await OfflineQueue.open({ journalPath: ${JSON.stringify(journalPath)}, api: () => null, probeMs: 0 });
      q.reportUnreachable('test');
      for (let n = 0; ; n++) {
        const id = 'crash-sale-' + String(n).padStart(5, '0');
        await q.enqueue({ clientOrderId: id, deviceTime: new Date().toISOString(), staffId: 1, shiftId: 'SH', amountFen: 100, tenderedFen: 100,
          request: { clientOrderId: id, lines: [{ sku: 'X', name: '商品', qty: 1, unitPriceFen: 100 }], payment: { method: 'cash' } } });
        process.stdout.write('acked ' + n + '\\n');
      }
    `;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let acked = -1;
    await new Promise<void>((resolve, reject) => {
      let buffer = '';
      child.stdout.on('data', (chunk: Buffer) => {
        buffer += chunk.toString('utf8');
        const lines = buffer.split('\n');
        buffer = lines.pop() ?? '';
        for (const line of lines) {
          const m = /^acked (\d+)$/.exec(line);
          if (m) acked = Number(m[1]);
        }
        if (acked >= 40 && !child.killed) {
          child.kill('SIGKILL');
          resolve();
        }
      });
      child.on('exit', (code, signal) => (signal === 'SIGKILL' ? resolve() : reject(new Error(`writer exited early: ${code}`))));
    });
    await new Promise((r) => child.once('exit', r));
    expect(child.signalCode).toBe('SIGKILL');

    const q = await openQueue(null);
    const ids = q.pending().map((s) => s.clientOrderId);
    // Everything acknowledged is there (maybe a little more: written but not yet reported), in order, once.
    expect(ids.length).toBeGreaterThanOrEqual(acked + 1);
    expect(ids.slice(0, acked + 1)).toEqual(Array.from({ length: acked + 1 }, (_, n) => `crash-sale-${String(n).padStart(5, '0')}`));
    expect(new Set(ids).size).toBe(ids.length);
  }, 30_000);

  it('cuts a torn last line (a crash inside a write) and appends cleanly after it', async () => {
    const q = await openQueue(null);
    q.reportUnreachable('down');
    await q.enqueue(cashSale(1));
    await q.enqueue(cashSale(2));
    await q.close();
    open.pop();
    await appendFile(journalPath, '{"type":"sale","seq":3,"clientOrderId":"offline-sa'); // torn

    const reopened = await openQueue(null);
    expect(reopened.pending().map((s) => s.clientOrderId)).toEqual(['offline-sale-0001', 'offline-sale-0002']);
    reopened.reportUnreachable('down');
    await reopened.enqueue(cashSale(3));
    const text = await readFile(journalPath, 'utf8');
    const lines = text.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    for (const line of lines) expect(() => JSON.parse(line) as unknown).not.toThrow();
  });

  it('refuses to queue a WeChat payment or points spending', async () => {
    const q = await openQueue(null);
    await expect(q.enqueue(cashSale(1, { payment: { method: 'wechat_native' } }))).rejects.toThrow(/only cash/);
    await expect(q.enqueue(cashSale(2, { redeemPoints: 100 }))).rejects.toThrow(/only cash/);
    expect(q.pending()).toHaveLength(0);
  });
});

describe('draining', () => {
  it('posts the queue in order, exactly once, against a server that fails and then recovers', async () => {
    const api = new FakePosApi();
    const q = await openQueue(api);
    q.reportUnreachable('down');
    api.down = true;
    for (let n = 1; n <= 5; n++) await q.enqueue(cashSale(n));
    expect(q.status()).toMatchObject({ online: false, pending: 5 });

    // Still down: nothing is created, nothing is lost.
    await q.drain();
    expect(api.orderCount).toBe(0);
    expect(q.pending()).toHaveLength(5);

    // Back, but its first answer is a 503 (the database restarting): the drain stops and keeps the order.
    api.down = false;
    api.failures.push(new PosApiError('UNAVAILABLE', 'db restarting', { status: 503 }));
    await q.drain();
    expect(q.pending()).toHaveLength(5);
    await q.drain();
    expect(q.status()).toMatchObject({ online: true, pending: 0, rejected: 0 });

    expect([...api.orders.keys()]).toEqual([1, 2, 3, 4, 5].map((n) => `offline-sale-${String(n).padStart(4, '0')}`));
    expect(api.orderCount).toBe(5);
    // Each was posted as an offline sale with its device time.
    const first = api.createRequests.find((r) => r.clientOrderId === 'offline-sale-0001');
    expect(first?.offlineSale?.deviceTime).toBe('2026-05-01T04:00:01.000Z');

    // A second drain (or a restart) posts nothing again.
    const before = api.createRequests.length;
    await q.drain();
    await q.close();
    open.pop();
    const reopened = await openQueue(api);
    await reopened.drain();
    expect(api.createRequests.length).toBe(before);
    expect(reopened.pending()).toHaveLength(0);
    expect(reopened.settledOrder('offline-sale-0003')).toMatchObject({ outTradeNo: expect.stringMatching(/^JF/) });
  });

  it('after a crash between the server’s answer and the settled record, asks again and gets the same order', async () => {
    const api = new FakePosApi();
    const q = await openQueue(api);
    q.reportUnreachable('down');
    api.down = true;
    await q.enqueue(cashSale(1));
    await q.enqueue(cashSale(2));
    await q.close();
    open.pop();

    // The server made the first order, but the kiosk died before writing `settled`.
    api.down = false;
    await api.createOrder(cashSale(1).request);
    expect(api.orderCount).toBe(1);

    const reopened = await openQueue(api);
    await reopened.drain();
    expect(reopened.pending()).toHaveLength(0);
    expect(api.orderCount).toBe(2);
    const posts = api.createRequests.filter((r) => r.clientOrderId === 'offline-sale-0001');
    expect(posts).toHaveLength(2); // asked twice, one order
    const { records } = await AppendLog.open<JournalRecord>(journalPath);
    expect(records.filter((r) => r.type === 'settled').map((r) => r.clientOrderId)).toEqual(['offline-sale-0001', 'offline-sale-0002']);
  });

  it('posts a sale again without the member when the member code expired offline, and goes on past a permanent rejection', async () => {
    const api = new FakePosApi();
    const q = await openQueue(api);
    q.reportUnreachable('down');
    await q.enqueue(cashSale(1, { member: { code: 'JFM1.abc.def.0123456789' } }));
    await q.enqueue(cashSale(2));
    await q.enqueue(cashSale(3));
    api.failures.push(
      new PosApiError('MEMBER_CODE_EXPIRED', 'expired', { status: 400 }),
      null,
      new PosApiError('VALIDATION_FAILED', 'lines', { status: 400 }),
    );
    // The first: refused for its member, posted again without → made. The second: rejected. The third: made.
    await q.drain();
    expect(q.status()).toMatchObject({ pending: 0, rejected: 1 });
    const made = [...api.orders.values()];
    expect(made.map((o) => o.request.clientOrderId)).toEqual(['offline-sale-0001', 'offline-sale-0003']);
    expect(made[0]?.request.member).toBeUndefined();

    await q.close();
    open.pop();
    const { records } = await AppendLog.open<JournalRecord>(journalPath);
    expect(records.map((r) => r.type)).toEqual(['sale', 'sale', 'sale', 'member_dropped', 'settled', 'rejected', 'settled']);
    const reopened = await openQueue(api);
    expect(reopened.status()).toMatchObject({ pending: 0, rejected: 1 });
  });

  it('runs one drain at a time', async () => {
    const api = new FakePosApi();
    const q = await openQueue(api);
    q.reportUnreachable('down');
    for (let n = 1; n <= 3; n++) await q.enqueue(cashSale(n));
    await Promise.all([q.drain(), q.drain(), q.drain()]);
    expect(api.createRequests).toHaveLength(3);
  });
});

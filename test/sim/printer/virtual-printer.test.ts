import net from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startVirtualPrinter, statusReply } from './virtual-printer.js';
import type { VirtualPrinter } from './virtual-printer.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

/** A raw 9100 client: write bytes, read reply bytes in order. */
async function connect(
  printer: VirtualPrinter,
): Promise<{ write(b: Buffer): void; read(n: number): Promise<number[]>; end(): void; destroy(): void }> {
  const socket = net.connect(printer.port, printer.host);
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const received: number[] = [];
  const waiters: (() => void)[] = [];
  socket.on('data', (d: Buffer) => {
    received.push(...d);
    for (const w of waiters.splice(0)) w();
  });
  return {
    write: (b) => void socket.write(b),
    read: async (n) => {
      const deadline = Date.now() + 1000;
      while (received.length < n) {
        if (Date.now() > deadline) throw new Error(`expected ${n} reply bytes, got ${received.length}`);
        await new Promise<void>((r) => {
          waiters.push(r);
          setTimeout(r, 50);
        });
      }
      return received.splice(0, n);
    },
    end: () => void socket.end(),
    destroy: () => void socket.destroy(),
  };
}

describe('virtual receipt printer', () => {
  let printer: VirtualPrinter;
  beforeEach(async () => {
    printer = await startVirtualPrinter({ port: 0, idleMs: 100 });
  });
  afterEach(async () => {
    await printer.close();
  });

  it('answers status queries interleaved with a job on the same socket and strips them from it', async () => {
    const client = await connect(printer);
    client.write(hex('10 04 01'));
    expect(await client.read(1)).toEqual([0x12]);
    // 积分 BB FD B7 D6, ￥ A3 A4; a paper query in the middle of the job, then the rest and a cut
    client.write(hex('1B 40 1C 26 BB FD B7 D6 20 A3 A4 35 2E 30 30 0A 10 04 04'));
    expect(await client.read(1)).toEqual([0x12]);
    client.write(hex('10 04 02 1D 28 6B 06 00 31 50 30 4A 46 4D 1D 28 6B 03 00 31 51 30 1B 70 00 19 FA 1D 56 42 00'));
    expect(await client.read(1)).toEqual([0x12]);
    const job = await printer.waitForJob();
    expect(job.lines).toEqual(['积分 ￥5.00']);
    expect(job.qrPayloads).toEqual(['JFM']);
    expect(job.drawerKicks).toEqual([{ pin: 2, onMs: 50, offMs: 500, realtime: false }]);
    expect(job.cuts).toEqual([{ mode: 'partial', feed: 0 }]);
    expect(job.endedBy).toBe('cut');
    expect(job.flagged).toBe(false);
    expect(job.bytes.includes(hex('10 04'))).toBe(false);
    expect(job.bytes.subarray(0, 4).equals(hex('1B 40 1C 26'))).toBe(true);
    expect(printer.statusQueries.map((q) => [q.n, q.reply])).toEqual([
      [1, 0x12],
      [4, 0x12],
      [2, 0x12],
    ]);
    client.destroy();
  });

  it('answers per state: offline 0x08, cover open 0x04, paper end 0x20 (n=2) and 0x60 (n=4), near end 0x0C', async () => {
    const client = await connect(printer);
    const ask = async (): Promise<number[]> => {
      client.write(hex('10 04 01 10 04 02 10 04 04'));
      return client.read(3);
    };
    expect(await ask()).toEqual([0x12, 0x12, 0x12]);
    printer.setState('paper_out');
    expect(await ask()).toEqual([0x1a, 0x32, 0x72]);
    printer.setState('cover_open');
    expect(await ask()).toEqual([0x1a, 0x16, 0x12]);
    printer.setState('offline');
    expect(await ask()).toEqual([0x1a, 0x12, 0x12]);
    printer.setState('paper_near_end');
    expect(await ask()).toEqual([0x12, 0x12, 0x1e]);
    expect(statusReply('paper_out', 4) & 0x60).toBe(0x60);
    expect(printer.jobs).toEqual([]);
    client.destroy();
  });

  it('records and flags what is sent while it cannot print', async () => {
    printer.setState('paper_out');
    const client = await connect(printer);
    client.write(hex('1B 40 41 0A 1D 56 00'));
    const job = await printer.waitForJob();
    expect(job.flagged).toBe(true);
    expect(job.printerState).toBe('paper_out');
    expect(job.notReadyStates).toEqual(['paper_out']);
    client.destroy();
  });

  it('runs a real-time drawer pulse (DLE DC4) at once while out of paper, outside any job', async () => {
    printer.setState('paper_out');
    const client = await connect(printer);
    client.write(hex('10 14 01 01 01'));
    await new Promise((r) => setTimeout(r, 100));
    expect(printer.realtimePulses).toMatchObject([{ pin: 5, onMs: 100, state: 'paper_out' }]);
    expect(printer.jobs).toHaveLength(0);
    client.destroy();
  });

  it('ends a job without a cut after an idle gap, and on close', async () => {
    const client = await connect(printer);
    client.write(hex('1B 70 00 19 FA'));
    const kick = await printer.waitForJob();
    expect(kick.endedBy).toBe('idle');
    expect(kick.drawerKicks).toHaveLength(1);
    expect(kick.completedAt.getTime() - kick.lastByteAt.getTime()).toBeGreaterThanOrEqual(90);

    client.write(hex('42 43'));
    client.end();
    const text = await printer.waitForJob((j) => j.id === kick.id + 1);
    expect(text.endedBy).toBe('close');
    expect(text.lines).toEqual(['BC']);
  });

  it('splits two receipts sent in one write at the cut', async () => {
    const client = await connect(printer);
    client.write(hex('41 0A 1D 56 01 42 0A 1D 56 01'));
    await printer.waitForJob((j) => j.id === 2);
    expect(printer.jobs.map((j) => j.lines)).toEqual([['A'], ['B']]);
    client.destroy();
  });

  it('stays silent on DLE EOT when told to, like printers that never answer status', async () => {
    printer.setAnswerStatus(false);
    const client = await connect(printer);
    client.write(hex('10 04 01'));
    await expect(client.read(1)).rejects.toThrow(/expected 1 reply/);
    expect(printer.statusQueries).toMatchObject([{ n: 1, reply: null }]);
    client.destroy();
  });

  it('answers GS r 1 with the paper sensor byte', async () => {
    const client = await connect(printer);
    client.write(hex('1D 72 01'));
    expect(await client.read(1)).toEqual([0x00]);
    client.destroy();
  });

  it('rejects waitForJob when nothing comes', async () => {
    await expect(printer.waitForJob(undefined, 50)).rejects.toThrow(/no matching job/);
  });
});

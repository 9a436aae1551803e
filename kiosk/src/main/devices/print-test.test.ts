import { describe, expect, it } from 'vitest';
import { buildTestPage, PRINT_TEST_QR_PAYLOAD, runPrintTest } from './print-test.js';
import { encodeText } from './text-codec.js';
import type { PrinterTransport, StatusReply } from './transports.js';

class Printer implements PrinterTransport {
  readonly uri = 'fake:';
  writes: Uint8Array[] = [];
  constructor(private readonly reply: (n: number) => StatusReply) {}
  async write(bytes: Uint8Array): Promise<void> {
    this.writes.push(bytes);
  }
  async queryStatus(n: 1 | 2 | 4): Promise<StatusReply> {
    return this.reply(n);
  }
  async close(): Promise<void> {}
}

async function run(printer: Printer) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runPrintTest({ uri: 'tcp://printer:9100', transport: printer, log: (l) => out.push(l), error: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe('print test', () => {
  it('builds a page with Chinese text in Chinese mode, ￥ as A3 A4, both QR kinds and a cut', () => {
    const page = hex(buildTestPage({ uri: 'tcp://printer:9100' }));
    expect(page).toContain('1c26' + hex(encodeText('积分打印测试 中文测试 ￥12.34')));
    expect(page).toContain('a3a4' + hex(encodeText('12.34')));
    expect(page).toContain('1d7630'); // raster QR (GS v 0)
    expect(page).toContain('1d286b' + '1300' + '315030' + hex(encodeText(PRINT_TEST_QR_PAYLOAD)));
    expect(page.endsWith('1d564200')).toBe(true);
  });

  it('exits 0 when the printer is ready before and after', async () => {
    const printer = new Printer(() => ({ kind: 'byte', byte: 0x12 }));
    const r = await run(printer);
    expect(r.code).toBe(0);
    expect(printer.writes).toHaveLength(1);
    expect(r.out).toContain('就绪 (ready)');
    expect(r.err).toBe('');
  });

  it('exits 1 with 缺纸 and prints nothing when the paper is out', async () => {
    const printer = new Printer((n) => ({ kind: 'byte', byte: n === 1 ? 0x1a : n === 2 ? 0x32 : 0x72 }));
    const r = await run(printer);
    expect(r.code).toBe(1);
    expect(r.err).toContain('缺纸 (paper out)');
    expect(printer.writes).toHaveLength(0);
  });

  it('exits 1 with 开盖 / 离线', async () => {
    const cover = await run(new Printer((n) => ({ kind: 'byte', byte: n === 1 ? 0x1a : n === 2 ? 0x16 : 0x12 })));
    expect(cover).toMatchObject({ code: 1 });
    expect(cover.err).toContain('开盖 (cover open)');
    const offline = await run(new Printer((n) => ({ kind: 'byte', byte: n === 1 ? 0x1a : 0x12 })));
    expect(offline.err).toContain('离线 (offline)');
  });

  it('exits 1 when the printer does not answer status, without printing', async () => {
    const printer = new Printer(() => ({ kind: 'timeout' }));
    const r = await run(printer);
    expect(r.code).toBe(1);
    expect(r.err).toContain('printer did not answer the status query');
    expect(printer.writes).toHaveLength(0);
  });

  it('exits 2 on a bad URI', async () => {
    const r = await runPrintTest({ uri: 'lp0', log: () => undefined, error: () => undefined });
    expect(r).toBe(2);
  });
});

/**
 * The kiosk's receipt bytes, sent through its TCP transport and PrinterService, decoded by the
 * virtual printer: what a cashier would find on the paper.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createPrinterService } from '../../../kiosk/src/main/devices/printer.js';
import { qrCellFor, renderReceiptEscPos, sampleReceipt } from '../../../kiosk/src/main/devices/receipt.js';
import type { Fen, SaleReceipt } from '../../../kiosk/src/main/devices/receipt.js';
import { qrMatrix } from '../../../kiosk/src/main/devices/receiptline-adapter.js';
import { openTransport } from '../../../kiosk/src/main/devices/transports.js';
import { decodeEscPos, rasterMatchesQrMatrix } from './job.js';
import { startVirtualPrinter } from './virtual-printer.js';
import type { VirtualPrinter } from './virtual-printer.js';

let printer: VirtualPrinter;
beforeAll(async () => {
  printer = await startVirtualPrinter({ port: 0 });
});
afterAll(async () => {
  await printer.close();
});
beforeEach(() => {
  printer.clearJobs();
  printer.setState('ready');
});

/** A label/value row as printed: value right-aligned to `width` columns (GB18030 characters are 2). */
function row(label: string, value: string, width = 32): string {
  const cols = (t: string): number => [...t].reduce((w, c) => w + ((c.codePointAt(0) ?? 0) < 0x80 ? 1 : 2), 0);
  return label + ' '.repeat(width - cols(label) - cols(value)) + value;
}

/** Printed lines with centring and indentation removed. */
const trimmed = (lines: readonly string[]): string[] => lines.map((l) => l.trim());

async function printReceipt(receipt: SaleReceipt, jobId: string, options: Parameters<typeof renderReceiptEscPos>[1] = {}) {
  const service = await createPrinterService({ transport: openTransport(printer.uri) });
  const result = await service.print({ jobId, bytes: renderReceiptEscPos(receipt, options) });
  await service.close();
  return result;
}

describe('receipt → virtual printer', () => {
  it('prints correct Chinese, ￥ as U+FFE5 and the right columns', async () => {
    const result = await printReceipt(sampleReceipt(), 'order-1');
    expect(result.status).toBe('printed');
    const job = await printer.waitForJob();
    expect(job.flagged).toBe(false);
    expect(job.warnings).toEqual([]);
    expect(job.unknownCommands).toEqual([]);
    expect(job.endedBy).toBe('cut');
    expect(job.cuts).toEqual([{ mode: 'partial', feed: 0 }]);
    expect(job.lines).toEqual(
      expect.arrayContaining([
        '时间 2025-05-01 12:34:56',
        '可口可乐 330ml',
        row('  2 × ￥3.50', '￥7.00'),
        row('  1.5kg × ￥5.98', '￥8.97'),
        row('积分抵扣 200积分', '-￥2.00'),
        row('合计', '￥12.97'),
        row('  找零', '￥7.03'),
        row('会员', '138****5678'),
      ]),
    );
    expect(trimmed(job.lines)).toEqual(
      expect.arrayContaining(['积分便利店（人民路店）', '上海市黄浦区人民路100号', '扫码领取积分', '有效期至 2025-05-08 23:59']),
    );
    // centred lines are centred: the store name starts (32 − 22) / 2 = 5 columns in
    expect(job.lines).toContain('     积分便利店（人民路店）');
    expect(job.text).not.toContain('¥');
    expect(job.text).not.toContain('\ufffd');
    expect([...job.text].filter((c) => c === '￥').length).toBeGreaterThan(5);
  });

  it('prints the claim code as a raster QR that encodes exactly the code', async () => {
    const receipt = sampleReceipt();
    await printReceipt(receipt, 'order-2');
    const job = await printer.waitForJob();
    expect(job.rasterImages).toHaveLength(1);
    const image = job.rasterImages[0];
    if (!image) throw new Error('no image');
    const cell = qrCellFor('58mm');
    const matrix = qrMatrix({ data: receipt.claim?.code ?? '', cell, level: 'm' });
    expect(image.heightDots).toBe(matrix.length * cell);
    expect(rasterMatchesQrMatrix(image, matrix, cell)).toBe(true);
    expect(rasterMatchesQrMatrix(image, qrMatrix({ data: 'JFR1.other', cell, level: 'm' }), cell)).toBe(false);
  });

  it('prints a native QR carrying the claim code when asked to', async () => {
    await printReceipt(sampleReceipt(), 'order-3', { qr: 'native', paper: '80mm' });
    const job = await printer.waitForJob();
    expect(job.qrPayloads).toEqual(['JFR1.7Hq2mZ0bXk.Sig_9']);
    expect(job.rasterImages).toEqual([]);
    expect(job.lines).toContain(row('合计', '￥12.97', 48));
  });

  it("decodes receiptline's 'escpos' command set too (GS 8 L graphics), with a big 重印 on reprints", () => {
    const receipt = { ...sampleReceipt(), reprint: true };
    const job = decodeEscPos(renderReceiptEscPos(receipt, { commandSet: 'escpos' }));
    expect(job.unknownCommands).toEqual([]);
    expect(job.warnings).toEqual([]);
    expect(job.rasterImages.map((i) => i.via)).toEqual(['GS 8 L']);
    const image = job.rasterImages[0];
    const cell = qrCellFor('58mm');
    expect(image && rasterMatchesQrMatrix(image, qrMatrix({ data: receipt.claim?.code ?? '', cell, level: 'm' }), cell)).toBe(true);
    expect(trimmed(job.lines)[0]).toBe('重印');
    const reprintSize = job.commands.findIndex((c) => c.kind === 'text' && c.text === '重印');
    expect(
      job.commands
        .slice(0, reprintSize)
        .filter((c) => c.kind === 'char_size')
        .at(-1),
    ).toMatchObject({ width: 3, height: 3 });
  });

  it('prints a product name full of markup characters literally', async () => {
    const name = '特价|{促销}~_"`^\\ --- ==';
    const zero = 0 as Fen;
    await printReceipt(
      { ...sampleReceipt(), lines: [{ name, qty: 1, unitPriceFen: 100 as Fen, amountFen: 100 as Fen }], discountFen: zero },
      'order-4',
    );
    const job = await printer.waitForJob();
    expect(job.lines).toContain(name);
    expect(job.lines).toContain(row('  1 × ￥1.00', '￥1.00'));
  });

  it('holds the receipt when the paper is out: nothing reaches the printer', async () => {
    printer.setState('paper_out');
    const result = await printReceipt(sampleReceipt(), 'order-5');
    expect(result).toMatchObject({ status: 'held', reason: 'paper_out' });
    await new Promise((r) => setTimeout(r, 250));
    expect(printer.jobs).toEqual([]);
    printer.setState('ready');
    expect(await printReceipt(sampleReceipt(), 'order-5')).toMatchObject({ status: 'printed' });
  });

  it('prints anyway, with a warning, on a printer that never answers DLE EOT', async () => {
    printer.setAnswerStatus(false);
    try {
      const service = await createPrinterService({ transport: openTransport(printer.uri), statusTimeoutMs: 100 });
      const result = await service.print({ jobId: 'order-6', bytes: renderReceiptEscPos(sampleReceipt()) });
      await service.close();
      expect(result).toMatchObject({ status: 'printed', warnings: ['no_status_reply'] });
      expect(trimmed((await printer.waitForJob()).lines)).toContain('扫码领取积分');
    } finally {
      printer.setAnswerStatus(true);
    }
  });

  it('kicks the drawer through the same connection', async () => {
    const service = await createPrinterService({ transport: openTransport(printer.uri) });
    expect(await service.openDrawer('cashier-1')).toEqual({ ok: true, warning: null });
    await service.close();
    const job = await printer.waitForJob();
    expect(job.drawerKicks).toEqual([{ pin: 2, onMs: 50, offMs: 500, realtime: false }]);
  });

  it('measures render + print (logged, not asserted)', async () => {
    const service = await createPrinterService({ transport: openTransport(printer.uri, { idleCloseMs: 0 }) });
    await service.checkStatus(); // connection up, as it is at the till before a sale
    const paidAt = performance.now();
    const bytes = renderReceiptEscPos({ ...sampleReceipt(), orderNo: 'latency' });
    const rendered = performance.now();
    const result = await service.print({ jobId: 'latency', bytes });
    const job = await printer.waitForJob((j) => j.lines.some((l) => l.includes('latency')));
    const lastByte = job.lastByteAt.getTime() - (Date.now() - performance.now()) - paidAt;
    console.log(
      `order paid → last receipt byte at printer: ~${Math.max(0, lastByte).toFixed(0)} ms ` +
        `(render ${(rendered - paidAt).toFixed(1)} ms, print call incl. status before/after ${(performance.now() - rendered).toFixed(1)} ms, ${bytes.length} bytes; budget 300 ms)`,
    );
    expect(result.status).toBe('printed');
    await service.close();
  });
});

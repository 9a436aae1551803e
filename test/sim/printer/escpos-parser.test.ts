import { describe, expect, it } from 'vitest';
import { EscPosParser, parseEscPos } from './escpos-parser.js';
import type { EscPosCommand } from './escpos-parser.js';
import { decodeEscPos } from './job.js';

/** Bytes written out by hand from the GB18030 table, not produced by the encoder under test. */
const hex = (s: string): Uint8Array =>
  Uint8Array.from(
    s
      .trim()
      .split(/\s+/)
      .map((h) => parseInt(h, 16)),
  );

// 积 BB FD, 分 B7 D6, 商 C9 CC, 店 B5 EA, 合 BA CF, 计 BC C6, 中 D6 D0, 文 CE C4, ￥ A3 A4
const RECEIPT = hex(`
  1B 40 1C 26
  1B 61 01 1D 21 11 BB FD B7 D6 C9 CC B5 EA 0A
  1D 21 00 1B 61 00 1B 45 01 BA CF BC C6 20 A3 A4 31 32 2E 33 34 0A 1B 45 00
  D6 D0 CE C4 0A
  1D 28 6B 04 00 31 41 32 00
  1D 28 6B 03 00 31 43 06
  1D 28 6B 03 00 31 45 31
  1D 28 6B 0D 00 31 50 30 4A 46 52 31 2E 61 62 63 31 32
  1D 28 6B 03 00 31 51 30
  1B 70 00 19 FA
  1D 56 42 03
`);

describe('ESC/POS parser', () => {
  it('decodes Chinese text in GB18030, ￥ from A3 A4, a native QR, a drawer kick and a cut', () => {
    const job = decodeEscPos(RECEIPT);
    expect(job.lines).toEqual(['积分商店', '合计 ￥12.34', '中文']);
    expect(job.text).toContain('￥12.34');
    expect(job.text.codePointAt(job.text.indexOf('￥'))).toBe(0xffe5);
    expect(job.qrPayloads).toEqual(['JFR1.abc12']);
    expect(job.drawerKicks).toEqual([{ pin: 2, onMs: 50, offMs: 500, realtime: false }]);
    expect(job.cuts).toEqual([{ mode: 'partial', feed: 3 }]);
    expect(job.unknownCommands).toEqual([]);
    expect(job.warnings).toEqual([]);
    expect(Buffer.from(job.bytes).equals(Buffer.from(RECEIPT))).toBe(true);
  });

  it('lists the commands in order with their meaning', () => {
    const kinds = parseEscPos(RECEIPT).map((c) => c.kind);
    expect(kinds.slice(0, 6)).toEqual(['init', 'chinese_mode', 'align', 'char_size', 'text', 'lf']);
    const size = parseEscPos(hex('1D 21 11'))[0];
    expect(size).toMatchObject({ kind: 'char_size', width: 2, height: 2 });
    const qrSize = parseEscPos(hex('1D 28 6B 03 00 31 43 06'))[0];
    expect(qrSize).toMatchObject({ kind: 'qr', fn: 'size', value: 6 });
  });

  it('gives the same result whatever the chunking, even inside a GB18030 character or a QR store', () => {
    const whole = parseEscPos(RECEIPT).map(strip);
    const parser = new EscPosParser();
    const pieces: EscPosCommand[] = [];
    for (const byte of RECEIPT) pieces.push(...parser.push(Uint8Array.of(byte)));
    pieces.push(...parser.flush());
    expect(pieces.map(strip)).toEqual(whole);
  });

  it('decodes four-byte GB18030 sequences (¥ U+00A5 is 81 30 84 36)', () => {
    const job = decodeEscPos(hex('1C 26 81 30 84 36 31 0A'));
    expect(job.lines).toEqual(['¥1']);
  });

  it('shows mojibake and warns when Chinese text is sent with Chinese mode off', () => {
    const job = decodeEscPos(hex('1B 40 1C 2E BB FD B7 D6 0A'));
    expect(job.text).not.toContain('积分');
    expect(job.warnings).toHaveLength(1);
    // ESC @ does not switch Chinese mode on by default (strict printer model) ...
    expect(decodeEscPos(hex('1B 40 BB FD 0A')).text).not.toBe('积');
    // ... unless the printer is configured that way.
    expect(decodeEscPos(hex('1B 40 BB FD 0A'), { chineseModeAfterInit: true }).text).toBe('积');
  });

  it('records raster images with their size (GS v 0 and GS 8 L)', () => {
    // GS v 0: 2 bytes per row (16 dots) × 3 rows
    const job = decodeEscPos(hex('1D 76 30 00 02 00 03 00 FF 00 00 FF 81 81 0A'));
    expect(job.rasterImages).toEqual([{ via: 'GS v 0', widthDots: 16, heightDots: 3, bytesPerRow: 2, data: hex('FF 00 00 FF 81 81') }]);
    // GS 8 L p1..p4 30 70 30 01 01 31 xL xH yL yH d..., then GS ( L 02 00 30 32 prints it
    const graphics = decodeEscPos(hex('1D 38 4C 0C 00 00 00 30 70 30 01 01 31 08 00 02 00 AA 55 1D 28 4C 02 00 30 32'));
    expect(graphics.rasterImages).toMatchObject([{ via: 'GS 8 L', widthDots: 8, heightDots: 2 }]);
    expect(graphics.commands.map((c) => c.kind)).toEqual(['raster_image', 'graphics_print']);
  });

  it('decodes barcodes (EAN-13 with m=67, CODE128 with code sets)', () => {
    const job = decodeEscPos(hex('1D 48 02 1D 68 50 1D 6B 43 0C 36 39 30 31 32 33 34 35 36 37 38 39 1D 6B 49 08 7B 42 4A 46 7B 43 0C 22'));
    expect(job.barcodes).toEqual([
      { symbology: 'EAN13', data: '690123456789' },
      { symbology: 'CODE128', data: 'JF1234' },
    ]);
  });

  it('distinguishes cut variants and the real-time drawer pulse', () => {
    expect(decodeEscPos(hex('1D 56 00')).cuts).toEqual([{ mode: 'full', feed: null }]);
    expect(decodeEscPos(hex('1D 56 31')).cuts).toEqual([{ mode: 'partial', feed: null }]);
    expect(decodeEscPos(hex('1D 56 41 05')).cuts).toEqual([{ mode: 'full', feed: 5 }]);
    expect(decodeEscPos(hex('1B 70 01 32 FA')).drawerKicks).toEqual([{ pin: 5, onMs: 100, offMs: 500, realtime: false }]);
    expect(decodeEscPos(hex('10 14 01 00 02')).drawerKicks).toEqual([{ pin: 2, onMs: 200, offMs: 200, realtime: true }]);
  });

  it('drops real-time status queries from the decoded job but keeps them as commands', () => {
    const cmds = parseEscPos(hex('10 04 01 41 10 04 04 0A'));
    expect(cmds.map((c) => c.kind)).toEqual(['status_query', 'text', 'status_query', 'lf']);
    const job = decodeEscPos(hex('10 04 01 41 10 04 04 0A'));
    expect(job.lines).toEqual(['A']);
    expect([...job.bytes]).toEqual([0x41, 0x0a]);
  });

  it('renders column positions (GS L, ESC $) as spaces, counting Chinese as two columns', () => {
    // 商 at column 0, then ESC $ to dot 120 (column 10), then "5"
    const job = decodeEscPos(hex('1C 26 C9 CC 1B 24 78 00 35 0A 1D 4C 18 00 41 0A'));
    expect(job.lines).toEqual(['商        5', '  A']);
  });

  it('records what it does not understand instead of failing', () => {
    const job = decodeEscPos(hex('1B 7F 41 0A 00'));
    expect(job.unknownCommands.map((b) => [...b])).toEqual([[0x1b, 0x7f], [0x00]]);
    expect(job.lines).toEqual(['A']);
  });
});

function strip(c: EscPosCommand): unknown {
  const { raw, ...rest } = c;
  return { ...rest, raw: [...raw] };
}

/**
 * Turns parsed ESC/POS commands into what a person would find on the paper: text lines, QR payloads,
 * images, barcodes, cuts and drawer kicks. The virtual printer builds one `DecodedJob` per job; tests
 * can also decode a byte array directly with `decodeEscPos`.
 */
import { parseEscPos } from './escpos-parser.js';
import type { BarcodeSymbology, EscPosCommand, EscPosParserOptions } from './escpos-parser.js';

export interface RasterImage {
  via: 'GS v 0' | 'GS 8 L' | 'GS ( L';
  widthDots: number;
  heightDots: number;
  bytesPerRow: number;
  /** Row-major, most significant bit = leftmost dot, 1 = black. */
  data: Uint8Array;
}

export interface DrawerKick {
  pin: 2 | 5;
  onMs: number;
  offMs: number;
  realtime: boolean;
}

export interface Cut {
  mode: 'full' | 'partial';
  feed: number | null;
}

export interface DecodedJob {
  /** Everything received for the job except real-time status queries. */
  bytes: Buffer;
  commands: EscPosCommand[];
  /** Printed lines, right-trimmed; column positions (ESC $, ESC \, GS L) rendered as spaces. */
  lines: string[];
  /** `lines` joined with '\n'. */
  text: string;
  /** Payloads of native QR codes (`GS ( k` store + print), decoded as UTF-8. */
  qrPayloads: string[];
  /**
   * Raster images (GS v 0, GS 8 L / GS ( L). A raster QR is recorded as an image: no QR decoder is
   * installed in this workspace, so tests compare it with the expected module matrix instead.
   */
  rasterImages: RasterImage[];
  barcodes: { symbology: BarcodeSymbology; data: string }[];
  cuts: Cut[];
  drawerKicks: DrawerKick[];
  /** `GS r n` requests the printer answered. */
  transmitStatusRequests: number[];
  /** Byte sequences the parser did not recognise. */
  unknownCommands: Uint8Array[];
  /** Things a real printer would get wrong, e.g. high bytes printed with Chinese mode off. */
  warnings: string[];
}

/** Dots per character column: font A is 12 × 24 at 203 dpi. */
const DOTS_PER_COLUMN = 12;

/** Accumulates commands; `finish()` returns the decoded job. */
export class JobBuilder {
  private readonly commands: EscPosCommand[] = [];
  private readonly lines: string[] = [];
  private line = '';
  /** Cursor position in columns from the paper's left edge. */
  private column = 0;
  private leftMarginDots = 0;
  private widthMultiplier = 1;
  private storedQr: Uint8Array | null = null;
  private readonly qrPayloads: string[] = [];
  private readonly rasterImages: RasterImage[] = [];
  private readonly barcodes: { symbology: BarcodeSymbology; data: string }[] = [];
  private readonly cuts: Cut[] = [];
  private readonly drawerKicks: DrawerKick[] = [];
  private readonly transmitStatusRequests: number[] = [];
  private readonly unknownCommands: Uint8Array[] = [];
  private readonly warnings = new Set<string>();

  get isEmpty(): boolean {
    return this.commands.length === 0;
  }

  add(cmd: EscPosCommand): void {
    if (cmd.kind === 'status_query') return;
    this.commands.push(cmd);
    switch (cmd.kind) {
      case 'text':
        this.text(cmd.text, cmd.chinese);
        if (cmd.highBytesInSingleByteMode && cmd.codePage !== 1) {
          this.warnings.add(`bytes >= 0x80 printed with Chinese mode off (code page ${cmd.codePage}): Chinese would print as garbage`);
        }
        break;
      case 'lf':
        this.newLine();
        break;
      case 'ht':
        this.padTo(this.column + 8 - (this.column % 8));
        break;
      case 'feed':
        if (cmd.lines !== null) {
          this.newLine();
          for (let k = 1; k < cmd.lines; k++) this.lines.push('');
        }
        break;
      case 'init':
        this.leftMarginDots = 0;
        this.widthMultiplier = 1;
        break;
      case 'char_size':
        this.widthMultiplier = cmd.width;
        break;
      case 'print_area':
        if (cmd.setting === 'left_margin') this.leftMarginDots = cmd.dots;
        break;
      case 'position': {
        const target =
          cmd.mode === 'absolute'
            ? Math.round((this.leftMarginDots + cmd.dots) / DOTS_PER_COLUMN)
            : this.column + Math.round(cmd.dots / DOTS_PER_COLUMN);
        this.padTo(target);
        break;
      }
      case 'qr':
        if (cmd.fn === 'store') this.storedQr = cmd.payload;
        if (cmd.fn === 'print') {
          if (this.storedQr) this.qrPayloads.push(new TextDecoder().decode(this.storedQr));
          else this.warnings.add('QR print without stored data');
        }
        break;
      case 'raster_image':
        this.flushLine();
        this.rasterImages.push({
          via: cmd.via,
          widthDots: cmd.widthDots,
          heightDots: cmd.heightDots,
          bytesPerRow: cmd.bytesPerRow,
          data: cmd.data,
        });
        break;
      case 'barcode':
        this.barcodes.push({ symbology: cmd.symbology, data: cmd.data });
        break;
      case 'cut':
        this.flushLine();
        this.cuts.push({ mode: cmd.mode, feed: cmd.feed });
        break;
      case 'drawer_kick':
        this.drawerKicks.push({ pin: cmd.pin, onMs: cmd.onMs, offMs: cmd.offMs, realtime: cmd.realtime });
        break;
      case 'transmit_status':
        this.transmitStatusRequests.push(cmd.n);
        break;
      case 'unknown':
        this.unknownCommands.push(cmd.raw);
        break;
      default:
        break;
    }
  }

  finish(): DecodedJob {
    this.flushLine();
    const lines = [...this.lines];
    return {
      bytes: Buffer.concat(this.commands.map((c) => c.raw)),
      commands: [...this.commands],
      lines,
      text: lines.join('\n'),
      qrPayloads: [...this.qrPayloads],
      rasterImages: [...this.rasterImages],
      barcodes: [...this.barcodes],
      cuts: [...this.cuts],
      drawerKicks: [...this.drawerKicks],
      transmitStatusRequests: [...this.transmitStatusRequests],
      unknownCommands: [...this.unknownCommands],
      warnings: [...this.warnings],
    };
  }

  private text(text: string, chinese: boolean): void {
    if (this.line.length === 0 && this.column === 0) this.padTo(Math.round(this.leftMarginDots / DOTS_PER_COLUMN));
    this.line += text;
    for (const ch of text) {
      const wide = chinese && (ch.codePointAt(0) ?? 0) >= 0x80;
      this.column += (wide ? 2 : 1) * this.widthMultiplier;
    }
  }

  private padTo(target: number): void {
    if (target > this.column) {
      this.line += ' '.repeat(target - this.column);
      this.column = target;
    }
  }

  private newLine(): void {
    this.lines.push(this.line.trimEnd());
    this.line = '';
    this.column = 0;
  }

  /** Ends a partly filled line (before an image or a cut); an empty one adds nothing. */
  private flushLine(): void {
    if (this.line.trim().length > 0) this.newLine();
    this.line = '';
    this.column = 0;
  }
}

/** Parses and decodes a complete byte sequence (no status replies: queries are just dropped). */
export function decodeEscPos(bytes: Uint8Array, options: EscPosParserOptions = {}): DecodedJob {
  const builder = new JobBuilder();
  for (const cmd of parseEscPos(bytes, options)) builder.add(cmd);
  return builder.finish();
}

/** Black/white of one dot of a raster image. */
export function rasterDot(image: RasterImage, x: number, y: number): boolean {
  const byte = image.data[y * image.bytesPerRow + (x >> 3)] ?? 0;
  return (byte & (0x80 >> (x & 7))) !== 0;
}

/**
 * Whether a raster image is exactly the QR symbol `matrix` (rows of 0/1) drawn with `cell` dots per
 * module from the top-left corner: every dot checked, so one flipped module fails.
 */
export function rasterMatchesQrMatrix(image: RasterImage, matrix: readonly (readonly number[])[], cell: number): boolean {
  const size = matrix.length * cell;
  if (image.widthDots < size || image.heightDots !== size) return false;
  for (let y = 0; y < size; y++) {
    const row = matrix[Math.floor(y / cell)];
    if (!row) return false;
    for (let x = 0; x < image.widthDots; x++) {
      const expected = x < size ? row[Math.floor(x / cell)] === 1 : false;
      if (rasterDot(image, x, y) !== expected) return false;
    }
  }
  return true;
}

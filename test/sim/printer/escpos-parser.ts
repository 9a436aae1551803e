/**
 * A streaming ESC/POS parser: bytes in (in any chunking), commands out. See README.md in this
 * folder for the command table and the rules it follows.
 *
 * The printer's encoding is decoded with the kiosk's helper (iconv-lite is a kiosk dependency and
 * does not resolve from test/), so the simulator and the kiosk agree on GB18030 by construction.
 */
import { decodeText, gb18030CharLength } from '../../../kiosk/src/main/devices/text-codec.js';

export type Alignment = 'left' | 'center' | 'right';

/** One command (or run of text) as the printer would see it. `raw` holds its exact bytes. */
export type EscPosCommand = CommandBody & { raw: Uint8Array };

export type CommandBody =
  | { kind: 'text'; text: string; chinese: boolean; codePage: number; highBytesInSingleByteMode: boolean }
  | { kind: 'lf' }
  | { kind: 'cr' }
  | { kind: 'ht' }
  | { kind: 'init' }
  | { kind: 'chinese_mode'; on: boolean }
  | { kind: 'code_page'; page: number }
  | { kind: 'align'; align: Alignment }
  | { kind: 'bold'; on: boolean }
  | { kind: 'underline'; dots: number; chinese: boolean }
  | { kind: 'invert'; on: boolean }
  | { kind: 'char_size'; width: number; height: number }
  | { kind: 'print_mode'; value: number; chinese: boolean }
  | { kind: 'cut'; mode: 'full' | 'partial'; feed: number | null }
  | { kind: 'drawer_kick'; pin: 2 | 5; onMs: number; offMs: number; realtime: boolean }
  | { kind: 'qr'; fn: 'model' | 'size' | 'error_level' | 'store' | 'print' | 'other'; value: number | null; payload: Uint8Array | null }
  | {
      kind: 'raster_image';
      via: 'GS v 0' | 'GS 8 L' | 'GS ( L';
      widthDots: number;
      heightDots: number;
      bytesPerRow: number;
      data: Uint8Array;
    }
  | { kind: 'graphics_print' }
  | { kind: 'barcode'; symbology: BarcodeSymbology; data: string }
  | { kind: 'barcode_setting'; setting: 'hri_position' | 'height' | 'module_width' | 'hri_font'; value: number }
  | { kind: 'feed'; lines: number | null; dots: number | null }
  | { kind: 'position'; mode: 'absolute' | 'relative'; dots: number }
  | { kind: 'print_area'; setting: 'left_margin' | 'width'; dots: number }
  | { kind: 'status_query'; n: number }
  | { kind: 'transmit_status'; n: number }
  | { kind: 'setting'; name: string }
  | { kind: 'unknown' };

export type BarcodeSymbology =
  'UPC-A' | 'UPC-E' | 'EAN13' | 'EAN8' | 'CODE39' | 'ITF' | 'CODABAR' | 'CODE93' | 'CODE128' | 'GS1-128' | 'other';

export interface EscPosParserOptions {
  /**
   * Whether `ESC @` leaves the printer in Chinese mode. Chinese-market printers differ (memory switch
   * or DIP switch); the default false is the strict choice: a job that never sends `FS &` decodes as
   * mojibake, exactly as it would print on such a printer.
   */
  chineseModeAfterInit?: boolean;
}

/** Which byte at the start of the buffer could not be parsed yet. */
const NEED_MORE = null;

interface Step {
  body: CommandBody;
  length: number;
}

const LF = 0x0a;
const CR = 0x0d;
const HT = 0x09;
const DLE = 0x10;
const ESC = 0x1b;
const FS = 0x1c;
const GS = 0x1d;

const BARCODE_A: readonly BarcodeSymbology[] = ['UPC-A', 'UPC-E', 'EAN13', 'EAN8', 'CODE39', 'ITF', 'CODABAR'];
const BARCODE_B: Record<number, BarcodeSymbology> = {
  65: 'UPC-A',
  66: 'UPC-E',
  67: 'EAN13',
  68: 'EAN8',
  69: 'CODE39',
  70: 'ITF',
  71: 'CODABAR',
  72: 'CODE93',
  73: 'CODE128',
  74: 'GS1-128',
};

/**
 * Code page 1 (Katakana on Epson) line-drawing characters that receiptline uses for rules with
 * Chinese mode off. Mapped so decoded text stays readable.
 */
const PAGE1_BOX: Record<number, string> = {
  0x8f: '┼',
  0x90: '┴',
  0x91: '┬',
  0x92: '┤',
  0x93: '├',
  0x95: '─',
  0x96: '│',
  0x98: '┌',
  0x99: '┐',
  0x9a: '└',
  0x9b: '┘',
  0x9c: '╭',
  0x9d: '╮',
  0x9e: '╰',
  0x9f: '╯',
};

export class EscPosParser {
  private pending: Uint8Array = new Uint8Array(0);
  private chinese: boolean;
  private codePage = 0;
  private readonly chineseAfterInit: boolean;

  constructor(options: EscPosParserOptions = {}) {
    this.chineseAfterInit = options.chineseModeAfterInit ?? false;
    this.chinese = this.chineseAfterInit;
  }

  /** Whether the printer is in Chinese (double-byte) mode after the bytes seen so far. */
  get chineseMode(): boolean {
    return this.chinese;
  }

  /** Parses every complete command; an incomplete one at the end waits for the next chunk. */
  push(chunk: Uint8Array): EscPosCommand[] {
    this.pending = this.pending.length === 0 ? chunk : concat(this.pending, chunk);
    return this.drain(false);
  }

  /**
   * No more bytes for now (end of stream, or an idle gap): what is left becomes text or an
   * `unknown` (truncated) command. Modes (Chinese, code page) carry over to later bytes.
   */
  flush(): EscPosCommand[] {
    const out = this.drain(true);
    this.pending = new Uint8Array(0);
    return out;
  }

  private drain(final: boolean): EscPosCommand[] {
    const out: EscPosCommand[] = [];
    const buf = this.pending;
    let i = 0;
    while (i < buf.length) {
      let step = this.parseAt(buf, i, final);
      if (step === NEED_MORE) {
        if (!final) break;
        step = { body: { kind: 'unknown' }, length: buf.length - i };
      }
      const raw = buf.slice(i, i + step.length);
      this.apply(step.body);
      out.push({ ...step.body, raw });
      i += step.length;
    }
    this.pending = buf.slice(i);
    return out;
  }

  private apply(body: CommandBody): void {
    if (body.kind === 'init') {
      this.chinese = this.chineseAfterInit;
      this.codePage = 0;
    } else if (body.kind === 'chinese_mode') {
      this.chinese = body.on;
    } else if (body.kind === 'code_page') {
      this.codePage = body.page;
    }
  }

  private parseAt(b: Uint8Array, i: number, final: boolean): Step | null {
    const c = b[i] as number;
    const avail = b.length - i;
    const at = (k: number): number => b[i + k] as number;
    /** A fixed-length command: `n` bytes or wait. */
    const fixed = (n: number, body: () => CommandBody): Step | null => (avail >= n ? { body: body(), length: n } : NEED_MORE);

    switch (c) {
      case LF:
        return { body: { kind: 'lf' }, length: 1 };
      case CR:
        return { body: { kind: 'cr' }, length: 1 };
      case HT:
        return { body: { kind: 'ht' }, length: 1 };
      case DLE:
        return this.parseDle(b, i, avail, at, fixed);
      case ESC:
        return this.parseEsc(b, i, avail, at, fixed);
      case FS:
        return this.parseFs(avail, at, fixed);
      case GS:
        return this.parseGs(b, i, avail, at, fixed);
      default:
        break;
    }
    if (c < 0x20) return { body: { kind: 'unknown' }, length: 1 };
    return this.parseText(b, i, final);
  }

  /**
   * Text up to the next control byte. A run reaching the end of the buffer waits for more bytes
   * (it may continue, or end inside a GB18030 character) unless `final`.
   */
  private parseText(b: Uint8Array, i: number, final: boolean): Step | null {
    let j = i;
    let high = false;
    while (j < b.length) {
      const byte = b[j] as number;
      if (byte < 0x20) break;
      if (this.chinese) {
        const n = gb18030CharLength(b, j);
        if (n === 0) {
          j = b.length;
          break;
        }
        j += n;
      } else {
        if (byte >= 0x80) high = true;
        j += 1;
      }
    }
    if (j === b.length && !final) return NEED_MORE;
    const bytes = b.subarray(i, j);
    const text = this.chinese ? decodeText(bytes, 'gb18030') : this.decodeSingleByte(bytes);
    return {
      body: { kind: 'text', text, chinese: this.chinese, codePage: this.codePage, highBytesInSingleByteMode: high },
      length: j - i,
    };
  }

  private decodeSingleByte(bytes: Uint8Array): string {
    if (this.codePage === 1) {
      return Array.from(bytes, (x) => (x < 0x80 ? String.fromCharCode(x) : (PAGE1_BOX[x] ?? '\ufffd'))).join('');
    }
    return decodeText(bytes, 'cp437');
  }

  private parseDle(
    _b: Uint8Array,
    _i: number,
    avail: number,
    at: (k: number) => number,
    fixed: (n: number, body: () => CommandBody) => Step | null,
  ): Step | null {
    if (avail < 2) return NEED_MORE;
    const c1 = at(1);
    if (c1 === 0x04) {
      if (avail < 3) return NEED_MORE;
      const n = at(2);
      // DLE EOT 7 a and DLE EOT 8 a carry one more byte (ink / paper-usage statuses).
      return n === 7 || n === 8 ? fixed(4, () => ({ kind: 'status_query', n })) : fixed(3, () => ({ kind: 'status_query', n }));
    }
    if (c1 === 0x05) return fixed(3, () => ({ kind: 'setting', name: 'DLE ENQ (real-time request)' }));
    if (c1 === 0x14) {
      if (avail < 3) return NEED_MORE;
      if (at(2) === 1) {
        // DLE DC4 1 m t: real-time pulse, t × 100 ms on and off.
        return fixed(5, () => ({ kind: 'drawer_kick', pin: at(3) === 1 ? 5 : 2, onMs: at(4) * 100, offMs: at(4) * 100, realtime: true }));
      }
      return fixed(5, () => ({ kind: 'setting', name: 'DLE DC4 (real-time)' }));
    }
    return { body: { kind: 'unknown' }, length: 1 };
  }

  private parseEsc(
    b: Uint8Array,
    i: number,
    avail: number,
    at: (k: number) => number,
    fixed: (n: number, body: () => CommandBody) => Step | null,
  ): Step | null {
    if (avail < 2) return NEED_MORE;
    const setting = (n: number, name: string): Step | null => fixed(n, () => ({ kind: 'setting', name }));
    switch (at(1)) {
      case 0x40: // ESC @
        return fixed(2, () => ({ kind: 'init' }));
      case 0x21: // ESC ! n
        return fixed(3, () => ({ kind: 'print_mode', value: at(2), chinese: false }));
      case 0x45: // ESC E n
      case 0x47: // ESC G n (double strike prints as bold)
        return fixed(3, () => ({ kind: 'bold', on: (at(2) & 1) === 1 }));
      case 0x2d: // ESC - n
        return fixed(3, () => ({ kind: 'underline', dots: underlineDots(at(2)), chinese: false }));
      case 0x61: // ESC a n
        return fixed(3, () => ({ kind: 'align', align: alignment(at(2)) }));
      case 0x74: // ESC t n
        return fixed(3, () => ({ kind: 'code_page', page: at(2) }));
      case 0x64: // ESC d n
        return fixed(3, () => ({ kind: 'feed', lines: at(2), dots: null }));
      case 0x4a: // ESC J n
        return fixed(3, () => ({ kind: 'feed', lines: null, dots: at(2) }));
      case 0x70: // ESC p m t1 t2
        return fixed(5, () => ({
          kind: 'drawer_kick',
          pin: (at(2) & 1) === 1 ? 5 : 2,
          onMs: at(3) * 2,
          offMs: at(4) * 2,
          realtime: false,
        }));
      case 0x24: // ESC $ nL nH
        return fixed(4, () => ({ kind: 'position', mode: 'absolute', dots: at(2) + 256 * at(3) }));
      case 0x5c: // ESC \ nL nH (signed)
        return fixed(4, () => {
          const v = at(2) + 256 * at(3);
          return { kind: 'position', mode: 'relative', dots: v >= 0x8000 ? v - 0x10000 : v };
        });
      case 0x69: // ESC i, ESC m: legacy cuts
        return fixed(2, () => ({ kind: 'cut', mode: 'full', feed: null }));
      case 0x6d:
        return fixed(2, () => ({ kind: 'cut', mode: 'partial', feed: null }));
      case 0x32:
        return setting(2, 'ESC 2 (default line spacing)');
      case 0x33:
        return setting(3, 'ESC 3 (line spacing)');
      case 0x20:
        return setting(3, 'ESC SP (character spacing)');
      case 0x4d:
        return setting(3, 'ESC M (font)');
      case 0x7b:
        return setting(3, 'ESC { (upside down)');
      case 0x52:
        return setting(3, 'ESC R (international set)');
      case 0x56:
        return setting(3, 'ESC V (rotate)');
      case 0x55:
        return setting(3, 'ESC U (unidirectional)');
      case 0x72:
        return setting(3, 'ESC r (colour)');
      case 0x3d:
        return setting(3, 'ESC = (peripheral)');
      case 0x25:
        return setting(3, 'ESC % (user characters)');
      case 0x3f:
        return setting(3, 'ESC ? (cancel user character)');
      case 0x54:
        return setting(3, 'ESC T (page direction)');
      case 0x53:
        return setting(2, 'ESC S (standard mode)');
      case 0x4c:
        return setting(2, 'ESC L (page mode)');
      case 0x57:
        return setting(10, 'ESC W (page area)');
      case 0x42: // ESC B n t: buzzer on Chinese printers
        return setting(4, 'ESC B (buzzer)');
      case 0x63: // ESC c 3 n / ESC c 4 n / ESC c 5 n
        return setting(4, 'ESC c (panel / sensors)');
      case 0x44: {
        // ESC D n1 ... NUL: tab positions
        const end = b.indexOf(0, i + 2);
        if (end < 0) return avail > 34 ? { body: { kind: 'unknown' }, length: 2 } : NEED_MORE;
        return { body: { kind: 'setting', name: 'ESC D (tab positions)' }, length: end - i + 1 };
      }
      case 0x2a: {
        // ESC * m nL nH d...: bit image, 3 bytes per column in 24-dot modes
        if (avail < 5) return NEED_MORE;
        const columns = at(3) + 256 * at(4);
        const n = 5 + (at(2) >= 32 ? 3 * columns : columns);
        return setting(n, 'ESC * (bit image)');
      }
      default:
        return { body: { kind: 'unknown' }, length: 2 };
    }
  }

  private parseFs(avail: number, at: (k: number) => number, fixed: (n: number, body: () => CommandBody) => Step | null): Step | null {
    if (avail < 2) return NEED_MORE;
    const setting = (n: number, name: string): Step | null => fixed(n, () => ({ kind: 'setting', name }));
    switch (at(1)) {
      case 0x26: // FS &
        return fixed(2, () => ({ kind: 'chinese_mode', on: true }));
      case 0x2e: // FS .
        return fixed(2, () => ({ kind: 'chinese_mode', on: false }));
      case 0x2d: // FS - n
        return fixed(3, () => ({ kind: 'underline', dots: underlineDots(at(2)), chinese: true }));
      case 0x21: // FS ! n
        return fixed(3, () => ({ kind: 'print_mode', value: at(2), chinese: true }));
      case 0x43:
        return setting(3, 'FS C (character code system)');
      case 0x57:
        return setting(3, 'FS W (Chinese quadruple size)');
      case 0x53:
        return setting(4, 'FS S (Chinese character spacing)');
      case 0x70:
        return setting(4, 'FS p (print NV image)');
      case 0x3f:
        return setting(4, 'FS ? (cancel user Chinese character)');
      case 0x32: // FS 2 c1 c2 d1...d72: define a 24×24 user Chinese character
        return setting(76, 'FS 2 (user Chinese character)');
      case 0x28: {
        // FS ( fn pL pH ...
        if (avail < 5) return NEED_MORE;
        return setting(5 + at(3) + 256 * at(4), `FS ( ${String.fromCharCode(at(2))}`);
      }
      default:
        return { body: { kind: 'unknown' }, length: 2 };
    }
  }

  private parseGs(
    b: Uint8Array,
    i: number,
    avail: number,
    at: (k: number) => number,
    fixed: (n: number, body: () => CommandBody) => Step | null,
  ): Step | null {
    if (avail < 2) return NEED_MORE;
    const setting = (n: number, name: string): Step | null => fixed(n, () => ({ kind: 'setting', name }));
    switch (at(1)) {
      case 0x21: // GS ! n: high nibble width−1, low nibble height−1
        return fixed(3, () => ({ kind: 'char_size', width: (at(2) >> 4) + 1, height: (at(2) & 0x0f) + 1 }));
      case 0x42: // GS B n
        return fixed(3, () => ({ kind: 'invert', on: (at(2) & 1) === 1 }));
      case 0x56: {
        // GS V m | GS V m n
        if (avail < 3) return NEED_MORE;
        const m = at(2);
        if (m === 0 || m === 0x30) return fixed(3, () => ({ kind: 'cut', mode: 'full', feed: null }));
        if (m === 1 || m === 0x31) return fixed(3, () => ({ kind: 'cut', mode: 'partial', feed: null }));
        if ([65, 66, 97, 98, 103, 104].includes(m)) {
          return fixed(4, () => ({ kind: 'cut', mode: m % 2 === 1 ? 'full' : 'partial', feed: at(3) }));
        }
        return { body: { kind: 'unknown' }, length: 3 };
      }
      case 0x76: {
        // GS v 0 m xL xH yL yH d1...dk: raster bit image, k = (xL + 256·xH) × (yL + 256·yH)
        if (avail < 8) return NEED_MORE;
        if (at(2) !== 0x30) return { body: { kind: 'unknown' }, length: 3 };
        const bytesPerRow = at(4) + 256 * at(5);
        const height = at(6) + 256 * at(7);
        const n = 8 + bytesPerRow * height;
        return fixed(n, () => ({
          kind: 'raster_image',
          via: 'GS v 0',
          widthDots: bytesPerRow * 8,
          heightDots: height,
          bytesPerRow,
          data: b.slice(i + 8, i + n),
        }));
      }
      case 0x28: {
        // GS ( X pL pH ...: every function of this family is length-prefixed
        if (avail < 5) return NEED_MORE;
        const p = at(3) + 256 * at(4);
        const n = 5 + p;
        if (avail < n) return NEED_MORE;
        const params = b.subarray(i + 5, i + n);
        if (at(2) === 0x6b) return { body: parseQr(params), length: n };
        if (at(2) === 0x4c) return { body: parseGraphics(params, 'GS ( L'), length: n };
        return { body: { kind: 'setting', name: `GS ( ${String.fromCharCode(at(2))}` }, length: n };
      }
      case 0x38: {
        // GS 8 L p1 p2 p3 p4 m fn ...: graphics with a 32-bit length
        if (avail < 7) return NEED_MORE;
        if (at(2) !== 0x4c) return { body: { kind: 'unknown' }, length: 3 };
        const p = at(3) + 256 * at(4) + 65536 * at(5) + 16777216 * at(6);
        const n = 7 + p;
        if (avail < n) return NEED_MORE;
        return { body: parseGraphics(b.subarray(i + 7, i + n), 'GS 8 L'), length: n };
      }
      case 0x6b: {
        // GS k m d1...dk NUL (m 0–6) | GS k m n d1...dn (m 65–79)
        if (avail < 3) return NEED_MORE;
        const m = at(2);
        if (m <= 6) {
          const end = b.indexOf(0, i + 3);
          if (end < 0) return NEED_MORE;
          const data = latin1(b.subarray(i + 3, end));
          return { body: { kind: 'barcode', symbology: BARCODE_A[m] ?? 'other', data }, length: end - i + 1 };
        }
        if (avail < 4) return NEED_MORE;
        const n = 4 + at(3);
        return fixed(n, () => {
          const symbology = BARCODE_B[m] ?? 'other';
          const data = b.subarray(i + 4, i + n);
          return { kind: 'barcode', symbology, data: symbology === 'CODE128' ? decodeCode128(data) : latin1(data) };
        });
      }
      case 0x48:
        return fixed(3, () => ({ kind: 'barcode_setting', setting: 'hri_position', value: at(2) }));
      case 0x68:
        return fixed(3, () => ({ kind: 'barcode_setting', setting: 'height', value: at(2) }));
      case 0x77:
        return fixed(3, () => ({ kind: 'barcode_setting', setting: 'module_width', value: at(2) }));
      case 0x66:
        return fixed(3, () => ({ kind: 'barcode_setting', setting: 'hri_font', value: at(2) }));
      case 0x4c: // GS L nL nH
        return fixed(4, () => ({ kind: 'print_area', setting: 'left_margin', dots: at(2) + 256 * at(3) }));
      case 0x57: // GS W nL nH
        return fixed(4, () => ({ kind: 'print_area', setting: 'width', dots: at(2) + 256 * at(3) }));
      case 0x72: // GS r n: the printer answers one byte
        return fixed(3, () => ({ kind: 'transmit_status', n: at(2) }));
      case 0x61:
        return setting(3, 'GS a (automatic status back)');
      case 0x62:
        return setting(3, 'GS b (smoothing)');
      case 0x49:
        return setting(3, 'GS I (printer ID)');
      case 0x2f:
        return setting(3, 'GS / (print downloaded image)');
      case 0x54:
        return setting(3, 'GS T (print position to line start)');
      case 0x45:
        return setting(3, 'GS E (print density)');
      case 0x50:
        return setting(4, 'GS P (motion units)');
      case 0x24:
        return setting(4, 'GS $ (page mode vertical position)');
      case 0x5c:
        return setting(4, 'GS \\ (page mode relative vertical position)');
      case 0x3a:
        return setting(2, 'GS : (macro)');
      case 0x5e:
        return setting(5, 'GS ^ (run macro)');
      case 0x2a: {
        // GS * x y d1...d(x·y·8): define downloaded bit image
        if (avail < 4) return NEED_MORE;
        return setting(4 + at(2) * at(3) * 8, 'GS * (define downloaded image)');
      }
      default:
        return { body: { kind: 'unknown' }, length: 2 };
    }
  }
}

/** `GS ( k` for QR (cn = 0x31): fn 65 model, 67 size, 69 level, 80 store, 81 print. */
function parseQr(params: Uint8Array): CommandBody {
  const cn = params[0];
  const fn = params[1];
  if (cn !== 0x31) return { kind: 'setting', name: `GS ( k cn=${cn ?? '?'}` };
  switch (fn) {
    case 0x41:
      return { kind: 'qr', fn: 'model', value: params[2] ?? null, payload: null };
    case 0x43:
      return { kind: 'qr', fn: 'size', value: params[2] ?? null, payload: null };
    case 0x45:
      return { kind: 'qr', fn: 'error_level', value: params[2] ?? null, payload: null };
    case 0x50:
      return { kind: 'qr', fn: 'store', value: null, payload: params.slice(3) };
    case 0x51:
      return { kind: 'qr', fn: 'print', value: null, payload: null };
    default:
      return { kind: 'qr', fn: 'other', value: fn ?? null, payload: null };
  }
}

/**
 * `GS ( L` / `GS 8 L` graphics: m (0x30) fn; fn 112 stores raster data (a bx by c xL xH yL yH d…),
 * fn 50 ('2') prints the stored image.
 */
function parseGraphics(params: Uint8Array, via: 'GS 8 L' | 'GS ( L'): CommandBody {
  const fn = params[1];
  if (fn === 0x32 || fn === 2) return { kind: 'graphics_print' };
  if (fn === 0x70 && params.length >= 10) {
    const width = (params[6] as number) + 256 * (params[7] as number);
    const height = (params[8] as number) + 256 * (params[9] as number);
    const bytesPerRow = (width + 7) >> 3;
    return { kind: 'raster_image', via, widthDots: width, heightDots: height, bytesPerRow, data: params.slice(10) };
  }
  return { kind: 'setting', name: `${via} fn=${fn ?? '?'}` };
}

function underlineDots(n: number): number {
  return n === 2 || n === 0x32 ? 2 : n === 1 || n === 0x31 ? 1 : 0;
}

function alignment(n: number): Alignment {
  return n === 1 || n === 0x31 ? 'center' : n === 2 || n === 0x32 ? 'right' : 'left';
}

function latin1(bytes: Uint8Array): string {
  return Array.from(bytes, (x) => String.fromCharCode(x)).join('');
}

/**
 * CODE128 data as ESC/POS sends it: `{A`/`{B`/`{C` select a code set, `{{` is a literal brace,
 * code set C packs two digits per byte.
 */
function decodeCode128(bytes: Uint8Array): string {
  let set: 'A' | 'B' | 'C' = 'B';
  let out = '';
  for (let k = 0; k < bytes.length; k++) {
    const x = bytes[k] as number;
    if (x === 0x7b && k + 1 < bytes.length) {
      const sel = String.fromCharCode(bytes[k + 1] as number);
      k++;
      if (sel === 'A' || sel === 'B' || sel === 'C') set = sel;
      else if (sel === '{') out += '{';
      continue;
    }
    out += set === 'C' ? String(x).padStart(2, '0') : String.fromCharCode(x);
  }
  return out;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/** Parses a complete byte sequence in one go. */
export function parseEscPos(bytes: Uint8Array, options: EscPosParserOptions = {}): EscPosCommand[] {
  const parser = new EscPosParser(options);
  return [...parser.push(bytes), ...parser.flush()];
}

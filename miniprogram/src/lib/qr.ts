/**
 * A compact QR code encoder (ISO/IEC 18004): byte mode, error correction level M, versions 1–10
 * (up to 213 bytes: member codes, vouchers and order codes are well under 100). Pure TypeScript so
 * the member code is drawn without network or a native canvas, identically in weapp and H5.
 */

export interface QrMatrix {
  /** Modules per side (21 for version 1, +4 per version). */
  size: number;
  version: number;
  mask: number;
  /** modules[row][col]: true = dark. */
  modules: boolean[][];
}

/** Level M, per version: EC codewords per block and the blocks' data codeword counts. */
const BLOCKS_M: ReadonlyArray<{ ec: number; data: readonly number[] }> = [
  { ec: 10, data: [16] },
  { ec: 16, data: [28] },
  { ec: 26, data: [44] },
  { ec: 18, data: [32, 32] },
  { ec: 24, data: [43, 43] },
  { ec: 16, data: [27, 27, 27, 27] },
  { ec: 18, data: [31, 31, 31, 31] },
  { ec: 22, data: [38, 38, 39, 39] },
  { ec: 22, data: [36, 36, 36, 37, 37] },
  { ec: 26, data: [43, 43, 43, 43, 44] },
];

const ALIGNMENT: ReadonlyArray<readonly number[]> = [
  [],
  [6, 18],
  [6, 22],
  [6, 26],
  [6, 30],
  [6, 34],
  [6, 22, 38],
  [6, 24, 42],
  [6, 26, 46],
  [6, 28, 50],
];

/** Remainder bits after the last codeword, per version. */
const REMAINDER = [0, 7, 7, 7, 7, 7, 0, 0, 0, 0];

export const QR_MAX_VERSION = BLOCKS_M.length;

// ---- GF(256) arithmetic for Reed–Solomon (primitive polynomial x^8+x^4+x^3+x^2+1) ----
const EXP = new Uint8Array(512);
const LOG = new Uint8Array(256);
{
  let x = 1;
  for (let i = 0; i < 255; i++) {
    EXP[i] = x;
    LOG[x] = i;
    x <<= 1;
    if (x & 0x100) x ^= 0x11d;
  }
  for (let i = 255; i < 512; i++) EXP[i] = EXP[i - 255]!;
}

function gfMul(a: number, b: number): number {
  return a === 0 || b === 0 ? 0 : EXP[LOG[a]! + LOG[b]!]!;
}

function generator(degree: number): number[] {
  let poly = [1];
  for (let i = 0; i < degree; i++) {
    const next = new Array<number>(poly.length + 1).fill(0);
    poly.forEach((c, j) => {
      next[j] = next[j]! ^ c;
      next[j + 1] = next[j + 1]! ^ gfMul(c, EXP[i]!);
    });
    poly = next;
  }
  return poly;
}

/** The EC codewords: remainder of data·x^ec divided by the generator polynomial. */
export function reedSolomon(data: readonly number[], ecCount: number): number[] {
  const gen = generator(ecCount);
  const rem = new Array<number>(ecCount).fill(0);
  for (const byte of data) {
    const factor = byte ^ rem.shift()!;
    rem.push(0);
    for (let i = 0; i < ecCount; i++) rem[i] = rem[i]! ^ gfMul(gen[i + 1]!, factor);
  }
  return rem;
}

function utf8(text: string): number[] {
  const out: number[] = [];
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if (cp < 0x80) out.push(cp);
    else if (cp < 0x800) out.push(0xc0 | (cp >> 6), 0x80 | (cp & 63));
    else if (cp < 0x10000) out.push(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63));
    else {
      out.push(0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 63), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63));
    }
  }
  return out;
}

function dataCapacity(version: number): number {
  return BLOCKS_M[version - 1]!.data.reduce((a, b) => a + b, 0);
}

/** Smallest version (1–10) whose level-M byte-mode capacity holds `byteLength` bytes, or null. */
export function versionFor(byteLength: number): number | null {
  for (let v = 1; v <= QR_MAX_VERSION; v++) {
    const countBits = v < 10 ? 8 : 16;
    if (4 + countBits + byteLength * 8 <= dataCapacity(v) * 8) return v;
  }
  return null;
}

function dataCodewords(bytes: number[], version: number): number[] {
  const capacityBits = dataCapacity(version) * 8;
  const bits: number[] = [];
  const put = (value: number, length: number) => {
    for (let i = length - 1; i >= 0; i--) bits.push((value >>> i) & 1);
  };
  put(0b0100, 4);
  put(bytes.length, version < 10 ? 8 : 16);
  for (const b of bytes) put(b, 8);
  put(0, Math.min(4, capacityBits - bits.length));
  while (bits.length % 8) bits.push(0);
  const words: number[] = [];
  for (let i = 0; i < bits.length; i += 8) words.push(bits.slice(i, i + 8).reduce((a, b) => (a << 1) | b, 0));
  for (let pad = 0xec; words.length < capacityBits / 8; pad ^= 0xec ^ 0x11) words.push(pad);
  return words;
}

/** Data and EC codewords, split into blocks and interleaved as the symbol stores them. */
function interleaved(data: number[], version: number): number[] {
  const { ec, data: sizes } = BLOCKS_M[version - 1]!;
  const blocks: number[][] = [];
  let offset = 0;
  for (const n of sizes) {
    blocks.push(data.slice(offset, offset + n));
    offset += n;
  }
  const ecBlocks = blocks.map((b) => reedSolomon(b, ec));
  const out: number[] = [];
  const longest = Math.max(...sizes);
  for (let i = 0; i < longest; i++) for (const b of blocks) if (i < b.length) out.push(b[i]!);
  for (let i = 0; i < ec; i++) for (const b of ecBlocks) out.push(b[i]!);
  return out;
}

/** BCH remainder of `value` (already shifted) by `poly`. */
function bchRemainder(value: number, poly: number): number {
  const degree = (n: number) => 31 - Math.clz32(n);
  const pd = degree(poly);
  let v = value;
  while (v !== 0 && degree(v) >= pd) v ^= poly << (degree(v) - pd);
  return v;
}

/** 15 format bits for level M (bits 00) and the mask. */
export function formatBits(mask: number): number {
  const data = (0b00 << 3) | mask;
  return ((data << 10) | bchRemainder(data << 10, 0x537)) ^ 0x5412;
}

function versionBits(version: number): number {
  return (version << 12) | bchRemainder(version << 12, 0x1f25);
}

const MASKS: ReadonlyArray<(r: number, c: number) => boolean> = [
  (r, c) => (r + c) % 2 === 0,
  (r) => r % 2 === 0,
  (_r, c) => c % 3 === 0,
  (r, c) => (r + c) % 3 === 0,
  (r, c) => (Math.floor(r / 2) + Math.floor(c / 3)) % 2 === 0,
  (r, c) => ((r * c) % 2) + ((r * c) % 3) === 0,
  (r, c) => (((r * c) % 2) + ((r * c) % 3)) % 2 === 0,
  (r, c) => (((r + c) % 2) + ((r * c) % 3)) % 2 === 0,
];

class Grid {
  readonly dark: boolean[][];
  readonly reserved: boolean[][];
  constructor(readonly size: number) {
    this.dark = Array.from({ length: size }, () => new Array<boolean>(size).fill(false));
    this.reserved = Array.from({ length: size }, () => new Array<boolean>(size).fill(false));
  }
  set(r: number, c: number, dark: boolean): void {
    this.dark[r]![c] = dark;
    this.reserved[r]![c] = true;
  }
}

function drawFunctionPatterns(g: Grid, version: number): void {
  const n = g.size;
  const finder = (r0: number, c0: number) => {
    for (let dr = -1; dr <= 7; dr++) {
      for (let dc = -1; dc <= 7; dc++) {
        const r = r0 + dr;
        const c = c0 + dc;
        if (r < 0 || r >= n || c < 0 || c >= n) continue;
        const ring = Math.max(Math.abs(dr - 3), Math.abs(dc - 3));
        g.set(r, c, ring !== 2 && ring !== 4);
      }
    }
  };
  finder(0, 0);
  finder(0, n - 7);
  finder(n - 7, 0);
  for (let i = 8; i < n - 8; i++) {
    g.set(6, i, i % 2 === 0);
    g.set(i, 6, i % 2 === 0);
  }
  const centres = ALIGNMENT[version - 1]!;
  const last = centres.length - 1;
  centres.forEach((r, i) => {
    centres.forEach((c, j) => {
      // The three corners hold finder patterns; elsewhere alignment patterns sit on the timing lines, agreeing with them.
      if ((i === 0 && j === 0) || (i === 0 && j === last) || (i === last && j === 0)) return;
      for (let dr = -2; dr <= 2; dr++) for (let dc = -2; dc <= 2; dc++) g.set(r + dr, c + dc, Math.max(Math.abs(dr), Math.abs(dc)) !== 1);
    });
  });
  // Format areas are reserved now and written per mask; the dark module is always dark.
  drawFormat(g, 0);
  g.set(n - 8, 8, true);
  if (version >= 7) {
    const bits = versionBits(version);
    for (let i = 0; i < 18; i++) {
      const bit = ((bits >>> i) & 1) === 1;
      const a = n - 11 + (i % 3);
      const b = Math.floor(i / 3);
      g.set(a, b, bit);
      g.set(b, a, bit);
    }
  }
}

function drawFormat(g: Grid, mask: number): void {
  const n = g.size;
  const bits = formatBits(mask);
  const bit = (i: number) => ((bits >>> i) & 1) === 1;
  // Around the top-left finder.
  for (let i = 0; i <= 5; i++) g.set(i, 8, bit(i));
  g.set(7, 8, bit(6));
  g.set(8, 8, bit(7));
  g.set(8, 7, bit(8));
  for (let i = 9; i < 15; i++) g.set(8, 14 - i, bit(i));
  // Split between the other two finders.
  for (let i = 0; i < 8; i++) g.set(8, n - 1 - i, bit(i));
  for (let i = 8; i < 15; i++) g.set(n - 15 + i, 8, bit(i));
  g.set(n - 8, 8, true);
}

function placeData(g: Grid, codewords: number[], remainderBits: number): void {
  const n = g.size;
  const bits: boolean[] = [];
  for (const w of codewords) for (let i = 7; i >= 0; i--) bits.push(((w >>> i) & 1) === 1);
  for (let i = 0; i < remainderBits; i++) bits.push(false);
  let k = 0;
  let upward = true;
  for (let right = n - 1; right >= 1; right -= 2) {
    if (right === 6) right = 5; // the vertical timing pattern takes column 6
    for (let step = 0; step < n; step++) {
      const r = upward ? n - 1 - step : step;
      for (const c of [right, right - 1]) {
        if (g.reserved[r]![c]) continue;
        g.dark[r]![c] = bits[k++] ?? false;
      }
    }
    upward = !upward;
  }
}

function applyMask(g: Grid, mask: number): boolean[][] {
  const fn = MASKS[mask]!;
  return g.dark.map((row, r) => row.map((dark, c) => (g.reserved[r]![c] ? dark : dark !== fn(r, c))));
}

/** The standard's penalty score (rules N1–N4); the mask with the lowest score is used. */
export function penalty(m: boolean[][]): number {
  const n = m.length;
  let score = 0;
  const finderLike = [true, false, true, true, true, false, true];
  const scanLines = (get: (i: number, j: number) => boolean) => {
    for (let i = 0; i < n; i++) {
      // N1: runs of five or more same-coloured modules.
      let run = 1;
      for (let j = 1; j <= n; j++) {
        if (j < n && get(i, j) === get(i, j - 1)) {
          run++;
          continue;
        }
        if (run >= 5) score += run - 2;
        run = 1;
      }
      // N3: a finder-like 1:1:3:1:1 pattern with four light modules on either side (outside counts as light).
      const light = (j: number) => j < 0 || j >= n || !get(i, j);
      for (let j = 0; j + 7 <= n; j++) {
        if (!finderLike.every((v, o) => get(i, j + o) === v)) continue;
        const before = [1, 2, 3, 4].every((o) => light(j - o));
        const after = [7, 8, 9, 10].every((o) => light(j + o));
        if (before || after) score += 40;
      }
    }
  };
  scanLines((i, j) => m[i]![j]!);
  scanLines((i, j) => m[j]![i]!);
  // N2: 2×2 blocks of one colour.
  for (let r = 0; r < n - 1; r++) {
    for (let c = 0; c < n - 1; c++) {
      const v = m[r]![c];
      if (v === m[r]![c + 1] && v === m[r + 1]![c] && v === m[r + 1]![c + 1]) score += 3;
    }
  }
  // N4: dark proportion away from 50 %.
  let dark = 0;
  for (const row of m) for (const v of row) if (v) dark++;
  score += Math.floor(Math.abs((dark * 100) / (n * n) - 50) / 5) * 10;
  return score;
}

/**
 * Encodes `text` (UTF-8, byte mode, level M) in the smallest version that holds it.
 * @param options.mask force a mask (0–7) instead of choosing the lowest penalty; for tests.
 * @throws RangeError when the text needs more than version 10 (213 bytes).
 */
export function encodeQr(text: string, options: { mask?: number; minVersion?: number } = {}): QrMatrix {
  const bytes = utf8(text);
  const needed = versionFor(bytes.length);
  if (needed === null) throw new RangeError(`QR: ${bytes.length} bytes do not fit version ${QR_MAX_VERSION}-M`);
  const version = Math.max(needed, options.minVersion ?? 1);
  const size = 17 + 4 * version;
  const grid = new Grid(size);
  drawFunctionPatterns(grid, version);
  placeData(grid, interleaved(dataCodewords(bytes, version), version), REMAINDER[version - 1]!);
  const candidates = options.mask === undefined ? [0, 1, 2, 3, 4, 5, 6, 7] : [options.mask];
  let best: { mask: number; modules: boolean[][]; score: number } | null = null;
  for (const mask of candidates) {
    drawFormat(grid, mask);
    const modules = applyMask(grid, mask);
    const score = candidates.length === 1 ? 0 : penalty(modules);
    if (!best || score < best.score) best = { mask, modules, score };
  }
  return { size, version, mask: best!.mask, modules: best!.modules };
}

/** Rows of dark runs `[col, length]`: far fewer elements to draw than one per module. */
export function darkRuns(modules: readonly (readonly boolean[])[]): Array<Array<[number, number]>> {
  return modules.map((row) => {
    const runs: Array<[number, number]> = [];
    let start = -1;
    row.forEach((dark, c) => {
      if (dark && start < 0) start = c;
      if (!dark && start >= 0) {
        runs.push([start, c - start]);
        start = -1;
      }
    });
    if (start >= 0) runs.push([start, row.length - start]);
    return runs;
  });
}

/**
 * Dark rectangles `[row, col, width, height]` covering exactly the dark modules: horizontal runs, merged
 * downwards while the same run repeats on the next row. A version-3 code needs about 200 instead of 400+.
 */
export function darkRects(modules: readonly (readonly boolean[])[]): Array<[number, number, number, number]> {
  const rects: Array<[number, number, number, number]> = [];
  let open = new Map<string, [number, number, number, number]>();
  darkRuns(modules).forEach((runs, row) => {
    const next = new Map<string, [number, number, number, number]>();
    for (const [col, width] of runs) {
      const key = `${col}:${width}`;
      const rect = open.get(key);
      if (rect) {
        rect[3]++;
        next.set(key, rect);
      } else {
        const created: [number, number, number, number] = [row, col, width, 1];
        rects.push(created);
        next.set(key, created);
      }
    }
    open = next;
  });
  return rects;
}

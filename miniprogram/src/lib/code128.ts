/**
 * Code 128 barcode encoder: code set B for printable ASCII, switching to code set C for runs of four
 * or more digits (half the width). Output is the bar/space widths in modules, drawn as Views.
 */

/** Bar/space widths of symbol values 0–106 (106 = stop, 7 elements). */
const PATTERNS = (
  '212222,222122,222221,121223,121322,131222,122213,122312,132212,221213,221312,231212,112232,122132,122231,113222,' +
  '123122,123221,223211,221132,221231,213212,223112,312131,311222,321122,321221,312212,322112,322211,212123,212321,' +
  '232121,111323,131123,131321,112313,132113,132311,211313,231113,231311,112133,112331,132131,113123,113321,133121,' +
  '313121,211331,231131,213113,213311,213131,311123,311321,331121,312113,312311,332111,314111,221411,431111,111224,' +
  '111422,121124,121421,141122,141221,112214,112412,122114,122411,142112,142211,241211,221114,413111,241112,134111,' +
  '111242,121142,121241,114212,124112,124211,411212,421112,421211,212141,214121,412121,111143,111341,131141,114113,' +
  '114311,411113,411311,113141,114131,311141,411131,211412,211214,211232,2331112'
).split(',');

export const CODE128 = { START_B: 104, START_C: 105, CODE_B: 100, CODE_C: 99, STOP: 106, PATTERNS } as const;

/** Quiet zone on each side, in modules (the standard asks for at least 10). */
export const QUIET_ZONE = 10;

/**
 * Symbol values for `text`, check symbol and stop included.
 * @throws RangeError for characters outside printable ASCII (space to ~).
 */
export function code128Values(text: string): number[] {
  if (!/^[\x20-\x7e]+$/.test(text)) throw new RangeError('Code 128 (set B/C) encodes printable ASCII only');
  const values: number[] = [];
  let set: 'B' | 'C' | null = null;
  let i = 0;
  while (i < text.length) {
    const digits = /^\d+/.exec(text.slice(i))?.[0].length ?? 0;
    // Set C halves digit runs but a switch costs a symbol: use it for 4+ digits (an odd leftover digit stays in B).
    if (digits >= 4) {
      const even = digits - (digits % 2);
      if (set !== 'C') values.push(set === null ? CODE128.START_C : CODE128.CODE_C);
      set = 'C';
      for (let k = 0; k < even; k += 2) values.push(Number(text.slice(i + k, i + k + 2)));
      i += even;
      continue;
    }
    if (set !== 'B') values.push(set === null ? CODE128.START_B : CODE128.CODE_B);
    set = 'B';
    values.push(text.charCodeAt(i) - 32);
    i++;
  }
  const check = values.reduce((sum, v, k) => sum + v * (k === 0 ? 1 : k), 0) % 103;
  values.push(check, CODE128.STOP);
  return values;
}

/** Alternating bar, space, bar… widths in modules, starting with a bar; no quiet zones. */
export function code128Widths(text: string): number[] {
  return code128Values(text).flatMap((v) => PATTERNS[v]!.split('').map(Number));
}

/** Bars as `[offset, width]` in modules from the left edge, quiet zone included. */
export function code128Bars(text: string): { totalModules: number; bars: Array<[number, number]> } {
  const widths = code128Widths(text);
  const bars: Array<[number, number]> = [];
  let x = QUIET_ZONE;
  widths.forEach((w, k) => {
    if (k % 2 === 0) bars.push([x, w]);
    x += w;
  });
  return { totalModules: x + QUIET_ZONE, bars };
}

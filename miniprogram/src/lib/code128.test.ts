import { describe, expect, it } from 'vitest';
import { CODE128, QUIET_ZONE, code128Bars, code128Values, code128Widths } from './code128';

/** Bar/space widths from receiptline 4's Code 128 encoder (an independent implementation), no quiet zones. */
const REFERENCE: Array<[string, string]> = [
  ['JFM1.abc', '2112141121331323111131231232211222311211241214211411223222112331112'],
  ['ABC123456', '2112141113231311231313211131411122321311233311213121312331112'],
  [
    'JFM1.2s.mhz4k1q0.3f9a0c1be27d44a05c11',
    '2112141121331323111131231232211222312232111142121222314131111224112141212212312412111232211211421231221222312211321124123211221211241231221411221232211214211122142232113121311412212212312212311211241231222132121411221232211232212411122331112',
  ],
];

describe('Code 128', () => {
  it.each(REFERENCE)('matches the reference encoder for %s', (text, widths) => {
    expect(code128Widths(text).join('')).toBe(widths);
  });

  it('has 107 patterns of 11 modules (stop: 13), all distinct', () => {
    expect(CODE128.PATTERNS).toHaveLength(107);
    CODE128.PATTERNS.forEach((p, i) => expect(p.split('').reduce((a, b) => a + Number(b), 0)).toBe(i === 106 ? 13 : 11));
    expect(new Set(CODE128.PATTERNS).size).toBe(107);
  });

  it('computes the mod-103 check symbol (the textbook "PJJ123C" example)', () => {
    // Start B (104) + P J J 1 2 3 C weighted 1..7: 104 + 48 + 84 + 126 + 68 + 90 + 114 + 245 = 879; 879 mod 103 = 55.
    expect(code128Values('PJJ123C')).toEqual([104, 48, 42, 42, 17, 18, 19, 35, 55, CODE128.STOP]);
  });

  it('switches to code set C for runs of four or more digits', () => {
    expect(code128Values('12345678').slice(0, 5)).toEqual([CODE128.START_C, 12, 34, 56, 78]);
    // Odd run: the last digit stays in set B after switching back.
    expect(code128Values('A12345').slice(0, 6)).toEqual([CODE128.START_B, 33, CODE128.CODE_C, 12, 34, CODE128.CODE_B]);
  });

  it('refuses text outside printable ASCII', () => {
    expect(() => code128Values('会员')).toThrow(RangeError);
  });

  it('lays out bars with quiet zones on both sides', () => {
    const { bars, totalModules } = code128Bars('JFM1.abc');
    const widths = code128Widths('JFM1.abc');
    expect(totalModules).toBe(widths.reduce((a, b) => a + b, 0) + 2 * QUIET_ZONE);
    expect(bars[0]).toEqual([QUIET_ZONE, 2]);
    const last = bars.at(-1)!;
    expect(last[0] + last[1]).toBe(totalModules - QUIET_ZONE);
  });
});

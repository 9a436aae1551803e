import { describe, expect, it } from 'vitest';
import { computeChange, formatFen, maxRedeemablePoints, parseYuan, pointUnit, pointsToFen, suggestTenders, totalFen } from './money.js';

describe('change computation', () => {
  it('gives the change, or what is still missing, in integer fen', () => {
    expect(computeChange(3000, 5000)).toEqual({ ok: true, changeFen: 2000 });
    expect(computeChange(1297, 2000)).toEqual({ ok: true, changeFen: 703 });
    expect(computeChange(3000, 3000)).toEqual({ ok: true, changeFen: 0 });
    expect(computeChange(3000, 2999)).toEqual({ ok: false, shortFen: 1 });
    expect(computeChange(0, 0)).toEqual({ ok: true, changeFen: 0 });
    expect(() => computeChange(10.5, 100)).toThrow(RangeError);
    expect(() => computeChange(100, -1)).toThrow(RangeError);
  });

  it('reads what a cashier types as yuan', () => {
    expect(parseYuan('50')).toBe(5000);
    expect(parseYuan('20.5')).toBe(2050);
    expect(parseYuan('￥12.34')).toBe(1234);
    expect(parseYuan(' 7元 ')).toBe(700);
    expect(parseYuan('0.07')).toBe(7);
    for (const bad of ['', '-1', '1.234', 'abc', '1,000', '99999999']) expect(parseYuan(bad), bad).toBeNull();
  });

  it('suggests the sums shoppers hand over', () => {
    expect(suggestTenders(1297)).toEqual([1297, 2000, 5000, 10000]);
    expect(suggestTenders(3000)).toEqual([3000, 4000, 5000, 10000]);
    expect(suggestTenders(12345)).toEqual([12345, 13000, 14000, 15000, 20000]);
  });

  it('formats fen with the full-width yuan sign receipts print', () => {
    expect(formatFen(1234)).toBe('￥12.34');
    expect(formatFen(-5)).toBe('-￥0.05');
    expect(
      totalFen([
        { qty: 2, unitPriceFen: 1500 },
        { qty: 1, unitPriceFen: 990 },
      ]),
    ).toBe(3990);
  });

  it('points as money: whole-fen units, at most the share cap and the balance', () => {
    expect(pointUnit(100)).toBe(1);
    expect(pointUnit(30)).toBe(10);
    expect(pointsToFen(750, 100)).toBe(750);
    expect(maxRedeemablePoints(3000, 1200, 100, 50)).toBe(1200);
    expect(maxRedeemablePoints(3000, 5000, 100, 50)).toBe(1500);
    expect(maxRedeemablePoints(1001, 5000, 30, 50)).toBe(1660); // cap 500 fen → 1666 points → units of 10
    expect(maxRedeemablePoints(3000, 0, 100, 50)).toBe(0);
  });
});

import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { JifenError } from '../errors.js';
import {
  addMonthsChina,
  chinaDate,
  chinaDayEnd,
  chinaDayStart,
  chinaInstant,
  chinaLocalParts,
  daysInMonth,
  parseHhMm,
  parseInstant,
} from './time.js';

describe('chinaLocalParts', () => {
  it('reads 2026-11-22T15:59Z as 23:59 on Sunday 22 November local', () => {
    expect(chinaLocalParts('2026-11-22T15:59:00Z')).toEqual({
      year: 2026,
      month: 11,
      day: 22,
      weekday: 7,
      hour: 23,
      minute: 59,
      second: 0,
      millisecond: 0,
    });
  });

  it('rolls over to Monday 00:00 local at 16:00Z', () => {
    const p = chinaLocalParts('2026-11-22T16:00:00Z');
    expect([p.year, p.month, p.day, p.weekday, p.hour, p.minute]).toEqual([2026, 11, 23, 1, 0, 0]);
  });

  it('accepts explicit +08:00 offsets and agrees with the Z form', () => {
    expect(chinaLocalParts('2026-11-23T00:00:00+08:00')).toEqual(chinaLocalParts('2026-11-22T16:00:00Z'));
  });

  it('crosses the year boundary by local time', () => {
    const p = chinaLocalParts('2025-12-31T16:00:00Z');
    expect([p.year, p.month, p.day, p.weekday]).toEqual([2026, 1, 1, 4]);
  });

  it('rejects instants without an offset (they would be read in the host zone)', () => {
    expect(() => chinaLocalParts('2026-11-22T15:59:00')).toThrow(JifenError);
    expect(() => chinaLocalParts('not a date')).toThrow(JifenError);
    expect(() => parseInstant('2026-02-30T00:00:00Z')).toThrow(JifenError);
  });
});

describe('chinaDate / chinaDayStart / chinaDayEnd', () => {
  it('gives the local date, which is the next UTC day in the evening', () => {
    expect(chinaDate('2026-03-09T16:00:00Z')).toBe('2026-03-10');
    expect(chinaDate('2026-03-09T15:59:59.999Z')).toBe('2026-03-09');
  });

  it('gives the local day bounds as UTC instants', () => {
    expect(chinaDayStart('2026-03-10T12:34:56Z')).toBe('2026-03-09T16:00:00.000Z');
    expect(chinaDayEnd('2026-03-10T12:34:56Z')).toBe('2026-03-10T15:59:59.999Z');
    expect(chinaDayStart('2026-03-09T16:00:00Z')).toBe('2026-03-09T16:00:00.000Z');
    expect(chinaDayEnd('2026-03-09T15:59:59.999Z')).toBe('2026-03-09T15:59:59.999Z');
  });

  it('property: an instant lies in its own local day, which is 24 h long', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4_102_444_800_000 }), (ms) => {
        const iso = new Date(ms).toISOString();
        const start = parseInstant(chinaDayStart(iso));
        const end = parseInstant(chinaDayEnd(iso));
        expect(start).toBeLessThanOrEqual(ms);
        expect(ms).toBeLessThanOrEqual(end);
        expect(end - start).toBe(24 * 3600 * 1000 - 1);
        expect(chinaDate(chinaDayStart(iso))).toBe(chinaDate(iso));
      }),
    );
  });
});

describe('chinaInstant', () => {
  it('converts local wall time to UTC', () => {
    expect(chinaInstant(2026, 12, 31, 23, 59, 59, 999)).toBe('2026-12-31T15:59:59.999Z');
    expect(chinaInstant(2026, 1, 1)).toBe('2025-12-31T16:00:00.000Z');
  });

  it('rejects impossible dates', () => {
    expect(() => chinaInstant(2026, 2, 29)).toThrow(JifenError);
    expect(() => chinaInstant(2026, 13, 1)).toThrow(JifenError);
    expect(() => chinaInstant(2026, 1, 1, 24)).toThrow(JifenError);
  });
});

describe('addMonthsChina', () => {
  it('keeps the local day and time', () => {
    expect(addMonthsChina('2025-03-10T02:00:00Z', 1)).toBe('2025-04-10T02:00:00.000Z');
    expect(addMonthsChina('2025-11-15T02:00:00Z', 3)).toBe('2026-02-15T02:00:00.000Z');
    expect(addMonthsChina('2025-03-10T02:00:00Z', -3)).toBe('2024-12-10T02:00:00.000Z');
  });

  it('clamps to the end of a shorter month, by the local date', () => {
    // Local 2025-01-31 00:30 is 2025-01-30T16:30Z.
    expect(addMonthsChina('2025-01-30T16:30:00Z', 1)).toBe('2025-02-27T16:30:00.000Z');
    expect(addMonthsChina('2024-01-30T16:30:00Z', 1)).toBe('2024-02-28T16:30:00.000Z');
    expect(chinaDate(addMonthsChina('2024-01-31T04:00:00Z', 1))).toBe('2024-02-29');
    expect(chinaDate(addMonthsChina('2025-01-31T04:00:00Z', 1))).toBe('2025-02-28');
    expect(chinaDate(addMonthsChina('2025-08-31T04:00:00Z', 1))).toBe('2025-09-30');
  });

  it('rejects non-integer months', () => {
    expect(() => addMonthsChina('2025-01-31T04:00:00Z', 1.5)).toThrow(JifenError);
  });
});

describe('small helpers', () => {
  it('daysInMonth knows leap years', () => {
    expect(daysInMonth(2024, 2)).toBe(29);
    expect(daysInMonth(2100, 2)).toBe(28);
    expect(daysInMonth(2000, 2)).toBe(29);
    expect(daysInMonth(2026, 4)).toBe(30);
  });

  it('parseHhMm reads HH:MM including 24:00', () => {
    expect(parseHhMm('00:00')).toBe(0);
    expect(parseHhMm('13:05')).toBe(785);
    expect(parseHhMm('24:00')).toBe(1440);
    expect(() => parseHhMm('24:01')).toThrow(JifenError);
    expect(() => parseHhMm('9:00')).toThrow(JifenError);
    expect(() => parseHhMm('10:60')).toThrow(JifenError);
  });
});

import { describe, it, expect } from 'vitest';
import { JifenError } from '../errors.js';
import { ExpiryPolicySchema, expiresAt, isExpired, type ExpiryPolicy } from './expiry.js';

const months = (n: number): ExpiryPolicy => ({ kind: 'months_after_earning', months: n });

describe('expiresAt', () => {
  it('never expires under kind never', () => {
    expect(expiresAt({ kind: 'never' }, '2025-03-10T02:00:00Z')).toBeNull();
  });

  it('end_of_next_year: earned 2025-03-10 → 2026-12-31 23:59:59.999 local', () => {
    expect(expiresAt({ kind: 'end_of_next_year' }, '2025-03-10T02:00:00Z')).toBe('2026-12-31T15:59:59.999Z');
  });

  it('end_of_next_year uses the local year earned (UTC 31 Dec evening is already 1 Jan in China)', () => {
    expect(expiresAt({ kind: 'end_of_next_year' }, '2025-12-31T15:59:59.999Z')).toBe('2026-12-31T15:59:59.999Z');
    expect(expiresAt({ kind: 'end_of_next_year' }, '2025-12-31T16:00:00Z')).toBe('2027-12-31T15:59:59.999Z');
  });

  it('months_after_earning: same local day N months later, end of that local day', () => {
    expect(expiresAt(months(12), '2025-03-10T02:00:00Z')).toBe('2026-03-10T15:59:59.999Z');
    expect(expiresAt(months(6), '2025-03-10T02:00:00+08:00')).toBe('2025-09-10T15:59:59.999Z');
  });

  it('months_after_earning counts from the local date, not the UTC date', () => {
    // 2025-03-09T17:00Z is 2025-03-10 01:00 in China.
    expect(expiresAt(months(1), '2025-03-09T17:00:00Z')).toBe('2025-04-10T15:59:59.999Z');
  });

  it('clamps to the end of a shorter month', () => {
    expect(expiresAt(months(1), '2025-01-31T04:00:00Z')).toBe('2025-02-28T15:59:59.999Z');
    expect(expiresAt(months(1), '2024-01-31T04:00:00Z')).toBe('2024-02-29T15:59:59.999Z');
    expect(expiresAt(months(13), '2024-01-31T04:00:00Z')).toBe('2025-02-28T15:59:59.999Z');
  });

  it('rejects invalid policies and instants', () => {
    expect(() => expiresAt(months(0), '2025-03-10T02:00:00Z')).toThrow(JifenError);
    expect(() => expiresAt(months(121), '2025-03-10T02:00:00Z')).toThrow(JifenError);
    expect(() => expiresAt(months(1.5), '2025-03-10T02:00:00Z')).toThrow(JifenError);
    expect(() => expiresAt({ kind: 'never' }, '2025-03-10 10:00')).toThrow(JifenError);
    expect(ExpiryPolicySchema.safeParse({ kind: 'weekly' }).success).toBe(false);
  });
});

describe('isExpired', () => {
  it('is valid through the last millisecond and expired after it', () => {
    const earned = '2025-03-10T02:00:00Z';
    expect(isExpired({ kind: 'end_of_next_year' }, earned, '2026-12-31T15:59:59.999Z')).toBe(false);
    expect(isExpired({ kind: 'end_of_next_year' }, earned, '2026-12-31T16:00:00.000Z')).toBe(true);
    expect(isExpired({ kind: 'never' }, earned, '2099-01-01T00:00:00Z')).toBe(false);
  });
});

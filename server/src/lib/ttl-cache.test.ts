import { describe, expect, it } from 'vitest';
import { TtlCache } from './ttl-cache.js';

describe('TtlCache', () => {
  it('answers for ttlMs after the value was stored, not before it nor after', () => {
    const c = new TtlCache<string, number>(1_000);
    c.set('a', 1, 10_000);
    expect(c.get('a', 10_000)).toBe(1);
    expect(c.get('a', 10_999)).toBe(1);
    expect(c.get('a', 11_000)).toBeUndefined();
    expect(c.get('a', 9_999)).toBeUndefined();
    expect(c.get('b', 10_000)).toBeUndefined();
  });

  it('forgets a key, or every value that matches', () => {
    const c = new TtlCache<string, { terminalId: number }>(1_000);
    c.set('t1', { terminalId: 1 }, 0);
    c.set('t1b', { terminalId: 1 }, 0);
    c.set('t2', { terminalId: 2 }, 0);
    c.deleteWhere((v) => v.terminalId === 1);
    expect([c.get('t1', 1), c.get('t1b', 1), c.get('t2', 1)]).toEqual([undefined, undefined, { terminalId: 2 }]);
    c.delete('t2');
    expect(c.get('t2', 1)).toBeUndefined();
  });

  it('starts over past its bound instead of growing', () => {
    const c = new TtlCache<number, number>(1_000, 2);
    c.set(1, 1, 0);
    c.set(2, 2, 0);
    c.set(2, 3, 0);
    expect([c.get(1, 0), c.get(2, 0)]).toEqual([1, 3]);
    c.set(3, 4, 0);
    expect([c.get(1, 0), c.get(2, 0), c.get(3, 0)]).toEqual([undefined, undefined, 4]);
  });
});

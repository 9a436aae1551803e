/**
 * A map whose entries count for `ttlMs`: configuration read on every request (program settings, a
 * till's store, its token check) kept a few seconds on each server. Bounded: past `maxEntries` it
 * starts over rather than grow.
 */
export class TtlCache<K, V> {
  private readonly entries = new Map<K, { at: number; value: V }>();

  constructor(
    readonly ttlMs: number,
    private readonly maxEntries = 10_000,
  ) {}

  /** The value stored less than ttlMs before `now`; never one stored after `now` (a clock set back). */
  get(key: K, now: number = Date.now()): V | undefined {
    const hit = this.entries.get(key);
    if (!hit || now < hit.at || now - hit.at >= this.ttlMs) return undefined;
    return hit.value;
  }

  set(key: K, value: V, now: number = Date.now()): void {
    if (this.entries.size >= this.maxEntries && !this.entries.has(key)) this.entries.clear();
    this.entries.set(key, { at: now, value });
  }

  delete(key: K): void {
    this.entries.delete(key);
  }

  /** Forgets every entry whose value matches. */
  deleteWhere(matches: (value: V) => boolean): void {
    for (const [key, hit] of this.entries) if (matches(hit.value)) this.entries.delete(key);
  }
}

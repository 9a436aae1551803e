/**
 * Time for the simulator: a controllable clock, China-time formatting, and a timer registry.
 *
 * WeChat speaks China time (UTC+8, no DST since 1991) in every human-readable field, so formatting is a
 * fixed +8 h shift of the UTC instant; no timezone database is involved.
 *
 * Every timer the simulator starts goes through {@link TimerRegistry}, so `close()`/`reset()` can cancel all
 * of them and a test process exits without dangling handles.
 */

const CHINA_OFFSET_MS = 8 * 60 * 60 * 1000;

/** Wall-clock "now" for the simulator. Tests can swap the source or shift it (token expiry, stale timestamps). */
export class Clock {
  #offsetMs = 0;

  constructor(private readonly source: () => number = Date.now) {}

  nowMs(): number {
    return this.source() + this.#offsetMs;
  }

  nowSec(): number {
    return Math.floor(this.nowMs() / 1000);
  }

  advance(ms: number): void {
    this.#offsetMs += ms;
  }

  get offsetMs(): number {
    return this.#offsetMs;
  }

  resetOffset(): void {
    this.#offsetMs = 0;
  }
}

/** Tracks timeouts so they can all be cancelled on close()/reset(). */
export class TimerRegistry {
  readonly #timers = new Set<NodeJS.Timeout>();
  /** Resolvers of pending sleep() calls: clearing the registry wakes them so async loops can notice and stop. */
  readonly #sleepers = new Set<() => void>();
  #closed = false;

  /** Like setTimeout, but owned by the registry. After closeAll() it schedules nothing. */
  set(fn: () => void, ms: number): NodeJS.Timeout | undefined {
    if (this.#closed) return undefined;
    const handle = setTimeout(
      () => {
        this.#timers.delete(handle);
        fn();
      },
      Math.max(0, ms),
    );
    this.#timers.add(handle);
    return handle;
  }

  clear(handle: NodeJS.Timeout | undefined): void {
    if (!handle) return;
    clearTimeout(handle);
    this.#timers.delete(handle);
  }

  /** Resolves after `ms`, or early when the registry is cleared/closed (callers re-check whether to go on). */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = (): void => {
        this.#sleepers.delete(wake);
        resolve();
      };
      this.#sleepers.add(wake);
      if (!this.set(wake, ms)) wake();
    });
  }

  get pending(): number {
    return this.#timers.size;
  }

  /** Cancel everything scheduled so far; the registry stays usable (used by reset()). */
  clearAll(): void {
    for (const handle of this.#timers) clearTimeout(handle);
    this.#timers.clear();
    for (const wake of [...this.#sleepers]) wake();
  }

  /** Cancel everything and refuse new timers (used by close()). */
  close(): void {
    this.#closed = true;
    this.clearAll();
  }
}

interface ChinaParts {
  y: string;
  mo: string;
  d: string;
  h: string;
  mi: string;
  s: string;
}

function chinaParts(ms: number): ChinaParts {
  const t = new Date(ms + CHINA_OFFSET_MS);
  const p2 = (n: number): string => String(n).padStart(2, '0');
  return {
    y: String(t.getUTCFullYear()).padStart(4, '0'),
    mo: p2(t.getUTCMonth() + 1),
    d: p2(t.getUTCDate()),
    h: p2(t.getUTCHours()),
    mi: p2(t.getUTCMinutes()),
    s: p2(t.getUTCSeconds()),
  };
}

/** RFC 3339 in China time, as WeChat writes it: `2015-05-20T13:29:35+08:00` (no milliseconds). */
export function rfc3339China(ms: number): string {
  const p = chinaParts(ms);
  return `${p.y}-${p.mo}-${p.d}T${p.h}:${p.mi}:${p.s}+08:00`;
}

/** APIv2 `time_end` style: `yyyyMMddHHmmss`, China time. */
export function compactChina(ms: number): string {
  const p = chinaParts(ms);
  return `${p.y}${p.mo}${p.d}${p.h}${p.mi}${p.s}`;
}

/** `YYYY-MM-DD` in China time (bill dates). */
export function dateChina(ms: number): string {
  const p = chinaParts(ms);
  return `${p.y}-${p.mo}-${p.d}`;
}

/** `YYYYMMDD` in China time (embedded in transaction ids). */
export function yyyymmddChina(ms: number): string {
  const p = chinaParts(ms);
  return `${p.y}${p.mo}${p.d}`;
}

/** `YYYY-MM-DD HH:mm:ss` in China time (bill rows). */
export function dateTimeChina(ms: number): string {
  const p = chinaParts(ms);
  return `${p.y}-${p.mo}-${p.d} ${p.h}:${p.mi}:${p.s}`;
}

/** Start of a China-time calendar day, as epoch ms. `date` is `YYYY-MM-DD`. */
export function chinaDayStartMs(date: string): number {
  return Date.parse(`${date}T00:00:00+08:00`);
}

/** Parses an RFC 3339 instant that carries an offset; undefined when malformed or offset-less. */
export function parseRfc3339(value: string): number | undefined {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(value)) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

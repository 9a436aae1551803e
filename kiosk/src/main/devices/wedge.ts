/**
 * The keyboard-wedge scan detector: pure (no Node, no DOM types), so the renderer bundles it as is.
 * `scanner.ts` re-exports it beside the serial scanner.
 */

/** The fields of a DOM KeyboardEvent the detector needs. */
export interface WedgeKeyEvent {
  key: string;
  /** Event time in ms (KeyboardEvent.timeStamp). */
  timeStamp: number;
  /** true while an IME composes (a wedge scanner cannot type through an IME). */
  isComposing?: boolean;
}

export interface WedgeDetectorOptions {
  /** Longest gap between two keys of one scan. Scanners ≈ 10 ms, people ≈ 80 ms. Default 50. */
  maxInterKeyMs?: number;
  /** Fewest characters for a scan (terminator not counted). Default 6. */
  minLength?: number;
  /** Keys that end a scan. Default Enter and Tab. */
  terminators?: readonly string[];
  /**
   * Held keys with no follow-up after this long are given back as typing. Default 2 × maxInterKeyMs,
   * leaving room for key events queued behind a busy renderer.
   */
  flushAfterMs?: number;
  /** Timer functions (tests may pass fakes). */
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
}

export interface WedgeDetector {
  /**
   * Feed every keydown (capture phase, before inputs see it). `swallow: true` means
   * preventDefault() and stopPropagation(): the key is held back, and either becomes part of a scan
   * or is given back through onTyping.
   */
  handleKey(event: WedgeKeyEvent): { swallow: boolean };
  /** A whole scan (terminator not included). */
  onScan(listener: (code: string) => void): () => void;
  /**
   * Keys that were held back but were typing after all: insert them into the focused input, in
   * order, before the key that caused the release is handled.
   */
  onTyping(listener: (keys: string[]) => void): () => void;
  /** Give back held keys now (e.g. when focus moves). */
  flush(): void;
  dispose(): void;
}

/** Keys a scanner sends around characters (Shift for capitals) that neither start nor end a scan. */
const NEUTRAL_KEYS: ReadonlySet<string> = new Set(['Shift', 'CapsLock']);

/**
 * Why every first key is held: nothing distinguishes a scan's first key from a typed one, and a
 * scan must never leak into an input. The cost is that a typed character appears up to
 * flushAfterMs (100 ms) late, or as soon as the next key shows it was typing.
 */
export function createWedgeDetector(options: WedgeDetectorOptions = {}): WedgeDetector {
  const maxGap = options.maxInterKeyMs ?? 50;
  const minLength = options.minLength ?? 6;
  const terminators = new Set(options.terminators ?? ['Enter', 'Tab']);
  const flushAfter = options.flushAfterMs ?? 2 * maxGap;
  const setTimer = options.setTimer ?? ((fn: () => void, ms: number): unknown => setTimeout(fn, ms));
  const clearTimer = options.clearTimer ?? ((h: unknown): void => clearTimeout(h as ReturnType<typeof setTimeout>));
  const scanListeners = new Set<(code: string) => void>();
  const typingListeners = new Set<(keys: string[]) => void>();
  let held: { key: string; at: number }[] = [];
  let timer: unknown = null;

  const stopTimer = (): void => {
    if (timer !== null) clearTimer(timer);
    timer = null;
  };
  const release = (): void => {
    stopTimer();
    if (held.length === 0) return;
    const keys = held.map((k) => k.key);
    held = [];
    for (const l of [...typingListeners]) l(keys);
  };
  const lastAt = (): number | null => held[held.length - 1]?.at ?? null;

  return {
    handleKey(event) {
      const { key } = event;
      if (event.isComposing || key === 'Process' || key === 'Unidentified') {
        release();
        return { swallow: false };
      }
      if (NEUTRAL_KEYS.has(key)) return { swallow: held.length > 0 };

      const last = lastAt();
      const inBurst = last !== null && event.timeStamp - last <= maxGap;

      if (terminators.has(key)) {
        if (inBurst && held.length >= minLength) {
          stopTimer();
          const code = held.map((k) => k.key).join('');
          held = [];
          for (const l of [...scanListeners]) l(code);
          return { swallow: true };
        }
        release();
        return { swallow: false };
      }

      if (key.length !== 1) {
        // Backspace, arrows, F-keys...: never part of a scan.
        release();
        return { swallow: false };
      }

      if (last !== null && !inBurst) release();
      held.push({ key, at: event.timeStamp });
      stopTimer();
      timer = setTimer(release, flushAfter);
      return { swallow: true };
    },
    onScan(listener) {
      scanListeners.add(listener);
      return () => {
        scanListeners.delete(listener);
      };
    },
    onTyping(listener) {
      typingListeners.add(listener);
      return () => {
        typingListeners.delete(listener);
      };
    },
    flush: release,
    dispose() {
      stopTimer();
      held = [];
      scanListeners.clear();
      typingListeners.clear();
    },
  };
}

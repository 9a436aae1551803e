/**
 * Barcode / QR scanners in their two modes:
 * (a) keyboard wedge: the scanner types the code fast and presses Enter. `createWedgeDetector` tells
 *     a scan from typing and keeps scanned keys out of whatever input has focus;
 * (b) serial / USB-CDC: each code arrives as one line on a serial port (`openSerialScanner`).
 * Either way the code then goes through `classifyScan` (scan-codes.ts).
 */
import { openSerialPort } from './serial-port.js';
import type { SerialBinding, SerialPortHandle } from './serial-port.js';

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

/**
 * Splits a byte stream into lines ending in CR, LF or CR LF (a CR LF split across chunks counts
 * once). Lines are decoded as UTF-8 and trimmed; empty lines are dropped.
 */
export function createLineSplitter(onLine: (line: string) => void): (chunk: Uint8Array) => void {
  let pending: number[] = [];
  let lastWasCr = false;
  const decoder = new TextDecoder('utf-8');
  return (chunk) => {
    for (const byte of chunk) {
      if (byte === 0x0a && lastWasCr) {
        lastWasCr = false;
        continue;
      }
      lastWasCr = byte === 0x0d;
      if (byte === 0x0d || byte === 0x0a) {
        const line = decoder.decode(Uint8Array.from(pending)).trim();
        pending = [];
        if (line) onLine(line);
      } else {
        pending.push(byte);
      }
    }
  };
}

export interface SerialScannerOptions {
  /** e.g. /dev/ttyACM0 or COM3. */
  path: string;
  /** Default 9600. */
  baudRate?: number;
  /** MockBinding in tests. */
  binding?: SerialBinding;
  /**
   * Drop the same code read again within this many ms (for scanners left in continuous mode, which
   * re-read the code they point at). Default 0: every read counts, because scanning the same
   * product twice is how a cashier sells two.
   */
  repeatWithinMs?: number;
  now?: () => number;
}

export interface SerialScanner {
  onScan(listener: (code: string) => void): () => void;
  close(): Promise<void>;
}

export async function openSerialScanner(options: SerialScannerOptions): Promise<SerialScanner> {
  const port: SerialPortHandle = await openSerialPort({
    path: options.path,
    baudRate: options.baudRate ?? 9600,
    binding: options.binding,
  });
  const listeners = new Set<(code: string) => void>();
  const repeatWithin = options.repeatWithinMs ?? 0;
  const now = options.now ?? Date.now;
  let last: { code: string; at: number } | null = null;
  port.onData(
    createLineSplitter((code) => {
      const at = now();
      if (last && last.code === code && at - last.at < repeatWithin) return;
      last = { code, at };
      for (const l of [...listeners]) l(code);
    }),
  );
  return {
    onScan(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    close: () => port.close(),
  };
}

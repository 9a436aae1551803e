/**
 * Barcode / QR scanners in their two modes:
 * (a) keyboard wedge: the scanner types the code fast and presses Enter. `createWedgeDetector` tells
 *     a scan from typing and keeps scanned keys out of whatever input has focus;
 * (b) serial / USB-CDC: each code arrives as one line on a serial port (`openSerialScanner`).
 * Either way the code then goes through `classifyScan` (scan-codes.ts).
 */
import { openSerialPort } from './serial-port.js';
import type { SerialBinding, SerialPortHandle } from './serial-port.js';

export { createWedgeDetector } from './wedge.js';
export type { WedgeDetector, WedgeDetectorOptions, WedgeKeyEvent } from './wedge.js';

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

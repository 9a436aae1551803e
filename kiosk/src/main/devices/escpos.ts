/**
 * Raw ESC/POS commands the receipt renderer does not produce (receiptline covers text, images and
 * the cut), and decoding of the real-time status bytes. Byte values: /work/shared/docs/pos-hardware.md.
 */

export const ESC = 0x1b;
export const GS = 0x1d;
export const FS = 0x1c;
export const DLE = 0x10;
export const EOT = 0x04;
export const LF = 0x0a;

/** `ESC @`: clears the buffer and every mode (Chinese mode included on most printers). */
export function init(): Uint8Array {
  return Uint8Array.of(ESC, 0x40);
}

/** `FS &`: Chinese (double-byte, GB18030/GBK) mode on. `ESC t` cannot select GB18030. */
export function chineseModeOn(): Uint8Array {
  return Uint8Array.of(FS, 0x26);
}

/** `FS .`: Chinese mode off (single-byte code pages). */
export function chineseModeOff(): Uint8Array {
  return Uint8Array.of(FS, 0x2e);
}

export type DrawerPin = 2 | 5;

export interface DrawerKickOptions {
  /** Connector pin: 2 (m = 0, the usual drawer) or 5 (m = 1, a second drawer). */
  pin?: DrawerPin;
  /** Pulse on-time in ms (2 ms units, 2–510). */
  onMs?: number;
  /** Pulse off-time in ms (2 ms units, 2–510). */
  offMs?: number;
}

/**
 * `ESC p m t1 t2`. The default `1B 70 00 19 FA` is a 50 ms pulse then 500 ms rest: solenoids
 * overheat when on/(on+off) exceeds 0.2, so longer duty cycles are refused.
 */
export function drawerKick(options: DrawerKickOptions = {}): Uint8Array {
  const pin = options.pin ?? 2;
  const onMs = options.onMs ?? 50;
  const offMs = options.offMs ?? 500;
  const t1 = Math.round(onMs / 2);
  const t2 = Math.round(offMs / 2);
  if (t1 < 1 || t1 > 255 || t2 < 1 || t2 > 255) {
    throw new RangeError(`drawer pulse out of range: on ${onMs} ms, off ${offMs} ms (2–510 ms each)`);
  }
  if (t1 / (t1 + t2) > 0.2) {
    throw new RangeError(`drawer pulse duty cycle ${t1}/${t1 + t2} exceeds 0.2`);
  }
  return Uint8Array.of(ESC, 0x70, pin === 2 ? 0 : 1, t1, t2);
}

/**
 * `DLE DC4 1 m t`: a drawer pulse in real time, t × 100 ms on and off (t = 1). The printer runs it at
 * once even while it is offline for paper end, when `ESC p` would wait in its buffer until paper
 * is loaded: the cash drawer still opens on a cash sale while the roll is being changed.
 */
export function drawerPulseNow(pin: 2 | 5 = 2): Uint8Array {
  return Uint8Array.of(DLE, 0x14, 0x01, pin === 2 ? 0 : 1, 1);
}

/** Real-time status queries: 1 printer, 2 offline cause, 4 roll paper sensor. */
export type StatusQuery = 1 | 2 | 4;

/** `DLE EOT n`: answered with one byte even when the printer is offline. */
export function statusQuery(n: StatusQuery): Uint8Array {
  return Uint8Array.of(DLE, EOT, n);
}

/** A healthy reply to any `DLE EOT n`: only the fixed bits (1 and 4) set. */
export const STATUS_OK = 0x12;

/** What one status byte says; undefined where that query does not tell. */
export interface StatusBits {
  online?: boolean;
  coverOpen?: boolean;
  paperOut?: boolean;
  paperNearEnd?: boolean;
  error?: boolean;
}

/** The printer's condition assembled from the replies to `DLE EOT 1`, `2` and `4`. */
export interface PrinterStatus {
  online: boolean;
  coverOpen: boolean;
  paperOut: boolean;
  paperNearEnd: boolean;
  error: boolean;
}

/**
 * Every `DLE EOT` reply has the form 0xx1xx10 (bit 0 clear, bits 1 and 4 set, bit 7 clear). A byte
 * that does not is not a status reply: a stray `GS r` answer or line noise.
 */
export function isStatusByte(byte: number): boolean {
  return (byte & 0x93) === 0x12;
}

/**
 * Decodes the reply to `DLE EOT n`:
 * n = 1: bit 3 (0x08) offline.
 * n = 2: bit 2 (0x04) cover open, bit 5 (0x20) stopped by paper end, bit 6 (0x40) error.
 * n = 4: bits 2–3 (0x0C) paper near end, bits 5–6 (0x60) paper end.
 * Throws RangeError for a byte that is not a status reply.
 */
export function decodeStatusByte(n: StatusQuery, byte: number): StatusBits {
  if (!isStatusByte(byte)) {
    throw new RangeError(`0x${byte.toString(16).padStart(2, '0')} is not a DLE EOT reply`);
  }
  switch (n) {
    case 1:
      return { online: (byte & 0x08) === 0 };
    case 2:
      return { coverOpen: (byte & 0x04) !== 0, paperOut: (byte & 0x20) !== 0, error: (byte & 0x40) !== 0 };
    case 4:
      return { paperNearEnd: (byte & 0x0c) !== 0, paperOut: (byte & 0x60) !== 0 };
  }
}

/** Combines the bytes that were answered; a missing query contributes nothing (assumed fine). */
export function decodeStatus(replies: Partial<Record<StatusQuery, number>>): PrinterStatus {
  const status: PrinterStatus = { online: true, coverOpen: false, paperOut: false, paperNearEnd: false, error: false };
  for (const n of [1, 2, 4] as const) {
    const byte = replies[n];
    if (byte === undefined) continue;
    const bits = decodeStatusByte(n, byte);
    if (bits.online === false) status.online = false;
    if (bits.coverOpen) status.coverOpen = true;
    if (bits.paperOut) status.paperOut = true;
    if (bits.paperNearEnd) status.paperNearEnd = true;
    if (bits.error) status.error = true;
  }
  return status;
}

/** Why a printer cannot take a job now, most specific first. */
export type NotReadyReason = 'paper_out' | 'cover_open' | 'error' | 'offline';

/** The reason a job must be held, or null when the printer can print (paper near end can). */
export function notReadyReason(status: PrinterStatus): NotReadyReason | null {
  if (status.paperOut) return 'paper_out';
  if (status.coverOpen) return 'cover_open';
  if (status.error) return 'error';
  if (!status.online) return 'offline';
  return null;
}

/** Concatenates byte arrays (commands are assembled from small pieces). */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const total = parts.reduce((n, p) => n + p.byteLength, 0);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.byteLength;
  }
  return out;
}

export type QrErrorLevel = 'L' | 'M' | 'Q' | 'H';

/**
 * Native QR (`GS ( k`, model 2): model, module size, error level, store, print. Cheap clones may lack
 * it; receipts print QR codes as raster images by default and this is the opt-in alternative.
 */
export function nativeQr(payload: Uint8Array, options: { moduleSize?: number; level?: QrErrorLevel } = {}): Uint8Array {
  const size = options.moduleSize ?? 6;
  if (size < 1 || size > 16) throw new RangeError(`QR module size ${size} outside 1–16`);
  const level = { L: 0x30, M: 0x31, Q: 0x32, H: 0x33 }[options.level ?? 'M'];
  const storeLength = payload.byteLength + 3;
  if (storeLength > 0xffff) throw new RangeError('QR payload too long');
  return concatBytes([
    Uint8Array.of(GS, 0x28, 0x6b, 0x04, 0x00, 0x31, 0x41, 0x32, 0x00),
    Uint8Array.of(GS, 0x28, 0x6b, 0x03, 0x00, 0x31, 0x43, size),
    Uint8Array.of(GS, 0x28, 0x6b, 0x03, 0x00, 0x31, 0x45, level),
    Uint8Array.of(GS, 0x28, 0x6b, storeLength & 0xff, storeLength >> 8, 0x31, 0x50, 0x30),
    payload,
    Uint8Array.of(GS, 0x28, 0x6b, 0x03, 0x00, 0x31, 0x51, 0x30),
  ]);
}

/** `GS V 66 n`: feed n lines' worth then partial cut (58 mm units often cannot full-cut). */
export function feedAndCut(feed = 3): Uint8Array {
  return Uint8Array.of(GS, 0x56, 0x42, feed);
}

/** `ESC a n`: 0 left, 1 centre, 2 right. */
export function align(where: 'left' | 'center' | 'right'): Uint8Array {
  return Uint8Array.of(ESC, 0x61, where === 'left' ? 0 : where === 'center' ? 1 : 2);
}

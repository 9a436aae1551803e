/**
 * Byte <-> text conversion for receipt printers, kept in one place so the kiosk and the virtual
 * printer in test/sim/printer (which cannot resolve iconv-lite itself) agree on the encoding.
 */
import iconv from 'iconv-lite';

/** Encodings a receipt printer on this project can be in: GB18030 in Chinese mode, PC437 otherwise. */
export type PrinterTextEncoding = 'gb18030' | 'cp437';

export function encodeText(text: string, encoding: PrinterTextEncoding = 'gb18030'): Buffer {
  return iconv.encode(text, encoding);
}

export function decodeText(bytes: Uint8Array, encoding: PrinterTextEncoding = 'gb18030'): string {
  return iconv.decode(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), encoding);
}

/**
 * Length of the GB18030 character starting at `bytes[i]`: 1, 2 or 4, or 0 when the buffer ends
 * in the middle of the character (the caller waits for more bytes).
 * Lead bytes 0x81–0xFE; a second byte 0x30–0x39 means a four-byte sequence.
 */
export function gb18030CharLength(bytes: Uint8Array, i: number): 0 | 1 | 2 | 4 {
  const lead = bytes[i];
  if (lead === undefined) return 0;
  if (lead < 0x81 || lead === 0xff) return 1;
  const second = bytes[i + 1];
  if (second === undefined) return 0;
  if (second >= 0x30 && second <= 0x39) return i + 3 < bytes.length ? 4 : 0;
  return 2;
}

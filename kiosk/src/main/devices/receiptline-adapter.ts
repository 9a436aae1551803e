/**
 * The slice of receiptline this project uses, typed without the package's `any` index signatures so
 * nothing untyped crosses into our modules. receiptline is CommonJS and ships an ambient
 * `declare module 'receiptline'`; all access goes through here.
 */
import * as receiptline from 'receiptline';

export type ReceiptlineEncoding = 'gb18030';
export type ReceiptlineCommandSet = 'generic' | 'escpos' | 'svg';

export interface ReceiptlinePrinter {
  cpl: number;
  encoding: ReceiptlineEncoding;
  cutting: boolean;
  spacing?: boolean;
}

export interface ReceiptlineQrSymbol {
  data: string;
  cell: number;
  level: 'l' | 'm' | 'q' | 'h';
}

/** Overrides for two methods of an ESC/POS command set; strings are binary (one char per byte). */
export interface CommandOverrides {
  close?: (cutting: boolean, cut: () => string) => string;
  qrcode?: (symbol: ReceiptlineQrSymbol) => string;
}

/** Markup → printer commands as a byte buffer, or → SVG. */
export function transformToBytes(
  doc: string,
  printer: ReceiptlinePrinter,
  command: Exclude<ReceiptlineCommandSet, 'svg'>,
  overrides: CommandOverrides = {},
): Buffer {
  const base = receiptline.commands[command];
  const custom: receiptline.BaseCommand = Object.assign({}, base);
  if (overrides.close) {
    const close = overrides.close;
    // receiptline calls close() with `this` bound to the copied command object after open() set `cutting`.
    custom.close = function (this: { cutting?: boolean; cut(): string }): string {
      return close(this.cutting === true, () => this.cut());
    };
  }
  if (overrides.qrcode) {
    const qrcode = overrides.qrcode;
    custom.qrcode = (symbol: receiptline.QRCode): string => qrcode({ data: symbol.data, cell: symbol.cell, level: symbol.level });
  }
  const out: string = receiptline.transform(doc, { ...printer, command: custom });
  return Buffer.from(out, 'binary');
}

export function transformToSvg(doc: string, printer: ReceiptlinePrinter): string {
  const out: string = receiptline.transform(doc, { ...printer, command: 'svg' });
  return out;
}

/** The QR module matrix receiptline rasterises (rows of 0/1), for checking printed raster QR codes. */
export function qrMatrix(symbol: ReceiptlineQrSymbol): number[][] {
  const rows: Uint8Array[] = receiptline.qrcode.generate({
    data: symbol.data,
    type: 'qrcode',
    cell: symbol.cell,
    level: symbol.level,
    quietZone: false,
  });
  return rows.map((row) => Array.from(row));
}

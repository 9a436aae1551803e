export { startVirtualPrinter, statusReply } from './virtual-printer.js';
export type { Job, PrinterState, StatusQueryRecord, VirtualPrinter, VirtualPrinterOptions } from './virtual-printer.js';
export { EscPosParser, parseEscPos } from './escpos-parser.js';
export type { BarcodeSymbology, CommandBody, EscPosCommand, EscPosParserOptions } from './escpos-parser.js';
export { JobBuilder, decodeEscPos, rasterDot, rasterMatchesQrMatrix } from './job.js';
export type { Cut, DecodedJob, DrawerKick, RasterImage } from './job.js';

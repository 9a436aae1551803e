/**
 * The printer test run by `pnpm kiosk:print-test --printer <uri>`: status before, a test page
 * (Chinese text, ￥, a raster QR as receipts print it, a native QR, a cut), status after.
 */
import { nativeQr } from './escpos.js';
import { PRINT_TEST_TEXT, PRINTER_STATUS_TEXT } from './receipt-text.js';
import type { PrinterStatusTextKey } from './receipt-text.js';
import { escapeMarkup, formatReceiptTime, markupToEscPos } from './receipt.js';
import type { PaperWidth } from './receipt.js';
import { createPrinterService } from './printer.js';
import type { PrinterCondition } from './printer.js';
import { openTransport, TransportError } from './transports.js';
import type { PrinterTransport } from './transports.js';
import { encodeText } from './text-codec.js';

/** What both QR codes on the test page encode. */
export const PRINT_TEST_QR_PAYLOAD = 'JIFEN-PRINT-TEST';

/** `{command:...}` with every byte hex-escaped, so receiptline passes it through untouched. */
function rawCommand(bytes: Uint8Array): string {
  return `{command:${Array.from(bytes, (b) => `\\x${b.toString(16).padStart(2, '0')}`).join('')}}`;
}

export function buildTestPage(options: { uri: string; paper?: PaperWidth; now?: Date }): Buffer {
  const paper = options.paper ?? '58mm';
  const markup = [
    '{w:auto}',
    `^^${escapeMarkup(PRINT_TEST_TEXT.title)}^^`,
    `|${escapeMarkup(PRINT_TEST_TEXT.sample)}`,
    `|${escapeMarkup(options.uri)}`,
    `|${escapeMarkup(formatReceiptTime(options.now ?? new Date()))}`,
    '',
    `{code:${PRINT_TEST_QR_PAYLOAD}; option:qrcode,${paper === '58mm' ? 5 : 6},m}`,
    escapeMarkup(PRINT_TEST_TEXT.rasterQr),
    '',
    rawCommand(nativeQr(encodeText(PRINT_TEST_QR_PAYLOAD), { moduleSize: 6, level: 'M' })),
    escapeMarkup(PRINT_TEST_TEXT.nativeQr),
    `|${escapeMarkup(PRINT_TEST_TEXT.nativeQrHint)}`,
    '',
  ].join('\n');
  return markupToEscPos(markup, { paper });
}

export interface PrintTestOptions {
  uri: string;
  paper?: PaperWidth;
  /** Progress lines. */
  log: (line: string) => void;
  /** The reason for a failure. */
  error: (line: string) => void;
  /** Injected in tests; default opens `uri`. */
  transport?: PrinterTransport;
  statusTimeoutMs?: number;
}

function label(key: PrinterStatusTextKey): string {
  const t = PRINTER_STATUS_TEXT[key];
  return `${t.zh} (${t.en})`;
}

function conditionKey(condition: PrinterCondition): PrinterStatusTextKey {
  return condition;
}

/** Runs the test; resolves to the process exit code (0 only if ready before and after). */
export async function runPrintTest(options: PrintTestOptions): Promise<number> {
  const { log, error } = options;
  let transport: PrinterTransport;
  try {
    transport = options.transport ?? openTransport(options.uri, { replyTimeoutMs: options.statusTimeoutMs ?? 1000, idleCloseMs: 0 });
  } catch (err) {
    error(`打印机地址无效 (invalid printer URI): ${err instanceof Error ? err.message : String(err)}`);
    return 2;
  }
  const service = await createPrinterService({ transport, statusTimeoutMs: options.statusTimeoutMs ?? 1000, statusRetryAfterMs: 0 });
  try {
    log(`[1/3] 查询打印机状态 (checking printer status) ${options.uri}`);
    const before = await service.checkStatus();
    log(`      ${label(conditionKey(before.condition))}`);
    if (before.condition !== 'ready' && before.condition !== 'paper_near_end') {
      const detail = before.detail ? `: ${before.detail}` : '';
      error(`打印机未就绪，未打印 (printer not ready, nothing printed): ${label(conditionKey(before.condition))}${detail}`);
      return 1;
    }

    const bytes = buildTestPage({ uri: options.uri, paper: options.paper ?? '58mm' });
    log(`[2/3] 打印测试页 (printing test page): ${bytes.byteLength} bytes`);
    const started = performance.now();
    const result = await service.print({ jobId: `print-test-${Date.now()}`, bytes });
    if (result.status === 'held') {
      error(`打印机未就绪，未打印 (printer not ready, nothing printed): ${label(result.reason)}`);
      return 1;
    }
    if (result.status === 'failed') {
      error(`打印失败 (print failed): ${result.message}`);
      return 1;
    }
    log(`      sent in ${Math.round(performance.now() - started)} ms`);

    log('[3/3] 打印后状态 (status after printing)');
    if (result.problemAfter) {
      error(`打印后打印机报告问题，请检查小票 (printer reported a problem after printing, check the page): ${label(result.problemAfter)}`);
      return 1;
    }
    if (result.statusAfter === null) {
      const key = result.warnings.includes('status_unsupported') ? 'status_unsupported' : 'no_status_reply';
      error(`已发送但无法确认 (sent but not confirmed): ${label(key)}`);
      return 1;
    }
    const after = result.warnings.includes('paper_near_end') ? 'paper_near_end' : 'ready';
    log(`      ${label(after)}`);
    log('完成 (done): 请检查中文、￥符号和两个二维码 (check the Chinese text, the ￥ sign and both QR codes)');
    return 0;
  } catch (err) {
    const detail = err instanceof TransportError ? `${err.code}: ${err.message}` : String(err);
    error(`${label('unreachable')}: ${detail}`);
    return 1;
  } finally {
    await service.close().catch(() => undefined);
  }
}

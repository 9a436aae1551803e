/**
 * Trade bills (`GET /v3/bill/tradebill` → download_url → file), for the merchant's reconciliation job.
 *
 * File format (what WeChat serves, UTF-8, lines end with CRLF):
 *
 *   line 1      the 27 column names, comma-separated (BILL_COLUMNS below)
 *   lines 2..n  one row per trade event of the bill date in China time: a SUCCESS row for each payment made
 *               that day and a REFUND row for each refund that succeeded that day. EVERY field starts with a
 *               backquote (`) so spreadsheets keep long digit strings as text; strip it when parsing.
 *               Amounts are yuan with exactly 2 decimals (`12.30`); fields that do not apply are `0` (ids)
 *               or `0.00` (amounts), or empty. Times are `YYYY-MM-DD HH:mm:ss` China time.
 *   next line   the 7 summary column names (BILL_SUMMARY_COLUMNS)
 *   last line   the summary values, each also starting with a backquote:
 *               row count, Σ 应结订单金额, Σ 退款金额, Σ 充值券退款金额, Σ 手续费, Σ 订单金额, Σ 申请退款金额
 *
 * Amount semantics (coupons are merchant-funded "免充值" NOCASH coupons in this simulator):
 *   订单金额 = order total; 代金券金额 = coupon; 应结订单金额 = total − coupon (what the merchant settles);
 *   申请退款金额 = requested refund; 退款金额 = settled refund (cash share); 手续费 = 0.6 % of the settled amount,
 *   rounded to the fen, negative on refund rows (the fee is given back).
 *
 * bill_type ALL lists both kinds of rows, SUCCESS only payments, REFUND only refunds. With tar_type=GZIP the file
 * is gzip-compressed and hash_value is the SHA1 of the compressed bytes.
 */
import { createHash, randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { chinaDayStartMs, dateChina, dateTimeChina, type Clock } from './clock.js';
import { V3Error, paramError, type Route, type V3Context, type V3Reply, type RawReply } from './http.js';
import { isPaid, type Order, type OrderBook } from './orders.js';
import type { Refund, RefundDesk } from './refunds.js';

export const BILL_COLUMNS = [
  '交易时间',
  '公众账号ID',
  '商户号',
  '特约商户号',
  '设备号',
  '微信订单号',
  '商户订单号',
  '用户标识',
  '交易类型',
  '交易状态',
  '付款银行',
  '货币种类',
  '应结订单金额',
  '代金券金额',
  '微信退款单号',
  '商户退款单号',
  '退款金额',
  '充值券退款金额',
  '退款类型',
  '退款状态',
  '商品名称',
  '商户数据包',
  '手续费',
  '费率',
  '订单金额',
  '申请退款金额',
  '费率备注',
] as const;

export const BILL_SUMMARY_COLUMNS = [
  '总交易单数',
  '应结订单总金额',
  '退款总金额',
  '充值券退款总金额',
  '手续费总金额',
  '订单总金额',
  '申请退款总金额',
] as const;

export type BillType = 'ALL' | 'SUCCESS' | 'REFUND';
export type BillRow = Record<(typeof BILL_COLUMNS)[number], string>;
export type BillSummary = Record<(typeof BILL_SUMMARY_COLUMNS)[number], string>;

/** 0.60 %, WeChat's common standard rate. */
const FEE_RATE_PERMILLE = 6;

/** Fen → yuan with 2 decimals, exact (integer arithmetic, no floating-point rounding). */
export function yuan(fen: number): string {
  const abs = Math.abs(fen);
  return `${fen < 0 ? '-' : ''}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

const fee = (fen: number): number => Math.round((fen * FEE_RATE_PERMILLE) / 1000);

interface Line {
  atMs: number;
  fields: BillRow;
  settled: number;
  refunded: number;
  fee: number;
  ordered: number;
  requestedRefund: number;
}

function paymentLine(o: Order): Line {
  const settled = o.total - o.couponFen;
  const f = fee(settled);
  return {
    atMs: o.successAtMs ?? 0,
    settled,
    refunded: 0,
    fee: f,
    ordered: o.total,
    requestedRefund: 0,
    fields: {
      交易时间: dateTimeChina(o.successAtMs ?? 0),
      公众账号ID: o.appid,
      商户号: o.mchid,
      特约商户号: '0',
      设备号: o.deviceId ?? '',
      微信订单号: o.transactionId ?? '',
      商户订单号: o.outTradeNo,
      用户标识: o.payerOpenid ?? '',
      交易类型: o.tradeType,
      交易状态: 'SUCCESS',
      付款银行: o.bankType,
      货币种类: 'CNY',
      应结订单金额: yuan(settled),
      代金券金额: yuan(o.couponFen),
      微信退款单号: '0',
      商户退款单号: '0',
      退款金额: '0.00',
      充值券退款金额: '0.00',
      退款类型: '',
      退款状态: '',
      商品名称: o.description,
      商户数据包: o.attach,
      手续费: yuan(f),
      费率: '0.60%',
      订单金额: yuan(o.total),
      申请退款金额: '0.00',
      费率备注: '',
    },
  };
}

function refundLine(o: Order, r: Refund): Line {
  const f = -fee(r.payerRefund);
  return {
    atMs: r.successAtMs ?? 0,
    settled: 0,
    refunded: r.payerRefund,
    fee: f,
    ordered: 0,
    requestedRefund: r.refund,
    fields: {
      ...paymentLine(o).fields,
      交易时间: dateTimeChina(r.successAtMs ?? 0),
      交易状态: 'REFUND',
      应结订单金额: '0.00',
      代金券金额: '0.00',
      微信退款单号: r.refundId,
      商户退款单号: r.outRefundNo,
      退款金额: yuan(r.payerRefund),
      退款类型: 'ORIGINAL',
      退款状态: 'SUCCESS',
      手续费: yuan(f),
      订单金额: '0.00',
      申请退款金额: yuan(r.refund),
    },
  };
}

/** Builds the bill text for one China-time day. Returns undefined when there is nothing to bill. */
export function buildTradeBill(
  orders: readonly Order[],
  refunds: readonly Refund[],
  billDate: string,
  billType: BillType,
): string | undefined {
  const start = chinaDayStartMs(billDate);
  const inDay = (ms: number | undefined): boolean => ms !== undefined && ms >= start && ms < start + 86_400_000;
  const byNo = new Map(orders.map((o) => [o.outTradeNo, o]));
  const lines: Line[] = [];
  if (billType !== 'REFUND') for (const o of orders) if (isPaid(o) && inDay(o.successAtMs)) lines.push(paymentLine(o));
  if (billType !== 'SUCCESS') {
    for (const r of refunds) {
      const o = byNo.get(r.outTradeNo);
      if (o && r.status === 'SUCCESS' && inDay(r.successAtMs)) lines.push(refundLine(o, r));
    }
  }
  if (lines.length === 0) return undefined;
  lines.sort((a, b) => a.atMs - b.atMs);
  const sum = (k: 'settled' | 'refunded' | 'fee' | 'ordered' | 'requestedRefund'): number => lines.reduce((s, l) => s + l[k], 0);
  const q = (v: string): string => `\`${v}`;
  const text = [
    BILL_COLUMNS.join(','),
    ...lines.map((l) => BILL_COLUMNS.map((c) => q(l.fields[c])).join(',')),
    BILL_SUMMARY_COLUMNS.join(','),
    [
      String(lines.length),
      yuan(sum('settled')),
      yuan(sum('refunded')),
      '0.00',
      yuan(sum('fee')),
      yuan(sum('ordered')),
      yuan(sum('requestedRefund')),
    ]
      .map(q)
      .join(','),
  ];
  return text.join('\r\n') + '\r\n';
}

/** Parses a bill produced above (or by WeChat): strips the backquotes and maps columns by name. */
export function parseTradeBill(text: string): { rows: BillRow[]; summary: BillSummary } {
  const lines = text
    .replace(/^\ufeff/, '')
    .split(/\r?\n/)
    .filter((l) => l !== '');
  const unq = (v: string): string => (v.startsWith('`') ? v.slice(1) : v);
  const summaryAt = lines.findIndex((l) => l.startsWith(BILL_SUMMARY_COLUMNS[0]));
  if (lines[0] !== BILL_COLUMNS.join(',') || summaryAt < 0) throw new Error('not a WeChat trade bill');
  const toRecord = <K extends string>(cols: readonly K[], line: string): Record<K, string> => {
    const values = line.split(',').map(unq);
    if (values.length !== cols.length) throw new Error(`expected ${cols.length} fields, got ${values.length}: ${line}`);
    return Object.fromEntries(cols.map((c, i) => [c, values[i] ?? ''])) as Record<K, string>;
  };
  return {
    rows: lines.slice(1, summaryAt).map((l) => toRecord(BILL_COLUMNS, l)),
    summary: toRecord(BILL_SUMMARY_COLUMNS, lines[summaryAt + 1] ?? ''),
  };
}

export class BillDesk {
  readonly #files = new Map<string, { body: Buffer; gzip: boolean }>();

  constructor(
    private readonly clock: Clock,
    private readonly orders: OrderBook,
    private readonly refunds: RefundDesk,
    private readonly baseUrl: () => string,
  ) {}

  reset(): void {
    this.#files.clear();
  }

  routes(): Route[] {
    return [
      { kind: 'v3', method: 'GET', pattern: /^\/v3\/bill\/tradebill$/, handle: (ctx) => this.#apply(ctx) },
      { kind: 'v3-file', method: 'GET', pattern: /^\/v3\/billdownload\/file$/, handle: (ctx) => this.#download(ctx) },
    ];
  }

  #apply(ctx: V3Context): V3Reply {
    const q = ctx.req.query;
    const billDate = q.get('bill_date') ?? '';
    if (!/^\d{4}-\d{2}-\d{2}$/.test(billDate) || Number.isNaN(chinaDayStartMs(billDate))) {
      throw paramError('/bill_date', billDate, '格式应为YYYY-MM-DD', 'query');
    }
    const billType = q.get('bill_type') ?? 'ALL';
    if (billType !== 'ALL' && billType !== 'SUCCESS' && billType !== 'REFUND')
      throw paramError('/bill_type', billType, '只能是ALL、SUCCESS或REFUND', 'query');
    const tarType = q.get('tar_type');
    if (tarType !== null && tarType !== 'GZIP') throw paramError('/tar_type', tarType, '只能是GZIP', 'query');
    const today = dateChina(this.clock.nowMs());
    if (billDate > today) throw new V3Error(400, 'INVALID_REQUEST', '账单日期不能晚于当前日期');
    if (chinaDayStartMs(billDate) < chinaDayStartMs(today) - 92 * 86_400_000)
      throw new V3Error(400, 'INVALID_REQUEST', '只能下载三个月以内的账单');
    const text = buildTradeBill(this.orders.list(), this.refunds.list(), billDate, billType);
    if (text === undefined) throw new V3Error(400, 'NO_STATEMENT_EXIST', '账单文件不存在');
    const gzip = tarType === 'GZIP';
    const body = gzip ? gzipSync(Buffer.from(text, 'utf8')) : Buffer.from(text, 'utf8');
    const token = randomBytes(24).toString('base64url');
    this.#files.set(token, { body, gzip });
    return {
      status: 200,
      json: {
        hash_type: 'SHA1',
        hash_value: createHash('sha1').update(body).digest('hex'),
        download_url: `${this.baseUrl()}/v3/billdownload/file?token=${token}`,
      },
    };
  }

  /** The download is authenticated like any v3 call, but the file itself is not signed (SDKs skip it). */
  #download(ctx: V3Context): RawReply {
    const file = this.#files.get(ctx.req.query.get('token') ?? '');
    if (!file) throw new V3Error(404, 'RESOURCE_NOT_EXISTS', '账单下载链接无效或已过期');
    return {
      status: 200,
      headers: { 'Content-Type': file.gzip ? 'application/octet-stream' : 'text/plain; charset=utf-8' },
      body: file.body,
    };
  }
}

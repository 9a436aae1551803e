/**
 * Every Chinese string printed on a receipt or shown for a printer state, in one place so the
 * wording can be reviewed (and one day translated) without reading layout code.
 */
export const RECEIPT_TEXT = {
  reprint: '重印',
  refundTitle: '退款单',
  terminal: '终端',
  cashier: '收银员',
  orderNo: '单号',
  originalOrderNo: '原单号',
  time: '时间',
  deviceTime: '设备时间',
  deviceTimeNote: '离线开单，时间取自本机',
  item: '商品',
  amount: '金额',
  subtotal: '小计',
  discount: '优惠',
  pointsPaid: '积分抵扣',
  total: '合计',
  refundTotal: '退款合计',
  refundReason: '退款原因',
  tendered: '实收',
  change: '找零',
  refundTo: '退回',
  member: '会员',
  tier: '等级',
  pointsEarned: '本单积分',
  pointsPending: '待入账积分',
  pointsPendingNote: '联网后自动入账',
  pointsBalance: '积分余额',
  pointsReversed: '冲回积分',
  claimHint: '扫码领取积分',
  validUntil: '有效期至',
  voucher: '赠券',
  thanks: '谢谢惠顾，欢迎再次光临',
  points: '积分',
  paymentMethod: {
    wechat_pay: '微信支付',
    cash: '现金',
  },
} as const;

/** Printer conditions as the cashier sees them (Chinese, then English for the installer). */
export const PRINTER_STATUS_TEXT = {
  ready: { zh: '就绪', en: 'ready' },
  paper_near_end: { zh: '纸将尽', en: 'paper near end' },
  paper_out: { zh: '缺纸', en: 'paper out' },
  cover_open: { zh: '开盖', en: 'cover open' },
  offline: { zh: '离线', en: 'offline' },
  error: { zh: '打印机故障', en: 'printer error' },
  no_status_reply: { zh: '打印机未响应状态查询', en: 'printer did not answer the status query' },
  status_unsupported: { zh: '无法读取打印机状态', en: 'printer status cannot be read on this connection' },
  unreachable: { zh: '无法连接打印机', en: 'printer unreachable' },
} as const;

export type PrinterStatusTextKey = keyof typeof PRINTER_STATUS_TEXT;

/** Lines of the print test (`pnpm kiosk:print-test`). */
export const PRINT_TEST_TEXT = {
  title: '积分打印测试',
  sample: '积分打印测试 中文测试 ￥12.34',
  rasterQr: '图像二维码 (raster QR)',
  nativeQr: '原生二维码 (native QR)',
  nativeQrHint: '若上方无二维码，请使用图像二维码模式',
} as const;

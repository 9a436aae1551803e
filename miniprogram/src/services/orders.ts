import type { MemberOrderView, MemberPayResponse } from '@jifen/shared';
import { requestPayment } from './platform';
import { request } from './request';

export type OrderView = MemberOrderView;

/**
 * What names an order in what the shopper scanned, typed or opened: the kiosk's signed order QR
 * (`JFO1.<orderId>.<mac>`, passed on whole so the server checks it, also when wrapped in a URL or
 * URL-encoded in WeChat's `q`), a link's `orderId=<id>`, or a bare order id. Null if none of these.
 */
export function orderRefFrom(raw: string | undefined | null): string | null {
  if (!raw) return null;
  let text = raw.trim();
  for (let i = 0; i < 2 && /%[0-9a-f]{2}/i.test(text); i++) {
    try {
      text = decodeURIComponent(text);
    } catch {
      break;
    }
  }
  const code = /\bJFO1\.[0-9A-Za-z._-]+/.exec(text);
  if (code) return code[0];
  const id = (/(?:^|[?&#])orderId=(\d{1,16})(?:$|[&#])/.exec(text) ?? /^(\d{1,16})$/.exec(text))?.[1];
  return id && Number(id) > 0 ? id : null;
}

/** GET /api/member/orders/:ref — `ref` an order id or a JFO1 code. @throws ApiError ORDER_NOT_FOUND, CODE_FORGED, CODE_UNKNOWN */
export function getOrder(ref: number | string): Promise<OrderView> {
  return request<OrderView>(`/api/member/orders/${encodeURIComponent(String(ref))}`);
}

/**
 * POST /api/member/orders/:orderId/pay → the server creates (or reuses) the JSAPI order and signs the
 * parameters for Taro.requestPayment. Safe to repeat: the same shopper gets the same prepay id.
 * @throws ApiError ORDER_NOT_PAYABLE, ORDER_NOT_FOUND, PAYMENTS_NOT_CONFIGURED, PAYMENT_FAILED
 */
export function startPayment(orderId: number): Promise<MemberPayResponse> {
  return request<MemberPayResponse>(`/api/member/orders/${orderId}/pay`, { method: 'POST' });
}

export interface PayOutcome {
  /** What the payment sheet said: a hint only. */
  sheet: 'ok' | 'cancelled' | 'failed' | 'external';
  /** The server's view after the sheet closed: this is what the page shows. */
  order: OrderView;
}

export interface PollOptions {
  /** The server accepted the payment request (its outTradeNo names the WeChat Pay order). */
  onStarted?: (params: MemberPayResponse) => void;
  intervalMs?: number;
  timeoutMs?: number;
  onUpdate?: (order: OrderView) => void;
  /** Stop early (the page was left). */
  cancelled?: () => boolean;
}

/** Polls the order until the server says it is no longer pending, or the time is up (then the last answer). */
export async function waitForSettlement(orderId: number, options: PollOptions = {}): Promise<OrderView> {
  const interval = options.intervalMs ?? 1500;
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  for (;;) {
    const order = await getOrder(orderId);
    options.onUpdate?.(order);
    if (order.status !== 'pending' || Date.now() >= deadline || options.cancelled?.()) return order;
    await new Promise<void>((resolve) => setTimeout(resolve, interval));
  }
}

/**
 * Pay an order: server-signed parameters → WeChat's payment sheet → the server's answer. Whatever the sheet
 * reports, the result is the order as the server sees it (settled only by WeChat Pay's notification or query).
 * A cancelled or failed sheet is checked once; a completed or external one is polled until settled.
 */
export async function payOrder(orderId: number, options: PollOptions = {}): Promise<PayOutcome> {
  const params = await startPayment(orderId);
  options.onStarted?.(params);
  const sheet = await requestPayment({
    timeStamp: params.timeStamp,
    nonceStr: params.nonceStr,
    package: params.package,
    signType: params.signType,
    paySign: params.paySign,
  });
  const order =
    sheet === 'cancelled' || sheet === 'failed'
      ? await getOrder(orderId)
      : await waitForSettlement(orderId, { timeoutMs: sheet === 'external' ? 180_000 : 60_000, ...options });
  options.onUpdate?.(order);
  return { sheet, order };
}

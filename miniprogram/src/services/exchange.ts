import type { ExchangeRateView, ExchangeRatesResponse, ExchangeRequest, ExchangeResponse } from '@jifen/shared';
import { request } from './request';

/** GET /api/member/exchange/rates: the pairs HQ allows for this member's group (empty: none). */
export async function listExchangeRates(): Promise<ExchangeRateView[]> {
  return (await request<ExchangeRatesResponse>('/api/member/exchange/rates')).rates;
}

/** What the shopper would receive: the server rounds down whole points the same way (shown as "预计"). */
export function previewExchange(rate: ExchangeRateView, points: number): number {
  if (!Number.isSafeInteger(points) || points <= 0 || rate.fromPoints <= 0) return 0;
  return Math.floor((points * rate.toPoints) / rate.fromPoints);
}

/**
 * POST /api/member/exchange.
 * @throws ApiError EXCHANGE_NOT_ALLOWED, POINTS_INSUFFICIENT, ACCOUNT_FROZEN, IDEMPOTENCY_CONFLICT, VALIDATION_FAILED
 */
export function exchangePoints(req: ExchangeRequest): Promise<ExchangeResponse> {
  return request<ExchangeResponse>('/api/member/exchange', { method: 'POST', body: req });
}

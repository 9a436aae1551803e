import { NpsRequest, type NpsPendingResponse, type NpsResponse } from '@jifen/shared';
import { ApiError } from './errors';
import { request } from './request';

/**
 * POST /api/member/nps: the shopper's 0–10 answer to "would you recommend us?" about one paid order. The
 * server keeps one answer per order: the same answer again is a replay (200), another one
 * IDEMPOTENCY_CONFLICT.
 * @throws ApiError VALIDATION_FAILED (checked here first), ORDER_NOT_FOUND, IDEMPOTENCY_CONFLICT
 */
export function answerNps(orderId: number, score: number, comment?: string): Promise<NpsResponse> {
  const parsed = NpsRequest.safeParse({ orderId, score, ...(comment?.trim() ? { comment: comment.trim() } : {}) });
  if (!parsed.success) return Promise.reject(new ApiError('VALIDATION_FAILED', 0, parsed.error.message));
  return request<NpsResponse>('/api/member/nps', { method: 'POST', body: parsed.data });
}

/**
 * GET /api/member/nps/pending: the latest purchase of the last week not yet rated, wherever it was paid
 * (a till that scanned the member code included), or null.
 */
export async function pendingNps(): Promise<NpsPendingResponse['order']> {
  return (await request<NpsPendingResponse>('/api/member/nps/pending')).order;
}

import type { HistoryPage, MemberCodeResponse, MemberMe } from '@jifen/shared';
import { request } from './request';

/** GET /api/member/me: profile, tier, points (available, pending, expiring within 30 days), progress. */
export function getMe(): Promise<MemberMe> {
  return request<MemberMe>('/api/member/me');
}

/** GET /api/member/me/code: the JFM1 member code the cashier scans (valid 60 s, refreshed every 30 s). */
export function getMemberCode(): Promise<MemberCodeResponse> {
  return request<MemberCodeResponse>('/api/member/me/code');
}

export const HISTORY_PAGE_SIZE = 20;

/** GET /api/member/me/history, newest first; pass the previous page's nextCursor for the next one. */
export function getHistory(cursor?: string | null, limit = HISTORY_PAGE_SIZE): Promise<HistoryPage> {
  return request<HistoryPage>('/api/member/me/history', { query: { cursor: cursor ?? undefined, limit } });
}

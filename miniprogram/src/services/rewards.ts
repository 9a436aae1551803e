import type { RedeemResponse, RewardView, RewardsResponse, VoucherView, VouchersResponse } from '@jifen/shared';
import { request } from './request';

/** GET /api/member/rewards: the program's catalogue with stock, limits, tiers and availability for this member. */
export async function listRewards(): Promise<RewardView[]> {
  return (await request<RewardsResponse>('/api/member/rewards')).rewards;
}

/**
 * POST /api/member/rewards/:id/redeem. The key is made once per confirmed tap and reused if the shopper
 * taps again after a failure, so a lost answer never redeems twice (the server replays the first answer).
 * @throws ApiError POINTS_INSUFFICIENT, REWARD_SOLD_OUT, REWARD_LIMIT_REACHED, REWARD_TIER_REQUIRED, REWARD_UNAVAILABLE,
 *   REWARD_NOT_FOUND, IDEMPOTENCY_CONFLICT
 */
export function redeemReward(rewardId: number, idempotencyKey: string): Promise<RedeemResponse> {
  return request<RedeemResponse>(`/api/member/rewards/${rewardId}/redeem`, { method: 'POST', body: { idempotencyKey } });
}

/** GET /api/member/vouchers: this member's vouchers. */
export async function listVouchers(): Promise<VoucherView[]> {
  return (await request<VouchersResponse>('/api/member/vouchers')).vouchers;
}

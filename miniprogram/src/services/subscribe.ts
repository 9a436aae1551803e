import type { SubscriptionsRequest, SubscriptionsResponse } from '@jifen/shared';
import { zh } from '../i18n/zh';
import { requestSubscribe } from './platform';
import { request } from './request';

/** Template ids of the two one-time subscribe messages (≤ 3 per request). */
export const TEMPLATES = [
  { id: 'jifen-points-arrived', kind: 'points_arrived' },
  { id: 'jifen-points-expiring', kind: 'points_expiring' },
] as const;

export type SubscriptionKind = (typeof TEMPLATES)[number]['kind'];

export interface SubscriptionResult {
  kind: SubscriptionKind;
  accepted: boolean;
}

/**
 * Call straight from the tap handler: Taro.requestSubscribeMessage starts before anything is awaited
 * (WeChat accepts it only inside a tap). The answers go to POST /api/member/subscriptions, so the server's
 * outbox sends only what the shopper accepted. Resolves null where subscribe messages do not exist (plain H5).
 */
export function subscribePointsMessages(): Promise<SubscriptionResult[] | null> {
  const asked = requestSubscribe(TEMPLATES.map((t) => t.id));
  return asked.then(async (answer) => {
    if (!answer) return null;
    const results = TEMPLATES.map((t) => ({ kind: t.kind, accepted: answer[t.id] === 'accept' || answer[t.id] === 'acceptWithAudio' }));
    const body: SubscriptionsRequest = { results };
    await request<SubscriptionsResponse>('/api/member/subscriptions', { method: 'POST', body });
    return results;
  });
}

export function subscriptionSummary(results: SubscriptionResult[]): string {
  return zh.subscribe.done(results.filter((r) => r.accepted).length);
}

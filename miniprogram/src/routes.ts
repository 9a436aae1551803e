/** Every page's path, in one place (app.config.ts lists the same pages by package). */
export const ROUTES = {
  launch: '/pages/launch/index',
  home: '/pages/home/index',
  claim: '/packages/scan/pages/claim/index',
  history: '/packages/points/pages/history/index',
  rewards: '/packages/rewards/pages/catalogue/index',
  vouchers: '/packages/rewards/pages/vouchers/index',
  exchange: '/packages/exchange/pages/index/index',
  pay: '/packages/pay/pages/order/index',
  me: '/packages/me/pages/profile/index',
  privacy: '/packages/me/pages/privacy/index',
} as const;

export function withQuery(path: string, query: Record<string, string | number | undefined>): string {
  const qs = Object.entries(query)
    .filter(([, v]) => v !== undefined && v !== '')
    .map(([k, v]) => `${k}=${encodeURIComponent(String(v))}`)
    .join('&');
  return qs ? `${path}?${qs}` : path;
}

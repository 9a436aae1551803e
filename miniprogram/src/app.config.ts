// Main package: launch (consent + signup) and the member card. Each domain is a subpackage (≤ 2 MB each).
export default defineAppConfig({
  pages: ['pages/launch/index', 'pages/home/index'],
  subPackages: [
    { root: 'packages/scan', name: 'scan', pages: ['pages/claim/index'] },
    { root: 'packages/points', name: 'points', pages: ['pages/history/index'] },
    { root: 'packages/rewards', name: 'rewards', pages: ['pages/catalogue/index', 'pages/vouchers/index'] },
    { root: 'packages/exchange', name: 'exchange', pages: ['pages/index/index'] },
    { root: 'packages/pay', name: 'pay', pages: ['pages/order/index'] },
    { root: 'packages/me', name: 'me', pages: ['pages/profile/index', 'pages/privacy/index'] },
  ],
  // The card's two most used next steps load ahead on any network (small packages).
  preloadRule: {
    'pages/home/index': { network: 'all', packages: ['scan', 'pay'] },
  },
  window: {
    backgroundTextStyle: 'light',
    navigationBarBackgroundColor: '#2b2d42',
    navigationBarTitleText: '积分会员',
    navigationBarTextStyle: 'white',
    backgroundColor: '#f5f5f7',
  },
  // Inject components only when a page renders them (Taro's recursive templates use one custom component).
  lazyCodeLoading: 'requiredComponents',
  __usePrivacyCheck__: true,
});

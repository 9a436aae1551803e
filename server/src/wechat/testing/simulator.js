// Test-only bridge to the WeChat simulator in test/sim/wechat.
//
// Why a .js file with a hand-written .d.ts: server/tsconfig.json compiles only src/ (rootDir), and a .ts
// import of ../../../../test/sim/... would drag the simulator's sources into that program (TS6059).
// tsc never follows this file (no allowJs) and only reads simulator.d.ts; vitest resolves the real module.
// Nothing here is emitted by the build (tsc copies neither .js nor .d.ts inputs).
export {
  startWechatSimulator,
  buildEnvelope,
  signResponse,
  loadDefaultKeys,
  createSelfSignedCertificate,
  DEFAULT_MERCHANT,
  DEFAULT_PLATFORM,
  KEY_FILES,
} from '../../../../test/sim/wechat/index.ts';

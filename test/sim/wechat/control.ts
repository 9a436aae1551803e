/**
 * The control API: what a test (in process) or the sandbox/browser tests (over HTTP, JSON under
 * `/__control/…`) use to play the shopper, WeChat's back office and the network.
 *
 * Every HTTP route maps 1:1 onto a method of {@link SimulatorControl}; inputs are validated field by field.
 */
import {
  ControlInputError,
  SimError,
  controlFields,
  isObject,
  jsonReply,
  type Fields,
  type RawReply,
  type Route,
  type SimRequest,
} from './http.js';
import { transactionJson, type InjectTradeInput, type OrderBook, type PayOptions, type TradeType, type TransactionJson } from './orders.js';
import { refundJson, type RefundDesk, type RefundJson } from './refunds.js';
import type { Clock } from './clock.js';
import type { PlatformKeys, ShareAccumulator } from './auth.js';
import type { DeliveryFilter, DeliveryRecord, EventState, NotificationEvent, Notifier } from './notify.js';
import type { MicropayDesk, MicropayScenario } from './micropay.js';
import type { LoginIdentity, MiniProgram, SentMessage } from './miniprogram.js';
import {
  KEY_FILES,
  type KeyMode,
  type NotifyFaults,
  type PlatformCertificateInput,
  type PlatformPublicKeyInput,
  type RefundOutcome,
  type ResolvedConfig,
  type RuntimeSettings,
} from './config.js';

/** What the Jifen server needs to talk to this simulator (also GET /__control/config). */
export interface JifenWechatConfig {
  baseUrl: string;
  mchid: string;
  appid: string;
  merchantSerialNo: string;
  apiV3Key: string;
  apiV2Key: string;
  /** Files of the bundled merchant key pair (when the defaults are in use). */
  merchantPrivateKeyFile: string;
  keyMode: KeyMode;
  platformCertificates: { serialNo: string; certificatePem: string; active: boolean }[];
  platformPublicKeys: { publicKeyId: string; publicKeyPem: string; active: boolean }[];
  miniprogram: { appid: string; secret: string };
}

export interface PayResult {
  transaction: TransactionJson;
  /** The TRANSACTION.SUCCESS event id (absent when the order has no notify_url). */
  eventId?: string;
  /** Settles after the first delivery round (answered, failed or timed out); at once for a lost notification. */
  firstDelivery: Promise<void>;
}

export type SettingsPatch = Partial<Omit<RuntimeSettings, 'faults'>>;

export interface SimulatorControl {
  /** The shopper pays (NATIVE/JSAPI) → SUCCESS, then TRANSACTION.SUCCESS to the order's notify_url. */
  pay(outTradeNo: string, options?: PayOptions): PayResult;
  /** Ends a PROCESSING refund now, or decides in advance how a future refund with this number ends. */
  refundOutcome(outRefundNo: string, outcome: RefundOutcome): RefundJson | undefined;
  /** Notification faults for one out_trade_no / out_refund_no, or the global default when `key` is omitted. */
  setFaults(faults: NotifyFaults, key?: string): void;
  clearFaults(key?: string): void;
  deliveries(filter?: DeliveryFilter): DeliveryRecord[];
  events(filter?: DeliveryFilter): NotificationEvent[];
  waitForDeliveries(filter: DeliveryFilter, count?: number, timeoutMs?: number): Promise<DeliveryRecord[]>;
  waitForEvent(filter: DeliveryFilter, state: EventState, timeoutMs?: number): Promise<NotificationEvent>;
  /** A trade paid at WeChat that the merchant never heard of (no notification). */
  injectTrade(input: InjectTradeInput): TransactionJson;
  order(outTradeNo: string): TransactionJson | undefined;
  orders(): TransactionJson[];
  refund(outRefundNo: string): RefundJson | undefined;
  refunds(): RefundJson[];
  micropayScenario(authCode: string, scenario: MicropayScenario, openid?: string): void;
  /** A USERPAYING shopper enters the password now. */
  micropayConfirm(outTradeNo: string): TransactionJson;
  /** The next `times` reverse calls for the order answer recall=Y. */
  micropayReverseRecall(outTradeNo: string, times: number): void;
  subscribe(openid: string, templateId: string, count?: number): number;
  phoneCode(code: string, phone: string, countryCode?: string): void;
  loginCode(code: string, identity: LoginIdentity): void;
  /** The openid a not-set-up login code yields (codes `<user>.<x>` share `<user>`'s openid). */
  openidForCode(code: string): string;
  expireTokens(): void;
  sentMessages(): SentMessage[];
  /** The next `count` 2xx v3 responses carry a WECHATPAY/SIGNTEST/ probe signature. */
  probeResponses(count: number): void;
  configure(patch: SettingsPatch): RuntimeSettings;
  advanceClock(ms: number): number;
  now(): number;
  addPlatformCertificate(input: PlatformCertificateInput, activate?: boolean): string;
  addPlatformPublicKey(input: PlatformPublicKeyInput, activate?: boolean): string;
  activatePlatformKey(serialOrId: string): void;
  jifenConfig(): JifenWechatConfig;
  /** Forgets all orders, refunds, deliveries, faults, codes, tokens and messages; restores the start settings. */
  reset(): void;
}

export interface ControlDeps {
  config: ResolvedConfig;
  clock: Clock;
  keys: PlatformKeys;
  orders: OrderBook;
  refunds: RefundDesk;
  notifier: Notifier;
  micropay: MicropayDesk;
  mini: MiniProgram;
  responseProbes: { forced: number; gate: ShareAccumulator };
  baseUrl: () => string;
  resetAll: () => void;
}

const KEY_MODES: readonly KeyMode[] = ['certificate', 'publicKey', 'mixed'];
const OUTCOMES: readonly RefundOutcome[] = ['SUCCESS', 'ABNORMAL', 'CLOSED'];
const SCENARIOS: readonly MicropayScenario[] = [
  'SUCCESS',
  'USERPAYING_THEN_SUCCESS',
  'USERPAYING_FOREVER',
  'AUTHCODEEXPIRE',
  'NOTENOUGH',
  'SYSTEMERROR',
];
const TRADE_TYPES: readonly TradeType[] = ['NATIVE', 'JSAPI', 'MICROPAY'];
const EVENT_STATES: readonly EventState[] = ['pending', 'delivered', 'abandoned', 'lost', 'cancelled'];

function oneOf<T extends string>(allowed: readonly T[], value: unknown, what: string): T {
  const found = allowed.find((a) => a === value);
  if (found === undefined) throw new ControlInputError(`${what} must be one of ${allowed.join(', ')} (got ${JSON.stringify(value)})`);
  return found;
}

function checkSettings(patch: SettingsPatch): void {
  const shareOk = (v: number | undefined): boolean => v === undefined || (v >= 0 && v <= 1);
  if (patch.keyMode !== undefined) oneOf(KEY_MODES, patch.keyMode, 'keyMode');
  if (!shareOk(patch.publicKeyShare) || !shareOk(patch.probeRate)) throw new ControlInputError('shares must be within 0..1');
  if (patch.timeFactor !== undefined && !(patch.timeFactor > 0)) throw new ControlInputError('timeFactor must be > 0');
  for (const k of ['deliveryTimeoutMs', 'refundDelayMs', 'userPayingMs'] as const) {
    const v = patch[k];
    if (v !== undefined && !(Number.isFinite(v) && v >= 0)) throw new ControlInputError(`${k} must be a number ≥ 0`);
  }
  if (patch.refundAutoOutcome !== undefined && patch.refundAutoOutcome !== 'none')
    oneOf(OUTCOMES, patch.refundAutoOutcome, 'refundAutoOutcome');
}

export function createControl(deps: ControlDeps): SimulatorControl {
  const { config, clock, keys, orders, refunds, notifier, micropay, mini } = deps;
  const txOf = (no: string): TransactionJson | undefined => {
    const o = orders.get(no);
    return o ? transactionJson(o) : undefined;
  };
  return {
    pay: (outTradeNo, options) => orders.pay(outTradeNo, options),
    refundOutcome: (outRefundNo, outcome) => {
      const r = refunds.refundOutcome(outRefundNo, oneOf(OUTCOMES, outcome, 'outcome'));
      return r ? refundJson(r) : undefined;
    },
    setFaults: (faults, key) => notifier.setFaults(faults, key),
    clearFaults: (key) => notifier.clearFaults(key),
    deliveries: (filter) => notifier.deliveries(filter),
    events: (filter) => notifier.events(filter),
    waitForDeliveries: (filter, count, timeoutMs) => notifier.waitForDeliveries(filter, count, timeoutMs),
    waitForEvent: async (filter, state, timeoutMs = 10_000) => {
      const find = (): NotificationEvent | undefined => notifier.events(filter).find((e) => e.state === state);
      await notifier.waitUntil(() => find() !== undefined, timeoutMs, `an event ${JSON.stringify(filter)} in state ${state}`);
      const found = find();
      if (!found) throw new SimError(500, 'event vanished');
      return found;
    },
    injectTrade: (input) => orders.injectTrade(input),
    order: txOf,
    orders: () => orders.list().map(transactionJson),
    refund: (no) => {
      const r = refunds.get(no);
      return r ? refundJson(r) : undefined;
    },
    refunds: () => refunds.list().map(refundJson),
    micropayScenario: (authCode, scenario, openid) => micropay.setScenario(authCode, oneOf(SCENARIOS, scenario, 'scenario'), openid),
    micropayConfirm: (outTradeNo) => transactionJson(micropay.confirm(outTradeNo)),
    micropayReverseRecall: (outTradeNo, times) => micropay.reverseRecall(outTradeNo, times),
    subscribe: (openid, templateId, count = 1) => mini.subscribe(openid, templateId, count),
    phoneCode: (code, phone, countryCode) => mini.phoneCode(code, phone, countryCode),
    loginCode: (code, identity) => mini.loginCode(code, identity),
    openidForCode: (code) => mini.identityForCode(code).openid,
    expireTokens: () => mini.expireTokens(),
    sentMessages: () => mini.sentMessages(),
    probeResponses: (count) => {
      deps.responseProbes.forced = Math.max(0, Math.floor(count));
    },
    configure: (patch) => {
      checkSettings(patch);
      Object.assign(config.settings, Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)));
      return { ...config.settings };
    },
    advanceClock: (ms) => {
      clock.advance(ms);
      return clock.nowMs();
    },
    now: () => clock.nowMs(),
    addPlatformCertificate: (input, activate) => keyOp(() => keys.addCertificate(input, activate)),
    addPlatformPublicKey: (input, activate) => keyOp(() => keys.addPublicKey(input, activate)),
    activatePlatformKey: (serial) => keyOp(() => keys.activate(serial)),
    jifenConfig: () => {
      const m = config.merchant;
      const activeCert = keys.activeCertificate()?.serial;
      const activePub = keys.activePublicKey()?.serial;
      return {
        baseUrl: deps.baseUrl(),
        mchid: m.mchid,
        appid: m.appid,
        merchantSerialNo: m.serial,
        apiV3Key: m.apiV3Key,
        apiV2Key: m.apiV2Key,
        merchantPrivateKeyFile: KEY_FILES.merchantPrivateKey,
        keyMode: config.settings.keyMode,
        platformCertificates: keys
          .certificates()
          .map((c) => ({ serialNo: c.serial, certificatePem: c.certificatePem, active: c.serial === activeCert })),
        platformPublicKeys: keys
          .publicKeys()
          .map((p) => ({ publicKeyId: p.serial, publicKeyPem: p.publicKeyPem, active: p.serial === activePub })),
        miniprogram: { appid: config.miniprogram.appid, secret: config.miniprogram.secret },
      };
    },
    reset: () => deps.resetAll(),
  };
}

// -------------------------------------------------------------------------------------------------------------
// HTTP control routes

function parseFaults(f: Fields): NotifyFaults {
  const faults: NotifyFaults = {};
  const int = (k: 'duplicates' | 'delayMs' | 'repeats'): void => {
    const v = f.optInt(k);
    if (v !== undefined) {
      if (v < 0) throw f.fail(k, 'must be ≥ 0');
      faults[k] = v;
    }
  };
  const bool = (k: 'lose' | 'probe' | 'rawBodyTrap'): void => {
    const v = f.optBool(k);
    if (v !== undefined) faults[k] = v;
  };
  int('duplicates');
  int('delayMs');
  int('repeats');
  bool('lose');
  bool('probe');
  bool('rawBodyTrap');
  const early = f.raw('beforeResponse');
  if (typeof early === 'boolean') faults.beforeResponse = early;
  else if (early !== undefined) {
    const e = f.object('beforeResponse');
    const shopper: { openid?: string; couponFen?: number } = {};
    const openid = e.optString('openid');
    const coupon = e.optInt('couponFen');
    if (openid !== undefined) shopper.openid = openid;
    if (coupon !== undefined) shopper.couponFen = coupon;
    faults.beforeResponse = shopper;
  }
  return faults;
}

function parseSettings(f: Fields): SettingsPatch {
  const patch: SettingsPatch = {};
  const keyMode = f.raw('keyMode');
  if (keyMode !== undefined) patch.keyMode = oneOf(KEY_MODES, keyMode, 'keyMode');
  for (const k of ['publicKeyShare', 'probeRate', 'timeFactor', 'deliveryTimeoutMs', 'refundDelayMs', 'userPayingMs'] as const) {
    const v = f.raw(k);
    if (v === undefined) continue;
    if (typeof v !== 'number') throw f.fail(k, 'must be a number');
    patch[k] = v;
  }
  const trap = f.optBool('rawBodyTrap');
  if (trap !== undefined) patch.rawBodyTrap = trap;
  const auto = f.raw('refundAutoOutcome');
  if (auto !== undefined) patch.refundAutoOutcome = auto === 'none' ? 'none' : oneOf(OUTCOMES, auto, 'refundAutoOutcome');
  return patch;
}

function filterFrom(q: URLSearchParams): DeliveryFilter {
  const filter: DeliveryFilter = {};
  for (const k of ['outTradeNo', 'outRefundNo', 'eventType', 'eventId'] as const) {
    const v = q.get(k);
    if (v !== null) filter[k] = v;
  }
  return filter;
}

function found<T>(value: T | undefined, message: string): T {
  if (value === undefined) throw new SimError(404, message);
  return value;
}

/** Key-ring refusals (unknown serial, key/cert mismatch) are the caller's mistake: 400, not 500. */
function keyOp<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw new SimError(400, err instanceof Error ? err.message : String(err));
  }
}

function bodyJson(req: SimRequest): unknown {
  if (req.body.length === 0) return {};
  try {
    return JSON.parse(req.body.toString('utf8'));
  } catch {
    throw new ControlInputError('body must be JSON');
  }
}

export function controlRoutes(control: SimulatorControl): Route[] {
  type Fn = (req: SimRequest, body: Fields) => unknown;
  const route = (method: string, path: string, fn: Fn): Route => ({
    kind: 'raw',
    method,
    pattern: new RegExp(`^/__control/${path}$`),
    handle: async (req): Promise<RawReply> => {
      try {
        const json = method === 'GET' || method === 'DELETE' ? {} : bodyJson(req);
        const result = await fn(req, controlFields(isObject(json) ? json : { value: json }));
        return jsonReply(200, result === undefined ? { ok: true } : result);
      } catch (err) {
        if (err instanceof ControlInputError) return jsonReply(400, { error: err.message });
        if (err instanceof SimError) return jsonReply(err.status, { error: err.message });
        throw err;
      }
    },
  });
  const withPromiseDropped = (r: PayResult): Omit<PayResult, 'firstDelivery'> => {
    const { firstDelivery: _ignored, ...rest } = r;
    return rest;
  };
  return [
    route('GET', 'config', () => control.jifenConfig()),
    route('POST', 'pay', (_r, b) => {
      const options: PayOptions = {};
      const openid = b.optString('openid');
      const coupon = b.optInt('couponFen');
      if (openid !== undefined) options.openid = openid;
      if (coupon !== undefined) options.couponFen = coupon;
      return withPromiseDropped(control.pay(b.string('outTradeNo'), options));
    }),
    route(
      'POST',
      'refund-outcome',
      (_r, b) => control.refundOutcome(b.string('outRefundNo'), oneOf(OUTCOMES, b.raw('outcome'), 'outcome')) ?? { preset: true },
    ),
    route('POST', 'faults', (_r, b) => control.setFaults(parseFaults(b.has('faults') ? b.object('faults') : b), b.optString('key'))),
    route('DELETE', 'faults', (req) => control.clearFaults(req.query.get('key') ?? undefined)),
    route('GET', 'deliveries', (req) => control.deliveries(filterFrom(req.query))),
    route('GET', 'events', (req) => control.events(filterFrom(req.query))),
    route('GET', 'wait-event', (req) => {
      const state = oneOf(EVENT_STATES, req.query.get('state') ?? 'delivered', 'state');
      return control.waitForEvent(filterFrom(req.query), state, Number(req.query.get('timeoutMs') ?? 10_000));
    }),
    route('POST', 'inject-trade', (_r, b) => {
      const input: InjectTradeInput = { totalFen: b.int('totalFen') };
      const no = b.optString('outTradeNo');
      const coupon = b.optInt('couponFen');
      const openid = b.optString('openid');
      const at = b.raw('successTime');
      const tradeType = b.raw('tradeType');
      const description = b.optString('description');
      const attach = b.optString('attach');
      if (no !== undefined) input.outTradeNo = no;
      if (coupon !== undefined) input.couponFen = coupon;
      if (openid !== undefined) input.openid = openid;
      if (typeof at === 'number' || typeof at === 'string') input.successTime = at;
      if (tradeType !== undefined) input.tradeType = oneOf(TRADE_TYPES, tradeType, 'tradeType');
      if (description !== undefined) input.description = description;
      if (attach !== undefined) input.attach = attach;
      return control.injectTrade(input);
    }),
    route('GET', 'orders', () => control.orders()),
    route('GET', 'orders/([^/]+)', (req) => found(control.order(req.params[0] ?? ''), 'no such order')),
    route('GET', 'refunds', () => control.refunds()),
    route('GET', 'refunds/([^/]+)', (req) => found(control.refund(req.params[0] ?? ''), 'no such refund')),
    route('POST', 'micropay-scenario', (_r, b) =>
      control.micropayScenario(b.string('authCode'), oneOf(SCENARIOS, b.raw('scenario'), 'scenario'), b.optString('openid')),
    ),
    route('POST', 'micropay-confirm', (_r, b) => control.micropayConfirm(b.string('outTradeNo'))),
    route('POST', 'micropay-reverse-recall', (_r, b) => control.micropayReverseRecall(b.string('outTradeNo'), b.int('times'))),
    route('POST', 'subscribe', (_r, b) => ({
      left: control.subscribe(b.string('openid'), b.string('templateId'), b.optInt('count') ?? 1),
    })),
    route('POST', 'phone-code', (_r, b) => control.phoneCode(b.string('code'), b.string('phone'), b.optString('countryCode'))),
    route('POST', 'login-code', (_r, b) => {
      const identity: LoginIdentity = { openid: b.string('openid') };
      const unionid = b.optString('unionid');
      if (unionid !== undefined) identity.unionid = unionid;
      return control.loginCode(b.string('code'), identity);
    }),
    route('GET', 'openid-for-code', (req) => ({ openid: control.openidForCode(req.query.get('code') ?? '') })),
    route('POST', 'expire-tokens', () => control.expireTokens()),
    route('GET', 'messages', () => control.sentMessages()),
    route('POST', 'probe-responses', (_r, b) => control.probeResponses(b.int('count'))),
    route('POST', 'configure', (_r, b) => control.configure(parseSettings(b))),
    route('POST', 'clock', (_r, b) => ({ now: control.advanceClock(b.int('advanceMs')) })),
    route('POST', 'platform-public-key', (_r, b) => ({
      publicKeyId: control.addPlatformPublicKey(
        { privateKeyPem: b.string('privateKeyPem'), publicKeyId: b.string('publicKeyId') },
        b.optBool('activate') ?? true,
      ),
    })),
    route('POST', 'platform-certificate', (_r, b) => ({
      serialNo: control.addPlatformCertificate(
        { privateKeyPem: b.string('privateKeyPem'), certificatePem: b.string('certificatePem') },
        b.optBool('activate') ?? true,
      ),
    })),
    route('POST', 'activate-platform-key', (_r, b) => control.activatePlatformKey(b.string('serial'))),
    route('POST', 'reset', () => control.reset()),
  ];
}

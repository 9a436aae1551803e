/**
 * WeChat device and open APIs behind small functions, with the H5 fallbacks in one place.
 * In H5, Taro "succeeds" with no result for most of these (login, scanCode, requestPayment, brightness):
 * each function here says what it returns there instead of pretending.
 *
 * The H5 sandbox's simulator stand-ins live in sim.ts, reached only through sim(): JIFEN_SIM is the literal
 * false in every weapp build, so webpack drops that module's code from the mini-program.
 */
import Taro from '@tarojs/taro';
import { IS_H5, IS_WEAPP } from './env';
import { ApiError } from './errors';
import * as simulator from './sim';

/** The WeChat simulator's stand-ins, only in H5 sandbox builds (folded to null at build time for weapp). */
function sim(): typeof simulator | null {
  return JIFEN_SIM ? simulator : null;
}

// ---- login ----

/** `?simUser=<name>` on the launch URL picks the simulated WeChat user (H5 sandbox builds only). */
export function adoptSimUser(params: Record<string, string | undefined>): void {
  sim()?.adoptUser(params);
}

/**
 * A single-use login code for POST /api/member/session: Taro.login on weapp; the simulator's user in the
 * H5 sandbox.
 * @throws ApiError LOGIN_FAILED, NOT_IN_WECHAT (H5 without the simulator)
 */
export async function loginCode(): Promise<string> {
  const s = sim();
  if (s) return s.loginCode();
  if (IS_H5) throw new ApiError('NOT_IN_WECHAT', 0);
  let res: { code?: string };
  try {
    res = await Taro.login({ timeout: 10_000 });
  } catch (e) {
    throw new ApiError('LOGIN_FAILED', 0, (e as { errMsg?: string }).errMsg);
  }
  if (!res.code) throw new ApiError('LOGIN_FAILED', 0);
  return res.code;
}

/** H5 sandbox stand-in for the getPhoneNumber button: a one-time phone code the simulator issues for `phone`. */
export function simPhoneCode(phone: string): Promise<string> {
  const s = sim();
  return s ? s.phoneCode(phone) : Promise.reject(new ApiError('NOT_IN_WECHAT', 0));
}

// ---- scanning ----

export type ScanResult = { kind: 'ok'; text: string } | { kind: 'cancelled' } | { kind: 'unavailable' };

/** Taro.scanCode; H5 resolves with no result outside WeChat, reported as 'unavailable' so the page offers typing. */
export async function scan(): Promise<ScanResult> {
  try {
    const res = await Taro.scanCode({ onlyFromCamera: false, scanType: ['qrCode', 'barCode'] });
    const text = (res?.result ?? '').trim();
    return text ? { kind: 'ok', text } : { kind: 'unavailable' };
  } catch (e) {
    const msg = (e as { errMsg?: string }).errMsg ?? '';
    if (/cancel/i.test(msg)) return { kind: 'cancelled' };
    return { kind: 'unavailable' };
  }
}

// ---- payment ----

export interface PaymentParams {
  timeStamp: string;
  nonceStr: string;
  package: string;
  signType: 'RSA';
  paySign: string;
}

/**
 * Opens WeChat's payment sheet. The answer is only a hint for the UI: the order's real state always comes
 * from the server (settled by WeChat's notification), so callers poll the order afterwards whatever this says.
 * H5: no payment sheet exists; 'external' means the payment happens elsewhere (the simulator in the sandbox).
 */
export async function requestPayment(params: PaymentParams): Promise<'ok' | 'cancelled' | 'failed' | 'external'> {
  if (IS_H5) return 'external';
  try {
    await Taro.requestPayment({ ...params });
    return 'ok';
  } catch (e) {
    return /cancel/i.test((e as { errMsg?: string }).errMsg ?? '') ? 'cancelled' : 'failed';
  }
}

// ---- subscribe messages ----

export type SubscribeAnswer = Record<string, string>;

/**
 * Taro.requestSubscribeMessage: must run inside a tap handler, so callers invoke this synchronously from
 * the handler (nothing awaits before the WeChat call). H5 sandbox: the simulator records the acceptance for
 * this shopper as WeChat would. Plain H5: null (not available).
 */
export function requestSubscribe(templateIds: string[]): Promise<SubscribeAnswer | null> {
  const s = sim();
  if (s) return s.subscribe(templateIds);
  if (IS_H5) return Promise.resolve(null);
  // Taro's Option type wrongly requires the device-message fields (sn, snTicket, modelId): WeChat takes tmplIds alone.
  const option = { tmplIds: templateIds } as unknown as Parameters<typeof Taro.requestSubscribeMessage>[0];
  return Taro.requestSubscribeMessage(option).then((res) => {
    const answer: SubscribeAnswer = {};
    for (const id of templateIds) answer[id] = String((res as unknown as Record<string, unknown>)[id] ?? 'reject');
    return answer;
  });
}

// ---- screen (member code) ----

let savedBrightness: number | null = null;

/** Full brightness, screen kept on and screenshots hidden while the member code shows (weapp only). */
export async function brightenForCode(): Promise<void> {
  if (!IS_WEAPP) return;
  try {
    savedBrightness = (await Taro.getScreenBrightness()).value;
    await Taro.setScreenBrightness({ value: 1 });
    await Taro.setKeepScreenOn({ keepScreenOn: true });
    await Taro.setVisualEffectOnCapture({ visualEffect: 'hidden' });
  } catch {
    // Older base libraries lack some of these; the code still shows.
  }
}

export async function restoreScreen(): Promise<void> {
  if (!IS_WEAPP) return;
  try {
    if (savedBrightness !== null) await Taro.setScreenBrightness({ value: savedBrightness });
    await Taro.setKeepScreenOn({ keepScreenOn: false });
    await Taro.setVisualEffectOnCapture({ visualEffect: 'none' });
  } catch {
    // Nothing to restore on this device.
  } finally {
    savedBrightness = null;
  }
}

// ---- clipboard ----

export async function copyText(text: string): Promise<boolean> {
  try {
    await Taro.setClipboardData({ data: text });
    return true;
  } catch {
    return false;
  }
}

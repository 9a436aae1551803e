/**
 * H5 sandbox only: stand-ins for what WeChat does on a phone, played by the WeChat simulator's control API
 * (CORS open). platform.ts reaches this module only through `JIFEN_SIM ? simulator : null`, and JIFEN_SIM is
 * the literal false in weapp builds, so none of it ships in the mini-program.
 */
import Taro from '@tarojs/taro';
import { simBase } from './env';
import { ApiError } from './errors';
import { getSimUser, setSimUser } from './storage';

function randomToken(length: number): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[Math.floor(Math.random() * alphabet.length)];
  return out;
}

/** The simulated WeChat user (one per browser profile unless set by `?simUser=`). */
export function user(): string {
  let u = getSimUser();
  if (!u) {
    u = `h5${randomToken(10)}`;
    setSimUser(u);
  }
  return u;
}

/** `?simUser=<name>` on the launch URL picks the simulated WeChat user. */
export function adoptUser(params: Record<string, string | undefined>): void {
  const u = params['simUser'];
  if (u && /^[\w-]{1,40}$/.test(u)) setSimUser(u);
}

/** The simulator logs codes shaped `<user>.<anything>` in as `<user>`: every renewal is the same shopper. */
export function loginCode(): string {
  return `${user()}.${Date.now().toString(36)}${randomToken(6)}`;
}

async function control<T>(method: 'GET' | 'POST', path: string, data?: unknown): Promise<T> {
  let res: { statusCode: number; data: unknown };
  try {
    res = await Taro.request({
      url: `${simBase()}/__control/${path}`,
      method,
      data: data as never,
      header: { 'content-type': 'application/json' },
    });
  } catch {
    throw new ApiError('NETWORK', 0, 'simulator unreachable');
  }
  if (res.statusCode < 200 || res.statusCode >= 300) throw new ApiError('BAD_RESPONSE', res.statusCode, 'simulator refused');
  return res.data as T;
}

/** What WeChat does when the shopper taps "allow" on the phone button: a one-time phone code for `phone`. */
export async function phoneCode(phone: string): Promise<string> {
  const code = `h5phone-${Date.now().toString(36)}${randomToken(8)}`;
  await control('POST', 'phone-code', { code, phone });
  return code;
}

/** What WeChat records when the shopper accepts subscribe messages: one send per template for this shopper. */
export async function subscribe(templateIds: string[]): Promise<Record<string, string>> {
  const { openid } = await control<{ openid: string }>('GET', `openid-for-code?code=${encodeURIComponent(user())}`);
  const answer: Record<string, string> = {};
  for (const templateId of templateIds) {
    await control('POST', 'subscribe', { openid, templateId });
    answer[templateId] = 'accept';
  }
  return answer;
}

import Taro from '@tarojs/taro';

/** Local storage keys: the member token, the privacy consent, and (H5 sandbox only) the simulated WeChat user. */
const KEYS = { token: 'jifen.token', consent: 'jifen.consent', simUser: 'jifen.sim.user', npsSkipped: 'jifen.nps.skipped' } as const;

function read<T>(key: string): T | null {
  try {
    const v = Taro.getStorageSync(key) as T | '' | undefined;
    return v === '' || v === undefined || v === null ? null : v;
  } catch {
    return null;
  }
}

export function getToken(): string | null {
  return read<{ token: string }>(KEYS.token)?.token ?? null;
}

export function setToken(token: string, expiresAt: string): void {
  Taro.setStorageSync(KEYS.token, { token, expiresAt });
}

export function clearToken(): void {
  Taro.removeStorageSync(KEYS.token);
}

export interface ConsentRecord {
  version: string;
  agreedAt: string;
}

export function getConsent(): ConsentRecord | null {
  return read<ConsentRecord>(KEYS.consent);
}

export function setConsent(version: string, now = new Date()): ConsentRecord {
  const record = { version, agreedAt: now.toISOString() };
  Taro.setStorageSync(KEYS.consent, record);
  return record;
}

export function clearConsent(): void {
  Taro.removeStorageSync(KEYS.consent);
}

export function getSimUser(): string | null {
  return read<string>(KEYS.simUser);
}

export function setSimUser(user: string): void {
  Taro.setStorageSync(KEYS.simUser, user);
}

/** Orders whose NPS question the shopper skipped on the member card (the last few): not asked again. */
export function getNpsSkipped(): number[] {
  const ids = read<number[]>(KEYS.npsSkipped);
  return Array.isArray(ids) ? ids.filter((n) => Number.isSafeInteger(n)) : [];
}

export function addNpsSkipped(orderId: number): void {
  Taro.setStorageSync(KEYS.npsSkipped, [...getNpsSkipped().filter((n) => n !== orderId), orderId].slice(-20));
}

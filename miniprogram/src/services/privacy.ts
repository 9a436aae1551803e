/**
 * Privacy: the local consent record, WeChat's privacy authorization (weapp, base library ≥ 2.32.3), and the
 * shopper's rights — export of their data and account deletion.
 */
import Taro from '@tarojs/taro';
import type { MemberExport } from '@jifen/shared';
import { PRIVACY_POLICY_VERSION } from '../i18n/zh';
import { IS_WEAPP } from './env';
import { request } from './request';
import { clearConsent, clearToken, getConsent, setConsent, type ConsentRecord } from './storage';

export { PRIVACY_POLICY_VERSION };

/** True when the shopper agreed to the current policy version on this device. */
export function hasCurrentConsent(): boolean {
  return getConsent()?.version === PRIVACY_POLICY_VERSION;
}

/** Records agreement to the current version (sent again as consentVersion at registration). */
export function recordConsent(): ConsentRecord {
  return setConsent(PRIVACY_POLICY_VERSION);
}

/** weapp: whether WeChat itself still needs the shopper's agreement to the privacy guideline. */
export async function wechatNeedsAuthorization(): Promise<boolean> {
  if (!IS_WEAPP || typeof Taro.getPrivacySetting !== 'function') return false;
  try {
    const res = (await Taro.getPrivacySetting()) as unknown as { needAuthorization?: boolean } | undefined;
    return Boolean(res?.needAuthorization);
  } catch {
    return false;
  }
}

export type PrivacyResolver = (answer: { event: 'agree' | 'disagree'; buttonId?: string }) => void;

/**
 * weapp: WeChat asks before a privacy-relevant API (the phone button…) when agreement is missing; the page
 * shows its own notice and resolves only after a tap on the agree button (WeChat checks the tap).
 */
export function onPrivacyPrompt(show: (resolve: PrivacyResolver) => void): void {
  if (!IS_WEAPP || typeof Taro.onNeedPrivacyAuthorization !== 'function') return;
  Taro.onNeedPrivacyAuthorization((resolve) => show(resolve as PrivacyResolver));
}

/** GET /api/member/me/export: profile, points history and orders, as JSON (PIPL art. 45). */
export function exportMyData(): Promise<MemberExport> {
  return request<MemberExport>('/api/member/me/export');
}

/**
 * DELETE /api/member/me: personal data erased, the ledger kept under a pseudonym. Clears the token and consent
 * on this device afterwards.
 */
export async function deleteAccount(): Promise<void> {
  await request<void>('/api/member/me', { method: 'DELETE' });
  clearToken();
  clearConsent();
}

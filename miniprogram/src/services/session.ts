import { RegisterRequest, type MemberSessionResponse, type RegisterResponse } from '@jifen/shared';
import { ApiError } from './errors';
import { renewSession, request } from './request';
import { clearToken, getToken } from './storage';

/** Logs in with WeChat (wx.login → POST /api/member/session). `member` is null until the shopper registers. */
export function signIn(): Promise<MemberSessionResponse> {
  return renewSession();
}

export function hasSession(): boolean {
  return getToken() !== null;
}

export function signOut(): void {
  clearToken();
}

export interface SignupInput {
  phoneCode: string;
  consentVersion: string;
  birthday?: string;
  nickname?: string;
  referralCode?: string;
}

/**
 * Checks a signup with the server's own schema (shared RegisterRequest): the first problem as an ApiError
 * VALIDATION_FAILED whose `field` names the input, so the page can point at it before any request.
 */
export function validateSignup(input: SignupInput): RegisterRequest {
  const clean = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined && String(v).trim() !== ''));
  const parsed = RegisterRequest.safeParse(clean);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ApiError('VALIDATION_FAILED', 0, issue?.message, String(issue?.path[0] ?? ''));
  }
  return parsed.data;
}

/**
 * POST /api/member/register with the getPhoneNumber code (the server exchanges it; `linked` when the phone
 * was a member HQ imported).
 * @throws ApiError VALIDATION_FAILED (with field), PHONE_CODE_INVALID, MEMBER_EXISTS, REFERRAL_INVALID, RATE_LIMITED
 */
export function register(input: SignupInput): Promise<RegisterResponse> {
  return request<RegisterResponse>('/api/member/register', { method: 'POST', body: validateSignup(input) });
}

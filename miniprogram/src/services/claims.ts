import { ClaimRequest, type ClaimResponse } from '@jifen/shared';
import { ApiError } from './errors';
import { request } from './request';

/**
 * What a scanned or typed text is, by Jifen's prefixes (a QR may wrap the code in a URL): receipt (JFR1.) and
 * product (JFP1.) codes are claims; member codes, vouchers and order codes are not. Anything else goes to the
 * server, which answers CODE_UNKNOWN if it is none of its codes.
 */
export type ScannedKind = 'receipt' | 'product' | 'member_code' | 'order' | 'voucher' | 'other';

export function classifyCode(text: string): ScannedKind {
  const m = /\bJF([RPMOV])1\./.exec(text.trim());
  switch (m?.[1]) {
    case 'R':
      return 'receipt';
    case 'P':
      return 'product';
    case 'M':
      return 'member_code';
    case 'O':
      return 'order';
    case 'V':
      return 'voucher';
    default:
      return 'other';
  }
}

/**
 * POST /api/member/claims: a receipt code (JFR1.…) or a product code (一物一码). Not retried: a lost answer
 * is resolved by claiming again, which the server answers with CODE_USED for this member's own claim.
 * @throws ApiError CODE_USED, CODE_EXPIRED, CODE_VOID, CODE_UNKNOWN, CODE_FORGED, CLAIM_LIMIT_REACHED, RATE_LIMITED
 */
export function claimCode(code: string): Promise<ClaimResponse> {
  const parsed = ClaimRequest.safeParse({ code });
  if (!parsed.success) return Promise.reject(new ApiError('CODE_UNKNOWN', 0, 'too short or too long', 'code'));
  return request<ClaimResponse>('/api/member/claims', { method: 'POST', body: parsed.data });
}

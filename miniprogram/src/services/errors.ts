import type { CLAIM_ERRORS, ErrorCode } from '@jifen/shared';
import { zh } from '../i18n/zh';

/** Codes the client raises itself (no server answer to carry one). */
export type ClientErrorCode = 'NETWORK' | 'TIMEOUT' | 'BAD_RESPONSE' | 'LOGIN_FAILED' | 'NOT_IN_WECHAT';
export type ClaimErrorCode = (typeof CLAIM_ERRORS)[number];
/** Every code the app knows; a newer server may send others, kept as plain strings. */
export type ApiErrorCode = ErrorCode | ClaimErrorCode | ClientErrorCode | (string & {});

/**
 * The one error type services throw. `code` comes from the server's `{error:{code,message}}` (clients
 * branch on it, never on `message`), or is a ClientErrorCode; `status` is 0 when no response arrived.
 */
export class ApiError extends Error {
  readonly code: ApiErrorCode;
  readonly status: number;
  readonly field: string | undefined;
  constructor(code: ApiErrorCode, status: number, message?: string, field?: string) {
    super(message ?? code);
    this.name = 'ApiError';
    this.code = code;
    this.status = status;
    this.field = field;
  }
}

export function isApiError(e: unknown): e is ApiError {
  return e instanceof ApiError;
}

/** The Chinese message shown for an error: by code, else a generic one (the server's English message is never shown). */
export function errorMessage(e: unknown): string {
  if (isApiError(e)) return zh.errors[e.code] ?? zh.errors.fallback;
  return zh.errors.fallback;
}

/** The code of an error, for display next to the generic message and for tests. */
export function errorCode(e: unknown): string {
  return isApiError(e) ? e.code : 'UNKNOWN';
}

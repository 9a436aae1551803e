/**
 * The one wrapper around Taro.request for the Jifen member API.
 *
 * - Errors are typed: every failure is an ApiError whose `code` is the server's `{error:{code}}`, or a client
 *   code (NETWORK, TIMEOUT, BAD_RESPONSE) when no usable answer arrived.
 * - 401: the session is renewed (wx.login → POST /api/member/session) once, then the request is sent once
 *   more. That replay is safe for every method: a 401 means the server refused before doing anything.
 * - Lost answers (network errors, 502/503/504) are retried only for GET. A POST whose answer was lost may
 *   have been applied, so it is never re-sent blindly: callers that need retries send an idempotency key.
 */
import Taro from '@tarojs/taro';
import type { MemberSessionResponse } from '@jifen/shared';
import { apiBase } from './env';
import { ApiError } from './errors';
import { loginCode } from './platform';
import { getToken, setToken } from './storage';

export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface RequestOptions {
  method?: Method;
  /** JSON body (not for GET). */
  body?: unknown;
  query?: Record<string, string | number | undefined | null>;
  /** Send the member token (default true). */
  auth?: boolean;
  timeoutMs?: number;
}

/** Attempts for a GET whose answer was lost (network error or 502/503/504). */
export const GET_ATTEMPTS = 3;
const RETRY_DELAYS_MS = [300, 1000];
const RETRYABLE_STATUS = new Set([502, 503, 504]);

interface RawResponse {
  statusCode: number;
  data: unknown;
}

function buildUrl(path: string, query: RequestOptions['query']): string {
  const qs = Object.entries(query ?? {})
    .filter(([, v]) => v !== undefined && v !== null && v !== '')
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
    .join('&');
  return `${apiBase()}${path}${qs ? `?${qs}` : ''}`;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function send(method: Method, url: string, body: unknown, token: string | null, timeoutMs: number): Promise<RawResponse> {
  const header: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) header['content-type'] = 'application/json';
  if (token) header['authorization'] = `Bearer ${token}`;
  try {
    const res = await Taro.request({ url, method, data: body as never, header, timeout: timeoutMs, dataType: 'json' });
    return { statusCode: res.statusCode, data: res.data };
  } catch (e) {
    const msg = (e as { errMsg?: string; message?: string }).errMsg ?? (e as Error).message ?? '';
    throw new ApiError(/timeout|abort/i.test(msg) ? 'TIMEOUT' : 'NETWORK', 0, msg);
  }
}

function toApiError(res: RawResponse): ApiError {
  const err = (res.data as { error?: { code?: unknown; message?: unknown; field?: unknown } } | null)?.error;
  if (err && typeof err.code === 'string') {
    return new ApiError(
      err.code,
      res.statusCode,
      typeof err.message === 'string' ? err.message : undefined,
      typeof err.field === 'string' ? err.field : undefined,
    );
  }
  // No error body (a proxy, a crash): name it by status so pages still say something sensible.
  const code =
    res.statusCode === 401
      ? 'UNAUTHENTICATED'
      : res.statusCode === 404
        ? 'NOT_FOUND'
        : res.statusCode === 429
          ? 'RATE_LIMITED'
          : res.statusCode >= 500
            ? 'UNAVAILABLE'
            : 'BAD_RESPONSE';
  return new ApiError(code, res.statusCode);
}

let renewing: Promise<MemberSessionResponse> | null = null;

/**
 * A fresh session: wx.login → POST /api/member/session, token stored. Concurrent callers share one renewal
 * (a page firing three requests that all meet a 401 logs in once).
 */
export function renewSession(): Promise<MemberSessionResponse> {
  if (!renewing) {
    renewing = (async () => {
      const code = await loginCode();
      const res = await send('POST', buildUrl('/api/member/session', undefined), { code }, null, 15_000);
      if (res.statusCode < 200 || res.statusCode >= 300) throw toApiError(res);
      const body = res.data as MemberSessionResponse | null;
      if (!body || typeof body.token !== 'string') throw new ApiError('BAD_RESPONSE', res.statusCode);
      setToken(body.token, body.expiresAt);
      return body;
    })().finally(() => {
      renewing = null;
    });
  }
  return renewing;
}

/** Calls the member API. See the module comment for errors, renewal and retries. */
export async function request<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const method = options.method ?? 'GET';
  const auth = options.auth ?? true;
  const url = buildUrl(path, options.query);
  const body = method === 'GET' ? undefined : options.body;
  const timeoutMs = options.timeoutMs ?? 15_000;
  const attempts = method === 'GET' ? GET_ATTEMPTS : 1;
  let renewed = false;
  let attempt = 0;
  for (;;) {
    attempt++;
    if (auth && !getToken() && !renewed) {
      renewed = true;
      await renewSession();
    }
    let res: RawResponse;
    try {
      res = await send(method, url, body, auth ? getToken() : null, timeoutMs);
    } catch (e) {
      if (attempt < attempts) {
        await sleep(RETRY_DELAYS_MS[attempt - 1] ?? 1000);
        continue;
      }
      throw e;
    }
    if (res.statusCode === 401 && auth && !renewed) {
      renewed = true;
      await renewSession();
      attempt--; // the replay after renewal is not a retry of a lost answer
      continue;
    }
    if (RETRYABLE_STATUS.has(res.statusCode) && attempt < attempts) {
      await sleep(RETRY_DELAYS_MS[attempt - 1] ?? 1000);
      continue;
    }
    if (res.statusCode >= 200 && res.statusCode < 300) return (res.statusCode === 204 ? undefined : res.data) as T;
    throw toApiError(res);
  }
}

/** An idempotency key for a write the shopper triggered (letters, digits, . : _ -; 8–128 characters). */
export function newIdempotencyKey(prefix: string): string {
  const rand = Math.random().toString(36).slice(2, 10).padEnd(8, '0');
  return `mp-${prefix}-${Date.now().toString(36)}-${rand}`;
}

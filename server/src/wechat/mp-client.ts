/**
 * Mini-program server APIs (§6): login (jscode2session), phone numbers, subscribe messages, and the access
 * token they need.
 *
 * Access token: /cgi-bin/stable_token in normal mode, which returns the SAME token while it is valid and is
 * isolated from /cgi-bin/token, so several server instances (or another system using the same appid) do
 * not invalidate each other's tokens. Cached in this process until 5 minutes before expiry; concurrent
 * callers share one in-flight fetch. force_refresh (20 per day, 30 s apart) only after WeChat rejected the
 * token we hold (40001/42001), and at most once per rejected token even when many calls hit it at once.
 *
 * WeChat answers errors with HTTP 200 and {errcode, errmsg}; they become WxApiError(200, String(errcode)).
 */
import { z } from 'zod';
import { WxApiError, WxTransportError } from './errors.js';
import type { MiniProgramClient } from './types.js';

export interface MiniProgramClientOptions {
  appid: string;
  secret: string;
  apiBase: string;
  /** Default: the global fetch (Node 20). Tests wrap it to count calls. */
  fetchImpl?: typeof fetch;
  timeoutMs?: number;
  now?: () => number;
}

const DEFAULT_TIMEOUT_MS = 10_000;
/** Renew this long before expires_in runs out (the same margin stable_token itself uses). */
const TOKEN_MARGIN_MS = 5 * 60_000;
/** Token rejected: invalid / not latest (40001, 40014), expired (42001). 41001 = missing (our bug). */
const TOKEN_REJECTED = new Set([40001, 40014, 42001]);
const REFUSED = 43101;

const ErrAnswer = z.looseObject({ errcode: z.number().optional(), errmsg: z.string().optional() });
const SessionAnswer = z.looseObject({ openid: z.string().min(1), unionid: z.string().optional() });
const TokenAnswer = z.looseObject({ access_token: z.string().min(1), expires_in: z.number().positive() });
const PhoneAnswer = z.looseObject({
  phone_info: z.looseObject({
    purePhoneNumber: z.string().min(1),
    // The docs' table says string, their example shows 86: accept both.
    countryCode: z.union([z.string(), z.number()]),
  }),
});

interface Token {
  value: string;
  expiresAtMs: number;
}

export function createMiniProgramClient(options: MiniProgramClientOptions): MiniProgramClient {
  const base = options.apiBase.replace(/\/+$/, '');
  const doFetch = options.fetchImpl ?? fetch;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const now = options.now ?? Date.now;

  let cached: Token | null = null;
  let inflight: Promise<Token> | null = null;

  /** GET/POST → parsed JSON; errcode ≠ 0 → WxApiError. */
  async function call(path: string, init: { method: 'GET' | 'POST'; query?: Record<string, string>; body?: unknown }): Promise<unknown> {
    const url = new URL(base + path);
    for (const [k, v] of Object.entries(init.query ?? {})) url.searchParams.set(k, v);
    let res: Response;
    let text: string;
    try {
      res = await doFetch(url, {
        method: init.method,
        headers: init.body === undefined ? {} : { 'Content-Type': 'application/json' },
        ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
        signal: AbortSignal.timeout(timeoutMs),
      });
      text = await res.text();
    } catch (err) {
      // Never echo the URL: it carries the secret or the access token. undici hides the reason in `cause`.
      const inner = err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : '';
      throw new WxTransportError(`${path}: ${err instanceof Error ? err.message : String(err)}${inner}`, undefined);
    }
    if (res.status !== 200) throw new WxTransportError(`${path}: HTTP ${res.status}`, `HTTP_${res.status}`);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new WxTransportError(`${path}: answer is not JSON`, 'BAD_JSON');
    }
    const err = ErrAnswer.safeParse(json);
    if (err.success && err.data.errcode !== undefined && err.data.errcode !== 0) {
      throw new WxApiError(200, String(err.data.errcode), err.data.errmsg ?? '');
    }
    return json;
  }

  function parse<T>(schema: z.ZodType<T>, data: unknown, what: string): T {
    const r = schema.safeParse(data);
    if (!r.success) throw new WxApiError(200, 'BAD_ANSWER', `${what}: unexpected answer`);
    return r.data;
  }

  async function fetchToken(forceRefresh: boolean): Promise<Token> {
    const started = now();
    const json = await call('/cgi-bin/stable_token', {
      method: 'POST',
      body: { grant_type: 'client_credential', appid: options.appid, secret: options.secret, force_refresh: forceRefresh },
    });
    const t = parse(TokenAnswer, json, 'stable_token');
    return { value: t.access_token, expiresAtMs: started + t.expires_in * 1000 };
  }

  /** The cached token, or one fetch shared by every concurrent caller. */
  function token(): Promise<Token> {
    if (cached && now() < cached.expiresAtMs - TOKEN_MARGIN_MS) return Promise.resolve(cached);
    return load(false);
  }

  function load(force: boolean): Promise<Token> {
    inflight ??= fetchToken(force)
      .then((t) => {
        cached = t;
        return t;
      })
      .finally(() => {
        inflight = null;
      });
    return inflight;
  }

  /**
   * WeChat rejected `rejected`: force a new token unless another caller already replaced it (then just use
   * the newer one), so a burst of 42001s costs one force_refresh, not one each.
   */
  async function replace(rejected: Token): Promise<Token> {
    // A fetch already under way may bring a new token; a normal-mode one may also hand back the rejected one.
    if (inflight) {
      const t = await inflight.catch(() => null);
      if (t && t.value !== rejected.value) return t;
    }
    if (cached && cached.value !== rejected.value && now() < cached.expiresAtMs - TOKEN_MARGIN_MS) return cached;
    if (cached?.value === rejected.value) cached = null;
    return load(true);
  }

  /** Runs a token-bearing call; on 40001/42001 refreshes the token once and retries once. */
  async function withToken<T>(fn: (accessToken: string) => Promise<T>): Promise<T> {
    const t = await token();
    try {
      return await fn(t.value);
    } catch (err) {
      if (!(err instanceof WxApiError) || !TOKEN_REJECTED.has(Number(err.code))) throw err;
      const fresh = await replace(t);
      return fn(fresh.value);
    }
  }

  return {
    async code2Session(code) {
      const json = await call('/sns/jscode2session', {
        method: 'GET',
        query: { appid: options.appid, secret: options.secret, js_code: code, grant_type: 'authorization_code' },
      });
      // session_key is deliberately dropped: Jifen never decrypts wx.getUserInfo data, so it never stores it.
      const s = parse(SessionAnswer, json, 'jscode2session');
      return s.unionid === undefined ? { openid: s.openid } : { openid: s.openid, unionid: s.unionid };
    },

    async phoneNumber(code) {
      return withToken(async (accessToken) => {
        const json = await call('/wxa/business/getuserphonenumber', {
          method: 'POST',
          query: { access_token: accessToken },
          body: { code },
        });
        const p = parse(PhoneAnswer, json, 'getuserphonenumber').phone_info;
        return { purePhoneNumber: p.purePhoneNumber, countryCode: String(p.countryCode) };
      });
    },

    async sendSubscribe(msg) {
      try {
        await withToken((accessToken) =>
          call('/cgi-bin/message/subscribe/send', {
            method: 'POST',
            query: { access_token: accessToken },
            body: {
              touser: msg.openid,
              template_id: msg.templateId,
              ...(msg.page !== undefined ? { page: msg.page } : {}),
              data: msg.data,
              lang: 'zh_CN',
            },
          }),
        );
        return 'sent';
      } catch (err) {
        // No subscription left (or the user switched them off): retrying can never succeed.
        if (err instanceof WxApiError && Number(err.code) === REFUSED) return 'refused';
        throw err;
      }
    },
  };
}

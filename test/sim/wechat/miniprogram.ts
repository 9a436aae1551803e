/**
 * Mini-program server APIs (§6), served from the same host: login (jscode2session), access tokens
 * (`/cgi-bin/token`, `/cgi-bin/stable_token`), phone numbers and subscribe messages.
 *
 * Errors are HTTP 200 with `{"errcode":N,"errmsg":"…, rid: …"}`, as on WeChat. Tokens and codes follow the
 * simulator clock, so a test can advance it past `expires_in` (or call expireTokens()) to see 42001.
 */
import { randomBytes } from 'node:crypto';
import { randomNonce } from './crypto.js';
import { deriveOpenid, deriveUnionid, rid } from './ids.js';
import { SimError, isObject, type Route, type SimRequest } from './http.js';
import type { Clock } from './clock.js';
import type { ResolvedConfig } from './config.js';

const TOKEN_TTL_MS = 7200_000;
/** A superseded token keeps working this long (both APIs), then reads as invalid (40001). */
const OVERLAP_MS = 300_000;
/** Login and phone codes live 5 minutes. */
const CODE_TTL_MS = 300_000;

export interface LoginIdentity {
  openid: string;
  unionid?: string;
}

export interface SentMessage {
  openid: string;
  templateId: string;
  page?: string;
  data: Record<string, { value: string }>;
  miniprogramState?: string;
  lang?: string;
  sentAtMs: number;
}

interface Token {
  kind: 'token' | 'stable';
  expiresAtMs: number;
  /** Replaced by a newer token: after expiry it is "not latest" (40001) rather than "expired" (42001). */
  superseded: boolean;
}

type MpReply = Record<string, unknown>;

class MpError extends Error {
  constructor(
    readonly errcode: number,
    readonly errmsg: string,
  ) {
    super(errmsg);
  }
}

export class MiniProgram {
  readonly #loginCodes = new Map<string, { identity: LoginIdentity; expiresAtMs: number }>();
  readonly #phoneCodes = new Map<string, { phone: string; countryCode: string; expiresAtMs: number }>();
  readonly #usedCodes = new Set<string>();
  readonly #tokens = new Map<string, Token>();
  readonly #latest: { token?: string; stable?: string } = {};
  readonly #subscriptions = new Map<string, number>();
  readonly #messages: SentMessage[] = [];

  constructor(
    private readonly config: ResolvedConfig,
    private readonly clock: Clock,
  ) {}

  /** The next jscode2session with `code` logs in as this identity (code valid 5 minutes, once). */
  loginCode(code: string, identity: LoginIdentity): void {
    this.#usedCodes.delete(`login:${code}`);
    this.#loginCodes.set(code, { identity: { ...identity }, expiresAtMs: this.clock.nowMs() + CODE_TTL_MS });
  }

  /** `code` (from the getPhoneNumber button) resolves to `phone` ('13800138000'; a leading +86 is dropped). */
  phoneCode(code: string, phone: string, countryCode = '86'): void {
    const pure = phone.replace(/^\+86/, '');
    if (!/^\d{5,20}$/.test(pure) || !/^\d{1,4}$/.test(countryCode)) throw new SimError(400, `not a phone number: ${phone}`);
    this.#usedCodes.delete(`phone:${code}`);
    this.#phoneCodes.set(code, { phone: pure, countryCode, expiresAtMs: this.clock.nowMs() + CODE_TTL_MS });
  }

  /** The user accepted `count` more subscribe messages of this template (each send consumes one). */
  subscribe(openid: string, templateId: string, count = 1): number {
    const key = `${openid}|${templateId}`;
    const total = (this.#subscriptions.get(key) ?? 0) + count;
    this.#subscriptions.set(key, total);
    return total;
  }

  subscriptionsLeft(openid: string, templateId: string): number {
    return this.#subscriptions.get(`${openid}|${templateId}`) ?? 0;
  }

  sentMessages(): SentMessage[] {
    return [...this.#messages];
  }

  /** Every issued token reads as expired from now on (42001), to test the merchant's refresh path. */
  expireTokens(): void {
    const now = this.clock.nowMs();
    for (const t of this.#tokens.values()) {
      t.expiresAtMs = Math.min(t.expiresAtMs, now);
      t.superseded = false;
    }
  }

  /**
   * The identity a code logs in as when nobody set it up: codes shaped `<user>.<anything>` all log in as
   * `<user>` (so a test can log the same person in twice); any other code is a user of its own.
   */
  identityForCode(code: string): LoginIdentity {
    const dot = code.indexOf('.');
    const user = dot > 0 ? code.slice(0, dot) : code;
    const identity: LoginIdentity = { openid: deriveOpenid(this.config.miniprogram.appid, `user:${user}`) };
    if (this.config.miniprogram.autoUnionid) identity.unionid = deriveUnionid(`user:${user}`);
    return identity;
  }

  reset(): void {
    this.#loginCodes.clear();
    this.#phoneCodes.clear();
    this.#usedCodes.clear();
    this.#tokens.clear();
    delete this.#latest.token;
    delete this.#latest.stable;
    this.#subscriptions.clear();
    this.#messages.length = 0;
  }

  routes(): Route[] {
    const wrap =
      (fn: (req: SimRequest, json: unknown) => MpReply) =>
      ({ req, json }: { req: SimRequest; json: unknown }): MpReply => {
        try {
          return fn(req, json);
        } catch (err) {
          if (err instanceof MpError) return { errcode: err.errcode, errmsg: `${err.errmsg}, rid: ${rid()}` };
          throw err;
        }
      };
    return [
      { kind: 'mp', method: 'GET', pattern: /^\/sns\/jscode2session$/, handle: wrap((req) => this.#jscode2session(req)) },
      { kind: 'mp', method: 'GET', pattern: /^\/cgi-bin\/token$/, handle: wrap((req) => this.#token(req)) },
      { kind: 'mp', method: 'POST', pattern: /^\/cgi-bin\/stable_token$/, handle: wrap((_req, json) => this.#stableToken(json)) },
      { kind: 'mp', method: 'POST', pattern: /^\/wxa\/business\/getuserphonenumber$/, handle: wrap((req, json) => this.#phone(req, json)) },
      { kind: 'mp', method: 'POST', pattern: /^\/cgi-bin\/message\/subscribe\/send$/, handle: wrap((req, json) => this.#send(req, json)) },
    ];
  }

  #checkApp(appid: unknown, secret: unknown): void {
    if (appid !== this.config.miniprogram.appid) throw new MpError(40013, 'invalid appid');
    if (secret !== this.config.miniprogram.secret) throw new MpError(40125, 'invalid appsecret');
  }

  #jscode2session(req: SimRequest): MpReply {
    const q = req.query;
    this.#checkApp(q.get('appid'), q.get('secret'));
    if (q.get('grant_type') !== 'authorization_code') throw new MpError(40002, 'invalid grant_type');
    const code = q.get('js_code');
    if (!code) throw new MpError(41008, 'missing code');
    if (this.#usedCodes.has(`login:${code}`)) throw new MpError(40029, 'invalid code');
    const preset = this.#loginCodes.get(code);
    if (preset && this.clock.nowMs() > preset.expiresAtMs) throw new MpError(40029, 'invalid code');
    this.#usedCodes.add(`login:${code}`);
    this.#loginCodes.delete(code);
    const identity = preset?.identity ?? this.identityForCode(code);
    // Observed key order: session_key first; unionid only for apps bound to an Open Platform account.
    const reply: MpReply = { session_key: randomBytes(16).toString('base64'), openid: identity.openid };
    if (identity.unionid !== undefined) reply['unionid'] = identity.unionid;
    return reply;
  }

  #issue(kind: Token['kind']): { access_token: string; expires_in: number } {
    const now = this.clock.nowMs();
    const previous = this.#latest[kind];
    const old = previous === undefined ? undefined : this.#tokens.get(previous);
    if (old) {
      old.expiresAtMs = Math.min(old.expiresAtMs, now + OVERLAP_MS);
      old.superseded = true;
    }
    const token = `${randomNonce(8, '0123456789')}_${randomNonce(120)}`;
    this.#tokens.set(token, { kind, expiresAtMs: now + TOKEN_TTL_MS, superseded: false });
    this.#latest[kind] = token;
    return { access_token: token, expires_in: TOKEN_TTL_MS / 1000 };
  }

  #token(req: SimRequest): MpReply {
    const q = req.query;
    if (q.get('grant_type') !== 'client_credential') throw new MpError(40002, 'invalid grant_type');
    this.#checkApp(q.get('appid'), q.get('secret'));
    // Each call replaces the previous token (which keeps working for 5 more minutes).
    return this.#issue('token');
  }

  #stableToken(json: unknown): MpReply {
    if (!isObject(json)) throw new MpError(47001, 'data format error');
    if (json['grant_type'] !== 'client_credential') throw new MpError(40002, 'invalid grant_type');
    this.#checkApp(json['appid'], json['secret']);
    const now = this.clock.nowMs();
    const current = this.#latest.stable === undefined ? undefined : this.#tokens.get(this.#latest.stable);
    // Normal mode returns the same token while it has more than 5 minutes left; force_refresh always renews.
    if (json['force_refresh'] !== true && current && this.#latest.stable !== undefined && current.expiresAtMs - now > OVERLAP_MS) {
      return { access_token: this.#latest.stable, expires_in: Math.floor((current.expiresAtMs - now) / 1000) };
    }
    return this.#issue('stable');
  }

  #checkToken(req: SimRequest): void {
    const value = req.query.get('access_token');
    if (!value) throw new MpError(41001, 'access_token missing');
    const token = this.#tokens.get(value);
    if (!token) throw new MpError(40001, 'invalid credential, access_token is invalid or not latest');
    if (this.clock.nowMs() >= token.expiresAtMs) {
      if (token.superseded) throw new MpError(40001, 'invalid credential, access_token is invalid or not latest');
      throw new MpError(42001, 'access_token expired');
    }
  }

  #phone(req: SimRequest, json: unknown): MpReply {
    this.#checkToken(req);
    const code = isObject(json) ? json['code'] : undefined;
    if (typeof code !== 'string' || code === '') throw new MpError(47001, 'data format error');
    const entry = this.#phoneCodes.get(code);
    if (!entry || this.#usedCodes.has(`phone:${code}`) || this.clock.nowMs() > entry.expiresAtMs) throw new MpError(40029, 'invalid code');
    this.#usedCodes.add(`phone:${code}`);
    // phoneNumber carries the country code only for numbers outside mainland China. countryCode is a string
    // here, as the documentation's field table says (its example shows a number: unconfirmed).
    return {
      errcode: 0,
      errmsg: 'ok',
      phone_info: {
        phoneNumber: entry.countryCode === '86' ? entry.phone : `+${entry.countryCode}${entry.phone}`,
        purePhoneNumber: entry.phone,
        countryCode: entry.countryCode,
        watermark: { timestamp: this.clock.nowSec(), appid: this.config.miniprogram.appid },
      },
    };
  }

  #send(req: SimRequest, json: unknown): MpReply {
    this.#checkToken(req);
    if (!isObject(json)) throw new MpError(47001, 'data format error');
    const openid = json['touser'];
    const templateId = json['template_id'];
    if (typeof openid !== 'string' || !/^[A-Za-z0-9_-]{20,64}$/.test(openid)) throw new MpError(40003, 'invalid openid');
    if (typeof templateId !== 'string' || templateId === '') throw new MpError(40037, 'invalid template_id');
    const data = json['data'];
    if (!isObject(data) || Object.keys(data).length === 0) throw new MpError(47003, 'argument invalid! data is empty');
    const fields: Record<string, { value: string }> = {};
    for (const [k, v] of Object.entries(data)) {
      const value = isObject(v) ? v['value'] : undefined;
      if (typeof value !== 'string' || value === '') throw new MpError(47003, `argument invalid! data.${k}.value is empty`);
      fields[k] = { value };
    }
    const state = json['miniprogram_state'];
    if (state !== undefined && state !== 'developer' && state !== 'trial' && state !== 'formal')
      throw new MpError(47003, 'argument invalid! miniprogram_state');
    const page = json['page'];
    if (page !== undefined && typeof page !== 'string') throw new MpError(47003, 'argument invalid! page');
    // One-time subscriptions: each accepted prompt allows exactly one message.
    const key = `${openid}|${templateId}`;
    const left = this.#subscriptions.get(key) ?? 0;
    if (left <= 0) throw new MpError(43101, 'user refuse to accept the msg');
    this.#subscriptions.set(key, left - 1);
    const message: SentMessage = { openid, templateId, data: fields, sentAtMs: this.clock.nowMs() };
    if (typeof page === 'string') message.page = page;
    if (typeof state === 'string') message.miniprogramState = state;
    if (typeof json['lang'] === 'string') message.lang = json['lang'];
    this.#messages.push(message);
    return { errcode: 0, errmsg: 'ok', msgid: Number(randomNonce(10, '0123456789')) };
  }
}

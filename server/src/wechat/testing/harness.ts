/**
 * Test helpers for the WeChat modules (used by the *.test.ts files next to them, never by the server):
 * configuration for the in-process simulator in each key mode, a notify_url receiver that keeps the raw
 * bytes, and a tampering proxy between the client and the simulator.
 */
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadWxPayConfig, type WxEnv, type WxPayConfig } from '../config.js';
import { DEFAULT_PLATFORM, KEY_FILES, type WechatSimulator } from './simulator.js';

/** certificate: platform certs downloaded from /v3/certificates; publicKey: PUB_KEY_ID only; both: file cert + public key. */
export type ClientKeyMode = 'certificate' | 'publicKey' | 'both';

export function simEnv(sim: WechatSimulator, mode: ClientKeyMode, notifyBase = 'http://127.0.0.1:9/notify'): WxEnv {
  const c = sim.jifenConfig();
  const env: WxEnv = {
    WXPAY_MCHID: c.mchid,
    WXPAY_BASE_URL: sim.url,
    WXPAY_MERCHANT_KEY_FILE: KEY_FILES.merchantPrivateKey,
    WXPAY_MERCHANT_SERIAL: c.merchantSerialNo,
    WXPAY_APIV3_KEY: c.apiV3Key,
    WXPAY_APIV2_KEY: c.apiV2Key,
    WXPAY_NOTIFY_BASE: notifyBase,
    WECHAT_APPID: c.appid,
    WECHAT_APPSECRET: c.miniprogram.secret,
    WECHAT_API_BASE: sim.url,
  };
  if (mode !== 'certificate') {
    env.WXPAY_PUBLIC_KEY_FILE = KEY_FILES.platformPublicKey;
    env.WXPAY_PUBLIC_KEY_ID = DEFAULT_PLATFORM.publicKeyId;
  }
  if (mode === 'both') env.WXPAY_PLATFORM_CERT_FILE = KEY_FILES.platformCertificate;
  return env;
}

export function simPayConfig(sim: WechatSimulator, mode: ClientKeyMode, notifyBase?: string): WxPayConfig {
  const cfg = loadWxPayConfig(simEnv(sim, mode, notifyBase));
  if (!cfg) throw new Error('simEnv produced no WeChat Pay config');
  return cfg;
}

let counter = 0;
/** A fresh out_trade_no / out_refund_no (6–32 chars of [0-9A-Za-z]). */
export function uniqueNo(prefix = 'JF'): string {
  counter += 1;
  return `${prefix}${Date.now()}${String(counter).padStart(4, '0')}${Math.floor(Math.random() * 1000)}`.slice(0, 32);
}

/** YYYY-MM-DD in China time (the bill date of a trade made at `ms`). */
export function chinaDate(ms: number): string {
  return new Date(ms + 8 * 3600_000).toISOString().slice(0, 10);
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

export interface Captured {
  headers: IncomingHttpHeaders;
  /** The body bytes exactly as they arrived. */
  raw: Buffer;
}

export interface Receiver {
  notifyUrl: string;
  captured: Captured[];
  waitFor(count: number, timeoutMs?: number): Promise<Captured[]>;
  /** The first delivery of this event id (envelope `id`), waiting for it to arrive. */
  delivery(eventId: string | undefined, timeoutMs?: number): Promise<Captured>;
  close(): Promise<void>;
}

function envelopeId(c: Captured): string | undefined {
  try {
    const json: unknown = JSON.parse(c.raw.toString('utf8'));
    return typeof json === 'object' && json !== null && 'id' in json && typeof json.id === 'string' ? json.id : undefined;
  } catch {
    return undefined;
  }
}

/** A notify_url: keeps every delivery's raw bytes and answers with `answer(delivery)` (default 204). */
export async function startReceiver(answer: (c: Captured) => number = () => 204): Promise<Receiver> {
  const captured: Captured[] = [];
  const waiters: (() => void)[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const c: Captured = { headers: req.headers, raw: Buffer.concat(chunks) };
      captured.push(c);
      const status = answer(c);
      res.writeHead(status, status >= 400 ? { 'Content-Type': 'application/json' } : {});
      res.end(status >= 400 ? '{"code":"FAIL","message":"失败"}' : undefined);
      for (const w of waiters.splice(0)) w();
    });
  });
  const port = await listen(server);
  const until = async (done: () => boolean, what: string, timeoutMs: number): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    while (!done()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
  };
  return {
    notifyUrl: `http://127.0.0.1:${port}/notify`,
    captured,
    waitFor: async (count, timeoutMs = 10_000) => {
      await until(() => captured.length >= count, `${count} notifications`, timeoutMs);
      return captured;
    },
    delivery: async (eventId, timeoutMs = 10_000) => {
      if (eventId === undefined) throw new Error('no event id: the order has no notify_url?');
      const find = (): Captured | undefined => captured.find((c) => envelopeId(c) === eventId);
      await until(() => find() !== undefined, `event ${eventId}`, timeoutMs);
      const found = find();
      if (!found) throw new Error(`event ${eventId} vanished`);
      return found;
    },
    close: () => closeServer(server),
  };
}

export interface ProxiedAnswer {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

export interface TamperProxy {
  url: string;
  /** Answers passed through so far (after tampering). */
  count(): number;
  close(): Promise<void>;
}

/**
 * An HTTP proxy in front of the simulator that may rewrite each answer (status, headers, body bytes):
 * a man in the middle, to prove the client checks what it receives. Requests pass unchanged.
 */
export async function startTamperProxy(targetUrl: string, tamper: (a: ProxiedAnswer, path: string) => ProxiedAnswer): Promise<TamperProxy> {
  const target = new URL(targetUrl);
  let n = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const headers = { ...req.headers, host: target.host };
      const up = httpRequest({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers }, (upRes) => {
        const body: Buffer[] = [];
        upRes.on('data', (c: Buffer) => body.push(c));
        upRes.on('end', () => {
          const flat: Record<string, string> = {};
          for (const [k, v] of Object.entries(upRes.headers)) if (typeof v === 'string') flat[k] = v;
          const out = tamper({ status: upRes.statusCode ?? 502, headers: flat, body: Buffer.concat(body) }, req.url ?? '/');
          n += 1;
          const { 'content-length': _drop, ...rest } = out.headers;
          res.writeHead(out.status, { ...rest, 'content-length': String(out.body.length) });
          res.end(out.body);
        });
      });
      up.on('error', () => {
        res.writeHead(502).end();
      });
      up.end(Buffer.concat(chunks));
    });
  });
  const port = await listen(server);
  return { url: `http://127.0.0.1:${port}`, count: () => n, close: () => closeServer(server) };
}

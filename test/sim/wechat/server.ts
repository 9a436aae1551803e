/**
 * The simulator's HTTP front: reads the raw body, routes, and applies the per-family conventions in one place
 * so the route modules stay protocol-agnostic:
 * - v3: authenticate the merchant (auth.ts), parse JSON, then SIGN EVERY ANSWER (200, 204 and errors alike);
 * - v2: XML in/out; mini-program: HTTP 200 JSON even for errors; control: plain JSON with CORS.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { signResponse } from './crypto.js';
import { verifyMerchantRequest, type PlatformKeys } from './auth.js';
import { requestId } from './ids.js';
import { xmlBuild, xmlParse } from './crypto.js';
import { V3Error, isObject, type RawReply, type Route, type SimRequest, type V3Context } from './http.js';
import type { Clock } from './clock.js';
import type { MerchantConfig, ResolvedConfig } from './config.js';

const MAX_BODY_BYTES = 2 * 1024 * 1024;

/** Internal error numbers for Request-ID (`…-0` on success). SIGN_ERROR's is documented; others are stand-ins. */
const REQUEST_ID_CODES: Record<string, number> = {
  SIGN_ERROR: 268443699,
  ORDER_NOT_EXIST: 268435473,
  INVALID_REQUEST: 268435458,
  PARAM_ERROR: 268435459,
};

export interface ServerDeps {
  config: ResolvedConfig;
  clock: Clock;
  keys: PlatformKeys;
  merchants: ReadonlyMap<string, MerchantConfig>;
  routes: Route[];
  /** Whether this (2xx) v3 response should carry a probe signature. */
  probeResponse: () => boolean;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error('body too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, reply: RawReply): void {
  res.writeHead(reply.status, { ...reply.headers, 'Content-Length': String(reply.body.length) });
  res.end(reply.body);
}

function headerOf(req: SimRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

export function createSimServer(deps: ServerDeps): Server {
  const { config, clock, keys } = deps;

  /** Serialises and signs a v3 answer with the key the migration rules pick (§2). */
  function v3Reply(req: SimRequest, status: number, json: unknown, errorCode?: string): RawReply {
    const body = json === undefined ? Buffer.alloc(0) : Buffer.from(JSON.stringify(json), 'utf8');
    const signer = keys.responseSigner(config.settings.keyMode, headerOf(req, 'wechatpay-serial'));
    const probe = status >= 200 && status < 300 && deps.probeResponse();
    const signed = signResponse({ body, privateKey: signer.privateKey, serial: signer.serial, timestamp: clock.nowSec(), probe });
    const headers: Record<string, string> = {
      ...signed,
      'Request-ID': requestId(errorCode ? (REQUEST_ID_CODES[errorCode] ?? 268435456) : 0),
    };
    if (body.length > 0) headers['Content-Type'] = 'application/json; charset=utf-8';
    return { status, headers, body };
  }

  function v3ErrorReply(req: SimRequest, err: V3Error): RawReply {
    return v3Reply(req, err.status, err.toJSON(), err.code);
  }

  async function handleV3(route: Extract<Route, { kind: 'v3' | 'v3-file' }>, req: SimRequest): Promise<RawReply> {
    const auth = verifyMerchantRequest(req, deps.merchants, clock.nowSec());
    if (!auth.ok) return v3ErrorReply(req, auth.error);
    let json: unknown;
    if (req.body.length > 0) {
      if (!(headerOf(req, 'content-type') ?? '').toLowerCase().includes('application/json')) {
        return v3ErrorReply(req, new V3Error(400, 'INVALID_REQUEST', 'Content-Type不支持，请使用application/json'));
      }
      try {
        json = JSON.parse(req.body.toString('utf8'));
      } catch {
        return v3ErrorReply(req, new V3Error(400, 'PARAM_ERROR', '请求体不是合法的JSON'));
      }
      // "http header中的mchid与post payload中的mchid不匹配" is a signature-level refusal.
      if (isObject(json) && typeof json['mchid'] === 'string' && json['mchid'] !== auth.mchid) {
        return v3ErrorReply(req, new V3Error(401, 'SIGN_ERROR', 'http header中的mchid与post payload中的mchid不匹配'));
      }
    }
    const ctx: V3Context = { req, mchid: auth.mchid, json };
    try {
      if (route.kind === 'v3-file') return await route.handle(ctx);
      const reply = await route.handle(ctx);
      return v3Reply(req, reply.status, reply.json);
    } catch (err) {
      if (err instanceof V3Error) return v3ErrorReply(req, err);
      config.log(`v3 handler failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      return v3ErrorReply(req, new V3Error(500, 'SYSTEM_ERROR', '系统错误'));
    }
  }

  async function dispatch(route: Route, req: SimRequest): Promise<RawReply> {
    switch (route.kind) {
      case 'v3':
      case 'v3-file':
        return handleV3(route, req);
      case 'v2': {
        let params: Record<string, string>;
        try {
          params = xmlParse(req.body.toString('utf8'));
        } catch {
          return xmlReply(xmlBuild({ return_code: 'FAIL', return_msg: 'XML格式错误' }));
        }
        return xmlReply(await route.handle({ req, params }));
      }
      case 'mp': {
        let json: unknown;
        try {
          json = req.body.length > 0 ? JSON.parse(req.body.toString('utf8')) : undefined;
        } catch {
          json = undefined;
        }
        const out = await route.handle({ req, json });
        // WeChat's own (odd) content type for these APIs.
        return {
          status: 200,
          headers: { 'Content-Type': 'application/json; encoding=utf-8' },
          body: Buffer.from(JSON.stringify(out), 'utf8'),
        };
      }
      case 'raw':
        return route.handle(req);
    }
  }

  function xmlReply(xml: string): RawReply {
    return { status: 200, headers: { 'Content-Type': 'text/xml; charset=utf-8' }, body: Buffer.from(xml, 'utf8') };
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const rawUrl = req.url ?? '/';
    const url = new URL(rawUrl, 'http://simulator.invalid');
    const isControl = url.pathname.startsWith('/__control');
    if (isControl) {
      // The browser sandbox drives the control API from another origin.
      res.setHeader('Access-Control-Allow-Origin', '*');
      res.setHeader('Access-Control-Allow-Methods', 'GET, POST, DELETE, OPTIONS');
      res.setHeader('Access-Control-Allow-Headers', 'Content-Type');
      if (req.method === 'OPTIONS') {
        res.writeHead(204).end();
        return;
      }
    }
    let body: Buffer;
    try {
      body = await readBody(req);
    } catch {
      send(res, { status: 413, headers: { 'Content-Type': 'text/plain' }, body: Buffer.from('body too large') });
      return;
    }
    const method = (req.method ?? 'GET').toUpperCase();
    let pathMatched = false;
    for (const route of deps.routes) {
      const m = route.pattern.exec(url.pathname);
      if (!m) continue;
      pathMatched = true;
      if (route.method !== method) continue;
      let params: string[];
      try {
        params = m.slice(1).map((p) => decodeURIComponent(p ?? ''));
      } catch {
        params = m.slice(1).map((p) => p ?? '');
      }
      const simReq: SimRequest = { method, rawUrl, path: url.pathname, query: url.searchParams, headers: req.headers, body, params };
      send(res, await dispatch(route, simReq));
      return;
    }
    const status = pathMatched ? 405 : 404;
    const message = pathMatched ? `method ${method} not allowed` : `no such API ${url.pathname}`;
    send(res, {
      status,
      headers: { 'Content-Type': 'application/json; charset=utf-8' },
      body: Buffer.from(JSON.stringify({ code: status === 404 ? 'NOT_FOUND' : 'METHOD_NOT_ALLOWED', message })),
    });
  }

  return createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      config.log(`request failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain' });
      res.end('simulator error');
    });
  });
}

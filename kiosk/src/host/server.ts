/**
 * The browser-mode host ("web POS"): the device service's channel table over HTTP, and the built UI.
 *
 *   POST /api/kiosk/invoke/<channel>  {"args":[…]} → 200 Envelope (the same as over IPC)
 *   GET  /api/kiosk/events            server-sent events: `event: <event channel>`, `data: <json>`
 *   GET  /healthz                     {"ok":true}
 *   GET  /…                           the renderer's files (dist/renderer), with the CSP
 *
 * The HTTP equivalent of the IPC sender check: a call must come from the host's own page. The Host
 * header must name this host (no DNS rebinding), an Origin, when sent, must be this origin, and every
 * call carries the `x-jifen-kiosk` header, which a page on another origin cannot add without a CORS
 * preflight that this host never answers. (The event stream is a GET an EventSource opens without
 * custom headers: a page on another origin gets no CORS grant to read it.)
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Envelope } from '../ipc-contract.js';
import { HOST_API, HOST_CLIENT_HEADER } from '../ipc-contract.js';
import type { ChannelTable } from '../main/ipc.js';
import { readStaticFile, SECURITY_HEADERS } from '../main/static-files.js';

export interface HostServerOptions {
  table: ChannelTable;
  rendererDir: string;
  port: number;
  /** Default 127.0.0.1. Binding elsewhere (a LAN web POS) needs allowedHosts. */
  host?: string;
  /** Host header names accepted besides 127.0.0.1 / localhost / [::1] (with the port). */
  allowedHosts?: readonly string[];
  log?: (line: string) => void;
  /** SSE keep-alive comment interval. Default 15 000 ms. */
  heartbeatMs?: number;
}

export interface HostServer {
  url: string;
  port: number;
  server: Server;
  close(): Promise<void>;
}

const MAX_BODY = 512 * 1024;

export async function startHostServer(options: HostServerOptions): Promise<HostServer> {
  const log = options.log ?? (() => undefined);
  const bind = options.host ?? '127.0.0.1';
  const streams = new Set<ServerResponse>();
  let port = options.port;

  const hostAllowed = (hostHeader: string | undefined): boolean => {
    if (!hostHeader) return false;
    const names = ['127.0.0.1', 'localhost', '[::1]', ...(options.allowedHosts ?? [])];
    return names.some((n) => hostHeader === `${n}:${port}` || (port === 80 && hostHeader === n));
  };

  const json = (res: ServerResponse, status: number, body: unknown): void => {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...SECURITY_HEADERS });
    res.end(JSON.stringify(body));
  };

  const refuse = (
    res: ServerResponse,
    status: number,
    code: 'UNTRUSTED_SENDER' | 'INVALID_INPUT' | 'UNKNOWN_CHANNEL',
    message: string,
  ): void => json(res, status, { ok: false, error: { code, message } } satisfies Envelope<never>);

  const readBody = (req: IncomingMessage): Promise<string> =>
    new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_BODY) {
          reject(new Error('body too large'));
          req.destroy();
        } else chunks.push(c);
      });
      req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      req.on('error', reject);
    });

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://host.invalid');
    if (!hostAllowed(req.headers.host)) return refuse(res, 421, 'UNTRUSTED_SENDER', 'unexpected Host header');

    if (url.pathname === '/healthz') return json(res, 200, { ok: true });

    if (url.pathname.startsWith(`${HOST_API}/`)) {
      const origin = req.headers.origin;
      if (origin !== undefined && origin !== `http://${req.headers.host}`)
        return refuse(res, 403, 'UNTRUSTED_SENDER', 'cross-origin call refused');
      // EventSource cannot send a header; a page on another origin cannot read the stream anyway (no CORS
      // grant), and the Host and Origin checks above still apply.
      if (url.pathname === `${HOST_API}/events` && req.method === 'GET') return openEvents(req, res);
      if (req.headers[HOST_CLIENT_HEADER] !== '1') return refuse(res, 403, 'UNTRUSTED_SENDER', `missing ${HOST_CLIENT_HEADER} header`);

      const channel = decodeURIComponent(url.pathname.slice(`${HOST_API}/invoke/`.length));
      if (!url.pathname.startsWith(`${HOST_API}/invoke/`) || req.method !== 'POST')
        return refuse(res, 404, 'UNKNOWN_CHANNEL', 'no such API');
      if (!options.table.has(channel)) return refuse(res, 404, 'UNKNOWN_CHANNEL', `no channel ${channel}`);
      if (!(req.headers['content-type'] ?? '').startsWith('application/json')) return refuse(res, 415, 'INVALID_INPUT', 'JSON only');
      let args: unknown[];
      try {
        const body = JSON.parse(await readBody(req)) as { args?: unknown };
        if (!Array.isArray(body.args)) throw new Error('args must be an array');
        args = body.args;
      } catch (err) {
        return refuse(res, 400, 'INVALID_INPUT', err instanceof Error ? err.message : 'bad body');
      }
      return json(res, 200, await options.table.invoke(channel, args));
    }

    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, SECURITY_HEADERS);
      res.end();
      return;
    }
    const file = await readStaticFile(options.rendererDir, url.pathname);
    if (!file) {
      const index = url.pathname === '/' || url.pathname === '/index.html';
      res.writeHead(index ? 503 : 404, { 'content-type': 'text/plain; charset=utf-8', ...SECURITY_HEADERS });
      res.end(
        index
          ? 'The kiosk UI is not built: node --import tsx kiosk/src/host/build-ui.ts (or start the host with --build)\n'
          : 'not found\n',
      );
      return;
    }
    res.writeHead(200, {
      'content-type': file.type,
      'cache-control': url.pathname.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
      ...SECURITY_HEADERS,
    });
    res.end(req.method === 'HEAD' ? undefined : file.body);
  };

  const openEvents = (req: IncomingMessage, res: ServerResponse): void => {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
      ...SECURITY_HEADERS,
    });
    res.write(': jifen kiosk events\nretry: 2000\n\n');
    streams.add(res);
    const heartbeat = setInterval(() => res.write(': ping\n\n'), options.heartbeatMs ?? 15_000);
    const unsubscribe = options.table.onEvent((event, payload) => {
      res.write(`event: ${event}\ndata: ${JSON.stringify(payload)}\n\n`);
    });
    req.on('close', () => {
      clearInterval(heartbeat);
      unsubscribe();
      streams.delete(res);
    });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      log(`host: ${req.method} ${req.url}: ${err instanceof Error ? err.message : String(err)}`);
      if (!res.headersSent) json(res, 500, { ok: false, error: { code: 'INTERNAL', message: 'host error' } });
      else res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, bind, () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  const shownHost = bind === '0.0.0.0' || bind === '::' ? '127.0.0.1' : bind;
  return {
    url: `http://${shownHost}:${port}/`,
    port,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of streams) s.end();
        server.close(() => resolve());
        server.closeAllConnections?.();
      }),
  };
}

/**
 * Helpers for the end-to-end tests that run the real server as child processes (`pnpm jifen …`)
 * against MariaDB and the WeChat simulator: a throw-away database per test file, server processes
 * that can be killed and restarted on the same port, the CLI, a small JSON client and an HTTP proxy
 * (round-robin load balancer, or a recording tap in front of the simulator).
 *
 * Nothing here imports server code: the database is read with the server's own mysql2 (through
 * createRequire), and the server is configured only through its environment.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer, request as httpRequest, Agent, type IncomingHttpHeaders, type Server } from 'node:http';
import { createRequire } from 'node:module';
import { connect, type AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { DEFAULT_PLATFORM, KEY_FILES, type WechatSimulator } from '../sim/wechat/index.js';

/** The monorepo root: `pnpm jifen …` runs from here. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** `pnpm jifen` without pnpm: the exact node command of the root package.json script. */
const JIFEN_ARGS = ['--conditions=jifen-source', '--import', 'tsx', 'server/src/cli.ts'];

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------------------------------------------
// MariaDB

export interface SqlResultHeader {
  affectedRows: number;
}

export interface SqlPool {
  query(sql: string, values?: unknown[]): Promise<[unknown, unknown]>;
  end(): Promise<void>;
}

interface Mysql2Promise {
  createPool(options: Record<string, unknown>): SqlPool;
}

const requireFromServer = createRequire(new URL('../../server/package.json', import.meta.url));
const mysql2 = requireFromServer('mysql2/promise') as Mysql2Promise;

export interface TestDatabase {
  /** DATABASE_URL for the server. */
  url: string;
  name: string;
  /** A small pool on the test database, for the checks. */
  pool: SqlPool;
  rows<T>(sql: string, values?: unknown[]): Promise<T[]>;
  exec(sql: string, values?: unknown[]): Promise<number>;
  /** Closes the pool and drops the database. Idempotent. */
  drop(): Promise<void>;
}

function poolFor(u: URL, database?: string): SqlPool {
  return mysql2.createPool({
    host: u.hostname,
    port: u.port ? Number(u.port) : 3306,
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
    ...(database ? { database } : {}),
    connectionLimit: 4,
    supportBigNumbers: true,
    bigNumberStrings: false,
    timezone: 'Z',
    charset: 'utf8mb4',
  });
}

/**
 * Creates `<base>_e2e_<hex>` on the server of JIFEN_TEST_MYSQL_URL (default mysql://root@127.0.0.1:3306/jifen_test),
 * base being that URL's database name. CI drops leftovers named `<base>_%` before each run.
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  const base = new URL(process.env.JIFEN_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/jifen_test');
  const baseName = base.pathname.replace(/^\//, '') || 'jifen_test';
  const name = `${baseName}_e2e_${randomBytes(4).toString('hex')}`;
  if (!/^\w+$/.test(name)) throw new Error(`unexpected database name ${name}`);
  const admin = poolFor(base);
  try {
    await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
  } finally {
    await admin.end();
  }
  const url = new URL(base.href);
  url.pathname = `/${name}`;
  const pool = poolFor(base, name);
  let dropped: Promise<void> | undefined;
  return {
    url: url.href,
    name,
    pool,
    rows: async <T>(sql: string, values: unknown[] = []) => (await pool.query(sql, values))[0] as T[],
    exec: async (sql: string, values: unknown[] = []) => ((await pool.query(sql, values))[0] as SqlResultHeader).affectedRows,
    drop: () =>
      (dropped ??= (async () => {
        await pool.end().catch(() => undefined);
        const a = poolFor(base);
        try {
          await a.query(`DROP DATABASE IF EXISTS \`${name}\``);
        } finally {
          await a.end();
        }
      })()),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Server environment

export const ADMIN = { username: 'e2e-admin', password: 'e2e-admin-password-2026' };

/** sim.jifenConfig() → the server's WeChat variables (the mapping of server/src/wechat/testing/harness.ts simEnv, public-key mode). */
export function wechatEnv(sim: WechatSimulator, notifyBase: string, payBaseUrl = sim.url): Record<string, string> {
  const c = sim.jifenConfig();
  return {
    WXPAY_MCHID: c.mchid,
    WXPAY_BASE_URL: payBaseUrl,
    WXPAY_MERCHANT_KEY_FILE: KEY_FILES.merchantPrivateKey,
    WXPAY_MERCHANT_SERIAL: c.merchantSerialNo,
    WXPAY_APIV3_KEY: c.apiV3Key,
    WXPAY_APIV2_KEY: c.apiV2Key,
    WXPAY_PUBLIC_KEY_FILE: KEY_FILES.platformPublicKey,
    WXPAY_PUBLIC_KEY_ID: DEFAULT_PLATFORM.publicKeyId,
    WXPAY_NOTIFY_BASE: notifyBase,
    WECHAT_APPID: c.appid,
    WECHAT_APPSECRET: c.miniprogram.secret,
    WECHAT_API_BASE: sim.url,
  };
}

/** The non-WeChat part of the environment: database, secrets, bootstrap admin, quiet logs. */
export function baseEnv(databaseUrl: string): Record<string, string> {
  return {
    HOST: '127.0.0.1',
    DATABASE_URL: databaseUrl,
    JIFEN_SECRET: randomBytes(32).toString('base64url'),
    JIFEN_DATA_KEY: randomBytes(32).toString('base64url'),
    JIFEN_BOOTSTRAP_ADMIN: `${ADMIN.username}:${ADMIN.password}`,
    JIFEN_LOG_LEVEL: 'warn',
  };
}

/** The parent environment minus anything that could point the child somewhere else. */
function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const inherited: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(WXPAY_|WECHAT_|JIFEN_|DATABASE_URL$|PORT$|HOST$|NODE_OPTIONS$|VITEST)/.test(k)) continue;
    inherited[k] = v;
  }
  return { ...inherited, ...env };
}

/** A port that was free a moment ago (the server needs a fixed one to come back on after a crash). */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

// ---------------------------------------------------------------------------------------------------------------
// Child processes

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `pnpm jifen <args>` as a child process; resolves when it exits (killed after `timeoutMs`). */
export function runJifen(args: string[], env: Record<string, string>, timeoutMs = 60_000): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...JIFEN_ARGS, ...args], { cwd: ROOT, env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export interface ServerProcess {
  readonly label: string;
  readonly port: number;
  readonly url: string;
  /** The current child (undefined before start / after exit). */
  readonly pid: number | undefined;
  /** Every pid this server has had (one per start). */
  readonly pids: number[];
  /**
   * Spawns `pnpm jifen serve` and waits until it is ready: GET /healthz → 200 ('healthz', the default), or
   * just accepting connections ('listening': the server listens only once migrations and the WeChat
   * wiring are done, and /healthz can be starved for many seconds by a storm of requests).
   */
  start(options?: { timeoutMs?: number; ready?: 'healthz' | 'listening' }): Promise<void>;
  /** Sends `signal` and waits for the exit (SIGKILL after `graceMs` if the child is still there). */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<void>;
  /** The last lines of its stdout/stderr (for failure messages). */
  output(): string;
  /** Every output line seen so far (JSON log lines of pino, plus anything else). */
  lines(): string[];
  running(): boolean;
}

const MAX_LINES = 20_000;

/** Whether something accepts TCP connections on 127.0.0.1:port. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.setTimeout(1_000, () => done(false));
  });
}

export function serverProcess(label: string, port: number, env: Record<string, string>): ServerProcess {
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  const pids: number[] = [];
  const lines: string[] = [];
  const keep = (prefix: string) => {
    let partial = '';
    return (chunk: string) => {
      const parts = (partial + chunk).split('\n');
      partial = parts.pop() ?? '';
      for (const p of parts) {
        lines.push(`${prefix}${p}`);
        if (lines.length > MAX_LINES) lines.splice(0, lines.length - MAX_LINES);
      }
    };
  };
  const url = `http://127.0.0.1:${port}`;
  // If the test process dies first, the server must not outlive it.
  const killOnExit = (): void => {
    child?.kill('SIGKILL');
  };

  const self: ServerProcess = {
    label,
    port,
    url,
    get pid() {
      return child?.pid;
    },
    pids,
    async start({ timeoutMs = 60_000, ready = 'healthz' } = {}) {
      if (child) throw new Error(`${label} is already running`);
      const c = spawn(process.execPath, [...JIFEN_ARGS, 'serve'], {
        cwd: ROOT,
        env: childEnv({ ...env, PORT: String(port) }),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child = c;
      process.once('exit', killOnExit);
      if (c.pid !== undefined) pids.push(c.pid);
      c.stdout?.setEncoding('utf8').on('data', keep(''));
      c.stderr?.setEncoding('utf8').on('data', keep('[stderr] '));
      exited = new Promise<void>((resolve) => {
        c.once('exit', (code, signal) => {
          lines.push(`[${label}] exited code=${String(code)} signal=${String(signal)}`);
          if (child === c) child = undefined;
          process.off('exit', killOnExit);
          resolve();
        });
      });
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        if (child !== c) throw new Error(`${label} exited during start:\n${self.output()}`);
        const ok =
          ready === 'listening'
            ? await accepts(port)
            : await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2_000) }).then(
                (r) => r.status === 200,
                () => false,
              );
        if (ok) return;
        if (Date.now() > deadline) throw new Error(`${label} did not become healthy in ${timeoutMs} ms:\n${self.output()}`);
        await sleep(100);
      }
    },
    async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 10_000) {
      const c = child;
      if (!c) return;
      c.kill(signal);
      const timer = setTimeout(() => c.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
    output: () => lines.slice(-60).join('\n'),
    lines: () => [...lines],
    running: () => child !== undefined,
  };
  return self;
}

// ---------------------------------------------------------------------------------------------------------------
// HTTP

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
    what: string,
  ) {
    super(`${what} → ${status} ${JSON.stringify(body)}`);
  }
}

/** JSON request with a timeout; throws HttpError on a non-2xx answer. */
export async function api<T>(method: string, url: string, body?: unknown, token?: string, timeoutMs = 20_000): Promise<T> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(url, {
    method,
    headers,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: keep the text
  }
  if (res.status < 200 || res.status > 299) throw new HttpError(res.status, parsed, `${method} ${url}`);
  return parsed as T;
}

/** Signs the bootstrap admin in and issues a till for store S001 (seeded by `jifen seed --demo`). */
export async function issueTerminal(baseUrl: string): Promise<string> {
  const { token } = await api<{ token: string }>('POST', `${baseUrl}/api/admin/session`, ADMIN);
  const till = await api<{ terminalId: number; token: string }>('POST', `${baseUrl}/api/admin/terminals`, { storeCode: 'S001' }, token);
  return till.token;
}

export const DEMO_PHONES = ['13800138000', '13900139000', '13700137000'] as const;

export interface PosOrder {
  orderId: number;
  outTradeNo: string;
  status: string;
  codeUrl?: string;
  memberId: number | null;
}

/** A WeChat Native order for a demo member (phone i mod 3), ￥10–￥59.99 so that it always earns points. */
export function createMemberOrder(baseUrl: string, tillToken: string, tag: string, i: number): Promise<PosOrder> {
  return api<PosOrder>(
    'POST',
    `${baseUrl}/api/pos/orders`,
    {
      clientOrderId: `${tag}-${String(i).padStart(6, '0')}`,
      lines: [{ sku: `SKU${i % 97}`, name: '鲜榨橙汁', qty: 1 + (i % 3), unitPriceFen: 1000 + ((i * 37) % 2000) }],
      member: { phone: DEMO_PHONES[i % DEMO_PHONES.length] },
      payment: { method: 'wechat_native' },
    },
    tillToken,
  );
}

/** Runs `fn` over 0..count-1 with at most `concurrency` in flight; results in index order. */
export async function mapConcurrent<T>(count: number, concurrency: number, fn: (i: number) => Promise<T>): Promise<T[]> {
  const out = new Array<T>(count);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      out[i] = await fn(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return out;
}

/** Polls `check` until it returns a value other than undefined; throws with `describe()` after `timeoutMs`. */
export async function waitFor<T>(
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs: number,
  describe: () => string | Promise<string>,
  everyMs = 200,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${await describe()}`);
    await sleep(everyMs);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Proxy: round-robin load balancer, or a recording tap in front of one backend

export interface ProxyRecord {
  backend: number;
  method: string;
  path: string;
  startedAt: number;
  endedAt: number | null;
  status: number | null;
}

export interface HttpProxy {
  url: string;
  port: number;
  /** Every proxied request, in arrival order. */
  records: ProxyRecord[];
  /** Requests per backend index whose path starts with `prefix` (all when omitted). */
  counts(prefix?: string): number[];
  close(): Promise<void>;
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer']);

function forwardHeaders(h: IncomingHttpHeaders): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined && !HOP_BY_HOP.has(k)) out[k] = v;
  return out;
}

/**
 * An HTTP proxy: each request goes to the next backend in turn (per request, not per connection, so a
 * keep-alive client is spread too). A backend that refuses the connection gets 502 answered (a load
 * balancer without health checks). `delayMs(method, path)` holds a request back before forwarding it.
 */
export async function startProxy(
  backends: string[],
  options: { delayMs?: (method: string, path: string) => number } = {},
): Promise<HttpProxy> {
  const targets = backends.map((b) => new URL(b));
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const records: ProxyRecord[] = [];
  let turn = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const backend = turn++ % targets.length;
      const target = targets[backend]!;
      const record: ProxyRecord = {
        backend,
        method: req.method ?? 'GET',
        path: req.url ?? '/',
        startedAt: Date.now(),
        endedAt: null,
        status: null,
      };
      records.push(record);
      const body = Buffer.concat(chunks);
      const forward = (): void => {
        const headers = forwardHeaders(req.headers);
        headers.host = target.host;
        headers['content-length'] = String(body.length);
        const up = httpRequest({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers, agent }, (upRes) => {
          const out: Buffer[] = [];
          upRes.on('data', (c: Buffer) => out.push(c));
          upRes.on('end', () => {
            const payload = Buffer.concat(out);
            const resHeaders = forwardHeaders(upRes.headers);
            resHeaders['content-length'] = String(payload.length);
            record.status = upRes.statusCode ?? 502;
            record.endedAt = Date.now();
            res.writeHead(record.status, resHeaders);
            res.end(payload);
          });
          upRes.on('error', () => res.destroy());
        });
        up.on('error', () => {
          record.status = 502;
          record.endedAt = Date.now();
          if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
          res.end('{"code":"FAIL","message":"bad gateway"}');
        });
        up.end(body);
      };
      const delay = options.delayMs?.(record.method, record.path) ?? 0;
      if (delay > 0) setTimeout(forward, delay);
      else forward();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    records,
    counts: (prefix = '') => {
      const n = targets.map(() => 0);
      for (const r of records) if (r.path.startsWith(prefix)) n[r.backend] = (n[r.backend] ?? 0) + 1;
      return n;
    },
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        agent.destroy();
      })),
  };
}

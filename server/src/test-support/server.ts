/** A real server on a random port over a fresh test database, for API tests through HTTP. */
import { loadConfig } from '../config.js';
import { createLogger } from '../logger.js';
import { startServer } from '../server.js';
import type { RunningServer } from '../server.js';
import { createTestDb } from './db.js';
import type { WechatRuntimeOptions } from '../wechat/runtime.js';
import type { TestDb } from './db.js';

export const TEST_ADMIN = { username: 'hq-admin', password: 'correct horse battery staple' };

export interface TestServer {
  server: RunningServer;
  testDb: TestDb;
  url: string;
  request(method: string, path: string, body?: unknown, token?: string): Promise<{ status: number; body: unknown; headers: Headers }>;
  signIn(username?: string, password?: string): Promise<string>;
  close(): Promise<void>;
}

/** A free port on loopback (for a server whose own URL must be known before it starts). */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

export interface TestServerOptions {
  now?: () => number;
  /** Extra environment (e.g. the WXPAY_* settings of a simulator). */
  env?: Record<string, string | undefined>;
  port?: number;
  wechat?: WechatRuntimeOptions;
  /** Reuse this database instead of creating one (a second server on the same database). */
  testDb?: TestDb;
  jobs?: boolean;
}

export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const testDb = options.testDb ?? (await createTestDb());
  const config = loadConfig({
    ...options.env,
    PORT: String(options.port ?? 0),
    DATABASE_URL: testDb.url,
    JIFEN_SECRET: 'test-secret-0123456789-0123456789-abcdef',
    JIFEN_DATA_KEY: 'test-data-key-0123456789-0123456789-abcdef',
    JIFEN_BOOTSTRAP_ADMIN: `${TEST_ADMIN.username}:${TEST_ADMIN.password}`,
    JIFEN_JOBS: options.jobs ? 'on' : 'off',
  });
  const server = await startServer({ config, db: testDb.db, logger: createLogger('silent'), now: options.now, wechat: options.wechat });
  const request: TestServer['request'] = async (method, path, body, token) => {
    const res = await fetch(`${server.url}${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as unknown) : null, headers: res.headers };
  };
  return {
    server,
    testDb,
    url: server.url,
    request,
    async signIn(username = TEST_ADMIN.username, password = TEST_ADMIN.password) {
      const res = await request('POST', '/api/admin/session', { username, password });
      if (res.status !== 200) throw new Error(`sign-in failed: ${res.status} ${JSON.stringify(res.body)}`);
      return (res.body as { token: string }).token;
    },
    async close() {
      await server.close();
      if (!options.testDb) await testDb.drop();
    },
  };
}

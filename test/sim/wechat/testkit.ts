/**
 * Test helpers: a tiny in-test merchant that receives notifications (and verifies/decrypts them the way a
 * correct merchant must), and a signed v3 client wired to a simulator. Used by the *.test.ts files here.
 */
import { createServer, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { readFileSync } from 'node:fs';
import { aesGcmDecrypt, headerValue, verifyNotificationSignature, type VerifyResult } from './crypto.js';
import { MerchantClient, type MerchantClientOptions } from './client.js';
import { DEFAULT_MERCHANT, KEY_FILES } from './config.js';
import type { WechatSimulator } from './index.js';

export const MERCHANT_PRIVATE_KEY = readFileSync(KEY_FILES.merchantPrivateKey, 'utf8');

interface Envelope {
  id: string;
  event_type: string;
  resource: { ciphertext: string; nonce: string; associated_data: string };
}

function isEnvelope(v: unknown): v is Envelope {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  const r = o['resource'];
  if (typeof r !== 'object' || r === null) return false;
  const res = r as Record<string, unknown>;
  return (
    typeof o['id'] === 'string' &&
    typeof o['event_type'] === 'string' &&
    typeof res['ciphertext'] === 'string' &&
    typeof res['nonce'] === 'string' &&
    typeof res['associated_data'] === 'string'
  );
}

export interface Received {
  /** Order of arrival, from 1. */
  n: number;
  headers: IncomingHttpHeaders;
  body: string;
  receivedAt: number;
  verified: VerifyResult;
  /** Decrypted resource plaintext (parsed), when the signature verified and decryption succeeded. */
  resource?: Record<string, unknown>;
  eventId?: string;
  eventType?: string;
}

export interface Answer {
  status: number;
  delayMs?: number;
}

export interface TestMerchant {
  url: string;
  notifyUrl: string;
  received: Received[];
  waitFor(count: number, timeoutMs?: number): Promise<Received[]>;
  close(): Promise<void>;
}

/**
 * Starts a merchant endpoint at `/notify`. By default it answers like a correct merchant: 204 when the signature
 * verifies, 401 with {"code":"FAIL"} otherwise (probes included). `answer` overrides that per arrival.
 */
export async function startTestMerchant(
  sim: WechatSimulator,
  answer?: (r: Received) => Answer,
  apiV3Key: string = DEFAULT_MERCHANT.apiV3Key,
): Promise<TestMerchant> {
  const received: Received[] = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const body = raw.toString('utf8');
      const verified = verifyNotificationSignature({
        headers: req.headers,
        body: raw,
        keys: sim.platformVerificationKeys(),
        nowSec: Math.floor(sim.now() / 1000),
      });
      const r: Received = { n: received.length + 1, headers: req.headers, body, receivedAt: Date.now(), verified };
      const parsed: unknown = JSON.parse(body);
      if (isEnvelope(parsed)) {
        r.eventId = parsed.id;
        r.eventType = parsed.event_type;
        if (verified.ok) {
          const plain = aesGcmDecrypt(parsed.resource.ciphertext, apiV3Key, parsed.resource.nonce, parsed.resource.associated_data);
          const resource: unknown = JSON.parse(plain);
          if (typeof resource === 'object' && resource !== null) r.resource = resource as Record<string, unknown>;
        }
      }
      received.push(r);
      for (const w of [...waiters]) {
        if (received.length >= w.count) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve();
        }
      }
      const a = answer?.(r) ?? { status: verified.ok ? 204 : 401 };
      const reply = (): void => {
        if (a.status === 204 || a.status === 200) res.writeHead(a.status).end();
        else res.writeHead(a.status, { 'Content-Type': 'application/json' }).end('{"code":"FAIL","message":"失败"}');
      };
      if (a.delayMs) setTimeout(reply, a.delayMs);
      else reply();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    notifyUrl: `${url}/notify`,
    received,
    waitFor: (count, timeoutMs = 10_000) =>
      new Promise<Received[]>((resolve, reject) => {
        if (received.length >= count) {
          resolve(received);
          return;
        }
        const timer = setTimeout(() => reject(new Error(`merchant got ${received.length}/${count} notifications`)), timeoutMs);
        waiters.push({
          count,
          resolve: () => {
            clearTimeout(timer);
            resolve(received);
          },
        });
      }),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A correct merchant client for this simulator (default merchant, verifying answers with every platform key). */
export function clientFor(sim: WechatSimulator, overrides: Partial<MerchantClientOptions> = {}): MerchantClient {
  return new MerchantClient({
    baseUrl: sim.url,
    mchid: DEFAULT_MERCHANT.mchid,
    serialNo: DEFAULT_MERCHANT.serialNo,
    privateKey: MERCHANT_PRIVATE_KEY,
    platformKeys: sim.platformVerificationKeys(),
    timestamp: () => Math.floor(sim.now() / 1000),
    ...overrides,
  });
}

let counter = 0;
/** A fresh, valid out_trade_no / out_refund_no. */
export function uniqueNo(prefix = 'JF'): string {
  counter += 1;
  return `${prefix}${Date.now()}${String(counter).padStart(4, '0')}`;
}

export { headerValue };

/** A plain node:http request (fetch would add Accept and User-Agent on its own). */
export function rawRequest(
  url: string,
  options: { method: string; headers: Record<string, string>; body?: string },
): Promise<{ status: number; headers: IncomingHttpHeaders; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: options.method, headers: options.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNotificationVerifier } from './notify-verifier.js';
import { createWxPayClient, type JifenWxPayClient } from './pay-client.js';
import { simPayConfig, startReceiver, uniqueNo, type Captured, type Receiver } from './testing/harness.js';
import {
  DEFAULT_MERCHANT,
  DEFAULT_PLATFORM,
  KEY_FILES,
  buildEnvelope,
  signResponse,
  startWechatSimulator,
  type WechatSimulator,
} from './testing/simulator.js';
import type { NotificationVerifier } from './types.js';

const platformPrivate = createPrivateKey(readFileSync(KEY_FILES.platformPrivateKey, 'utf8'));
const platformPublic = createPublicKey(platformPrivate);
const keys = new Map<string, KeyObject>([
  [DEFAULT_PLATFORM.certificateSerial, platformPublic],
  [DEFAULT_PLATFORM.publicKeyId, platformPublic],
]);

let sim: WechatSimulator;
let receiver: Receiver;
let client: JifenWxPayClient;
let verifier: NotificationVerifier;
/** One real TRANSACTION.SUCCESS delivery, as the simulator sent it. */
let real: Captured;
let realNo: string;

const nowOf = (c: Captured): number => Number(c.headers['wechatpay-timestamp']);

/** Headers for `body` signed with the platform key, as WeChat would sign them. */
function signed(body: string | Buffer, overrides: { timestamp?: number; serial?: string } = {}): Record<string, string> {
  return {
    ...signResponse({
      body,
      privateKey: platformPrivate,
      serial: overrides.serial ?? DEFAULT_PLATFORM.certificateSerial,
      timestamp: overrides.timestamp ?? Math.floor(Date.now() / 1000),
    }),
  };
}

function envelope(patch: { plaintext?: string; associatedData?: string; rawBodyTrap?: boolean } = {}): string {
  return buildEnvelope({
    id: 'EV-2026-test',
    createTime: '2026-01-22T14:30:05+08:00',
    eventType: 'TRANSACTION.SUCCESS',
    summary: '支付成功',
    originalType: 'transaction',
    associatedData: patch.associatedData ?? 'transaction',
    plaintext:
      patch.plaintext ??
      JSON.stringify({ mchid: DEFAULT_MERCHANT.mchid, out_trade_no: 'JF1', trade_state: 'SUCCESS', amount: { total: 1 } }),
    apiV3Key: DEFAULT_MERCHANT.apiV3Key,
    ...(patch.rawBodyTrap ? { rawBodyTrap: true } : {}),
  }).body;
}

beforeAll(async () => {
  sim = await startWechatSimulator({ port: 0, timeFactor: 0.001, keyMode: 'certificate' });
  // The receiver plays the Koa route: 204 when the verifier accepts, 401 otherwise (so probes get redelivered).
  receiver = await startReceiver((c) => (verifier.verify(c.headers, c.raw).ok ? 204 : 401));
  client = await createWxPayClient(simPayConfig(sim, 'certificate'));
  verifier = createNotificationVerifier({ apiV3Key: DEFAULT_MERCHANT.apiV3Key, platformKeys: client.platformKeys });
  realNo = uniqueNo('NTF');
  await client.createNative({ outTradeNo: realNo, description: '积分商品', totalFen: 990, notifyUrl: receiver.notifyUrl });
  real = await receiver.delivery(sim.pay(realNo, { couponFen: 90 }).eventId);
});

afterAll(async () => {
  client.stop();
  await receiver.close();
  await sim.close();
});

describe('a real delivery from the simulator', () => {
  it('verifies and decrypts to the transaction', () => {
    const check = verifier.verify(real.headers, real.raw, nowOf(real));
    expect(check).toMatchObject({ ok: true, eventType: 'TRANSACTION.SUCCESS' });
    if (!check.ok) return;
    expect(check.eventId).toBe(JSON.parse(real.raw.toString()).id);
    expect(check.resource).toMatchObject({
      out_trade_no: realNo,
      mchid: DEFAULT_MERCHANT.mchid,
      trade_state: 'SUCCESS',
      amount: { total: 990, payer_total: 900 },
    });
    // Without nowSeconds the verifier reads the clock.
    expect(verifier.verify(real.headers, real.raw).ok).toBe(true);
  });

  it('header names are matched case-insensitively', () => {
    const mixed = Object.fromEntries(
      Object.entries(real.headers).map(([k, v]) => [k.replace(/(^|-)([a-z])/g, (_m, d: string, c: string) => d + c.toUpperCase()), v]),
    );
    expect(Object.keys(mixed)).toContain('Wechatpay-Signature');
    expect(verifier.verify(mixed, real.raw, nowOf(real)).ok).toBe(true);
  });

  it('a probe delivery is refused as "probe" and the correctly signed redelivery is accepted', async () => {
    const no = uniqueNo('PRB');
    sim.setFaults({ probe: true }, no);
    await client.createNative({ outTradeNo: no, description: 'probe', totalFen: 100, notifyUrl: receiver.notifyUrl });
    const { eventId } = sim.pay(no);
    const rounds = await sim.waitForDeliveries({ outTradeNo: no }, 2);
    expect(rounds.map((d) => [d.probe, d.status])).toEqual([
      [true, 401],
      [false, 204],
    ]);
    const [probe, redelivery] = receiver.captured.filter((c) => JSON.parse(c.raw.toString()).id === eventId);
    expect(String(probe?.headers['wechatpay-signature'])).toMatch(/^WECHATPAY\/SIGNTEST\//);
    expect(verifier.verify(probe?.headers ?? {}, probe?.raw ?? Buffer.alloc(0))).toEqual({ ok: false, reason: 'probe' });
    expect(verifier.verify(redelivery?.headers ?? {}, redelivery?.raw ?? Buffer.alloc(0)).ok).toBe(true);
  });

  it('raw-body trap: a body whose JSON re-serialisation differs from its bytes still verifies (over the bytes)', async () => {
    const no = uniqueNo('RAW');
    sim.setFaults({ rawBodyTrap: true }, no);
    await client.createNative({ outTradeNo: no, description: '积分兑换：会员日', totalFen: 100, notifyUrl: receiver.notifyUrl });
    const c = await receiver.delivery(sim.pay(no).eventId);
    const text = c.raw.toString('utf8');
    expect(JSON.stringify(JSON.parse(text))).not.toBe(text);
    expect(verifier.verify(c.headers, c.raw)).toMatchObject({ ok: true, resource: { out_trade_no: no } });
    // Re-serialising (what a verifier working on the parsed body does) breaks it.
    expect(verifier.verify(c.headers, Buffer.from(JSON.stringify(JSON.parse(text))))).toEqual({ ok: false, reason: 'bad_signature' });
  });
});

describe('traps: each fails with its reason, none throws', () => {
  const without = (name: string): Record<string, string | string[] | undefined> =>
    Object.fromEntries(Object.entries(real.headers).filter(([k]) => k !== name));

  it('stale timestamp: ±301 s from now is refused, ±300 s still accepted', () => {
    const ts = nowOf(real);
    expect(verifier.verify(real.headers, real.raw, ts + 301)).toEqual({ ok: false, reason: 'stale_timestamp' });
    expect(verifier.verify(real.headers, real.raw, ts - 301)).toEqual({ ok: false, reason: 'stale_timestamp' });
    expect(verifier.verify(real.headers, real.raw, ts + 300).ok).toBe(true);
    expect(verifier.verify(real.headers, real.raw, ts - 300).ok).toBe(true);
    const ms = { ...real.headers, 'wechatpay-timestamp': String(ts * 1000) };
    expect(verifier.verify(ms, real.raw, ts)).toEqual({ ok: false, reason: 'stale_timestamp' });
  });

  it('unknown serial', () => {
    const h = { ...real.headers, 'wechatpay-serial': '7132D72A03E93CDDF8C03BBD1F37EEDF0A3CD76B' };
    expect(verifier.verify(h, real.raw, nowOf(real))).toEqual({ ok: false, reason: 'unknown_serial' });
  });

  it('missing headers (each of the four)', () => {
    for (const name of ['wechatpay-timestamp', 'wechatpay-nonce', 'wechatpay-signature', 'wechatpay-serial']) {
      expect(verifier.verify(without(name), real.raw, nowOf(real))).toEqual({ ok: false, reason: 'missing_headers' });
    }
    expect(verifier.verify({}, Buffer.alloc(0))).toEqual({ ok: false, reason: 'missing_headers' });
  });

  it('body with an extra space after signing; one flipped ciphertext byte without re-signing', () => {
    expect(verifier.verify(real.headers, Buffer.concat([real.raw, Buffer.from(' ')]), nowOf(real))).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
    const text = real.raw.toString();
    const flipped = text.replace(/"ciphertext":"(.)/, (_m, c: string) => `"ciphertext":"${c === 'A' ? 'B' : 'A'}`);
    expect(verifier.verify(real.headers, Buffer.from(flipped), nowOf(real))).toEqual({ ok: false, reason: 'bad_signature' });
    const otherSignature = { ...real.headers, 'wechatpay-nonce': 'x'.repeat(32) };
    expect(verifier.verify(otherSignature, real.raw, nowOf(real))).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('correctly signed but one ciphertext byte flipped → decrypt_failed (GCM tag)', () => {
    const env = JSON.parse(envelope()) as { resource: { ciphertext: string } };
    const bytes = Buffer.from(env.resource.ciphertext, 'base64');
    bytes[3] = (bytes[3] ?? 0) ^ 0x01;
    env.resource.ciphertext = bytes.toString('base64');
    const body = JSON.stringify(env);
    expect(verifier.verify(signed(body), Buffer.from(body))).toEqual({ ok: false, reason: 'decrypt_failed' });
  });

  it('correctly signed but the wrong associated_data → decrypt_failed', () => {
    const env = JSON.parse(envelope()) as { resource: { associated_data: string } };
    env.resource.associated_data = 'refund';
    const body = JSON.stringify(env);
    expect(verifier.verify(signed(body), Buffer.from(body))).toEqual({ ok: false, reason: 'decrypt_failed' });
  });

  it('correctly signed envelopes that are not AEAD_AES_256_GCM resources → bad_envelope', () => {
    const env = JSON.parse(envelope()) as { resource: Record<string, unknown> };
    const variants = [
      'not json',
      '[]',
      JSON.stringify({ ...env, resource: { ...env.resource, algorithm: 'AEAD_AES_128_GCM' } }),
      JSON.stringify({ ...env, resource: { ...env.resource, nonce: 12 } }),
      JSON.stringify({ ...env, resource: undefined }),
      JSON.stringify({ ...env, id: undefined }),
    ];
    for (const body of variants) expect(verifier.verify(signed(body), Buffer.from(body))).toEqual({ ok: false, reason: 'bad_envelope' });
  });

  it('a correctly signed envelope built with the simulator helpers verifies, in public-key mode too', () => {
    const body = envelope({ rawBodyTrap: true });
    expect(verifier.verify(signed(body), Buffer.from(body))).toMatchObject({ ok: true, eventId: 'EV-2026-test' });
    const plain = createNotificationVerifier({ apiV3Key: DEFAULT_MERCHANT.apiV3Key, platformKeys: keys });
    expect(plain.verify(signed(body, { serial: DEFAULT_PLATFORM.publicKeyId }), Buffer.from(body)).ok).toBe(true);
    // The pay client above runs in certificate mode: it does not know the PUB_KEY_ID.
    expect(verifier.verify(signed(body, { serial: DEFAULT_PLATFORM.publicKeyId }), Buffer.from(body))).toEqual({
      ok: false,
      reason: 'unknown_serial',
    });
  });

  it('a wrong APIv3 key → decrypt_failed; a key that is not 32 bytes is refused at construction', () => {
    const other = createNotificationVerifier({ apiV3Key: 'x'.repeat(32), platformKeys: keys });
    expect(other.verify(real.headers, real.raw, nowOf(real))).toEqual({ ok: false, reason: 'decrypt_failed' });
    expect(() => createNotificationVerifier({ apiV3Key: 'short', platformKeys: keys })).toThrow(/32 bytes/);
  });

  it('never throws, whatever arrives (property)', () => {
    const headerValue = fc.oneof(fc.string(), fc.array(fc.string(), { maxLength: 3 }), fc.constant(undefined));
    const name = fc.constantFrom(
      'wechatpay-timestamp',
      'wechatpay-nonce',
      'wechatpay-signature',
      'wechatpay-serial',
      'Wechatpay-Signature-Type',
      'x',
    );
    fc.assert(
      fc.property(fc.dictionary(name, headerValue), fc.uint8Array({ maxLength: 300 }), fc.integer(), (h, body, now) => {
        const merged = { ...real.headers, ...h };
        const check = verifier.verify(merged, Buffer.from(body), now);
        expect(typeof check.ok).toBe('boolean');
      }),
      { numRuns: 300 },
    );
  });
});

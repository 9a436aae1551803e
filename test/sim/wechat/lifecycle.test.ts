/**
 * Lifecycle and configuration: defaults the Jifen server must match, reset(), close() leaving no timers,
 * the clock override, and the standalone runner.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_MERCHANT,
  DEFAULT_PLATFORM,
  DEFAULT_PORT,
  KEY_FILES,
  startWechatSimulator,
  v2Call,
  type JifenWechatConfig,
} from './index.js';
import { clientFor, startTestMerchant, uniqueNo } from './testkit.js';

describe('lifecycle', () => {
  it('exposes the defaults the Jifen server must be configured with', async () => {
    expect(DEFAULT_PORT).toBe(3100);
    const sim = await startWechatSimulator({ port: 0 });
    try {
      expect(sim.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const fromHttp = (await (await fetch(`${sim.url}/__control/config`)).json()) as JifenWechatConfig;
      expect(fromHttp).toEqual(sim.jifenConfig());
      expect(fromHttp).toMatchObject({
        baseUrl: sim.url,
        mchid: '1900000001',
        appid: 'wxd0000000000jifen',
        merchantSerialNo: DEFAULT_MERCHANT.serialNo,
        apiV3Key: DEFAULT_MERCHANT.apiV3Key,
        apiV2Key: DEFAULT_MERCHANT.apiV2Key,
        merchantPrivateKeyFile: KEY_FILES.merchantPrivateKey,
        keyMode: 'certificate',
        platformCertificates: [expect.objectContaining({ serialNo: DEFAULT_PLATFORM.certificateSerial, active: true })],
        platformPublicKeys: [expect.objectContaining({ publicKeyId: DEFAULT_PLATFORM.publicKeyId, active: true })],
      });
      expect(Buffer.byteLength(DEFAULT_MERCHANT.apiV3Key)).toBe(32);
    } finally {
      await sim.close();
    }
  });

  it('close() cancels pending retries, refund and payment-code timers, and in-flight deliveries', async () => {
    const sim = await startWechatSimulator({ port: 0, refund: { delayMs: 60_000 }, micropay: { userPayingMs: 60_000 } });
    const merchant = await startTestMerchant(sim, () => ({ status: 500 }));
    const client = clientFor(sim);
    const no = uniqueNo();
    await client.request('POST', '/v3/pay/transactions/native', {
      appid: DEFAULT_MERCHANT.appid,
      mchid: DEFAULT_MERCHANT.mchid,
      description: 'x',
      out_trade_no: no,
      notify_url: merchant.notifyUrl,
      amount: { total: 100 },
    });
    sim.pay(no);
    await sim.waitForDeliveries({ outTradeNo: no }, 1);
    await client.request('POST', '/v3/refund/domestic/refunds', {
      out_trade_no: no,
      out_refund_no: uniqueNo('RF'),
      amount: { refund: 1, total: 100, currency: 'CNY' },
    });
    const code = '134567890123456789';
    sim.micropayScenario(code, 'USERPAYING_THEN_SUCCESS');
    const mp = await v2Call(
      sim.url,
      '/pay/micropay',
      {
        appid: DEFAULT_MERCHANT.appid,
        mch_id: DEFAULT_MERCHANT.mchid,
        body: 'x',
        out_trade_no: uniqueNo('MP'),
        total_fee: 1,
        spbill_create_ip: '1.1.1.1',
        auth_code: code,
      },
      DEFAULT_MERCHANT.apiV2Key,
    );
    expect(mp.fields['err_code']).toBe('USERPAYING');
    // retry (15 s), refund outcome (60 s), password (60 s): at least three simulator timers are pending.
    expect(sim.pendingTimers()).toBeGreaterThanOrEqual(3);
    await sim.close();
    await sim.close();
    await merchant.close();
    expect(sim.pendingTimers()).toBe(0);
  });

  it('reset() forgets orders and stops pending retries', async () => {
    const sim = await startWechatSimulator({ port: 0, timeFactor: 0.01 });
    const merchant = await startTestMerchant(sim, () => ({ status: 500 }));
    try {
      const no = uniqueNo();
      await clientFor(sim).request('POST', '/v3/pay/transactions/native', {
        appid: DEFAULT_MERCHANT.appid,
        mchid: DEFAULT_MERCHANT.mchid,
        description: 'x',
        out_trade_no: no,
        notify_url: merchant.notifyUrl,
        amount: { total: 100 },
      });
      sim.pay(no);
      await merchant.waitFor(1);
      sim.reset();
      await new Promise((r) => setTimeout(r, 500));
      expect(merchant.received).toHaveLength(1);
      expect(sim.orders()).toEqual([]);
      expect(sim.deliveries()).toEqual([]);
    } finally {
      await merchant.close();
      await sim.close();
    }
  });

  it('reset() during a beforeResponse notification does not leave the create-order request hanging', async () => {
    const sim = await startWechatSimulator({ port: 0 });
    const merchant = await startTestMerchant(sim);
    try {
      sim.setFaults({ beforeResponse: true, delayMs: 60_000 });
      const pending = clientFor(sim).request('POST', '/v3/pay/transactions/native', {
        appid: DEFAULT_MERCHANT.appid,
        mchid: DEFAULT_MERCHANT.mchid,
        description: 'x',
        out_trade_no: uniqueNo(),
        notify_url: merchant.notifyUrl,
        amount: { total: 100 },
      });
      await new Promise((r) => setTimeout(r, 100));
      sim.reset();
      expect((await pending).status).toBe(200);
      expect(merchant.received).toHaveLength(0);
    } finally {
      await merchant.close();
      await sim.close();
    }
  });

  it('follows an overridden clock for signatures and request freshness', async () => {
    const fixed = Date.parse('2026-01-01T00:00:00Z');
    const sim = await startWechatSimulator({ port: 0, now: () => fixed });
    try {
      const stale = await clientFor(sim, { timestamp: () => Math.floor(Date.now() / 1000) }).request('GET', '/v3/certificates');
      expect(stale.status).toBe(401);
      const ok = await clientFor(sim).request('GET', '/v3/certificates');
      expect(ok.status).toBe(200);
      expect(ok.headers.get('wechatpay-timestamp')).toBe(String(fixed / 1000));
    } finally {
      await sim.close();
    }
  });

  it('runs standalone (main.ts) and stops cleanly on SIGTERM', async () => {
    const main = fileURLToPath(new URL('./main.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', main, '--port', '0', '--quiet', '--key-mode', 'mixed'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no start line: ${out}`)), 15_000);
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /WeChat simulator on (http:\/\/[\d.]+:\d+)/.exec(out);
        if (m?.[1]) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      });
    });
    const cfg = (await (await fetch(`${url}/__control/config`)).json()) as JifenWechatConfig;
    expect(cfg.keyMode).toBe('mixed');
    const code = await new Promise<number | null>((resolve) => {
      child.once('exit', (c) => resolve(c));
      child.kill('SIGTERM');
    });
    expect(code).toBe(0);
  });
});

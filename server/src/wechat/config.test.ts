import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { WxConfigError, loadMiniProgramConfig, loadWxPayConfig, type WxEnv } from './config.js';
import { DEFAULT_MERCHANT, DEFAULT_PLATFORM, KEY_FILES } from './testing/simulator.js';

const base: WxEnv = {
  WXPAY_MCHID: DEFAULT_MERCHANT.mchid,
  WXPAY_MERCHANT_KEY_FILE: KEY_FILES.merchantPrivateKey,
  WXPAY_MERCHANT_SERIAL: DEFAULT_MERCHANT.serialNo,
  WXPAY_APIV3_KEY: DEFAULT_MERCHANT.apiV3Key,
  WXPAY_NOTIFY_BASE: 'https://jifen.example.com/',
  WECHAT_APPID: DEFAULT_MERCHANT.appid,
};

const fails = (env: WxEnv): string => {
  try {
    loadWxPayConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(WxConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a WxConfigError');
};

describe('loadWxPayConfig', () => {
  it('null when WeChat Pay is not configured (WXPAY_BASE_URL alone has a default and does not count)', () => {
    expect(loadWxPayConfig({})).toBeNull();
    expect(
      loadWxPayConfig({ WXPAY_BASE_URL: 'https://api.mch.weixin.qq.com', WXPAY_MCHID: '  ', WECHAT_APPID: 'wxd0000000000jifen' }),
    ).toBeNull();
  });

  it('certificate download mode: keys parsed once, defaults filled, trailing slashes dropped', () => {
    const cfg = loadWxPayConfig(base);
    expect(cfg).toMatchObject({
      mchid: '1900000001',
      appid: 'wxd0000000000jifen',
      baseUrl: 'https://api.mch.weixin.qq.com',
      merchantSerial: DEFAULT_MERCHANT.serialNo,
      apiV2Key: null,
      notifyBase: 'https://jifen.example.com',
      platformCertificates: [],
      publicKey: null,
      certificateDownload: 'required',
      secapiTls: null,
    });
    expect(cfg?.merchantPrivateKey.type).toBe('private');
  });

  it('both key modes at once (migration): every platform key kept under its serial / id', () => {
    const cfg = loadWxPayConfig({
      ...base,
      WXPAY_PLATFORM_CERT_FILE: KEY_FILES.platformCertificate,
      WXPAY_PUBLIC_KEY_FILE: KEY_FILES.platformPublicKey,
      WXPAY_PUBLIC_KEY_ID: DEFAULT_PLATFORM.publicKeyId,
      WXPAY_APIV2_KEY: DEFAULT_MERCHANT.apiV2Key,
      WXPAY_MERCHANT_CERT_FILE: KEY_FILES.merchantCertificate,
      WXPAY_MERCHANT_SERIAL: DEFAULT_MERCHANT.serialNo.toLowerCase(),
    });
    expect(cfg?.platformCertificates.map((c) => c.serial)).toEqual([DEFAULT_PLATFORM.certificateSerial]);
    expect(cfg?.publicKey?.serial).toBe(DEFAULT_PLATFORM.publicKeyId);
    expect(cfg?.certificateDownload).toBe('optional');
    expect(cfg?.merchantSerial).toBe(DEFAULT_MERCHANT.serialNo);
    expect(cfg?.apiV2Key).toBe(DEFAULT_MERCHANT.apiV2Key);
    expect(cfg?.secapiTls?.cert).toContain('BEGIN CERTIFICATE');
  });

  it('half-configured: names every missing variable', () => {
    const msg = fails({ WXPAY_MCHID: '1900000001', WXPAY_APIV3_KEY: DEFAULT_MERCHANT.apiV3Key });
    const missing = msg.slice(0, msg.indexOf(' missing'));
    for (const name of ['WXPAY_MERCHANT_KEY_FILE', 'WXPAY_MERCHANT_SERIAL', 'WXPAY_NOTIFY_BASE', 'WECHAT_APPID'])
      expect(missing).toContain(name);
    expect(missing).not.toContain('WXPAY_MCHID');
    expect(missing).not.toContain('WXPAY_APIV3_KEY');
  });

  it('invalid values name their variable', () => {
    expect(fails({ ...base, WXPAY_APIV3_KEY: 'x'.repeat(31) })).toMatch(/^WXPAY_APIV3_KEY: must be exactly 32 bytes \(got 31\)/);
    expect(fails({ ...base, WXPAY_APIV3_KEY: '积'.repeat(11) })).toMatch(/WXPAY_APIV3_KEY.*got 33/);
    expect(fails({ ...base, WXPAY_APIV2_KEY: 'short' })).toMatch(/^WXPAY_APIV2_KEY/);
    expect(fails({ ...base, WXPAY_MERCHANT_KEY_FILE: '/nonexistent/apiclient_key.pem' })).toMatch(
      /^WXPAY_MERCHANT_KEY_FILE: cannot read \/nonexistent/,
    );
    expect(fails({ ...base, WXPAY_MERCHANT_KEY_FILE: KEY_FILES.platformCertificate })).toMatch(
      /^WXPAY_MERCHANT_KEY_FILE: .* not a PEM private key/,
    );
    expect(fails({ ...base, WXPAY_PUBLIC_KEY_FILE: KEY_FILES.platformPublicKey })).toMatch(/^WXPAY_PUBLIC_KEY_ID: missing/);
    expect(fails({ ...base, WXPAY_PUBLIC_KEY_ID: DEFAULT_PLATFORM.publicKeyId })).toMatch(/^WXPAY_PUBLIC_KEY_FILE: missing/);
    expect(fails({ ...base, WXPAY_PUBLIC_KEY_FILE: KEY_FILES.platformPublicKey, WXPAY_PUBLIC_KEY_ID: '440024045C' })).toMatch(
      /^WXPAY_PUBLIC_KEY_ID/,
    );
    expect(fails({ ...base, WXPAY_PLATFORM_CERT_FILE: KEY_FILES.merchantPrivateKey })).toMatch(
      /^WXPAY_PLATFORM_CERT_FILE .*no PEM certificate/,
    );
    expect(fails({ ...base, WXPAY_PLATFORM_CERT_FILE: KEY_FILES.merchantCertificate })).toMatch(/merchant certificate/);
    expect(fails({ ...base, WXPAY_NOTIFY_BASE: 'jifen.example.com' })).toMatch(/^WXPAY_NOTIFY_BASE: not a URL/);
    expect(fails({ ...base, WXPAY_NOTIFY_BASE: 'https://jifen.example.com/?x=1' })).toMatch(/^WXPAY_NOTIFY_BASE: must not carry a query/);
    expect(fails({ ...base, WXPAY_BASE_URL: 'ftp://x' })).toMatch(/^WXPAY_BASE_URL/);
    expect(fails({ ...base, WXPAY_MCHID: 'mch-1' })).toMatch(/^WXPAY_MCHID/);
    expect(fails({ ...base, WXPAY_MERCHANT_SERIAL: 'not-hex' })).toMatch(/^WXPAY_MERCHANT_SERIAL/);
    expect(fails({ ...base, WXPAY_MERCHANT_CERT_FILE: KEY_FILES.platformCertificate })).toMatch(
      /^WXPAY_MERCHANT_SERIAL: .* is not the serial of WXPAY_MERCHANT_CERT_FILE/,
    );
  });

  it('a certificate file may hold several certificates (rotation)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'jifen-wx-'));
    const file = join(dir, 'platform.pem');
    writeFileSync(file, readFileSync(KEY_FILES.platformCertificate, 'utf8') + '\n' + readFileSync(KEY_FILES.merchantCertificate, 'utf8'));
    const cfg = loadWxPayConfig({ ...base, WXPAY_MERCHANT_SERIAL: 'ABCDEF01', WXPAY_PLATFORM_CERT_FILE: file });
    expect(cfg?.platformCertificates.map((c) => c.serial)).toEqual([DEFAULT_PLATFORM.certificateSerial, DEFAULT_MERCHANT.serialNo]);
  });
});

describe('loadMiniProgramConfig', () => {
  it('null without a secret; appid + secret + default API base otherwise; a secret without appid is an error', () => {
    expect(loadMiniProgramConfig({})).toBeNull();
    expect(loadMiniProgramConfig({ WECHAT_APPID: 'wxd0000000000jifen' })).toBeNull();
    expect(
      loadMiniProgramConfig({ WECHAT_APPID: 'wxd0000000000jifen', WECHAT_APPSECRET: 's3cret', WECHAT_API_BASE: 'http://127.0.0.1:3100/' }),
    ).toEqual({
      appid: 'wxd0000000000jifen',
      secret: 's3cret',
      apiBase: 'http://127.0.0.1:3100',
    });
    expect(loadMiniProgramConfig({ WECHAT_APPID: 'wxd0000000000jifen', WECHAT_APPSECRET: 's' })?.apiBase).toBe('https://api.weixin.qq.com');
    expect(() => loadMiniProgramConfig({ WECHAT_APPSECRET: 's' })).toThrow(/^WECHAT_APPID: missing/);
  });
});

/**
 * Both directions of WeChat Pay v3 authentication:
 * - verifying a merchant's signed request (§1), exactly as WeChat would, with the error WeChat gives;
 * - choosing the platform key that signs a response or a notification (§2): platform certificate(s),
 *   WeChat Pay public key(s), or a mix during a migration, with rotation (several serials at once).
 */
import { X509Certificate, createPublicKey, type KeyObject } from 'node:crypto';
import {
  aesGcmEncrypt,
  buildRequestMessage,
  parseAuthorization,
  randomNonce,
  rsaVerify,
  toPrivateKey,
  MAX_CLOCK_SKEW_SEC,
} from './crypto.js';
import { rfc3339China } from './clock.js';
import { V3Error, type Route, type SimRequest } from './http.js';
import type { KeyMode, MerchantConfig, PlatformCertificateInput, PlatformPublicKeyInput } from './config.js';

export interface PlatformSigner {
  kind: 'certificate' | 'publicKey';
  /** Certificate serial or PUB_KEY_ID_…: what goes into `Wechatpay-Serial`. */
  serial: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
}

export interface PlatformCertificate extends PlatformSigner {
  kind: 'certificate';
  certificatePem: string;
  effectiveMs: number;
  expireMs: number;
}

export interface PlatformPublicKey extends PlatformSigner {
  kind: 'publicKey';
  publicKeyPem: string;
}

/**
 * Deterministic "share" selection: an error-diffusion accumulator instead of Math.random, so a share of 0.5
 * alternates exactly and tests asserting "both kinds appear" never flake.
 */
export class ShareAccumulator {
  #acc = 0;

  take(share: number): boolean {
    if (share <= 0) return false;
    this.#acc += share;
    if (this.#acc >= 1 - 1e-9) {
      this.#acc -= 1;
      return true;
    }
    return false;
  }

  reset(): void {
    this.#acc = 0;
  }
}

export class PlatformKeys {
  #certs: PlatformCertificate[] = [];
  #pubs: PlatformPublicKey[] = [];
  #activeCert: string | undefined;
  #activePub: string | undefined;
  readonly #mixed = new ShareAccumulator();

  constructor(
    private readonly initialCerts: PlatformCertificateInput[],
    private readonly initialPubs: PlatformPublicKeyInput[],
  ) {
    this.reset();
  }

  /** Back to the configured keys (rotation additions are dropped). */
  reset(): void {
    this.#certs = [];
    this.#pubs = [];
    this.#activeCert = undefined;
    this.#activePub = undefined;
    this.#mixed.reset();
    for (const c of this.initialCerts) this.addCertificate(c);
    for (const p of this.initialPubs) this.addPublicKey(p);
  }

  /** Adds a platform certificate (rotation). The newest becomes active unless `activate` is false. */
  addCertificate(input: PlatformCertificateInput, activate = true): string {
    const x509 = new X509Certificate(input.certificatePem);
    const privateKey = toPrivateKey(input.privateKeyPem);
    if (!x509.checkPrivateKey(privateKey)) throw new Error('platform certificate does not match its private key');
    const serial = x509.serialNumber.toUpperCase();
    this.#certs = this.#certs.filter((c) => c.serial !== serial);
    this.#certs.push({
      kind: 'certificate',
      serial,
      privateKey,
      publicKey: x509.publicKey,
      certificatePem: input.certificatePem,
      effectiveMs: Date.parse(x509.validFrom),
      expireMs: Date.parse(x509.validTo),
    });
    if (activate || this.#activeCert === undefined) this.#activeCert = serial;
    return serial;
  }

  /** Adds a WeChat Pay public key (public-key mode) under its PUB_KEY_ID. */
  addPublicKey(input: PlatformPublicKeyInput, activate = true): string {
    if (!/^PUB_KEY_ID_\d+$/.test(input.publicKeyId)) throw new Error(`not a PUB_KEY_ID: ${input.publicKeyId}`);
    const privateKey = toPrivateKey(input.privateKeyPem);
    const publicKey = createPublicKey(privateKey);
    this.#pubs = this.#pubs.filter((p) => p.serial !== input.publicKeyId);
    this.#pubs.push({
      kind: 'publicKey',
      serial: input.publicKeyId,
      privateKey,
      publicKey,
      publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    });
    if (activate || this.#activePub === undefined) this.#activePub = input.publicKeyId;
    return input.publicKeyId;
  }

  /** Makes a known certificate serial or PUB_KEY_ID the one that signs. */
  activate(serialOrId: string): void {
    if (this.#certs.some((c) => c.serial === serialOrId)) this.#activeCert = serialOrId;
    else if (this.#pubs.some((p) => p.serial === serialOrId)) this.#activePub = serialOrId;
    else throw new Error(`unknown platform serial ${serialOrId}`);
  }

  certificates(): readonly PlatformCertificate[] {
    return this.#certs;
  }

  publicKeys(): readonly PlatformPublicKey[] {
    return this.#pubs;
  }

  /** Every serial / PUB_KEY_ID → public key; what a correct merchant verifier holds. */
  verificationKeys(): Map<string, KeyObject> {
    return new Map([...this.#certs, ...this.#pubs].map((k) => [k.serial, k.publicKey]));
  }

  activeCertificate(): PlatformCertificate | undefined {
    return this.#certs.find((c) => c.serial === this.#activeCert);
  }

  activePublicKey(): PlatformPublicKey | undefined {
    return this.#pubs.find((p) => p.serial === this.#activePub);
  }

  #cert(): PlatformSigner {
    const c = this.activeCertificate();
    if (!c) throw new Error('certificate mode needs a platform certificate');
    return c;
  }

  #pub(): PlatformSigner {
    const p = this.activePublicKey();
    if (!p) throw new Error('public-key mode needs a platform public key');
    return p;
  }

  /**
   * Response key (§2 migration rules): public-key mode → public key; certificate mode → certificate;
   * mixed → the public key only when the request names a PUB_KEY_ID in `Wechatpay-Serial`.
   */
  responseSigner(mode: KeyMode, requestSerial: string | undefined): PlatformSigner {
    if (mode === 'publicKey') return this.#pub();
    if (mode === 'certificate') return this.#cert();
    return requestSerial?.startsWith('PUB_KEY_ID_') ? this.#pub() : this.#cert();
  }

  /** Notification key: in mixed mode a `share` of deliveries is signed with the public key. */
  notificationSigner(mode: KeyMode, share: number): PlatformSigner {
    if (mode === 'publicKey') return this.#pub();
    if (mode === 'certificate') return this.#cert();
    return this.#mixed.take(share) ? this.#pub() : this.#cert();
  }
}

export type RequestAuth = { ok: true; mchid: string } | { ok: false; error: V3Error };

function header(req: SimRequest, name: string): string | undefined {
  const v = req.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * Verifies a merchant request the way WeChat does (§1): Accept/User-Agent present (400 INVALID_REQUEST),
 * then Authorization → known mchid, the merchant certificate serial, a timestamp within 300 s, and the
 * SHA256withRSA signature over METHOD/raw URL/ts/nonce/RAW body bytes (401 SIGN_ERROR).
 */
export function verifyMerchantRequest(req: SimRequest, merchants: ReadonlyMap<string, MerchantConfig>, nowSec: number): RequestAuth {
  if (!header(req, 'accept') || !header(req, 'user-agent')) {
    return { ok: false, error: new V3Error(400, 'INVALID_REQUEST', 'Http头缺少Accept或User-Agent') };
  }
  const signError = (message: string): RequestAuth => ({ ok: false, error: new V3Error(401, 'SIGN_ERROR', message) });
  const parsed = parseAuthorization(header(req, 'authorization'));
  if (!parsed.ok) return signError(`错误的签名，验签失败: ${parsed.reason}`);
  const auth = parsed.value;
  const merchant = merchants.get(auth.mchid);
  if (!merchant) return signError(`商户号 ${auth.mchid} 不存在或未开通APIv3`);
  if (auth.serial_no !== merchant.serial) return signError(`商户证书序列号 ${auth.serial_no} 有误或已过期`);
  if (!/^\d{1,10}$/.test(auth.timestamp)) return signError('时间戳格式错误，应为10位秒级Unix时间戳');
  if (Math.abs(nowSec - Number(auth.timestamp)) > MAX_CLOCK_SKEW_SEC) return signError('请求时间戳与当前时间相差过大，请检查系统时间');
  if (!auth.nonce_str) return signError('随机串不能为空');
  const message = buildRequestMessage(req.method, req.rawUrl, auth.timestamp, auth.nonce_str, req.body);
  if (!rsaVerify(message, auth.signature, merchant.publicKey)) return signError('错误的签名，验签失败');
  return { ok: true, mchid: auth.mchid };
}

/**
 * `GET /v3/certificates` (certificate mode and mixed mode): every platform certificate, each encrypted with the
 * APIv3 key (aad "certificate"), so a merchant can rotate. In pure public-key mode there are none to download.
 */
export function certificatesRoute(keys: PlatformKeys, settings: { keyMode: KeyMode }, apiV3Key: string): Route {
  return {
    kind: 'v3',
    method: 'GET',
    pattern: /^\/v3\/certificates$/,
    handle: () => ({
      status: 200,
      json: {
        data:
          settings.keyMode === 'publicKey'
            ? []
            : keys.certificates().map((c) => {
                const nonce = randomNonce(12, '0123456789abcdef');
                return {
                  serial_no: c.serial,
                  effective_time: rfc3339China(c.effectiveMs),
                  expire_time: rfc3339China(c.expireMs),
                  encrypt_certificate: {
                    algorithm: 'AEAD_AES_256_GCM',
                    nonce,
                    associated_data: 'certificate',
                    ciphertext: aesGcmEncrypt(c.certificatePem, apiV3Key, nonce, 'certificate'),
                  },
                };
              }),
      },
    }),
  };
}

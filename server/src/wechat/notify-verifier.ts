/**
 * Notification verification (§2, §3, §8), over the RAW body bytes exactly as they arrived: the signature
 * covers `ts\nnonce\nBODY\n`, and a body that was parsed and re-serialised (key order, spacing, \u escapes)
 * no longer matches. Order of checks: headers → probe → known serial → ±300 s → signature → envelope →
 * AES-256-GCM (tag checked). Nothing is decrypted or parsed before the signature holds.
 *
 * verify() never throws: every input, however broken, maps to a reason the route logs before answering
 * 4xx (WeChat then redelivers, correctly signed after a probe).
 */
import type { KeyObject } from 'node:crypto';
import type { NotificationCheck, NotificationVerifier } from './types.js';
import { aesGcmDecrypt, apiV3KeyObject, checkWechatpaySignature, MAX_CLOCK_SKEW_SECONDS, type PlatformKeyLookup } from './wx-crypto.js';

export interface NotificationVerifierOptions {
  apiV3Key: string;
  /**
   * serial / PUB_KEY_ID → public key. Pass the pay client's `platformKeys` store (not a copy) so certificates
   * it downloads later, after a rotation, are trusted here too. A plain Map works for tests.
   */
  platformKeys: PlatformKeyLookup;
  maxSkewSeconds?: number;
  /** Clock for when verify() is called without nowSeconds (tests). */
  now?: () => number;
}

interface Envelope {
  id: string;
  eventType: string;
  resource: { nonce: string; associatedData: string; ciphertext: string };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The envelope fields we rely on; anything else (summary, create_time…) is ignored. */
function parseEnvelope(rawBody: Buffer): Envelope | null {
  let json: unknown;
  try {
    json = JSON.parse(rawBody.toString('utf8'));
  } catch {
    return null;
  }
  if (!isRecord(json) || typeof json['id'] !== 'string' || typeof json['event_type'] !== 'string') return null;
  const r = json['resource'];
  if (!isRecord(r) || r['algorithm'] !== 'AEAD_AES_256_GCM') return null;
  const { nonce, ciphertext } = r;
  // associated_data is documented as optional (""), but observed on every real notification.
  const aad = r['associated_data'] ?? '';
  if (typeof nonce !== 'string' || nonce === '' || typeof ciphertext !== 'string' || ciphertext === '' || typeof aad !== 'string')
    return null;
  return { id: json['id'], eventType: json['event_type'], resource: { nonce, associatedData: aad, ciphertext } };
}

export function createNotificationVerifier(options: NotificationVerifierOptions): NotificationVerifier {
  // Parsed once: a secret KeyObject for AES, the platform keys are KeyObjects already.
  const aesKey: KeyObject = apiV3KeyObject(options.apiV3Key);
  const maxSkewSeconds = options.maxSkewSeconds ?? MAX_CLOCK_SKEW_SECONDS;
  const clock = options.now ?? (() => Date.now());

  return {
    verify(headers, rawBody, nowSeconds): NotificationCheck {
      try {
        const body = Buffer.isBuffer(rawBody) ? rawBody : Buffer.alloc(0);
        const sig = checkWechatpaySignature({
          headers,
          rawBody: body,
          keys: options.platformKeys,
          nowSeconds: nowSeconds ?? Math.floor(clock() / 1000),
          maxSkewSeconds,
        });
        if (!sig.ok) return { ok: false, reason: sig.reason };

        const envelope = parseEnvelope(body);
        if (!envelope) return { ok: false, reason: 'bad_envelope' };

        let resource: unknown;
        try {
          const plain = aesGcmDecrypt(aesKey, envelope.resource.ciphertext, envelope.resource.nonce, envelope.resource.associatedData);
          resource = JSON.parse(plain.toString('utf8'));
        } catch {
          return { ok: false, reason: 'decrypt_failed' };
        }
        return { ok: true, eventId: envelope.id, eventType: envelope.eventType, resource };
      } catch {
        // Defensive: a header bag with a hostile getter or similar. Still an answer, never an exception.
        return { ok: false, reason: 'bad_envelope' };
      }
    },
  };
}

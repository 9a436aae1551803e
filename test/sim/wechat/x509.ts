/**
 * A minimal self-signed X.509 v3 certificate builder (RSA, sha256WithRSAEncryption), DER by hand.
 *
 * Why: node:crypto can parse certificates but not create them, and platform-certificate rotation tests need a
 * second certificate with a fresh serial. The bundled public test certificates also expired in 2025, so a
 * merchant that checks validity can be given a current one. Only what a certificate minimally needs is
 * encoded: version, serial, algorithm, issuer = subject (CN, O), validity, SPKI. No extensions.
 */
import { createPublicKey, randomBytes, sign, type KeyObject } from 'node:crypto';
import { toPrivateKey, type KeyInput } from './crypto.js';

function derLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function tlv(tag: number, content: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), derLength(content.length), content]);
}

const seq = (...items: Buffer[]): Buffer => tlv(0x30, Buffer.concat(items));
const set = (...items: Buffer[]): Buffer => tlv(0x31, Buffer.concat(items));

function derInteger(bytes: Buffer): Buffer {
  // A DER INTEGER is two's complement: prefix 0x00 when the high bit is set so it stays positive.
  const first = bytes[0] ?? 0;
  return tlv(0x02, first & 0x80 ? Buffer.concat([Buffer.from([0]), bytes]) : bytes);
}

function derOid(oid: string): Buffer {
  const parts = oid.split('.').map(Number);
  const [a = 0, b = 0, ...rest] = parts;
  const out = [40 * a + b];
  for (const n of rest) {
    const chunk: number[] = [n & 0x7f];
    for (let v = Math.floor(n / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift((v & 0x7f) | 0x80);
    out.push(...chunk);
  }
  return tlv(0x06, Buffer.from(out));
}

function derTime(ms: number): Buffer {
  const d = new Date(ms);
  const p2 = (n: number): string => String(n).padStart(2, '0');
  const body = `${p2(d.getUTCMonth() + 1)}${p2(d.getUTCDate())}${p2(d.getUTCHours())}${p2(d.getUTCMinutes())}${p2(d.getUTCSeconds())}Z`;
  const year = d.getUTCFullYear();
  // RFC 5280: UTCTime through 2049, GeneralizedTime from 2050 on.
  return year < 2050 ? tlv(0x17, Buffer.from(`${p2(year % 100)}${body}`)) : tlv(0x18, Buffer.from(`${year}${body}`));
}

function derName(commonName: string, organization: string): Buffer {
  const attr = (oid: string, value: string): Buffer => set(seq(derOid(oid), tlv(0x0c, Buffer.from(value, 'utf8'))));
  return seq(attr('2.5.4.6', 'CN'), attr('2.5.4.10', organization), attr('2.5.4.3', commonName));
}

export interface SelfSignedCertificateInput {
  privateKey: KeyInput;
  /** 40 hex chars like WeChat's serials; random (positive, no leading zero byte) when omitted. */
  serialHex?: string;
  commonName?: string;
  organization?: string;
  notBeforeMs?: number;
  notAfterMs?: number;
}

export function randomSerialHex(): string {
  const bytes = randomBytes(20);
  // Keep the serial positive and 20 bytes long so the hex form is always 40 upper-case characters.
  bytes[0] = ((bytes[0] ?? 0) & 0x7f) | 0x10;
  return bytes.toString('hex').toUpperCase();
}

/** Returns a PEM certificate for the key pair, signed by itself. */
export function createSelfSignedCertificate(input: SelfSignedCertificateInput): string {
  const privateKey: KeyObject = toPrivateKey(input.privateKey);
  const serialHex = input.serialHex ?? randomSerialHex();
  if (!/^[0-9A-Fa-f]+$/.test(serialHex) || serialHex.length % 2 !== 0) throw new Error('serialHex must be an even number of hex digits');
  const now = Date.now();
  const notBefore = input.notBeforeMs ?? now - 24 * 3600 * 1000;
  const notAfter = input.notAfterMs ?? now + 5 * 365 * 24 * 3600 * 1000;
  const name = derName(input.commonName ?? 'Tenpay.com Root CA (simulated)', input.organization ?? 'Jifen WeChat simulator');
  const algorithm = seq(derOid('1.2.840.113549.1.1.11'), Buffer.from([0x05, 0x00]));
  const spki = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
  const tbs = seq(
    tlv(0xa0, derInteger(Buffer.from([2]))),
    derInteger(Buffer.from(serialHex, 'hex')),
    algorithm,
    name,
    seq(derTime(notBefore), derTime(notAfter)),
    name,
    spki,
  );
  const signature = sign('sha256', tbs, privateKey);
  const der = seq(tbs, algorithm, tlv(0x03, Buffer.concat([Buffer.from([0]), signature])));
  const b64 = der.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '');
  return `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`;
}

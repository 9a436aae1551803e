/**
 * The WeChat Pay platform keys this process trusts, by `Wechatpay-Serial`: platform certificate serials
 * (upper-case hex) and WeChat Pay public-key ids (`PUB_KEY_ID_…`), side by side because during a migration
 * answers and notifications arrive signed by either (§2).
 *
 * One store is shared by the pay client (which adds certificates downloaded from /v3/certificates, at start
 * and on every refresh) and the notification verifier (which reads it on every call), so a rotated
 * certificate is trusted by both as soon as it has been downloaded. Keys are never dropped while the
 * process runs: WeChat keeps signing with the old certificate for a while after a rotation, and validity
 * dates are deliberately not enforced (the simulator's test certificate expired in 2025).
 */
import type { KeyObject } from 'node:crypto';
import type { PlatformKeyLookup } from './wx-crypto.js';

export type PlatformKeyKind = 'certificate' | 'publicKey';

export interface PlatformKeyEntry {
  serial: string;
  kind: PlatformKeyKind;
  key: KeyObject;
}

export class PlatformKeyStore implements PlatformKeyLookup {
  readonly #keys = new Map<string, PlatformKeyEntry>();
  readonly #listeners = new Set<() => void>();

  constructor(initial: Iterable<PlatformKeyEntry> = []) {
    for (const e of initial) this.#keys.set(e.serial, e);
  }

  get(serialOrId: string): KeyObject | undefined {
    return this.#keys.get(serialOrId)?.key;
  }

  has(serialOrId: string): boolean {
    return this.#keys.has(serialOrId);
  }

  get size(): number {
    return this.#keys.size;
  }

  serials(kind?: PlatformKeyKind): string[] {
    return [...this.#keys.values()].filter((e) => kind === undefined || e.kind === kind).map((e) => e.serial);
  }

  entries(): PlatformKeyEntry[] {
    return [...this.#keys.values()];
  }

  /** Adds keys; listeners run once when something actually changed. Returns the serials that were new. */
  add(entries: Iterable<PlatformKeyEntry>): string[] {
    const added: string[] = [];
    for (const e of entries) {
      const current = this.#keys.get(e.serial);
      if (current && current.key.equals(e.key)) continue;
      this.#keys.set(e.serial, e);
      added.push(e.serial);
    }
    if (added.length > 0) for (const l of this.#listeners) l();
    return added;
  }

  /** Called after every change (the pay client rebuilds its response verifier then). Returns an unsubscribe. */
  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}

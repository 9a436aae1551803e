/**
 * Products this till has looked up recently, so scanning goes on while the server is unreachable (cash
 * sales continue offline). Bounded (least recently used out first): the till never holds the whole
 * catalogue. Saved to one JSON file, a few seconds after the last change.
 */
import { readFileSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import type { Product } from '../shared/pos-api.js';

export class ProductCache {
  private readonly byCode = new Map<string, Product>();
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly path: string | null,
    private readonly max = 5_000,
    private readonly saveAfterMs = 3_000,
  ) {
    if (!path) return;
    try {
      const stored = JSON.parse(readFileSync(path, 'utf8')) as Product[];
      for (const p of stored) this.remember(p, false);
    } catch {
      // no cache yet, or a damaged one: it is only a cache
    }
  }

  get(code: string): Product | null {
    const p = this.byCode.get(code);
    if (!p) return null;
    this.byCode.delete(code);
    this.byCode.set(code, p);
    return p;
  }

  remember(product: Product, save = true): void {
    for (const code of new Set([product.barcode, product.sku])) {
      if (!code) continue;
      this.byCode.delete(code);
      this.byCode.set(code, product);
    }
    while (this.byCode.size > this.max) {
      const oldest = this.byCode.keys().next().value;
      if (oldest === undefined) break;
      this.byCode.delete(oldest);
    }
    if (save) this.scheduleSave();
  }

  /** Names containing the text (offline search over what the till has seen). */
  search(q: string, limit = 20): Product[] {
    const needle = q.trim().toLowerCase();
    if (!needle) return [];
    const seen = new Set<string>();
    const out: Product[] = [];
    for (const p of [...this.byCode.values()].reverse()) {
      if (seen.has(p.sku)) continue;
      seen.add(p.sku);
      if (p.name.toLowerCase().includes(needle) || p.sku.includes(needle) || p.barcode?.includes(needle)) out.push(p);
      if (out.length >= limit) break;
    }
    return out;
  }

  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (!this.path) return;
    const unique = [...new Map([...this.byCode.values()].map((p) => [p.sku, p])).values()];
    await writeFile(`${this.path}.tmp`, JSON.stringify(unique));
    await rename(`${this.path}.tmp`, this.path);
  }

  private scheduleSave(): void {
    if (!this.path || this.timer) return;
    this.timer = setTimeout(() => void this.flush().catch(() => undefined), this.saveAfterMs);
    this.timer.unref?.();
  }
}

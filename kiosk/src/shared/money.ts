/**
 * Till arithmetic, integer fen and points only (pure: used by the renderer and the device side).
 */

/** ￥ (U+FFE5, as receipts print it) with two decimals: 1234 → ￥12.34, -5 → -￥0.05. */
export function formatFen(amount: number): string {
  if (!Number.isSafeInteger(amount)) throw new RangeError(`fen must be an integer, got ${amount}`);
  const sign = amount < 0 ? '-' : '';
  const abs = Math.abs(amount);
  return `${sign}￥${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

/**
 * What a cashier types for an amount of money → fen: `20`, `20.5`, `20.50`, `￥20.50`, `20元`.
 * null for anything else (more than two decimals, negative, not a number, absurdly large).
 */
export function parseYuan(text: string): number | null {
  const m = /^\s*[￥¥]?\s*(\d{1,7})(?:\.(\d{0,2}))?\s*元?\s*$/.exec(text);
  if (!m) return null;
  const yuan = Number(m[1]);
  const cents = Number((m[2] ?? '').padEnd(2, '0'));
  return yuan * 100 + cents;
}

export interface SaleLineAmount {
  qty: number;
  unitPriceFen: number;
}

export function lineAmountFen(line: SaleLineAmount): number {
  return line.qty * line.unitPriceFen;
}

export function totalFen(lines: readonly SaleLineAmount[]): number {
  return lines.reduce((sum, l) => sum + lineAmountFen(l), 0);
}

export type ChangeResult = { ok: true; changeFen: number } | { ok: false; shortFen: number };

/** Cash tendered against the amount due: the change, or how much is still missing. */
export function computeChange(dueFen: number, tenderedFen: number): ChangeResult {
  if (!Number.isSafeInteger(dueFen) || dueFen < 0) throw new RangeError(`amount due must be a non-negative integer, got ${dueFen}`);
  if (!Number.isSafeInteger(tenderedFen) || tenderedFen < 0)
    throw new RangeError(`tendered must be a non-negative integer, got ${tenderedFen}`);
  return tenderedFen >= dueFen ? { ok: true, changeFen: tenderedFen - dueFen } : { ok: false, shortFen: dueFen - tenderedFen };
}

const NOTES_FEN = [1000, 2000, 5000, 10000] as const;

/**
 * Quick-tender buttons: the exact amount, then the next round sums a shopper hands over (the next
 * ￥10, ￥20, ￥50, ￥100 boundaries and one ￥100 note more), ascending, no duplicates, at most five.
 */
export function suggestTenders(dueFen: number): number[] {
  const out = new Set<number>([dueFen]);
  for (const note of NOTES_FEN) out.add(Math.ceil(dueFen / note) * note || note);
  out.add((Math.floor(dueFen / 10000) + 1) * 10000);
  return [...out]
    .filter((v) => v >= dueFen && v > 0)
    .sort((a, b) => a - b)
    .slice(0, 5);
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/** Points are spent in units worth whole fen: with 100 points = ￥1 that is 1 point; with 100 = ￥0.30, 10. */
export function pointUnit(pointValueFen: number): number {
  return 100 / gcd(pointValueFen, 100);
}

/** Fen that `points` pay for (pointValueFen = fen per 100 points). */
export function pointsToFen(points: number, pointValueFen: number): number {
  return Math.floor((points * pointValueFen) / 100);
}

/**
 * The most points this order may take when the server cannot preview it: at most `sharePercent` of the
 * total, no more than the member has, in whole-fen units.
 */
export function maxRedeemablePoints(orderFen: number, available: number, pointValueFen: number, sharePercent: number): number {
  if (pointValueFen <= 0 || available <= 0 || orderFen <= 0) return 0;
  const unit = pointUnit(pointValueFen);
  const capFen = Math.floor((orderFen * sharePercent) / 100);
  const byCap = Math.floor((capFen * 100) / pointValueFen);
  const best = Math.min(byCap, available);
  return best - (best % unit);
}

/** Integer fen (分). 100 fen = ￥1. Never a float. */
export type Fen = number & { readonly __brand: 'Fen' };
/** Integer points. */
export type Points = number & { readonly __brand: 'Points' };

export function fen(n: number): Fen {
  if (!Number.isSafeInteger(n)) throw new RangeError(`fen must be a safe integer, got ${n}`);
  return n as Fen;
}

export function points(n: number): Points {
  if (!Number.isSafeInteger(n)) throw new RangeError(`points must be a safe integer, got ${n}`);
  return n as Points;
}

/** ￥ (U+FFE5, prints on GB18030 printers) with two decimals: 12345 → "￥123.45", -5 → "-￥0.05". */
export function formatYuan(amount: number): string {
  const sign = amount < 0 ? '-' : '';
  const abs = Math.abs(amount);
  const yuan = Math.floor(abs / 100);
  const cents = String(abs % 100).padStart(2, '0');
  return `${sign}￥${yuan}.${cents}`;
}

/** Masks a mainland mobile number for display: 13812341234 → 138****1234. */
export function maskPhone(phone: string): string {
  const digits = phone.replace(/\D/g, '');
  if (digits.length < 7) return '****';
  return `${digits.slice(0, 3)}****${digits.slice(-4)}`;
}

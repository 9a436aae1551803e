/**
 * The referral code carried by a shared link (`?ref=ABCD2345`), a mini-program code (`scene=ref%3DABCD2345`
 * or a bare code as the scene) or a scanned link (`q=<encoded URL with ref=…>`). Codes are 8 letters/digits.
 */
export function referralFrom(params: Record<string, string | undefined>): string | null {
  const candidates = [params['ref'], params['scene'], params['q']];
  for (const raw of candidates) {
    const code = referralIn(raw);
    if (code) return code;
  }
  return null;
}

export function referralIn(raw: string | undefined | null): string | null {
  if (!raw) return null;
  let text = raw.trim();
  for (let i = 0; i < 2 && /%[0-9a-f]{2}/i.test(text); i++) {
    try {
      text = decodeURIComponent(text);
    } catch {
      break;
    }
  }
  const param = /(?:^|[?&#])ref=([A-Za-z0-9]{8})(?:$|[&#])/.exec(text);
  if (param) return param[1]!.toUpperCase();
  return /^[A-Za-z0-9]{8}$/.test(text) ? text.toUpperCase() : null;
}

/** "0315" or "3-15" → "03-15"; anything else is returned as typed (the schema reports it). */
export function normaliseBirthday(raw: string): string {
  const t = raw.trim();
  const compact = /^(\d{2})(\d{2})$/.exec(t);
  if (compact) return `${compact[1]}-${compact[2]}`;
  const loose = /^(\d{1,2})[-/.月](\d{1,2})日?$/.exec(t);
  if (loose) return `${loose[1]!.padStart(2, '0')}-${loose[2]!.padStart(2, '0')}`;
  return t;
}

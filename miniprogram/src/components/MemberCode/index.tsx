import { Button, Text, View } from '@tarojs/components';
import type { MemberCodeResponse } from '@jifen/shared';
import { useCallback, useEffect, useRef, useState } from 'react';
import { zh } from '../../i18n/zh';
import { getMemberCode } from '../../services/member';
import { Barcode } from '../Barcode';
import { ErrorNotice } from '../ErrorNotice';
import { QrCode } from '../QrCode';
import './index.scss';

/** The code on screen is replaced at least this often (the server accepts each for 60 s). */
export const MEMBER_CODE_REFRESH_MS = 30_000;
/** After a failed refresh, try again this soon. */
export const MEMBER_CODE_RETRY_MS = 10_000;

export interface MemberCodeProps {
  /** False while the page is hidden: no refreshes in the background. */
  active: boolean;
  /** For tests: a clock. */
  now?: () => number;
}

/**
 * The member code the cashier scans, as QR and Code 128 barcode. Fetched from the server (signed, expiring)
 * and replaced every 30 s — or sooner when the server says so — while the page is visible; a code past its
 * expiry is hidden rather than shown stale.
 */
export function MemberCode({ active, now = Date.now }: MemberCodeProps) {
  const [code, setCode] = useState<MemberCodeResponse | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [expired, setExpired] = useState(false);
  const [generation, setGeneration] = useState(0);
  const shown = useRef<MemberCodeResponse | null>(null);

  useEffect(() => {
    if (!active) return undefined;
    let cancelled = false;
    let refreshTimer: ReturnType<typeof setTimeout> | undefined;
    let expiryTimer: ReturnType<typeof setTimeout> | undefined;

    // Hide the code on screen once it expires, whatever happens to the refreshes meanwhile.
    const watchExpiry = () => {
      clearTimeout(expiryTimer);
      const current = shown.current;
      if (!current) return;
      const expiresIn = Date.parse(current.expiresAt) - now();
      if (!Number.isFinite(expiresIn)) return;
      if (expiresIn <= 0) {
        setExpired(true);
        return;
      }
      // setTimeout's delay is 32-bit: a longer one would fire at once.
      expiryTimer = setTimeout(() => !cancelled && setExpired(true), Math.min(expiresIn, 2 ** 31 - 1));
    };

    const load = async () => {
      clearTimeout(refreshTimer);
      try {
        const next = await getMemberCode();
        if (cancelled) return;
        shown.current = next;
        setCode(next);
        setError(null);
        setExpired(false);
        watchExpiry();
        const refreshMs = Math.min(Math.max(next.refreshAfterSeconds * 1000, 5_000), MEMBER_CODE_REFRESH_MS);
        refreshTimer = setTimeout(() => void load(), refreshMs);
      } catch (e) {
        if (cancelled) return;
        setError(e);
        watchExpiry();
        refreshTimer = setTimeout(() => void load(), MEMBER_CODE_RETRY_MS);
      }
    };
    void load();
    return () => {
      cancelled = true;
      clearTimeout(refreshTimer);
      clearTimeout(expiryTimer);
    };
  }, [active, generation, now]);

  const refresh = useCallback(() => setGeneration((g) => g + 1), []);
  const showCode = code !== null && !expired;

  return (
    <View id="member-code" className="member-code">
      <Text className="member-code__title">{zh.memberCode.title}</Text>
      {showCode ? (
        <View className="member-code__codes">
          <Barcode id="member-code-barcode" text={code.code} />
          <QrCode id="member-code-qr" text={code.code} size={400} />
        </View>
      ) : null}
      {expired && !error ? <Text className="member-code__expired">{zh.memberCode.expired}</Text> : null}
      {error ? <ErrorNotice id="member-code-error" error={error} onRetry={refresh} /> : null}
      <Text className="member-code__hint">{zh.memberCode.hint}</Text>
      <Text className="member-code__hint">{zh.memberCode.notPayment}</Text>
      <Button id="member-code-refresh" size="mini" className="member-code__refresh" onClick={refresh}>
        {zh.memberCode.refresh}
      </Button>
    </View>
  );
}

export default MemberCode;

import Taro from '@tarojs/taro';
import { Button, Input, Text, View } from '@tarojs/components';
import type { ClaimResponse } from '@jifen/shared';
import { useState } from 'react';
import { zh } from '../../../../i18n/zh';
import { ErrorNotice } from '../../../../components/ErrorNotice';
import { buttonState } from '../../../../lib/button';
import { claimCode, classifyCode } from '../../../../services/claims';
import { orderRefFrom } from '../../../../services/orders';
import { scan } from '../../../../services/platform';
import { ROUTES, withQuery } from '../../../../routes';
import './index.scss';

/**
 * Scan to earn: a receipt code (JFR1.…, printed for a sale with no member) or a product code (一物一码).
 * Scanning falls back to typing where the camera is unavailable (H5). Each refusal has its own message:
 * used, expired, unknown, forged, daily limit, too many attempts.
 */
export default function Claim() {
  const [code, setCode] = useState('');
  const [busy, setBusy] = useState(false);
  const [note, setNote] = useState<string | null>(null);
  const [result, setResult] = useState<ClaimResponse | null>(null);
  const [error, setError] = useState<unknown>(null);

  const submit = async (raw: string) => {
    const text = raw.trim();
    setResult(null);
    setError(null);
    setNote(null);
    if (!text) {
      setNote(zh.claim.empty);
      return;
    }
    const kind = classifyCode(text);
    if (kind === 'member_code') return setNote(zh.claim.memberCodeScanned);
    if (kind === 'voucher') return setNote(zh.claim.voucherScanned);
    if (kind === 'order') {
      const code = orderRefFrom(text);
      if (code) {
        setNote(zh.claim.orderCodeScanned);
        await Taro.navigateTo({ url: withQuery(ROUTES.pay, { code }) });
        return;
      }
    }
    setBusy(true);
    try {
      setResult(await claimCode(text));
      setCode('');
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  const scanAndClaim = async () => {
    const res = await scan();
    if (res.kind === 'ok') {
      setCode(res.text);
      await submit(res.text);
    } else {
      setNote(res.kind === 'cancelled' ? zh.claim.scanCancelled : zh.claim.scanUnavailable);
    }
  };

  return (
    <View className="page claim">
      <Text className="muted">{zh.claim.intro}</Text>
      <Button id="claim-scan" {...buttonState('btn-primary', busy)} onClick={() => void scanAndClaim()}>
        {zh.claim.scan}
      </Button>

      <View className="card field">
        <Text className="field__label">{zh.claim.inputLabel}</Text>
        <Input
          id="claim-code-input"
          className="field__input"
          type="text"
          maxlength={256}
          value={code}
          placeholder={zh.claim.inputPlaceholder}
          onInput={(e) => setCode(e.detail.value)}
          onConfirm={() => void submit(code)}
        />
        <Button id="claim-submit" {...buttonState('btn-secondary', busy)} loading={busy} onClick={() => void submit(code)}>
          {busy ? zh.claim.submitting : zh.claim.submit}
        </Button>
      </View>

      {note ? (
        <Text id="claim-note" className="muted claim__note">
          {note}
        </Text>
      ) : null}

      {result ? (
        <View id="claim-result" className="notice">
          <Text className="claim__success">{zh.claim.success}</Text>
          <Text id="claim-points" className="claim__points">
            {zh.claim.earned(result.pointsEarned)}
          </Text>
          <Text id="claim-message">{result.message}</Text>
          {result.pending ? <Text className="muted">{zh.claim.pendingNote}</Text> : null}
          <Text id="claim-balance" className="muted">
            {zh.claim.balance(result.balance)}
          </Text>
        </View>
      ) : null}

      <ErrorNotice id="claim-error" error={error} />

      <Button id="claim-home" className="btn-secondary" onClick={() => void Taro.reLaunch({ url: ROUTES.home })}>
        {zh.common.back}
      </Button>
    </View>
  );
}

import Taro, { useLoad } from '@tarojs/taro';
import { Button, Input, Text, View } from '@tarojs/components';
import type { ExchangeRateView, ExchangeResponse } from '@jifen/shared';
import { useRef, useState } from 'react';
import { zh } from '../../../../i18n/zh';
import { ErrorNotice } from '../../../../components/ErrorNotice';
import { buttonState } from '../../../../lib/button';
import { exchangePoints, listExchangeRates, previewExchange } from '../../../../services/exchange';
import { newIdempotencyKey } from '../../../../services/request';
import './index.scss';

/** Exchange points between the group's brand programs at HQ's rates, where the group allows it. */
export default function Exchange() {
  const [rates, setRates] = useState<ExchangeRateView[] | null>(null);
  const [selected, setSelected] = useState(0);
  const [amount, setAmount] = useState('');
  const [amountError, setAmountError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [result, setResult] = useState<(ExchangeResponse & { rate: ExchangeRateView }) | null>(null);
  const key = useRef<{ forInput: string; key: string } | null>(null);

  const load = async () => {
    setError(null);
    try {
      setRates(await listExchangeRates());
    } catch (e) {
      setError(e);
    }
  };

  useLoad(() => void load());

  const rate = rates?.[selected] ?? null;
  const points = /^\d+$/.test(amount.trim()) ? Number(amount.trim()) : NaN;
  const preview = rate && Number.isSafeInteger(points) ? previewExchange(rate, points) : 0;

  const submit = async () => {
    if (!rate || busy) return;
    if (!Number.isSafeInteger(points) || points <= 0) {
      setAmountError(zh.exchange.invalidAmount);
      return;
    }
    setAmountError(null);
    const { confirm } = await Taro.showModal({
      title: zh.exchange.confirmTitle,
      content: zh.exchange.confirmBody(points, rate.from.name, rate.to.name),
      confirmText: zh.common.confirm,
      cancelText: zh.common.cancel,
    });
    if (!confirm) return;
    // Same inputs after a failure → same key, so a lost answer is never exchanged twice.
    const fingerprint = `${rate.from.code}>${rate.to.code}:${points}`;
    if (key.current?.forInput !== fingerprint) key.current = { forInput: fingerprint, key: newIdempotencyKey('exchange') };
    setBusy(true);
    setError(null);
    setResult(null);
    try {
      const res = await exchangePoints({ fromProgram: rate.from.code, toProgram: rate.to.code, points, idempotencyKey: key.current.key });
      setResult({ ...res, rate });
      key.current = null;
      setAmount('');
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <View className="page exchange">
      <Text className="muted">{zh.exchange.intro}</Text>
      {rates === null && !error ? <Text className="muted">{zh.common.loading}</Text> : null}
      {rates?.length === 0 ? (
        <Text id="exchange-none" className="muted">
          {zh.exchange.none}
        </Text>
      ) : null}
      {rates && rates.length > 0 ? (
        <View className="card">
          <Text className="section-title">{zh.exchange.choose}</Text>
          {rates.map((r, i) => (
            <Button
              key={`${r.from.code}-${r.to.code}`}
              id={`exchange-rate-${i}`}
              className={`exchange__rate ${i === selected ? 'exchange__rate--selected' : ''}`}
              onClick={() => setSelected(i)}
            >
              {zh.exchange.rate(r.from.name, r.fromPoints, r.to.name, r.toPoints)}
            </Button>
          ))}
          <View className="field">
            <Text className="field__label">{zh.exchange.amountLabel}</Text>
            <Input
              id="exchange-points"
              className="field__input"
              type="number"
              value={amount}
              placeholder={zh.exchange.amountPlaceholder}
              onInput={(e) => setAmount(e.detail.value)}
            />
            {amountError ? <Text className="field__error">{amountError}</Text> : null}
            {rate && preview > 0 ? (
              <Text id="exchange-preview" className="muted">
                {zh.exchange.preview(preview, rate.to.name)}
              </Text>
            ) : null}
          </View>
          <Button id="exchange-submit" {...buttonState('btn-primary', busy)} loading={busy} onClick={() => void submit()}>
            {zh.exchange.submit}
          </Button>
        </View>
      ) : null}
      {result ? (
        <View id="exchange-result" className="notice">
          <Text>{zh.exchange.done(result.debited, result.credited)}</Text>
          <Text>{zh.exchange.balances(result.rate.from.name, result.fromBalance, result.rate.to.name, result.toBalance)}</Text>
        </View>
      ) : null}
      <ErrorNotice id="exchange-error" error={error} onRetry={rates === null ? () => void load() : undefined} />
    </View>
  );
}

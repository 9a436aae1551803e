import Taro, { useLoad, useUnload } from '@tarojs/taro';
import { Button, Input, Text, View } from '@tarojs/components';
import { useRef, useState } from 'react';
import { zh } from '../../../../i18n/zh';
import { ErrorNotice } from '../../../../components/ErrorNotice';
import { NpsQuestion } from '../../../../components/NpsQuestion';
import { Price } from '../../../../components/Price';
import { buttonState } from '../../../../lib/button';
import { getOrder, orderRefFrom, payOrder, waitForSettlement, type OrderView } from '../../../../services/orders';
import { scan } from '../../../../services/platform';
import { ROUTES } from '../../../../routes';
import './index.scss';

type Phase = 'idle' | 'paying' | 'confirming';

/**
 * Pay an order opened from the kiosk's order QR (JFO1.…) or a link: details → WeChat Pay → the result the
 * server reports (settled by WeChat Pay's notification). The payment sheet's own answer is never shown as
 * the result.
 */
export default function PayOrder() {
  const [ref, setRef] = useState('');
  const [refError, setRefError] = useState<string | null>(null);
  const [order, setOrder] = useState<OrderView | null>(null);
  const [phase, setPhase] = useState<Phase>('idle');
  const [note, setNote] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [outTradeNo, setOutTradeNo] = useState<string | null>(null);
  const left = useRef(false);

  const open = async (raw: string) => {
    const orderRef = orderRefFrom(raw);
    setRefError(null);
    setError(null);
    setNote(null);
    if (!orderRef) {
      setRefError(zh.pay.invalidRef);
      return;
    }
    try {
      setOrder(await getOrder(orderRef));
    } catch (e) {
      setOrder(null);
      setError(e);
    }
  };

  useLoad((params: Record<string, string | undefined>) => {
    const raw = params['code'] ?? params['orderId'] ?? params['q'] ?? params['scene'];
    if (raw) {
      setRef(raw);
      void open(raw);
    }
  });
  useUnload(() => {
    left.current = true;
  });

  const scanOrder = async () => {
    const res = await scan();
    if (res.kind === 'ok') {
      setRef(res.text);
      await open(res.text);
    } else if (res.kind === 'unavailable') {
      setRefError(zh.claim.scanUnavailable);
    }
  };

  const pay = async () => {
    if (!order || phase !== 'idle') return;
    setError(null);
    setNote(null);
    setPhase('paying');
    try {
      const outcome = await payOrder(order.orderId, {
        onStarted: (params) => setOutTradeNo(params.outTradeNo),
        cancelled: () => left.current,
        onUpdate: (o) => {
          setOrder(o);
          setPhase('confirming');
        },
      });
      setOrder(outcome.order);
      if (outcome.order.status === 'pending') {
        setNote(outcome.sheet === 'cancelled' || outcome.sheet === 'failed' ? zh.pay.cancelled : zh.pay.stillPending);
      }
    } catch (e) {
      setError(e);
    } finally {
      setPhase('idle');
    }
  };

  const refresh = async () => {
    if (!order) return;
    setError(null);
    try {
      const o = await waitForSettlement(order.orderId, { timeoutMs: 0 });
      setOrder(o);
      if (o.status !== 'pending') setNote(null);
    } catch (e) {
      setError(e);
    }
  };

  const statusText = order ? (zh.pay.status[order.status] ?? zh.pay.unknownStatus(order.status)) : '';

  return (
    <View className="page pay">
      {!order ? (
        <View className="card">
          <Text className="field__label">{zh.pay.openLabel}</Text>
          <View className="row">
            <Input
              id="order-ref-input"
              className="field__input pay__ref"
              type="text"
              value={ref}
              placeholder={zh.pay.openPlaceholder}
              onInput={(e) => setRef(e.detail.value)}
              onConfirm={() => void open(ref)}
            />
            <Button id="order-scan" size="mini" onClick={() => void scanOrder()}>
              {zh.pay.scan}
            </Button>
          </View>
          {refError ? (
            <Text id="order-ref-error" className="field__error">
              {refError}
            </Text>
          ) : null}
          <Button id="order-open" className="btn-primary" onClick={() => void open(ref)}>
            {zh.pay.open}
          </Button>
        </View>
      ) : null}

      {order ? (
        <View id="order-details" className="card" data-order-id={order.orderId} data-out-trade-no={outTradeNo ?? ''}>
          <View className="row">
            <Text className="muted">{zh.pay.store}</Text>
            <Text id="order-store">{order.storeName}</Text>
          </View>
          {order.lines.map((l, i) => (
            <View key={i} className="row pay__line">
              <Text className="pay__line-name">{l.name}</Text>
              <Text className="muted">{zh.pay.qty(l.qty)}</Text>
              <Price fen={l.unitPriceFen * l.qty} />
            </View>
          ))}
          <View className="row">
            <Text className="muted">{zh.pay.amount}</Text>
            <Price id="order-amount" fen={order.amountFen} />
          </View>
          <View className="row">
            <Text>{zh.pay.payable}</Text>
            <Price id="order-payable" fen={order.payableFen} size="large" />
          </View>
          <Text id="order-status" className={`pay__status pay__status--${order.status}`} data-status={order.status}>
            {statusText}
          </Text>
          {order.status === 'paid' && order.pointsEarned > 0 ? (
            <Text id="order-points" className="muted">
              {zh.pay.pointsEarned(order.pointsEarned)}
            </Text>
          ) : order.pointsPreview > 0 ? (
            <Text id="order-points" className="muted">
              {zh.pay.pointsPreview(order.pointsPreview)}
            </Text>
          ) : null}
          {order.status === 'pending' ? (
            <Button id="order-pay" {...buttonState('btn-primary', phase !== 'idle')} loading={phase !== 'idle'} onClick={() => void pay()}>
              {phase === 'paying' ? zh.pay.paying : phase === 'confirming' ? zh.pay.confirming : zh.pay.payButton}
            </Button>
          ) : null}
          {note ? (
            <Text id="order-note" className="muted">
              {note}
            </Text>
          ) : null}
          {order.status === 'pending' && note ? (
            <Button id="order-refresh" className="btn-secondary" onClick={() => void refresh()}>
              {zh.pay.refresh}
            </Button>
          ) : null}
          {order.status !== 'pending' ? (
            <Button id="order-home" className="btn-secondary" onClick={() => void Taro.reLaunch({ url: ROUTES.home })}>
              {zh.common.back}
            </Button>
          ) : null}
        </View>
      ) : null}

      {order?.status === 'paid' ? <NpsQuestion orderId={order.orderId} /> : null}

      <ErrorNotice id="order-error" error={error} />
    </View>
  );
}

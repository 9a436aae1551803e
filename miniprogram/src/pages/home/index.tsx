import Taro, { useDidHide, useDidShow } from '@tarojs/taro';
import { Button, Text, View } from '@tarojs/components';
import type { MemberMe, NpsPendingResponse } from '@jifen/shared';
import { useCallback, useState } from 'react';
import { zh } from '../../i18n/zh';
import { ErrorNotice } from '../../components/ErrorNotice';
import { MemberCode } from '../../components/MemberCode';
import { NpsQuestion } from '../../components/NpsQuestion';
import { PointsCard } from '../../components/PointsCard';
import { TierProgress } from '../../components/TierProgress';
import { isApiError } from '../../services/errors';
import { getMe } from '../../services/member';
import { pendingNps } from '../../services/nps';
import { addNpsSkipped, getNpsSkipped } from '../../services/storage';
import { displayDate } from '../../lib/dates';
import { brightenForCode, restoreScreen } from '../../services/platform';
import { hasCurrentConsent } from '../../services/privacy';
import { subscribePointsMessages, subscriptionSummary } from '../../services/subscribe';
import { ROUTES } from '../../routes';
import './index.scss';

const NAV: Array<{ id: string; label: string; url: string }> = [
  { id: 'nav-scan', label: zh.home.nav.scan, url: ROUTES.claim },
  { id: 'nav-pay', label: zh.home.nav.pay, url: ROUTES.pay },
  { id: 'nav-history', label: zh.home.nav.history, url: ROUTES.history },
  { id: 'nav-rewards', label: zh.home.nav.rewards, url: ROUTES.rewards },
  { id: 'nav-vouchers', label: zh.home.nav.vouchers, url: ROUTES.vouchers },
  { id: 'nav-exchange', label: zh.home.nav.exchange, url: ROUTES.exchange },
  { id: 'nav-me', label: zh.home.nav.me, url: ROUTES.me },
];

/** The member card: tier and progress, points, the member code (brightness up on weapp), and the way to everything else. */
export default function Home() {
  const [me, setMe] = useState<MemberMe | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [visible, setVisible] = useState(false);
  const [subscribeNote, setSubscribeNote] = useState<string | null>(null);
  const [npsOrder, setNpsOrder] = useState<NpsPendingResponse['order']>(null);

  const load = useCallback(async () => {
    setError(null);
    try {
      setMe(await getMe());
      // A purchase of the last week to rate (one paid at a till too); the card works without it.
      pendingNps()
        .then((order) => setNpsOrder(order && !getNpsSkipped().includes(order.orderId) ? order : null))
        .catch(() => setNpsOrder(null));
    } catch (e) {
      if (isApiError(e) && (e.code === 'MEMBER_NOT_REGISTERED' || e.code === 'MEMBER_NOT_FOUND' || e.code === 'NOT_IN_WECHAT')) {
        await Taro.reLaunch({ url: ROUTES.launch });
        return;
      }
      setError(e);
    }
  }, []);

  useDidShow(() => {
    if (!hasCurrentConsent()) {
      void Taro.reLaunch({ url: ROUTES.launch });
      return;
    }
    setVisible(true);
    void brightenForCode();
    void load();
  });

  useDidHide(() => {
    setVisible(false);
    void restoreScreen();
  });

  // requestSubscribeMessage must start inside the tap: subscribePointsMessages calls it before any await.
  const subscribe = () => {
    subscribePointsMessages()
      .then((results) => setSubscribeNote(results ? subscriptionSummary(results) : zh.subscribe.unavailable))
      .catch(() => setSubscribeNote(zh.subscribe.failed));
  };

  return (
    <View className="page home">
      {me ? (
        <View id="member-card" className="card home__card">
          <Text id="member-greeting" className="home__greeting">
            {zh.home.greeting(me.nickname)}
          </Text>
          <TierProgress tier={me.tier} progress={me.progress} />
        </View>
      ) : null}
      {me ? <PointsCard points={me.points} /> : null}
      <ErrorNotice id="home-error" error={error} onRetry={() => void load()} />
      {me ? <MemberCode active={visible} /> : null}

      <View className="home__nav">
        {NAV.map((item) => (
          <Button key={item.id} id={item.id} className="home__nav-item" onClick={() => void Taro.navigateTo({ url: item.url })}>
            {item.label}
          </Button>
        ))}
      </View>

      {npsOrder ? (
        <NpsQuestion
          key={npsOrder.orderId}
          orderId={npsOrder.orderId}
          about={zh.nps.about(npsOrder.storeName, displayDate(npsOrder.placedAt))}
          onSkip={() => addNpsSkipped(npsOrder.orderId)}
        />
      ) : null}
      <Button id="subscribe-button" className="btn-secondary" onClick={subscribe}>
        {zh.subscribe.button}
      </Button>
      {subscribeNote ? (
        <Text id="subscribe-result" className="muted">
          {subscribeNote}
        </Text>
      ) : null}
    </View>
  );
}

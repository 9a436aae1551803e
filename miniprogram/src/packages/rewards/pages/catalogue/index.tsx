import Taro, { useLoad } from '@tarojs/taro';
import { Button, Text, View } from '@tarojs/components';
import type { RewardView, VoucherView } from '@jifen/shared';
import { useRef, useState } from 'react';
import { zh } from '../../../../i18n/zh';
import { ErrorNotice } from '../../../../components/ErrorNotice';
import { QrCode } from '../../../../components/QrCode';
import { buttonState } from '../../../../lib/button';
import { displayDate } from '../../../../lib/dates';
import { newIdempotencyKey } from '../../../../services/request';
import { listRewards, redeemReward } from '../../../../services/rewards';
import { ROUTES } from '../../../../routes';
import './index.scss';

function stockText(r: RewardView): string {
  if (r.stock === null) return zh.rewards.unlimitedStock;
  return r.stock > 0 ? zh.rewards.stock(r.stock) : zh.rewards.soldOut;
}

/** The program's catalogue: stock, per-member limits, tier-only items; redeem → a single-use voucher QR. */
export default function Catalogue() {
  const [rewards, setRewards] = useState<RewardView[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [redeemError, setRedeemError] = useState<unknown>(null);
  const [busyId, setBusyId] = useState<number | null>(null);
  const [voucher, setVoucher] = useState<VoucherView | null>(null);
  // One key per reward until it succeeds: a retry after a lost answer cannot redeem twice.
  const keys = useRef(new Map<number, string>());

  const load = async () => {
    setError(null);
    try {
      setRewards(await listRewards());
    } catch (e) {
      setError(e);
    }
  };

  useLoad(() => void load());

  const redeem = async (r: RewardView) => {
    if (busyId !== null) return;
    const { confirm } = await Taro.showModal({
      title: zh.rewards.confirmTitle,
      content: zh.rewards.confirmBody(r.name, r.pointsCost),
      confirmText: zh.common.confirm,
      cancelText: zh.common.cancel,
    });
    if (!confirm) return;
    setBusyId(r.id);
    setRedeemError(null);
    setVoucher(null);
    const key = keys.current.get(r.id) ?? newIdempotencyKey(`redeem-${r.id}`);
    keys.current.set(r.id, key);
    try {
      setVoucher((await redeemReward(r.id, key)).voucher);
      keys.current.delete(r.id);
      void load();
    } catch (e) {
      setRedeemError(e);
    } finally {
      setBusyId(null);
    }
  };

  return (
    <View className="page rewards">
      {voucher ? (
        <View id="voucher-result" className="card rewards__voucher">
          <Text className="section-title">{zh.rewards.success}</Text>
          <Text>{voucher.rewardName}</Text>
          <QrCode id="voucher-qr" text={voucher.code} size={360} />
          <Text className="muted">{zh.rewards.voucherHint}</Text>
          <Text className="muted">{zh.vouchers.validUntil(displayDate(voucher.expiresAt))}</Text>
          <Button id="voucher-result-list" className="btn-secondary" onClick={() => void Taro.navigateTo({ url: ROUTES.vouchers })}>
            {zh.rewards.myVouchers}
          </Button>
        </View>
      ) : null}
      <ErrorNotice id="redeem-error" error={redeemError} />
      <ErrorNotice id="rewards-error" error={error} onRetry={() => void load()} />
      {rewards === null && !error ? <Text className="muted">{zh.common.loading}</Text> : null}
      {rewards?.length === 0 ? (
        <Text id="rewards-empty" className="muted">
          {zh.rewards.empty}
        </Text>
      ) : null}
      {rewards?.map((r) => (
        <View key={r.id} id={`reward-${r.id}`} className="card rewards__item">
          <View className="row">
            <Text className="rewards__name">{r.name}</Text>
            <Text className="rewards__cost">{zh.rewards.cost(r.pointsCost)}</Text>
          </View>
          {r.description ? <Text className="muted">{r.description}</Text> : null}
          <View className="rewards__tags">
            <Text className="rewards__tag">{stockText(r)}</Text>
            {r.perMemberLimit !== null ? <Text className="rewards__tag">{zh.rewards.limit(r.perMemberLimit, r.redeemedByMe)}</Text> : null}
            {r.tiers.length > 0 ? <Text className="rewards__tag rewards__tag--tier">{zh.rewards.tierOnly}</Text> : null}
          </View>
          {!r.available && r.unavailableReason ? (
            <Text id={`reward-${r.id}-reason`} className="field__error">
              {r.unavailableReason}
            </Text>
          ) : null}
          <Button
            id={`reward-redeem-${r.id}`}
            {...buttonState('btn-primary', !r.available || busyId !== null)}
            loading={busyId === r.id}
            onClick={() => void redeem(r)}
          >
            {busyId === r.id ? zh.rewards.redeeming : zh.rewards.redeem}
          </Button>
        </View>
      ))}
      <Button id="rewards-vouchers" className="btn-secondary" onClick={() => void Taro.navigateTo({ url: ROUTES.vouchers })}>
        {zh.rewards.myVouchers}
      </Button>
    </View>
  );
}

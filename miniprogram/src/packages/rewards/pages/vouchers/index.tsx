import { useDidShow } from '@tarojs/taro';
import { Button, Text, View } from '@tarojs/components';
import type { VoucherView } from '@jifen/shared';
import { useState } from 'react';
import { zh } from '../../../../i18n/zh';
import { ErrorNotice } from '../../../../components/ErrorNotice';
import { QrCode } from '../../../../components/QrCode';
import { displayDate } from '../../../../lib/dates';
import { listVouchers } from '../../../../services/rewards';
import './index.scss';

/** My vouchers: active ones open as a QR code for the kiosk to scan; used and expired ones say so. */
export default function Vouchers() {
  const [vouchers, setVouchers] = useState<VoucherView[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [open, setOpen] = useState<number | null>(null);

  const load = async () => {
    setError(null);
    try {
      setVouchers(await listVouchers());
    } catch (e) {
      setError(e);
    }
  };

  useDidShow(() => void load());

  return (
    <View className="page vouchers">
      <ErrorNotice id="vouchers-error" error={error} onRetry={() => void load()} />
      {vouchers === null && !error ? <Text className="muted">{zh.common.loading}</Text> : null}
      {vouchers?.length === 0 ? (
        <Text id="vouchers-empty" className="muted">
          {zh.vouchers.empty}
        </Text>
      ) : null}
      {vouchers?.map((v) => (
        <View key={v.id} id={`voucher-${v.id}`} className={`card vouchers__item vouchers__item--${v.status}`}>
          <View className="row">
            <Text className="vouchers__name">{v.rewardName}</Text>
            <Text id={`voucher-${v.id}-status`} className="vouchers__status">
              {zh.vouchers.status[v.status] ?? v.status}
            </Text>
          </View>
          <Text className="muted">
            {v.status === 'used' && v.usedAt ? zh.vouchers.usedAt(displayDate(v.usedAt)) : zh.vouchers.validUntil(displayDate(v.expiresAt))}
          </Text>
          {v.status === 'active' ? (
            <Button id={`voucher-${v.id}-show`} size="mini" onClick={() => setOpen(open === v.id ? null : v.id)}>
              {open === v.id ? zh.vouchers.hide : zh.vouchers.show}
            </Button>
          ) : null}
          {open === v.id && v.status === 'active' ? <QrCode id={`voucher-${v.id}-qr`} text={v.code} size={360} /> : null}
        </View>
      ))}
    </View>
  );
}

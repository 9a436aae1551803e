import Taro, { useDidShow, useShareAppMessage } from '@tarojs/taro';
import { Button, Text, View } from '@tarojs/components';
import type { MemberMe } from '@jifen/shared';
import { useState } from 'react';
import { zh } from '../../../../i18n/zh';
import { ErrorNotice } from '../../../../components/ErrorNotice';
import { getMe } from '../../../../services/member';
import { copyText } from '../../../../services/platform';
import { deleteAccount, exportMyData } from '../../../../services/privacy';
import { signOut } from '../../../../services/session';
import { ROUTES, withQuery } from '../../../../routes';
import './index.scss';

/** Me: profile, share my referral code, download my data, delete my account (confirmed twice), privacy policy. */
export default function Profile() {
  const [me, setMe] = useState<MemberMe | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [exported, setExported] = useState<string | null>(null);
  const [busy, setBusy] = useState<'export' | 'delete' | null>(null);
  const [note, setNote] = useState<string | null>(null);

  const load = async () => {
    setError(null);
    try {
      setMe(await getMe());
    } catch (e) {
      setError(e);
    }
  };

  useDidShow(() => void load());

  useShareAppMessage(() => ({
    title: zh.me.shareTitle,
    path: withQuery(ROUTES.launch, { ref: me?.referralCode }),
  }));

  const doExport = async () => {
    if (busy) return;
    setBusy('export');
    setError(null);
    try {
      setExported(JSON.stringify(await exportMyData(), null, 2));
    } catch (e) {
      setError(e);
    } finally {
      setBusy(null);
    }
  };

  const copyExport = async () => {
    if (exported && (await copyText(exported))) setNote(zh.common.copied);
  };

  const doDelete = async () => {
    if (busy) return;
    const first = await Taro.showModal({
      title: zh.me.deleteConfirm1Title,
      content: zh.me.deleteConfirm1Body,
      confirmText: zh.common.confirm,
      cancelText: zh.common.cancel,
    });
    if (!first.confirm) return;
    const second = await Taro.showModal({
      title: zh.me.deleteConfirm2Title,
      content: zh.me.deleteConfirm2Body,
      confirmText: zh.me.deleteConfirmButton,
      confirmColor: '#c62828',
      cancelText: zh.common.cancel,
    });
    if (!second.confirm) return;
    setBusy('delete');
    setError(null);
    try {
      await deleteAccount();
      void Taro.showToast({ title: zh.me.deleted, icon: 'success' });
      await Taro.reLaunch({ url: ROUTES.launch });
    } catch (e) {
      setError(e);
    } finally {
      setBusy(null);
    }
  };

  const logout = () => {
    signOut();
    void Taro.reLaunch({ url: ROUTES.launch });
  };

  const row = (id: string, label: string, value: string | null | undefined) => (
    <View className="row me__row">
      <Text className="muted">{label}</Text>
      <Text id={id}>{value || zh.me.notSet}</Text>
    </View>
  );

  return (
    <View className="page me">
      <ErrorNotice id="me-error" error={error} onRetry={me ? undefined : () => void load()} />
      {me ? (
        <View id="me-profile" className="card">
          {row('me-nickname', zh.me.nickname, me.nickname)}
          {row('me-phone', zh.me.phone, me.phone)}
          {row('me-birthday', zh.me.birthday, me.birthday)}
          {row('me-tier', zh.me.tier, zh.home.tier(me.tier.name))}
          {row('me-referral', zh.me.referralCode, me.referralCode)}
          <View className="row me__actions">
            <Button
              id="me-copy-referral"
              size="mini"
              onClick={() => void copyText(me.referralCode).then((ok) => ok && setNote(zh.common.copied))}
            >
              {zh.common.copy}
            </Button>
            <Button id="me-share-referral" size="mini" openType="share">
              {zh.me.shareReferral}
            </Button>
          </View>
        </View>
      ) : null}

      <View className="card">
        <Text className="section-title">{zh.me.exportTitle}</Text>
        <Text className="muted">{zh.me.exportHint}</Text>
        <Button id="me-export" className="btn-secondary" loading={busy === 'export'} onClick={() => void doExport()}>
          {zh.me.exportButton}
        </Button>
        {exported ? (
          <View>
            <Text id="me-export-json" className="me__json" userSelect>
              {exported}
            </Text>
            <Button id="me-export-copy" size="mini" onClick={() => void copyExport()}>
              {zh.me.exportCopy}
            </Button>
          </View>
        ) : null}
      </View>

      <View className="card">
        <Text className="section-title">{zh.me.deleteTitle}</Text>
        <Text className="muted">{zh.me.deleteHint}</Text>
        <Button id="me-delete" className="btn-secondary me__danger" loading={busy === 'delete'} onClick={() => void doDelete()}>
          {zh.me.deleteButton}
        </Button>
      </View>

      <Button id="me-privacy" className="btn-secondary" onClick={() => void Taro.navigateTo({ url: ROUTES.privacy })}>
        {zh.me.privacy}
      </Button>
      <Button id="me-logout" className="btn-secondary" onClick={logout}>
        {zh.me.logout}
      </Button>
      {note ? (
        <Text id="me-note" className="muted">
          {note}
        </Text>
      ) : null}
    </View>
  );
}

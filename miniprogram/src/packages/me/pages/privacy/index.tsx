import { Text, View } from '@tarojs/components';
import { PRIVACY_POLICY } from '../../../../i18n/zh';
import './index.scss';

/** The privacy policy (《积分会员隐私保护指引》), versioned with the consent the launch page records. */
export default function PrivacyPolicy() {
  return (
    <View id="privacy-policy" className="page privacy" data-version={PRIVACY_POLICY.version}>
      <Text className="privacy__title">{PRIVACY_POLICY.title}</Text>
      <Text id="privacy-version" className="muted">
        {PRIVACY_POLICY.updated}
      </Text>
      {PRIVACY_POLICY.sections.map((s) => (
        <View key={s.heading} className="card">
          <Text className="section-title">{s.heading}</Text>
          <Text className="privacy__body">{s.body}</Text>
        </View>
      ))}
    </View>
  );
}

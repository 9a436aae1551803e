import Taro from '@tarojs/taro';
import { Button, Input, Text, View } from '@tarojs/components';
import { useState } from 'react';
import { zh, zhSim } from '../../i18n/zh';
import { ErrorNotice } from '../../components/ErrorNotice';
import { buttonState } from '../../lib/button';
import { IS_H5 } from '../../services/env';
import { isApiError } from '../../services/errors';
import { scan, simPhoneCode } from '../../services/platform';
import { PRIVACY_POLICY_VERSION } from '../../services/privacy';
import { register, validateSignup, type SignupInput } from '../../services/session';
import { ROUTES } from '../../routes';
import { normaliseBirthday, referralIn } from './referral';
import { SimPhoneField } from './SimPhoneField';

export interface SignupFormProps {
  initialReferral: string;
  referralFromLink: boolean;
}

interface PhoneEvent {
  detail: { code?: string; errMsg?: string; errno?: number };
}

type FieldErrors = Partial<Record<'phoneCode' | 'birthday' | 'nickname' | 'referralCode' | 'simPhone', string>>;

/**
 * Registration: the phone number through WeChat's getPhoneNumber button (a single-use code the server
 * exchanges), then optional nickname, birthday (MM-DD) and referral code, checked with the server's schema.
 */
export function SignupForm({ initialReferral, referralFromLink }: SignupFormProps) {
  const [phoneCode, setPhoneCode] = useState('');
  const [phoneNote, setPhoneNote] = useState<string | null>(null);
  const [simPhone, setSimPhone] = useState('');
  const [nickname, setNickname] = useState('');
  const [birthday, setBirthday] = useState('');
  const [referral, setReferral] = useState(initialReferral);
  const [fieldErrors, setFieldErrors] = useState<FieldErrors>({});
  const [submitting, setSubmitting] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const onPhone = (e: PhoneEvent) => {
    const { code, errno } = e.detail ?? {};
    if (code) {
      setPhoneCode(code);
      setPhoneNote(null);
      setFieldErrors((f) => ({ ...f, phoneCode: undefined }));
    } else {
      setPhoneNote(errno === 1400001 ? zh.signup.phoneQuota : zh.signup.phoneDenied);
    }
  };

  const scanReferral = async () => {
    const res = await scan();
    if (res.kind !== 'ok') return;
    const code = referralIn(res.text);
    if (code) setReferral(code);
    else setFieldErrors((f) => ({ ...f, referralCode: zh.signup.invalid['referralCode'] }));
  };

  const submit = async () => {
    if (submitting) return;
    setError(null);
    setFieldErrors({});
    const input: SignupInput = {
      phoneCode,
      consentVersion: PRIVACY_POLICY_VERSION,
      birthday: birthday.trim() ? normaliseBirthday(birthday) : undefined,
      nickname: nickname.trim() || undefined,
      referralCode: referral.trim() || undefined,
    };
    if (JIFEN_SIM && !/^1\d{10}$/.test(simPhone.trim())) {
      setFieldErrors({ simPhone: zhSim.invalidPhone });
      return;
    }
    setSubmitting(true);
    try {
      // Check the form before a phone code is spent on it.
      validateSignup({ ...input, phoneCode: phoneCode || (JIFEN_SIM ? 'sandbox' : '') });
      if (JIFEN_SIM) input.phoneCode = await simPhoneCode(simPhone.trim());
      await register(input);
      void Taro.showToast({ title: zh.signup.welcome, icon: 'success' });
      await Taro.reLaunch({ url: ROUTES.home });
    } catch (e) {
      if (isApiError(e) && e.code === 'VALIDATION_FAILED' && e.field && e.field in zh.signup.invalid) {
        setFieldErrors({ [e.field]: zh.signup.invalid[e.field] });
      } else {
        setError(e);
        // The phone code is single-use and may have been spent: ask for a fresh one.
        setPhoneCode('');
      }
    } finally {
      setSubmitting(false);
    }
  };

  return (
    <View id="signup" className="card signup">
      <Text className="section-title">{zh.signup.title}</Text>

      <View className="field">
        <Text className="field__label">{zh.signup.phoneLabel}</Text>
        {JIFEN_SIM ? (
          <SimPhoneField value={simPhone} error={fieldErrors.simPhone ?? null} onChange={setSimPhone} />
        ) : phoneCode ? (
          <Text id="signup-phone-granted" className="notice">
            {zh.signup.phoneGranted}
          </Text>
        ) : (
          <Button id="signup-phone" className="btn-secondary" openType="getPhoneNumber" onGetPhoneNumber={onPhone}>
            {zh.signup.phoneButton}
          </Button>
        )}
        {IS_H5 && !JIFEN_SIM ? <Text className="muted">{zh.signup.phoneOutsideWechat}</Text> : null}
        {phoneNote ? (
          <Text id="signup-phone-note" className="field__error">
            {phoneNote}
          </Text>
        ) : null}
        {fieldErrors.phoneCode ? <Text className="field__error">{fieldErrors.phoneCode}</Text> : null}
      </View>

      <View className="field">
        <Text className="field__label">{zh.signup.nicknameLabel}</Text>
        <Input
          id="signup-nickname"
          className="field__input"
          type="nickname"
          maxlength={32}
          value={nickname}
          placeholder={zh.signup.nicknamePlaceholder}
          onInput={(e) => setNickname(e.detail.value)}
          onBlur={(e) => setNickname(e.detail.value)}
        />
        {fieldErrors.nickname ? <Text className="field__error">{fieldErrors.nickname}</Text> : null}
      </View>

      <View className="field">
        <Text className="field__label">{zh.signup.birthdayLabel}</Text>
        <Input
          id="signup-birthday"
          className="field__input"
          type="text"
          maxlength={5}
          value={birthday}
          placeholder={zh.signup.birthdayPlaceholder}
          onInput={(e) => setBirthday(e.detail.value)}
        />
        <Text className="muted">{zh.signup.birthdayHint}</Text>
        {fieldErrors.birthday ? (
          <Text id="signup-birthday-error" className="field__error">
            {fieldErrors.birthday}
          </Text>
        ) : null}
      </View>

      <View className="field">
        <Text className="field__label">{zh.signup.referralLabel}</Text>
        <View className="row">
          <Input
            id="signup-referral"
            className="field__input"
            type="text"
            maxlength={8}
            value={referral}
            placeholder={zh.signup.referralPlaceholder}
            onInput={(e) => setReferral(e.detail.value)}
          />
          <Button id="signup-referral-scan" size="mini" onClick={() => void scanReferral()}>
            {zh.signup.referralScan}
          </Button>
        </View>
        {referralFromLink && referral === initialReferral ? <Text className="muted">{zh.signup.referralFromLink}</Text> : null}
        {fieldErrors.referralCode ? (
          <Text id="signup-referral-error" className="field__error">
            {fieldErrors.referralCode}
          </Text>
        ) : null}
      </View>

      <ErrorNotice id="signup-error" error={error} />

      <Button id="signup-submit" {...buttonState('btn-primary', submitting)} loading={submitting} onClick={() => void submit()}>
        {submitting ? zh.signup.submitting : zh.signup.submit}
      </Button>
    </View>
  );
}

export default SignupForm;

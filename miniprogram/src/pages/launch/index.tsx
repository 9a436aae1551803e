import Taro, { useLoad } from '@tarojs/taro';
import { Button, Text, View } from '@tarojs/components';
import { useRef, useState } from 'react';
import { zh } from '../../i18n/zh';
import { ErrorNotice } from '../../components/ErrorNotice';
import { adoptSimUser } from '../../services/platform';
import { hasCurrentConsent, onPrivacyPrompt, recordConsent, wechatNeedsAuthorization, type PrivacyResolver } from '../../services/privacy';
import { signIn } from '../../services/session';
import { ROUTES } from '../../routes';
import { referralFrom } from './referral';
import { SignupForm } from './SignupForm';
import './index.scss';

type Step = 'checking' | 'consent' | 'signingIn' | 'signup' | 'error';

/**
 * First open: the privacy notice and consent (version recorded; on weapp the agree button is WeChat's
 * agreePrivacyAuthorization button, so WeChat records it too) → wx.login → session → the member card, or
 * the signup form for a shopper who is not a member yet.
 */
export default function Launch() {
  const [step, setStep] = useState<Step>('checking');
  const [disagreed, setDisagreed] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [referral, setReferral] = useState('');
  const [prompt, setPrompt] = useState(false);
  const resolver = useRef<PrivacyResolver | null>(null);
  const agreeing = useRef(false);

  const enter = async () => {
    setStep('signingIn');
    setError(null);
    try {
      const session = await signIn();
      if (session.member) await Taro.reLaunch({ url: ROUTES.home });
      else setStep('signup');
    } catch (e) {
      setError(e);
      setStep('error');
    }
  };

  useLoad((params: Record<string, string | undefined>) => {
    adoptSimUser(params);
    const ref = referralFrom(params);
    if (ref) setReferral(ref);
    // WeChat asks before a privacy-relevant API when agreement is missing: show our notice as the prompt.
    onPrivacyPrompt((resolve) => {
      resolver.current = resolve;
      setPrompt(true);
    });
    void (async () => {
      if (!hasCurrentConsent() || (await wechatNeedsAuthorization())) setStep('consent');
      else await enter();
    })();
  });

  const agree = () => {
    // The weapp agree button fires both its privacy event and the tap: act once.
    if (agreeing.current) return;
    agreeing.current = true;
    recordConsent();
    setDisagreed(false);
    void enter();
  };

  const answerPrompt = (event: 'agree' | 'disagree') => {
    if (event === 'agree') recordConsent();
    resolver.current?.(event === 'agree' ? { event, buttonId: 'privacy-prompt-agree' } : { event });
    resolver.current = null;
    setPrompt(false);
  };

  const openPolicy = () => void Taro.navigateTo({ url: ROUTES.privacy });

  return (
    <View className="page launch">
      <Text className="launch__title">{zh.launch.title}</Text>

      {step === 'consent' ? (
        <View id="privacy-consent" className="card">
          <Text className="section-title">{zh.launch.privacyTitle}</Text>
          <Text className="launch__intro">{zh.launch.privacyIntro}</Text>
          <Text id="privacy-policy-link" className="launch__link" onClick={openPolicy}>
            {zh.launch.privacyLink}
          </Text>
          <Button
            id="privacy-agree"
            className="btn-primary"
            openType="agreePrivacyAuthorization"
            onAgreePrivacyAuthorization={agree}
            onClick={agree}
          >
            {zh.launch.agree}
          </Button>
          <Button id="privacy-disagree" className="btn-secondary" onClick={() => setDisagreed(true)}>
            {zh.launch.disagree}
          </Button>
          {disagreed ? (
            <Text id="privacy-disagreed" className="field__error">
              {zh.launch.disagreed}
            </Text>
          ) : null}
        </View>
      ) : null}

      {step === 'checking' || step === 'signingIn' ? (
        <Text id="launch-status" className="muted">
          {zh.launch.signingIn}
        </Text>
      ) : null}

      {step === 'error' ? <ErrorNotice id="launch-error" error={error} onRetry={() => void enter()} /> : null}

      {step === 'signup' ? <SignupForm initialReferral={referral} referralFromLink={referral !== ''} /> : null}

      {prompt ? (
        <View id="privacy-prompt" className="launch__prompt">
          <View className="card">
            <Text className="section-title">{zh.launch.privacyTitle}</Text>
            <Text>{zh.launch.privacyAgain}</Text>
            <Text id="privacy-prompt-policy" className="launch__link" onClick={openPolicy}>
              {zh.launch.privacyLink}
            </Text>
            <Button
              id="privacy-prompt-agree"
              className="btn-primary"
              openType="agreePrivacyAuthorization"
              onAgreePrivacyAuthorization={() => answerPrompt('agree')}
            >
              {zh.launch.agree}
            </Button>
            <Button id="privacy-prompt-disagree" className="btn-secondary" onClick={() => answerPrompt('disagree')}>
              {zh.launch.disagree}
            </Button>
          </View>
        </View>
      ) : null}
    </View>
  );
}

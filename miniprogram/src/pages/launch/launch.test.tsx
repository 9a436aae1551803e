import { act, fireEvent, render } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import Taro, { setRouterParams, storageSnapshot } from '../../test/taro-mock';
import { errorAnswer, fakeApi, sessionAnswer } from '../../test/api';
import { setConsent } from '../../services/storage';
import { PRIVACY_POLICY_VERSION, zh } from '../../i18n/zh';
import Launch from './index';
import { normaliseBirthday, referralFrom } from './referral';

const PROFILE = {
  id: 9,
  nickname: '小萌',
  phone: '138****8000',
  birthday: '03-15',
  referralCode: 'ZXCV1234',
  tier: { code: 'bronze', name: '青铜' },
};

const $ = (c: HTMLElement, sel: string) => c.querySelector(sel);

async function settle() {
  await act(async () => {
    await new Promise((r) => setTimeout(r, 0));
  });
}

async function click(c: HTMLElement, sel: string) {
  await act(async () => {
    fireEvent.click($(c, sel)!);
  });
  await settle();
}

function type(c: HTMLElement, sel: string, value: string) {
  fireEvent.change($(c, sel)!, { target: { value } });
}

async function grantPhone(c: HTMLElement, detail: Record<string, unknown>) {
  await act(async () => {
    $(c, '#signup-phone')!.dispatchEvent(new CustomEvent('getphonenumber', { detail }));
  });
}

describe('launch: consent → login → signup', () => {
  it('a new shopper agrees, logs in with wx.login, grants the phone and registers', async () => {
    const api = fakeApi()
      .on('POST /api/member/session', sessionAnswer(null, 'tok-new'))
      .on('POST /api/member/register', { status: 201, body: { member: PROFILE, linked: false } });
    const { container } = render(<Launch />);
    await settle();
    expect($(container, '#privacy-consent')).not.toBeNull();
    expect(api.sent).toHaveLength(0); // nothing leaves the phone before consent

    await click(container, '#privacy-agree');
    expect(storageSnapshot()['jifen.consent']).toMatchObject({ version: PRIVACY_POLICY_VERSION });
    expect(Taro.login).toHaveBeenCalledTimes(1);
    expect(api.calls('POST /api/member/session')[0]!.body).toEqual({ code: 'wx-login-1' });
    expect($(container, '#signup')).not.toBeNull();
    expect($(container, '#signup-sim-phone')).toBeNull(); // a weapp build never shows the typed-in phone
    expect($(container, '#signup-phone')!.getAttribute('data-open-type')).toBe('getPhoneNumber');

    await grantPhone(container, { code: 'phone-code-1', errMsg: 'getPhoneNumber:ok' });
    expect($(container, '#signup-phone')).toBeNull();
    expect($(container, '#signup-phone-granted')!.textContent).toBe(zh.signup.phoneGranted);

    type(container, '#signup-nickname', '小萌');
    type(container, '#signup-birthday', '0315');
    type(container, '#signup-referral', 'abcd2345');
    await click(container, '#signup-submit');

    const reg = api.calls('POST /api/member/register');
    expect(reg).toHaveLength(1);
    expect(reg[0]!.body).toEqual({
      phoneCode: 'phone-code-1',
      consentVersion: PRIVACY_POLICY_VERSION,
      birthday: '03-15',
      nickname: '小萌',
      referralCode: 'ABCD2345',
    });
    expect(reg[0]!.headers['authorization']).toBe('Bearer tok-new');
    expect(Taro.reLaunch).toHaveBeenCalledWith({ url: '/pages/home/index' });
  });

  it('a returning member goes straight to the card', async () => {
    setConsent(PRIVACY_POLICY_VERSION);
    fakeApi().on('POST /api/member/session', sessionAnswer(PROFILE));
    const { container } = render(<Launch />);
    await settle();
    expect($(container, '#privacy-consent')).toBeNull();
    expect(Taro.reLaunch).toHaveBeenCalledWith({ url: '/pages/home/index' });
  });

  it('asks again when the policy version changed', async () => {
    setConsent('2025-01');
    const api = fakeApi();
    const { container } = render(<Launch />);
    await settle();
    expect($(container, '#privacy-consent')).not.toBeNull();
    expect(api.sent).toHaveLength(0);
  });

  it('asks again when WeChat says its privacy authorization is missing', async () => {
    setConsent(PRIVACY_POLICY_VERSION);
    Taro.getPrivacySetting.mockResolvedValueOnce({ needAuthorization: true, privacyContractName: 'x' });
    fakeApi();
    const { container } = render(<Launch />);
    await settle();
    expect($(container, '#privacy-consent')).not.toBeNull();
  });

  it('does nothing but explain when the shopper disagrees', async () => {
    const api = fakeApi();
    const { container } = render(<Launch />);
    await settle();
    await click(container, '#privacy-disagree');
    expect($(container, '#privacy-disagreed')!.textContent).toBe(zh.launch.disagreed);
    expect(api.sent).toHaveLength(0);
    expect(Taro.login).not.toHaveBeenCalled();
  });

  it('fills the referral code from a shared link', async () => {
    setConsent(PRIVACY_POLICY_VERSION);
    setRouterParams({ ref: 'qwer5678' });
    fakeApi().on('POST /api/member/session', sessionAnswer(null));
    const { container } = render(<Launch />);
    await settle();
    expect(($(container, '#signup-referral') as HTMLInputElement).value).toBe('QWER5678');
  });

  it('checks the form with the server schema before spending the phone code', async () => {
    setConsent(PRIVACY_POLICY_VERSION);
    const api = fakeApi().on('POST /api/member/session', sessionAnswer(null));
    const { container } = render(<Launch />);
    await settle();
    await click(container, '#signup-submit');
    expect($(container, '#signup')!.textContent).toContain(zh.signup.invalid['phoneCode']);

    await grantPhone(container, { code: 'phone-code-2' });
    type(container, '#signup-birthday', '13-40');
    await click(container, '#signup-submit');
    expect($(container, '#signup-birthday-error')!.textContent).toBe(zh.signup.invalid['birthday']);
    type(container, '#signup-birthday', '');
    type(container, '#signup-referral', 'SHORT');
    await click(container, '#signup-submit');
    expect($(container, '#signup-referral-error')!.textContent).toBe(zh.signup.invalid['referralCode']);
    expect(api.calls('POST /api/member/register')).toHaveLength(0);
    expect($(container, '#signup-phone-granted')).not.toBeNull(); // still usable
  });

  it('explains a refused phone authorization', async () => {
    setConsent(PRIVACY_POLICY_VERSION);
    fakeApi().on('POST /api/member/session', sessionAnswer(null));
    const { container } = render(<Launch />);
    await settle();
    await grantPhone(container, { errMsg: 'getPhoneNumber:fail user deny' });
    expect($(container, '#signup-phone-note')!.textContent).toBe(zh.signup.phoneDenied);
    await grantPhone(container, { errMsg: 'getPhoneNumber:fail', errno: 1400001 });
    expect($(container, '#signup-phone-note')!.textContent).toBe(zh.signup.phoneQuota);
  });

  it('asks for a fresh phone code after the server refuses one', async () => {
    setConsent(PRIVACY_POLICY_VERSION);
    fakeApi().on('POST /api/member/session', sessionAnswer(null)).on('POST /api/member/register', errorAnswer(400, 'PHONE_CODE_INVALID'));
    const { container } = render(<Launch />);
    await settle();
    await grantPhone(container, { code: 'stale' });
    await click(container, '#signup-submit');
    expect($(container, '#signup-error')!.getAttribute('data-code')).toBe('PHONE_CODE_INVALID');
    expect($(container, '#signup-error')!.textContent).toContain(zh.errors['PHONE_CODE_INVALID']);
    expect($(container, '#signup-phone')).not.toBeNull();
    expect(Taro.reLaunch).not.toHaveBeenCalled();
  });

  it('shows a login failure with a retry', async () => {
    setConsent(PRIVACY_POLICY_VERSION);
    const api = fakeApi().on('POST /api/member/session', errorAnswer(503, 'MINIPROGRAM_NOT_CONFIGURED'), sessionAnswer(PROFILE));
    const { container } = render(<Launch />);
    await settle();
    expect($(container, '#launch-error')!.getAttribute('data-code')).toBe('MINIPROGRAM_NOT_CONFIGURED');
    await click(container, '#launch-error-retry');
    expect(api.calls('POST /api/member/session')).toHaveLength(2);
    expect(Taro.reLaunch).toHaveBeenCalledWith({ url: '/pages/home/index' });
  });

  it('H5 sandbox build: a typed test phone number becomes a simulator phone code', async () => {
    const g = globalThis as unknown as { JIFEN_SIM: boolean; JIFEN_WECHAT_SIM: string };
    g.JIFEN_SIM = true;
    g.JIFEN_WECHAT_SIM = 'http://sim.test';
    setConsent(PRIVACY_POLICY_VERSION);
    setRouterParams({ simUser: 'demo-shopper' });
    const api = fakeApi()
      .on('POST /api/member/session', sessionAnswer(null))
      .on('POST /__control/phone-code', { body: {} })
      .on('POST /api/member/register', { status: 201, body: { member: PROFILE, linked: true } });
    const { container } = render(<Launch />);
    await settle();
    expect(Taro.login).not.toHaveBeenCalled();
    expect((api.calls('POST /api/member/session')[0]!.body as { code: string }).code).toMatch(/^demo-shopper\./);
    expect($(container, '#signup-phone')).toBeNull();
    type(container, '#signup-sim-phone', '13800138000');
    await click(container, '#signup-submit');
    const issued = api.calls('POST /__control/phone-code')[0]!.body as { code: string; phone: string };
    expect(issued.phone).toBe('13800138000');
    expect((api.calls('POST /api/member/register')[0]!.body as { phoneCode: string }).phoneCode).toBe(issued.code);
    expect(Taro.reLaunch).toHaveBeenCalledWith({ url: '/pages/home/index' });
  });
});

describe('referral and birthday parsing', () => {
  it.each([
    [{ ref: 'abcd2345' }, 'ABCD2345'],
    [{ scene: 'ref%3Dabcd2345' }, 'ABCD2345'],
    [{ scene: 'ABCD2345' }, 'ABCD2345'],
    [{ q: encodeURIComponent('https://jifen.example/m?ref=WXYZ9876&x=1') }, 'WXYZ9876'],
    [{ ref: 'bad' }, null],
    [{}, null],
  ])('%o → %s', (params, expected) => {
    expect(referralFrom(params)).toBe(expected);
  });

  it.each([
    ['0315', '03-15'],
    ['3-5', '03-05'],
    ['3月15日', '03-15'],
    ['12-01', '12-01'],
    ['hello', 'hello'],
  ])('%s → %s', (raw, expected) => {
    expect(normaliseBirthday(raw)).toBe(expected);
  });
});

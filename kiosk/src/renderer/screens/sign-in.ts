/** Shift sign-in: username, PIN, opening float. Enter moves on; Enter on the last field signs in. */
import { parseYuan } from '../../shared/money.js';
import type { KioskApp, Screen } from '../app.js';
import { h } from '../dom.js';
import { zh } from '../zh.js';

export function signInScreen(app: KioskApp): Screen {
  const username = h('input', { name: 'username', 'data-testid': 'username', autocomplete: 'username', maxlength: 64, autofocus: true });
  const pin = h('input', { name: 'pin', 'data-testid': 'pin', type: 'password', inputmode: 'numeric', maxlength: 8, autocomplete: 'off' });
  const float = h('input', { name: 'float', 'data-testid': 'float', inputmode: 'decimal', value: '0', maxlength: 10 });
  const submit = async (): Promise<void> => {
    const openingFloatFen = parseYuan(float.value || '0');
    if (openingFloatFen === null) {
      app.toast(zh.invalidAmount, 'error');
      float.focus();
      return;
    }
    try {
      const session = await app.busy(() => app.client.signIn({ username: username.value.trim(), pin: pin.value, openingFloatFen }));
      app.setSession(session);
      if (session.shift.resumed) app.toast(zh.resumedShift, 'info');
      app.newSale();
      app.go('sale');
    } catch (err) {
      pin.value = '';
      pin.focus();
      app.error(err);
    }
  };
  const next = (el: HTMLInputElement, then: () => void) =>
    el.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') {
        e.preventDefault();
        then();
      }
    });
  next(username, () => pin.focus());
  next(pin, () => float.focus());
  next(float, () => void submit());
  const el = h(
    'section',
    { class: 'card narrow', 'data-testid': 'screen-signIn' },
    h('h1', {}, zh.signInTitle),
    h('label', {}, zh.username, username),
    h('label', {}, zh.pin, pin),
    h('label', {}, zh.openingFloat, float),
    h('button', { class: 'big primary', 'data-testid': 'sign-in', onclick: () => void submit() }, zh.signIn),
    h('button', { class: 'link', 'data-testid': 'open-setup', onclick: () => app.go('setup') }, zh.settings),
  );
  return { name: 'signIn', el, focus: () => username.focus() };
}

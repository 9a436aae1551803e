/** Reward vouchers from the mini-program: scan (or type) the JFV1 code; redeemed once. */
import type { ScanAction } from '../scan-routing.js';
import type { KioskApp, Screen, ScreenParams } from '../app.js';
import { fill, h } from '../dom.js';
import { errorCode } from '../../shared/kiosk-client.js';
import { errorText, zh } from '../zh.js';

export function voucherScreen(app: KioskApp, params: ScreenParams): Screen {
  const input = h('input', { 'data-testid': 'voucher-code', placeholder: 'JFV1.…', maxlength: 256, autocomplete: 'off' });
  const result = h('div', { class: 'result-card', 'data-testid': 'voucher-result', role: 'status' });
  const redeem = async (code: string): Promise<void> => {
    try {
      const r = await app.busy(() => app.client.redeemVoucher(code.trim()));
      fill(result, h('p', { class: 'ok big-hint' }, zh.voucherRedeemed(r.rewardName)));
      input.value = '';
    } catch (err) {
      fill(result, h('p', { class: 'error big-hint' }, errorText(errorCode(err))));
    }
  };
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && input.value.trim()) {
      e.preventDefault();
      void redeem(input.value);
    }
  });
  const el = h(
    'section',
    { class: 'card narrow', 'data-testid': 'screen-voucher' },
    h('h1', {}, zh.voucherTitle),
    h('p', { class: 'hint' }, zh.voucherHint),
    h('div', { class: 'row' }, input, h('button', { class: 'big', onclick: () => input.value.trim() && void redeem(input.value) }, zh.ok)),
    result,
  );
  if (params.code) void redeem(params.code);
  return {
    name: 'voucher',
    el,
    onScan(action: ScanAction) {
      if (action.kind === 'redeemVoucher') void redeem(action.code);
    },
  };
}

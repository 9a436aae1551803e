/**
 * `className` and `disabled` for a Button that is disabled at times: spread it, `{...buttonState('btn-primary', busy)}`.
 *
 * Not plain `disabled={busy}`: in H5, Taro's buttons are custom elements and React writes `disabled={false}` as
 * the attribute disabled="false", which Taro's own CSS (`taro-button-core[disabled]`) paints as disabled — faint
 * white text on a button that works. And the !important colours of .btn-primary and .btn-secondary hide a real
 * disabled state on both platforms. So the attribute is left out unless the button is disabled, and the
 * `btn-disabled` class shows that it is.
 */
export function buttonState(className: string, disabled: boolean): { className: string; disabled?: true } {
  return disabled ? { className: `${className} btn-disabled`, disabled: true } : { className };
}

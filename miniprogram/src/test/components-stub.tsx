/**
 * DOM stand-ins for @tarojs/components (aliased in vitest.config.ts). They keep the props pages rely on
 * — id, className, style, disabled, value — and translate events the Taro way: onInput/onConfirm/onBlur get
 * `{ detail: { value } }`, Button's open-type events arrive as DOM CustomEvents a test dispatches:
 *   fireEvent(button, new CustomEvent('getphonenumber', { detail: { code: 'p-1' } }))
 */
import { createElement, useEffect, useRef, type CSSProperties, type ReactNode } from 'react';

type Handler = (e: { detail: Record<string, unknown>; type: string }) => void;

interface BaseProps {
  id?: string;
  className?: string;
  style?: CSSProperties | string;
  children?: ReactNode;
  onClick?: (e: unknown) => void;
  [key: string]: unknown;
}

function domProps(props: BaseProps): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(props)) {
    if (k === 'children' || typeof v === 'function' || k === 'userSelect' || k === 'loading') continue;
    if (k === 'style' && typeof v === 'string') continue;
    if (k.startsWith('data-') || ['id', 'className', 'style'].includes(k)) out[k] = v;
  }
  if (props.onClick) out['onClick'] = props.onClick;
  return out;
}

export function View(props: BaseProps) {
  return createElement('div', domProps(props), props.children);
}

export function Text(props: BaseProps) {
  return createElement('span', domProps(props), props.children);
}

export function ScrollView(props: BaseProps) {
  return createElement('div', domProps(props), props.children);
}

export function Image(props: BaseProps & { src?: string }) {
  return createElement('img', { ...domProps(props), src: props.src });
}

export function Button(props: BaseProps & { openType?: string; disabled?: boolean; size?: string }) {
  const ref = useRef<HTMLButtonElement>(null);
  const handlers = useRef(props);
  handlers.current = props;
  useEffect(() => {
    const el = ref.current;
    if (!el) return undefined;
    const map: Record<string, string> = {
      getphonenumber: 'onGetPhoneNumber',
      agreeprivacyauthorization: 'onAgreePrivacyAuthorization',
    };
    const listeners = Object.entries(map).map(([type, prop]) => {
      const listener = (ev: Event) => {
        const fn = handlers.current[prop] as Handler | undefined;
        fn?.({ type, detail: ((ev as CustomEvent).detail ?? {}) as Record<string, unknown> });
      };
      el.addEventListener(type, listener);
      return () => el.removeEventListener(type, listener);
    });
    return () => listeners.forEach((off) => off());
  }, []);
  return createElement(
    'button',
    { ...domProps(props), ref, type: 'button', disabled: props.disabled ?? false, 'data-open-type': props.openType },
    props.children,
  );
}

export function Input(
  props: BaseProps & {
    value?: string;
    type?: string;
    placeholder?: string;
    maxlength?: number;
    onInput?: Handler;
    onConfirm?: Handler;
    onBlur?: Handler;
  },
) {
  const fire = (fn: Handler | undefined, type: string) => (e: { target: { value: string } }) =>
    fn?.({ type, detail: { value: e.target.value } });
  return createElement('input', {
    ...domProps(props),
    'data-type': props.type,
    value: props.value ?? '',
    placeholder: props.placeholder,
    maxLength: props.maxlength,
    onChange: fire(props.onInput, 'input'),
    onBlur: fire(props.onBlur, 'blur'),
    onKeyDown: (e: { key: string; target: { value: string } }) => {
      if (e.key === 'Enter') props.onConfirm?.({ type: 'confirm', detail: { value: e.target.value } });
    },
  });
}

export function Textarea(props: BaseProps & { value?: string; onInput?: Handler }) {
  return createElement('textarea', {
    ...domProps(props),
    value: props.value ?? '',
    onChange: (e: { target: { value: string } }) => props.onInput?.({ type: 'input', detail: { value: e.target.value } }),
  });
}

export function Block(props: BaseProps) {
  return createElement('div', domProps(props), props.children);
}

/**
 * A stand-in for @tarojs/taro in Vitest (aliased in vitest.config.ts). API calls are vi.fn()s with
 * WeChat-like defaults; storage is an in-memory map; page hooks run as React effects, and a test drives
 * the page lifecycle with `page.show()`, `page.hide()`, `page.reachBottom()` and `setRouterParams()`.
 */
import { useEffect, useRef } from 'react';
import { vi } from 'vitest';

const storage = new Map<string, unknown>();
let routerParams: Record<string, string> = {};
let loginCounter = 0;

type Listener = () => void;
const listeners: Record<'show' | 'hide' | 'reachBottom', Set<{ current: Listener }>> = {
  show: new Set(),
  hide: new Set(),
  reachBottom: new Set(),
};

function defaults() {
  return {
    request: vi.fn(async (_opts: unknown): Promise<{ statusCode: number; data: unknown; header: Record<string, string> }> => {
      throw Object.assign(new Error('no request handler in this test'), { errMsg: 'request:fail no handler' });
    }),
    login: vi.fn(async () => ({ code: `wx-login-${++loginCounter}`, errMsg: 'login:ok' })),
    getStorageSync: vi.fn((key: string) => (storage.has(key) ? storage.get(key) : '')),
    setStorageSync: vi.fn((key: string, value: unknown) => void storage.set(key, value)),
    removeStorageSync: vi.fn((key: string) => void storage.delete(key)),
    showToast: vi.fn(async () => ({ errMsg: 'showToast:ok' })),
    showModal: vi.fn(async () => ({ confirm: true, cancel: false, errMsg: 'showModal:ok' })),
    navigateTo: vi.fn(async () => ({ errMsg: 'navigateTo:ok' })),
    redirectTo: vi.fn(async () => ({ errMsg: 'redirectTo:ok' })),
    reLaunch: vi.fn(async () => ({ errMsg: 'reLaunch:ok' })),
    navigateBack: vi.fn(async () => ({ errMsg: 'navigateBack:ok' })),
    scanCode: vi.fn(async () => ({ result: '', errMsg: 'scanCode:ok' })),
    requestPayment: vi.fn(async () => ({ errMsg: 'requestPayment:ok' })),
    requestSubscribeMessage: vi.fn(async () => ({ errMsg: 'requestSubscribeMessage:ok' })),
    setClipboardData: vi.fn(async () => ({ errMsg: 'setClipboardData:ok' })),
    getScreenBrightness: vi.fn(async () => ({ value: 0.4 })),
    setScreenBrightness: vi.fn(async () => ({})),
    setKeepScreenOn: vi.fn(async () => ({})),
    setVisualEffectOnCapture: vi.fn(async () => ({})),
    getPrivacySetting: vi.fn(async () => ({ needAuthorization: false, privacyContractName: '《积分会员隐私保护指引》' })),
    requirePrivacyAuthorize: vi.fn(async () => ({})),
    onNeedPrivacyAuthorization: vi.fn(),
    pxTransform: vi.fn((n: number) => `${n / 2}px`),
  };
}

export type TaroMock = ReturnType<typeof defaults>;

const Taro = defaults() as TaroMock & Record<string, unknown>;

/** Fresh mocks, empty storage, no router params (setup.ts calls this before each test). */
export function resetTaroMock(): void {
  Object.assign(Taro, defaults());
  storage.clear();
  routerParams = {};
  loginCounter = 0;
  for (const set of Object.values(listeners)) set.clear();
}

export function setRouterParams(params: Record<string, string>): void {
  routerParams = params;
}

export function storageSnapshot(): Record<string, unknown> {
  return Object.fromEntries(storage);
}

function emit(kind: keyof typeof listeners): void {
  for (const l of [...listeners[kind]]) l.current();
}

/** The page lifecycle as WeChat would drive it. */
export const page = {
  show: () => emit('show'),
  hide: () => emit('hide'),
  reachBottom: () => emit('reachBottom'),
};

function useListener(kind: keyof typeof listeners, cb: Listener, runOnMount: boolean): void {
  const ref = useRef(cb);
  ref.current = cb;
  useEffect(() => {
    const entry = { current: () => ref.current() };
    listeners[kind].add(entry);
    if (runOnMount) entry.current();
    return () => void listeners[kind].delete(entry);
  }, []);
}

export function useLoad(cb: (params: Record<string, string>) => void): void {
  const ref = useRef(cb);
  ref.current = cb;
  useEffect(() => ref.current({ ...routerParams }), []);
}

export function useDidShow(cb: () => void): void {
  useListener('show', cb, true);
}

export function useDidHide(cb: () => void): void {
  useListener('hide', cb, false);
}

export function useReachBottom(cb: () => void): void {
  useListener('reachBottom', cb, false);
}

export function useUnload(cb: () => void): void {
  const ref = useRef(cb);
  ref.current = cb;
  useEffect(() => () => ref.current(), []);
}

export function useShareAppMessage(_cb: () => unknown): void {}

export function useRouter(): { params: Record<string, string> } {
  return { params: { ...routerParams } };
}

export default Taro;

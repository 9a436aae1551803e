/**
 * Runs the built weapp bundle (dist/weapp) in a Node `vm` with stand-in `App`/`Page`/`Component`/`wx`
 * globals: the real webpack output, Taro runtime and React reconciler, without WeChat. A page renders into
 * its `data` through setData exactly as on a phone; `tap()` and `input()` fire events through the page's
 * `eh` handler the way base.wxml binds them. It cannot show WXML problems — only the JS side.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import vm from 'node:vm';

export interface TaroNode {
  nn?: string;
  sid?: string;
  uid?: string;
  v?: string;
  cn?: TaroNode[];
  [prop: string]: unknown;
}

export interface WxCall {
  api: string;
  options: Record<string, unknown>;
}

/** Answers for wx.request, by `METHOD /path`; unknown routes answer 404 like the server. */
export type RequestHandler = (req: { method: string; path: string; data: unknown; header: Record<string, string> }) => {
  statusCode: number;
  data: unknown;
};

export interface PageInstance {
  route: string;
  data: { root?: TaroNode; [k: string]: unknown };
  setData(patch: Record<string, unknown>, cb?: () => void): void;
  [method: string]: unknown;
}

type AnyFn = (...args: unknown[]) => unknown;

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  // Taro's paths look like `root.cn.[0].cn.[2].v`.
  const keys = path
    .replace(/\[(\d+)\]/g, '$1')
    .split('.')
    .filter(Boolean);
  let obj: Record<string, unknown> = target;
  keys.forEach((key, i) => {
    if (i === keys.length - 1) {
      obj[key] = value;
      return;
    }
    const nextIsIndex = /^\d+$/.test(keys[i + 1]!);
    if (obj[key] === undefined || obj[key] === null) obj[key] = nextIsIndex ? [] : {};
    obj = obj[key] as Record<string, unknown>;
  });
}

const clone = <T>(v: T): T => (v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T));

export class WeappRuntime {
  readonly calls: WxCall[] = [];
  readonly storage = new Map<string, unknown>();
  readonly pages: PageInstance[] = [];
  private readonly modules = new Map<string, { exports: unknown }>();
  private readonly context: vm.Context;
  private pageOptions: Record<string, unknown> | null = null;
  appOptions: Record<string, AnyFn> | null = null;
  app: Record<string, unknown> | null = null;

  constructor(
    readonly dist: string,
    private readonly handleRequest: RequestHandler,
  ) {
    if (!existsSync(join(dist, 'app.js'))) throw new Error(`no weapp build at ${dist}`);
    const sandbox: Record<string, unknown> = {
      console,
      setTimeout,
      clearTimeout,
      setInterval,
      clearInterval,
      queueMicrotask,
      wx: this.wx(),
      App: (options: Record<string, AnyFn>) => {
        this.appOptions = options;
      },
      Page: (options: Record<string, unknown>) => {
        this.pageOptions = options;
      },
      Component(options: Record<string, unknown>) {
        return options;
      },
      Behavior(options: Record<string, unknown>) {
        return options;
      },
      getApp: () => this.app,
      getCurrentPages: () => this.pages,
      requirePlugin() {
        return {};
      },
    };
    sandbox['global'] = sandbox;
    this.context = vm.createContext(sandbox);
  }

  /** Loads app.js (and what it requires) and launches the app. */
  launch(query: Record<string, string> = {}): void {
    this.require('app.js', '.');
    if (!this.appOptions) throw new Error('app.js did not call App()');
    this.app = Object.assign(Object.create(null), this.appOptions);
    const opts = { path: 'pages/launch/index', query, scene: 1001 };
    (this.appOptions['onLaunch'] as AnyFn | undefined)?.call(this.app, opts);
    (this.appOptions['onShow'] as AnyFn | undefined)?.call(this.app, opts);
  }

  /** Loads a page's JS, instantiates it like WeChat (onLoad → onShow → onReady) and returns the instance. */
  openPage(route: string, query: Record<string, string> = {}): PageInstance {
    this.pageOptions = null;
    this.require(`${route}.js`, '.');
    const options = this.pageOptions as Record<string, unknown> | null;
    if (!options) throw new Error(`${route}.js did not call Page()`);
    const page = Object.create(null) as PageInstance;
    for (const [k, v] of Object.entries(options)) if (k !== 'data') (page as Record<string, unknown>)[k] = v;
    page.data = clone((options['data'] as PageInstance['data']) ?? {});
    page.route = route;
    (page as Record<string, unknown>)['__route__'] = route;
    (page as Record<string, unknown>)['options'] = query;
    page.setData = (patch, cb) => {
      for (const [path, value] of Object.entries(patch)) setPath(page.data as Record<string, unknown>, path, clone(value));
      if (cb) setTimeout(cb, 0);
    };
    this.pages.push(page);
    const call = (name: string, ...args: unknown[]) => (page[name] as AnyFn | undefined)?.apply(page, args);
    call('onLoad', query);
    call('onShow');
    call('onReady');
    return page;
  }

  hide(page: PageInstance): void {
    (page['onHide'] as AnyFn | undefined)?.call(page);
  }

  show(page: PageInstance): void {
    (page['onShow'] as AnyFn | undefined)?.call(page);
  }

  /** Every node of the page's rendered tree. */
  nodes(page: PageInstance): TaroNode[] {
    const out: TaroNode[] = [];
    const walk = (n: TaroNode | undefined) => {
      if (!n) return;
      out.push(n);
      (n.cn ?? []).forEach(walk);
    };
    walk(page.data.root);
    return out;
  }

  /** The node a page element with this id rendered to (Taro keeps the user id as `uid`). */
  find(page: PageInstance, id: string): TaroNode | undefined {
    return this.nodes(page).find((n) => n.uid === id || n['id'] === id);
  }

  /** All text under a node (or the whole page). */
  text(page: PageInstance, node?: TaroNode): string {
    const parts: string[] = [];
    const walk = (n: TaroNode | undefined) => {
      if (!n) return;
      if (typeof n.v === 'string') parts.push(n.v);
      (n.cn ?? []).forEach(walk);
    };
    walk(node ?? page.data.root);
    return parts.join('');
  }

  /** Fires an event on the element with this id, as base.wxml's `bind…="eh"` would. */
  fire(page: PageInstance, id: string, type: string, detail: Record<string, unknown> = {}): void {
    const node = this.find(page, id);
    if (!node) throw new Error(`no element #${id} on ${page.route}: ${this.text(page).slice(0, 200)}`);
    const target = { id: node.uid ?? node.sid, dataset: { sid: node.sid }, offsetLeft: 0, offsetTop: 0 };
    const eh = page['eh'] as AnyFn | undefined;
    if (!eh) throw new Error(`${page.route} has no eh event handler`);
    eh.call(page, { type, timeStamp: Date.now(), detail, target, currentTarget: target, mark: {} });
  }

  tap(page: PageInstance, id: string): void {
    this.fire(page, id, 'tap', { x: 0, y: 0 });
  }

  input(page: PageInstance, id: string, value: string): void {
    this.fire(page, id, 'input', { value, cursor: value.length, keyCode: 0 });
  }

  callsTo(api: string): WxCall[] {
    return this.calls.filter((c) => c.api === api);
  }

  // ---- internals ----

  private require(file: string, fromDir: string): unknown {
    let rel = normalize(join(fromDir, file));
    if (!rel.endsWith('.js')) rel += '.js';
    const cached = this.modules.get(rel);
    if (cached) return cached.exports;
    const path = join(this.dist, rel);
    const module = { exports: {} as unknown };
    this.modules.set(rel, module);
    const source = readFileSync(path, 'utf8');
    const wrapper = vm.runInContext(`(function (require, module, exports) {${source}\n})`, this.context, { filename: path }) as AnyFn;
    const dir = dirname(rel);
    wrapper((f: string) => this.require(f, dir), module, module.exports);
    return module.exports;
  }

  private wx(): Record<string, unknown> {
    const record = (api: string, options: unknown) => {
      this.calls.push({ api, options: (options ?? {}) as Record<string, unknown> });
    };
    // An async WeChat API: success/fail/complete callbacks, answered on a later tick like the real thing.
    const asyncApi =
      (api: string, answer: (o: Record<string, unknown>) => { ok: boolean; res: Record<string, unknown> }) =>
      (options: Record<string, unknown> = {}) => {
        record(api, options);
        const { ok, res } = answer(options);
        setTimeout(() => {
          const cb = (ok ? options['success'] : options['fail']) as AnyFn | undefined;
          cb?.(res);
          (options['complete'] as AnyFn | undefined)?.(res);
        }, 0);
        return { abort() {}, onHeadersReceived() {}, offHeadersReceived() {} };
      };
    const ok = (api: string, extra: Record<string, unknown> = {}) =>
      asyncApi(api, () => ({ ok: true, res: { errMsg: `${api}:ok`, ...extra } }));
    const systemInfo = {
      brand: 'devtools',
      model: 'iPhone 13',
      pixelRatio: 3,
      screenWidth: 390,
      screenHeight: 844,
      windowWidth: 390,
      windowHeight: 844,
      statusBarHeight: 47,
      language: 'zh_CN',
      version: '8.0.50',
      system: 'iOS 17.0',
      platform: 'devtools',
      SDKVersion: '3.6.0',
    };
    const storage = this.storage;
    return {
      request: asyncApi('request', (o) => {
        const url = new URL(String(o['url']));
        try {
          const res = this.handleRequest({
            method: String(o['method'] ?? 'GET').toUpperCase(),
            path: url.pathname + url.search,
            data: o['data'],
            header: (o['header'] ?? {}) as Record<string, string>,
          });
          return { ok: true, res: { ...res, header: {}, errMsg: 'request:ok' } };
        } catch (e) {
          return { ok: false, res: { errMsg: `request:fail ${(e as Error).message}` } };
        }
      }),
      login: ok('login', { code: 'vm-login-code' }),
      getStorageSync: (key: string) => (storage.has(key) ? clone(storage.get(key)) : ''),
      setStorageSync: (key: string, value: unknown) => void storage.set(key, clone(value)),
      removeStorageSync: (key: string) => void storage.delete(key),
      getSystemInfoSync: () => ({ ...systemInfo }),
      getSystemInfo: ok('getSystemInfo', systemInfo),
      getWindowInfo: () => ({ ...systemInfo }),
      getDeviceInfo: () => ({ ...systemInfo }),
      getAppBaseInfo: () => ({ ...systemInfo }),
      getMenuButtonBoundingClientRect: () => ({ width: 87, height: 32, top: 51, right: 380, bottom: 83, left: 293 }),
      canIUse: () => true,
      nextTick: (fn: () => void) => setTimeout(fn, 0),
      showToast: ok('showToast'),
      showModal: ok('showModal', { confirm: true, cancel: false }),
      showLoading: ok('showLoading'),
      hideLoading: ok('hideLoading'),
      navigateTo: ok('navigateTo'),
      redirectTo: ok('redirectTo'),
      reLaunch: ok('reLaunch'),
      navigateBack: ok('navigateBack'),
      switchTab: ok('switchTab'),
      scanCode: asyncApi('scanCode', () => ({ ok: false, res: { errMsg: 'scanCode:fail cancel' } })),
      requestPayment: ok('requestPayment'),
      requestSubscribeMessage: ok('requestSubscribeMessage'),
      setClipboardData: ok('setClipboardData'),
      getScreenBrightness: ok('getScreenBrightness', { value: 0.5 }),
      setScreenBrightness: ok('setScreenBrightness'),
      setKeepScreenOn: ok('setKeepScreenOn'),
      setVisualEffectOnCapture: ok('setVisualEffectOnCapture'),
      getPrivacySetting: ok('getPrivacySetting', { needAuthorization: false, privacyContractName: '《积分会员隐私保护指引》' }),
      requirePrivacyAuthorize: ok('requirePrivacyAuthorize'),
      onNeedPrivacyAuthorization: (fn: unknown) => record('onNeedPrivacyAuthorization', { fn }),
      onAppShow: () => undefined,
      onAppHide: () => undefined,
      offAppShow: () => undefined,
      offAppHide: () => undefined,
      getLaunchOptionsSync: () => ({ path: 'pages/launch/index', query: {}, scene: 1001 }),
      getEnterOptionsSync: () => ({ path: 'pages/launch/index', query: {}, scene: 1001 }),
      createSelectorQuery: () => ({ select: () => ({ boundingClientRect: () => ({ exec: () => undefined }) }), exec: () => undefined }),
      getUpdateManager: () => ({ onCheckForUpdate() {}, onUpdateReady() {}, onUpdateFailed() {}, applyUpdate() {} }),
      reportAnalytics: () => undefined,
    };
  }
}

/** Waits until `check` holds (the reconciler and the fake network run on timers), or throws with what is on screen. */
export async function until(check: () => boolean, describe: () => string, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting; page shows: ${describe()}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

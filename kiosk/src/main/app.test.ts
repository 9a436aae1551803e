/**
 * The Electron shell with electron mocked: window options, navigation, CSP, permissions, the app
 * protocol, IPC wiring with the sender check, crash recovery.
 */
import { mkdtemp, rm, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

const electronMock = vi.hoisted(() => {
  class FakeWebContents {
    readonly listeners = new Map<string, ((...args: unknown[]) => void)[]>();
    windowOpenHandler: ((details: { url: string }) => { action: string }) | null = null;
    readonly sent: [string, unknown][] = [];
    reload = vi.fn();
    on(event: string, listener: (...args: unknown[]) => void): this {
      this.listeners.set(event, [...(this.listeners.get(event) ?? []), listener]);
      return this;
    }
    emit(event: string, ...args: unknown[]): void {
      for (const l of this.listeners.get(event) ?? []) l(...args);
    }
    setWindowOpenHandler(handler: (details: { url: string }) => { action: string }): void {
      this.windowOpenHandler = handler;
    }
    isDestroyed(): boolean {
      return false;
    }
    send(channel: string, payload: unknown): void {
      this.sent.push([channel, payload]);
    }
  }
  const windows: FakeBrowserWindow[] = [];
  class FakeBrowserWindow {
    readonly webContents = new FakeWebContents();
    readonly loadURL = vi.fn(async () => undefined);
    constructor(readonly options: Record<string, unknown>) {
      windows.push(this);
    }
    once(): void {}
    show(): void {}
    focus(): void {}
    isDestroyed(): boolean {
      return false;
    }
  }
  const ipcHandlers = new Map<string, (...args: unknown[]) => unknown>();
  const appListeners = new Map<string, ((...args: unknown[]) => void)[]>();
  let headersHook: ((details: { responseHeaders?: Record<string, string[]> }, cb: (r: unknown) => void) => void) | null = null;
  let permissionHook: ((wc: unknown, permission: string, cb: (ok: boolean) => void) => void) | null = null;
  let protocolHandler: ((request: Request) => Promise<Response>) | null = null;
  const electron = {
    app: {
      whenReady: vi.fn(async () => undefined),
      on: vi.fn((event: string, listener: (...args: unknown[]) => void) => {
        appListeners.set(event, [...(appListeners.get(event) ?? []), listener]);
      }),
      quit: vi.fn(),
      relaunch: vi.fn(),
      exit: vi.fn(),
      getPath: vi.fn(() => '/nonexistent'),
      requestSingleInstanceLock: vi.fn(() => true),
      setLoginItemSettings: vi.fn(),
    },
    BrowserWindow: FakeBrowserWindow,
    ipcMain: {
      handle: vi.fn((channel: string, listener: (...args: unknown[]) => unknown) => ipcHandlers.set(channel, listener)),
      removeHandler: vi.fn((channel: string) => ipcHandlers.delete(channel)),
    },
    protocol: {
      registerSchemesAsPrivileged: vi.fn(),
      handle: vi.fn((_scheme: string, handler: (request: Request) => Promise<Response>) => {
        protocolHandler = handler;
      }),
    },
    session: {
      defaultSession: {
        webRequest: {
          onHeadersReceived: vi.fn((hook: typeof headersHook) => {
            headersHook = hook;
          }),
        },
        setPermissionRequestHandler: vi.fn((hook: typeof permissionHook) => {
          permissionHook = hook;
        }),
        setPermissionCheckHandler: vi.fn(),
      },
    },
  };
  return {
    electron,
    windows,
    ipcHandlers,
    appListeners,
    FakeWebContents,
    headers: () => headersHook,
    permission: () => permissionHook,
    protocolHandler: () => protocolHandler,
  };
});

vi.mock('electron', () => ({ default: electronMock.electron, ...electronMock.electron }));

import electron from 'electron';
import { startKioskApp } from './app.js';
import type { ElectronLike } from './app.js';
import { INVOKE_CHANNELS } from '../ipc-contract.js';

let dir: string;
let stop: (() => Promise<void>) | null = null;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kiosk-app-'));
  await mkdir(join(dir, 'renderer'));
  await writeFile(join(dir, 'renderer', 'index.html'), '<!doctype html><title>积分收银</title>');
  electronMock.windows.length = 0;
  electronMock.ipcHandlers.clear();
  electronMock.appListeners.clear();
});

afterEach(async () => {
  await stop?.();
  stop = null;
  await rm(dir, { recursive: true, force: true });
});

async function start() {
  const started = await startKioskApp(electron as unknown as ElectronLike, {
    dataDir: join(dir, 'data'),
    rendererDir: join(dir, 'renderer'),
    preloadPath: join(dir, 'preload.cjs'),
    log: () => undefined,
  });
  if (!started) throw new Error('not started');
  stop = () => started.service.close();
  const win = electronMock.windows[0];
  if (!win) throw new Error('no window');
  return { started, win };
}

describe('the Electron shell', () => {
  it('creates one window with hardened web preferences, loading the app origin', async () => {
    const { win } = await start();
    expect(electronMock.windows).toHaveLength(1);
    const prefs = win.options.webPreferences as Record<string, unknown>;
    expect(prefs).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      devTools: false,
      preload: join(dir, 'preload.cjs'),
    });
    expect(win.options.kiosk).toBe(true);
    expect(win.loadURL).toHaveBeenCalledWith('app://kiosk/index.html');
    // app: is registered as a standard, secure scheme before the app is ready.
    expect(electron.protocol.registerSchemesAsPrivileged).toHaveBeenCalledWith([
      expect.objectContaining({ scheme: 'app', privileges: expect.objectContaining({ standard: true, secure: true }) }),
    ]);
  });

  it('denies navigation away from the app, new windows and webviews', async () => {
    const { win } = await start();
    const nav = (url: string): boolean => {
      const event = { preventDefault: vi.fn(), url };
      win.webContents.emit('will-navigate', event, url);
      return event.preventDefault.mock.calls.length > 0;
    };
    expect(nav('https://evil.example/phish')).toBe(true);
    expect(nav('file:///etc/passwd')).toBe(true);
    expect(nav('app://kiosk.evil/index.html')).toBe(true);
    expect(nav('app://kiosk/index.html')).toBe(false);
    const redirect = { preventDefault: vi.fn(), url: 'https://evil.example/' };
    win.webContents.emit('will-redirect', redirect, redirect.url);
    expect(redirect.preventDefault).toHaveBeenCalled();
    expect(win.webContents.windowOpenHandler?.({ url: 'https://evil.example/' })).toEqual({ action: 'deny' });
    const webview = { preventDefault: vi.fn() };
    win.webContents.emit('will-attach-webview', webview);
    expect(webview.preventDefault).toHaveBeenCalled();
    // Every web contents created later is locked down too.
    const other = new electronMock.FakeWebContents();
    for (const l of electronMock.appListeners.get('web-contents-created') ?? []) l({}, other);
    expect(other.windowOpenHandler?.({ url: 'https://x/' })).toEqual({ action: 'deny' });
  });

  it('sends a CSP with every response, serves the renderer under app://kiosk/ only, and denies permissions', async () => {
    await start();
    const hook = electronMock.headers();
    let headers: Record<string, string[]> = {};
    hook?.({ responseHeaders: { 'content-type': ['text/html'] } }, (r) => {
      headers = (r as { responseHeaders: Record<string, string[]> }).responseHeaders;
    });
    expect(headers['content-security-policy']?.[0]).toMatch(/default-src 'self'; script-src 'self'/);
    expect(headers['content-security-policy']?.[0]).toMatch(/object-src 'none'/);

    const serve = electronMock.protocolHandler();
    const index = await serve?.(new Request('app://kiosk/index.html'));
    expect(index?.status).toBe(200);
    expect(index?.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
    expect((await serve?.(new Request('app://kiosk/../../etc/passwd')))?.status).toBe(404);
    expect((await serve?.(new Request('app://other/index.html')))?.status).toBe(404);

    let granted: boolean | null = null;
    electronMock.permission()?.({}, 'media', (ok) => (granted = ok));
    expect(granted).toBe(false);
  });

  it('wires every channel over IPC behind the sender check, and pushes events to the window', async () => {
    const { started, win } = await start();
    expect([...electronMock.ipcHandlers.keys()].sort()).toEqual([...INVOKE_CHANNELS].sort());
    const call = electronMock.ipcHandlers.get('config:get');
    const trusted = { senderFrame: { url: 'app://kiosk/index.html', parent: null } };
    const evil = { senderFrame: { url: 'https://evil.example/', parent: null } };
    expect(await call?.(trusted)).toMatchObject({ ok: true, value: { hasToken: false, paper: '80mm' } });
    expect(await call?.(evil)).toMatchObject({ ok: false, error: { code: 'UNTRUSTED_SENDER' } });
    const setConfig = electronMock.ipcHandlers.get('config:set');
    expect(await setConfig?.(evil, { serverUrl: 'https://evil.example' })).toMatchObject({ ok: false });
    expect(started.service.config.get().serverUrl).toBe('http://127.0.0.1:3000');

    started.service.table.emit('queue:onStatus', {
      online: false,
      pending: 1,
      rejected: 0,
      draining: false,
      lastError: null,
      lastSyncAt: null,
    });
    expect(win.webContents.sent).toContainEqual(['queue:onStatus', expect.objectContaining({ pending: 1 })]);
  });

  it('reloads a crashed renderer, and relaunches the app when it keeps crashing', async () => {
    const { win } = await start();
    const gone = (reason: string): void => win.webContents.emit('render-process-gone', {}, { reason, exitCode: 139 });
    gone('clean-exit');
    expect(win.webContents.reload).not.toHaveBeenCalled();
    gone('crashed');
    gone('oom');
    gone('killed');
    expect(win.webContents.reload).toHaveBeenCalledTimes(3);
    expect(electron.app.relaunch).not.toHaveBeenCalled();
    gone('crashed');
    expect(electron.app.relaunch).toHaveBeenCalledTimes(1);
    expect(electron.app.exit).toHaveBeenCalledWith(0);
  });

  it('quits when another instance already runs', async () => {
    vi.mocked(electron.app.requestSingleInstanceLock).mockReturnValueOnce(false);
    const result = await startKioskApp(electron as unknown as ElectronLike, {
      dataDir: join(dir, 'data'),
      rendererDir: dir,
      preloadPath: 'x',
      log: () => undefined,
    });
    expect(result).toBeNull();
    expect(electron.app.quit).toHaveBeenCalled();
  });
});

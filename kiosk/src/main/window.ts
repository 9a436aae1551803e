/**
 * The cashier window, hardened: isolated, sandboxed renderer without Node; no navigation away from
 * the app, no new windows, no webviews, no permissions; a Content Security Policy on every response;
 * the renderer served from the app's own `app://kiosk/` origin (never file://, whose origin cannot be
 * told apart from any other file).
 *
 * Electron is passed in (`ElectronWindowDeps`) rather than imported, so the tests run it mocked.
 */
import type {
  App,
  BrowserWindow,
  BrowserWindowConstructorOptions,
  Event as ElectronEvent,
  HandlerDetails,
  Protocol,
  Session,
  WebContents,
  WebPreferences,
} from 'electron';
import { isTrustedUrl } from './ipc.js';
import type { TrustedOrigin } from './ipc.js';
import { readStaticFile, SECURITY_HEADERS } from './static-files.js';
import { attachCrashRecovery } from './crash-recovery.js';
import type { CrashRecoveryOptions } from './crash-recovery.js';

export const APP_SCHEME = 'app';
export const APP_HOST = 'kiosk';
export const APP_ORIGIN: TrustedOrigin = { protocol: `${APP_SCHEME}:`, host: APP_HOST };
export const APP_URL = `${APP_SCHEME}://${APP_HOST}/index.html`;

export function hardenedWebPreferences(preloadPath: string, options: { devTools?: boolean } = {}): WebPreferences {
  return {
    preload: preloadPath,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    experimentalFeatures: false,
    navigateOnDragDrop: false,
    safeDialogs: true,
    spellcheck: false,
    devTools: options.devTools ?? false,
  };
}

export interface MainWindowOptions {
  preloadPath: string;
  /** Fullscreen kiosk mode (Windows and Linux; real lock-down is the OS's job: Assigned Access, a kiosk session). */
  kiosk?: boolean;
  devTools?: boolean;
}

export function mainWindowOptions(options: MainWindowOptions): BrowserWindowConstructorOptions {
  return {
    width: 1280,
    height: 800,
    minWidth: 1024,
    minHeight: 700,
    show: false,
    kiosk: options.kiosk ?? false,
    fullscreen: options.kiosk ?? false,
    autoHideMenuBar: true,
    backgroundColor: '#f4f5f7',
    title: '积分收银',
    webPreferences: hardenedWebPreferences(options.preloadPath, { devTools: options.devTools ?? false }),
  };
}

type NavigationContents = Pick<WebContents, 'on' | 'setWindowOpenHandler'>;

/**
 * No way out of the app: navigations and redirects to another origin are cancelled, window.open and
 * target=_blank are denied, <webview> cannot attach.
 */
export function lockDownNavigation(
  contents: NavigationContents,
  trusted: TrustedOrigin,
  log: (line: string) => void = () => undefined,
): void {
  const guard = (event: ElectronEvent, url: string): void => {
    if (isTrustedUrl(url, trusted)) return;
    event.preventDefault();
    log(`blocked navigation to ${url}`);
  };
  contents.on('will-navigate', (event, url) => guard(event, (event as ElectronEvent & { url?: string }).url ?? url));
  contents.on('will-redirect', (event, url) => guard(event, (event as ElectronEvent & { url?: string }).url ?? url));
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler((details: HandlerDetails) => {
    log(`blocked window.open ${details.url}`);
    return { action: 'deny' };
  });
}

/** CSP and the other security headers on every response the session loads; every permission denied. */
export function hardenSession(session: Pick<Session, 'webRequest' | 'setPermissionRequestHandler' | 'setPermissionCheckHandler'>): void {
  session.webRequest.onHeadersReceived((details, callback) => {
    const headers: Record<string, string[]> = { ...(details.responseHeaders ?? {}) };
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) headers[name] = [value];
    callback({ responseHeaders: headers });
  });
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
}

/** Must run before the app is ready: `app:` is a standard, secure scheme (so it has an origin, and CSP 'self' works). */
export function registerAppScheme(protocol: Pick<Protocol, 'registerSchemesAsPrivileged'>): void {
  protocol.registerSchemesAsPrivileged([
    { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: false, corsEnabled: false } },
  ]);
}

/** Serves the built renderer under app://kiosk/, with the security headers. Anything else: 404. */
export function serveRenderer(protocol: Pick<Protocol, 'handle'>, rendererDir: string): void {
  protocol.handle(APP_SCHEME, async (request) => {
    const url = new URL(request.url);
    if (url.host !== APP_HOST || request.method !== 'GET') return new Response('not found', { status: 404 });
    const file = await readStaticFile(rendererDir, url.pathname);
    if (!file) return new Response('not found', { status: 404 });
    return new Response(new Uint8Array(file.body), { headers: { 'content-type': file.type, ...SECURITY_HEADERS } });
  });
}

export interface ElectronWindowDeps {
  BrowserWindow: new (options: BrowserWindowConstructorOptions) => BrowserWindow;
  app: Pick<App, 'relaunch' | 'exit'>;
}

export function createMainWindow(
  electron: ElectronWindowDeps,
  options: MainWindowOptions & { crash?: CrashRecoveryOptions; log?: (line: string) => void },
): BrowserWindow {
  const log = options.log ?? (() => undefined);
  const win = new electron.BrowserWindow(mainWindowOptions(options));
  lockDownNavigation(win.webContents, APP_ORIGIN, log);
  attachCrashRecovery(win.webContents, electron.app, { ...options.crash, log });
  win.once('ready-to-show', () => win.show());
  void win.loadURL(APP_URL);
  return win;
}

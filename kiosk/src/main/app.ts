/**
 * The Electron shell: one hardened window over the device service. Everything Electron is passed in
 * (`ElectronLike`), so the wiring is tested with electron mocked; electron-main.ts passes the real one.
 */
import { join } from 'node:path';
import type { App, BrowserWindow, BrowserWindowConstructorOptions, IpcMain, Protocol, Session } from 'electron';
import { configureAutoStart } from './autostart.js';
import { createKioskService } from './service.js';
import type { KioskService, KioskServiceOptions } from './service.js';
import { forwardEvents, registerIpcHandlers } from './ipc.js';
import { APP_ORIGIN, createMainWindow, hardenSession, lockDownNavigation, registerAppScheme, serveRenderer } from './window.js';

export interface ElectronLike {
  app: Pick<App, 'whenReady' | 'on' | 'quit' | 'relaunch' | 'exit' | 'getPath' | 'requestSingleInstanceLock' | 'setLoginItemSettings'>;
  BrowserWindow: new (options: BrowserWindowConstructorOptions) => BrowserWindow;
  ipcMain: Pick<IpcMain, 'handle' | 'removeHandler'>;
  protocol: Pick<Protocol, 'registerSchemesAsPrivileged' | 'handle'>;
  session: { defaultSession: Pick<Session, 'webRequest' | 'setPermissionRequestHandler' | 'setPermissionCheckHandler'> };
}

export interface KioskAppOptions extends Omit<KioskServiceOptions, 'dataDir'> {
  /** Default: <userData>/kiosk. */
  dataDir?: string;
  rendererDir: string;
  preloadPath: string;
  kiosk?: boolean;
  devTools?: boolean;
  /** Turn auto-start at login on or off (main/autostart.ts); undefined leaves it as it is. */
  autoStart?: boolean;
}

export interface KioskApp {
  window: BrowserWindow;
  service: KioskService;
}

export async function startKioskApp(electron: ElectronLike, options: KioskAppOptions): Promise<KioskApp | null> {
  const { app } = electron;
  const log = options.log ?? ((line: string) => console.log(`[kiosk] ${line}`));
  // Before `ready`: the app: scheme must be standard and secure to have an origin of its own.
  registerAppScheme(electron.protocol);
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return null;
  }
  await app.whenReady();
  app.on('web-contents-created', (_event, contents) => lockDownNavigation(contents, APP_ORIGIN, log));
  hardenSession(electron.session.defaultSession);
  if (options.autoStart !== undefined) {
    await configureAutoStart(app, { enabled: options.autoStart, args: process.argv.slice(1).filter((a) => a !== '--autostart') }).then(
      log,
      (err: unknown) => log(`auto-start: ${String(err)}`),
    );
  }
  serveRenderer(electron.protocol, options.rendererDir);

  const service = await createKioskService({ ...options, dataDir: options.dataDir ?? join(app.getPath('userData'), 'kiosk'), log });
  registerIpcHandlers(electron.ipcMain, service.table, APP_ORIGIN, log);
  let window = createMainWindow(electron, {
    preloadPath: options.preloadPath,
    kiosk: options.kiosk ?? true,
    devTools: options.devTools ?? false,
    log,
  });
  forwardEvents(service.table, () => window.webContents);
  app.on('second-instance', () => {
    if (window.isDestroyed()) window = createMainWindow(electron, { preloadPath: options.preloadPath, kiosk: options.kiosk ?? true, log });
    window.focus();
  });
  app.on('window-all-closed', () => {
    void service.close().finally(() => app.quit());
  });
  return { window, service };
}
